"""Bulk import of DUO verzuimmeldingen from CSV: upload, check, preview, confirm or cancel.

Coordinator only. Uploading refuses a file that cannot be read as a whole (or that is too
long) on the form; otherwise it stores the file and redirects to the batch's page while a
background task checks it. The page shows a progress bar that htmx refreshes every two
seconds while the check or the import runs (without JavaScript a "Vernieuwen" link reloads
the page); when the task is done the page reloads itself and lists per line what confirming
will create, or what is wrong. Confirming queues the import; the same page then becomes the
import report. Pages are addressed by batch id: no child data in URLs.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from bip.lib.http import AuthenticatedHttpRequest
from bip.lib.pagination import paginate

from .. import access, imports, selectors
from ..constants import ImportRowStatus, ImportStatus
from ..exceptions import CaseError
from ..imports.forms import ImportUploadForm
from .lists import query_string_without_page

PREVIEW_TEMPLATE = "cases/import_preview.html"


@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The upload form, with the file format and the latest imports."""
    access.require_coordinator(request.user)
    status = 200
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["csv_file"]
            try:
                batch = imports.import_upload(
                    content=upload.read(), file_name=upload.name, actor=request.user
                )
            except CaseError as error:
                for message in error.errors.values():
                    form.add_error("csv_file", message)
            else:
                return redirect("cases:import_preview", batch_pk=batch.pk)
        status = 422
    else:
        form = ImportUploadForm()
    context = {
        "form": form,
        "columns": imports.COLUMNS,
        "recent_batches": selectors.recent_import_batches(),
    }
    return render(request, "cases/import_upload.html", context, status=status)


@require_GET
def import_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An empty CSV file with the import's header row, to fill in: the columns come from the
    importer's own definition (imports.COLUMNS), so the template cannot drift from it. With a
    byte-order mark, so that a spreadsheet opens it as UTF-8; the reader accepts one."""
    access.require_coordinator(request.user)
    header = imports.reader.DELIMITER.join(imports.COLUMNS)
    response = HttpResponse(
        ("\ufeff" + header + "\r\n").encode(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="verzuimmeldingen-sjabloon.csv"'
    return response


@require_GET
def import_preview(request: AuthenticatedHttpRequest, batch_pk: int) -> HttpResponse:
    """A batch's page: the progress of its check or import, then the preview or the report.

    htmx polls it for the progress partial; once the task is done, the answer tells htmx to
    reload the page, which then shows the rows.
    """
    batch = access.get_import_batch_for_user(request.user, batch_pk)
    stalled = imports.is_stalled(batch)
    context = {
        "batch": batch,
        "stalled": stalled,
        "stalled_minutes": int(imports.STALLED_AFTER.total_seconds() // 60),
    }
    if request.htmx:
        if not batch.is_busy:
            return HttpResponseClientRefresh()
        return render(request, f"{PREVIEW_TEMPLATE}#progress", context)
    errors_only = request.GET.get("toon") == "fouten"
    show_rows = batch.status not in (ImportStatus.CHECKING, ImportStatus.FAILED)
    rows = batch.rows.order_by("line_number")
    if errors_only:
        rows = rows.filter(status__in=[ImportRowStatus.ERROR, ImportRowStatus.SKIPPED])
    context |= {
        "page": paginate(request, rows) if show_rows else None,
        "errors_only": errors_only,
        "query_string": query_string_without_page(request),
        "can_confirm": bool(batch.valid_count)
        and (batch.status == ImportStatus.PREVIEW or (stalled and batch.is_busy)),
        "can_cancel": batch.status == ImportStatus.PREVIEW or stalled,
        "nothing_to_import": batch.status == ImportStatus.PREVIEW and not batch.valid_count,
    }
    return render(request, PREVIEW_TEMPLATE, context)


@require_POST
def import_confirm(request: AuthenticatedHttpRequest, batch_pk: int) -> HttpResponse:
    batch = access.get_import_batch_for_user(request.user, batch_pk)
    try:
        batch = imports.import_confirm_request(batch=batch, actor=request.user)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.info(
            request,
            _("De import is gestart. Op deze pagina zie je de voortgang en daarna het verslag."),
        )
    return redirect("cases:import_preview", batch_pk=batch.pk)


@require_POST
def import_cancel(request: AuthenticatedHttpRequest, batch_pk: int) -> HttpResponse:
    batch = access.get_import_batch_for_user(request.user, batch_pk)
    try:
        batch = imports.import_cancel(batch=batch, actor=request.user)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("De import is geannuleerd. Er is niets geïmporteerd."))
    return redirect("cases:import_preview", batch_pk=batch.pk)
