"""Bulk import of DUO verzuimmeldingen from CSV: upload, preview, confirm or cancel.

Coordinator only. Uploading stores a batch in preview and redirects to its page, which lists
per line what confirming will create, or what is wrong. Confirming or cancelling turns the
same page into the import report. Pages are addressed by batch id: no child data in URLs.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bip.lib.http import AuthenticatedHttpRequest
from bip.lib.pagination import paginate

from .. import access, imports
from ..exceptions import CaseError
from ..models import ImportRowStatus
from .lists import query_string_without_page


class ImportUploadForm(forms.Form):
    csv_file = forms.FileField(
        label=gettext_lazy("CSV-bestand met verzuimmeldingen"),
        help_text=gettext_lazy(
            "UTF-8, puntkomma als scheidingsteken, met de kopregel hieronder. Hoogstens 10 MB."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_csv_file(self):
        upload = self.cleaned_data["csv_file"]
        if upload.size > imports.MAX_FILE_BYTES:
            raise forms.ValidationError(imports.too_large_message())
        return upload


@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedHttpRequest):
    """The upload form, with the file format and the latest imports."""
    access.require_coordinator(request.user)
    status = 200
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["csv_file"]
            try:
                batch = imports.import_preview_create(
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
        "recent_batches": imports.recent_import_batches(),
    }
    return render(request, "cases/import_upload.html", context, status=status)


@require_GET
def import_preview(request: AuthenticatedHttpRequest, batch_pk: int):
    """A batch's rows, a page at a time: the preview, or after confirming the report."""
    batch = imports.get_import_batch_for_user(request.user, batch_pk)
    errors_only = request.GET.get("toon") == "fouten"
    rows = batch.rows.order_by("line_number")
    if errors_only:
        rows = rows.filter(status__in=[ImportRowStatus.ERROR, ImportRowStatus.SKIPPED])
    context = {
        "batch": batch,
        "page": paginate(request, rows),
        "errors_only": errors_only,
        "query_string": query_string_without_page(request),
    }
    return render(request, "cases/import_preview.html", context)


@require_POST
def import_confirm(request: AuthenticatedHttpRequest, batch_pk: int):
    batch = imports.get_import_batch_for_user(request.user, batch_pk)
    try:
        batch = imports.import_confirm(batch=batch, actor=request.user)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext(
                "De import is uitgevoerd: %(count)s zaak aangemaakt.",
                "De import is uitgevoerd: %(count)s zaken aangemaakt.",
                batch.imported_count,
            )
            % {"count": batch.imported_count},
        )
        if batch.skipped_count:
            messages.warning(
                request,
                ngettext(
                    "%(count)s regel is overgeslagen; de reden staat in het verslag.",
                    "%(count)s regels zijn overgeslagen; de redenen staan in het verslag.",
                    batch.skipped_count,
                )
                % {"count": batch.skipped_count},
            )
    return redirect("cases:import_preview", batch_pk=batch.pk)


@require_POST
def import_cancel(request: AuthenticatedHttpRequest, batch_pk: int):
    batch = imports.get_import_batch_for_user(request.user, batch_pk)
    try:
        batch = imports.import_cancel(batch=batch, actor=request.user)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("De import is geannuleerd. Er is niets geïmporteerd."))
    return redirect("cases:import_preview", batch_pk=batch.pk)
