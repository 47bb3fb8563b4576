"""Documents on a case: the list with the upload form, and the download.

Files are never served by the web server: only `document_download` reads them, after the
access check, as an attachment that is not cached and not sniffed. The access log records
every download (audit.policy: "cases:document_download", action download; the path holds the
document's id).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from bip.lib.pagination import paginate

from .. import access
from ..document_forms import DocumentUploadForm
from ..exceptions import CaseError
from ..forms import apply_service_errors
from ..services.documents import document_upload, open_document


@require_http_methods(["GET", "POST"])
def document_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The case's documents, newest first, and (for who may add one) the upload form."""
    case = access.get_case_for_user(request.user, pk, write=request.method == "POST")
    can_add = access.can_add_document(request.user, case)
    if request.method == "POST" and not can_add:
        raise PermissionDenied
    form = DocumentUploadForm(request.POST or None, request.FILES or None) if can_add else None
    status = 200
    if request.method == "POST" and form is not None:
        if form.is_valid():
            try:
                document = document_upload(
                    case=case,
                    kind=form.cleaned_data["kind"],
                    file=form.cleaned_data["file"],
                    actor=request.user,
                )
            except CaseError as error:
                apply_service_errors(form, error.errors)
            else:
                messages.success(
                    request,
                    _("Document %(name)s toegevoegd aan de zaak.")
                    % {"name": document.original_name},
                )
                return redirect("cases:documents", pk=case.pk)
        status = 422
    page = paginate(request, access.documents_of_case(request.user, case))
    return render(
        request,
        "cases/documents.html",
        {
            "case": case,
            "form": form,
            "page": page,
            "documents": page.object_list,
            "query_string": "",
            "can_write_letter": access.can_write_letter(request.user, case),
        },
        status=status,
    )


@require_GET
def document_download(request: AuthenticatedHttpRequest, pk: int, document_pk: int) -> FileResponse:
    """The file, as an attachment with its sanitised name and detected type."""
    case = access.get_case_for_user(request.user, pk)
    document = access.get_document_for_case(request.user, case, document_pk)
    try:
        file = open_document(document)
    except OSError:
        # The row exists but the storage lost the file: say it is not there, never a 500.
        raise Http404("Document file missing") from None
    response = FileResponse(
        file,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
