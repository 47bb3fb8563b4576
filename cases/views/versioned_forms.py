"""The page flow shared by every form that changes a versioned record (a case, a plan).

GET shows the form. POST validates it and calls `apply(form)` (a service): on success a message
(`success`, or `success(result)` with what `apply` returned) and a redirect to `success_url` (a
URL or a URL name); a refused write puts the service's messages on the form (422); a concurrent edit
keeps what the user typed, takes the record's current version for a resubmit, and says so.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from bip.lib.http import AuthenticatedHttpRequest

from ..exceptions import CaseError, ConcurrentEdit
from ..forms import VersionedForm, apply_service_errors


def versioned_form_page[F: VersionedForm, R](
    request: AuthenticatedHttpRequest,
    form: F,
    *,
    template: str,
    context: dict[str, Any],
    apply: Callable[[F], R],
    success: str | Callable[[R], str],
    success_url: str,
    current_version: Callable[[], int],
) -> HttpResponse:
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = apply(form)
            except ConcurrentEdit as error:
                form.refresh_version(current_version())
                apply_service_errors(form, error.errors)
            except CaseError as error:
                apply_service_errors(form, error.errors)
            else:
                messages.success(request, success(result) if callable(success) else success)
                return redirect(success_url)
        status = 422
    return render(request, template, {**context, "form": form}, status=status)
