"""The public verification portal and the agent's revocation page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from jamana.core.errors import JamanaError, NotFound
from jamana.core.references import InvalidReference, parse_reference
from jamana.documents.actions import do_revoke_document, read_document_file
from jamana.documents.forms import RevokeDocumentForm, VerifyForm
from jamana.documents.models import Document
from jamana.documents.queries import access_own_document, list_my_documents
from jamana.documents.verification import verify_code, verify_pdf
from jamana.identity.http import AuthenticatedRequest
from jamana.procedures.agent_views import agent_required


def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("document")
        result = verify_pdf(upload.read()) if upload else verify_code(form.cleaned_data["code"])
    return render(request, "documents/verify.html", {"form": form, "result": result})


def verify_by_code(request: HttpRequest, code: str) -> HttpResponse:
    """The link printed in the QR code."""
    return render(
        request, "documents/verify.html", {"form": VerifyForm(), "result": verify_code(code)}
    )


@agent_required
def agent_document(request: AuthenticatedRequest, number: str) -> HttpResponse:
    try:
        number = parse_reference(number)
    except InvalidReference:
        raise Http404() from None
    document = Document.objects.select_related("issuer").filter(number=number).first()
    if document is None:
        raise Http404()
    form = RevokeDocumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_revoke_document(
                agent=request.user, number=number, reason=form.cleaned_data["reason"]
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The document is revoked."))
            return redirect("documents:agent_document", number=number)
    return render(request, "documents/agent_document.html", {"document": document, "form": form})


@login_required
def my_documents(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "documents/my_documents.html", {"documents": list_my_documents(request.user)}
    )


@login_required
def download(request: AuthenticatedRequest, number: str) -> HttpResponse:
    try:
        document = access_own_document(request.user, number)
    except NotFound as exc:
        raise Http404(exc.message) from None
    printable = request.GET.get("copy") == "print" and bool(document.printable_file)
    response = HttpResponse(
        read_document_file(document, printable=printable), content_type="application/pdf"
    )
    suffix = "-print" if printable else ""
    response["Content-Disposition"] = f'attachment; filename="jamana-{document.number}{suffix}.pdf"'
    return response
