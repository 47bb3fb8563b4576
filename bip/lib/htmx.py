"""htmx answers shared by the views.

The search forms (the case list, Mijn zaken, the closed cases, the intake's child search) search
with htmx and swap only the results. A form with an error cannot be shown that way: the error
summary, the field's message and `aria-invalid` live in the form, outside the swapped results.
So a search whose form has an error loads the whole page of the same URL instead
(`HX-Redirect`), as without script: the summary takes the focus (autofocus) and the typed
values stay. A page that shows errors renders its form without hx-get, so the next search is a
full page too and clears them.
"""

from django import forms
from django.http import HttpResponse
from django_htmx.http import HttpResponseClientRedirect

from .http import AuthenticatedHttpRequest


def full_page_for_form_errors(
    request: AuthenticatedHttpRequest, form: forms.Form
) -> HttpResponse | None:
    """For an htmx request whose bound form has errors: the answer that loads the whole page of
    the same URL. None when the results can be swapped in as usual."""
    if request.htmx and form.is_bound and form.errors:
        return HttpResponseClientRedirect(request.get_full_path())
    return None
