"""Research exports for the researcher: ask for one, follow its progress, download it.

The list page holds the request form and the researcher's own exports. An export's page shows
a progress bar that htmx refreshes while the export runs: every second at first, less often as
the export gets older (`services.poll_interval`), and not at all once it is finished; without
JavaScript a "Vernieuwen" link reloads the page. The poll carries bip.lib.polling's header, so
it does not count as activity for the session's idle timeout. Both pages first mark failed an export
whose worker died (`services.export_fail_orphaned`), so the researcher is told within minutes.
The download is served only to the researcher who asked for it, while it has not expired.
"""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from bip.lib.pagination import paginate
from bip.lib.polling import poll_headers_json
from cases.exceptions import CaseError

from .. import access, tasks
from ..exports import services
from ..forms import ExportRequestForm, FreezeChoiceForm
from ..freezes import freezes_newest_first
from ..models import ResearchExport

DETAIL_TEMPLATE = "evaluation/export_detail.html"


@require_http_methods(["GET", "POST"])
def export_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The researcher's exports, newest first, and the form to ask for a new one. The form
    picks the data freeze the measurements come from (default: the latest)."""
    access.require_researcher(request.user)
    status = 200
    freezes = list(freezes_newest_first())
    if request.method == "POST":
        form = ExportRequestForm(request.POST)
        source_form = FreezeChoiceForm(request.POST, freezes=freezes)
        if form.is_valid() & source_form.is_valid():
            try:
                export = tasks.export_request(
                    user=request.user,
                    dataset=form.cleaned_data["dataset"],
                    file_format=form.cleaned_data["file_format"],
                    freeze=source_form.chosen(),
                    period=form.period(),
                )
            except CaseError as error:
                for field, message in error.errors.items():
                    form.add_error(field, message)
            else:
                messages.success(
                    request,
                    _("De export is aangevraagd. Je ziet hier de voortgang."),
                )
                return redirect("evaluation:export_detail", pk=export.pk)
        status = 422
    else:
        form = ExportRequestForm()
        source_form = FreezeChoiceForm(freezes=freezes)
    services.export_fail_orphaned(requested_by=request.user)
    page = paginate(
        request, access.exports_visible_to(request.user).order_by("-requested_at", "-id")
    )
    context = {"form": form, "source_form": source_form, "page": page, "query_string": ""}
    return render(request, "evaluation/export_list.html", context, status=status)


def _detail_context(export: ResearchExport) -> dict[str, Any]:
    stalled = services.is_stalled(export)
    return {
        "poll_seconds": services.poll_interval(export),
        # Sent by the polling element only: the poll does not count as activity.
        "poll_headers": poll_headers_json(),
        "export": export,
        "finished": export.status not in services.UNFINISHED,
        "expired": services.is_expired(export),
        "stalled": stalled,
        "stalled_minutes": int(services.STALLED_AFTER.total_seconds() // 60),
        # What the page last announced: the status, and whether it was stalled.
        "status_key": f"{export.status}-vastgelopen" if stalled else export.status,
        "expected_rows": export.parameters.get("expected_rows"),
    }


@require_GET
def export_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One export: its facts, its log and its progress. htmx polls the progress partial."""
    export = access.get_export_for_user(request.user, pk)
    if services.is_orphaned(export):
        services.export_fail_orphaned(export_ids=[export.pk])
        export.refresh_from_db()
    context = _detail_context(export)
    if request.htmx:
        html = render_to_string(f"{DETAIL_TEMPLATE}#progress", context, request=request)
        # The status sentence is a live region: it is only replaced when the status changed,
        # so a screen reader announces each change once, not every second. The facts list
        # (status, rows, available until) changes only then too, and is swapped with it.
        if request.GET.get("gezien") != context["status_key"]:
            for partial in ("status", "details"):
                html += render_to_string(
                    f"{DETAIL_TEMPLATE}#{partial}", {**context, "oob": True}, request=request
                )
        return HttpResponse(html)
    context["events"] = export.events.select_related("actor").order_by("occurred_at", "id")
    return render(request, DETAIL_TEMPLATE, context)


@require_GET
def export_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse | FileResponse:
    """The export's ZIP as an attachment; logged as a download."""
    export = access.get_export_for_user(request.user, pk)
    try:
        path = services.export_download(export=export, user=request.user)
    except services.ExportUnavailable as error:
        return render(
            request,
            "evaluation/export_unavailable.html",
            {"export": export, "message": str(error)},
            status=410 if error.gone else 404,
        )
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=services.download_name(export),
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    return response
