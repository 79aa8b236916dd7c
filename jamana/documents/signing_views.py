"""Citizen pages for personal electronic signatures and their certificates."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jamana.core.errors import JamanaError, NotFound
from jamana.documents.models import SigningStatus
from jamana.documents.signing import access_own_session, check_sign, do_start_signing
from jamana.identity.actions import do_send_code
from jamana.identity.forms import CodeForm
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.models import CodePurpose
from jamana.pki.actions import do_renew_personal_certificate, do_revoke_own_certificate
from jamana.pki.models import CertificateRecord, RevocationReason


class UploadForm(forms.Form):
    document = forms.FileField(label=gettext_lazy("PDF document to sign"))

    def clean_document(self):
        upload = self.cleaned_data["document"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(gettext_lazy("The file is too large."))
        return upload


@login_required
def start(request: AuthenticatedRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["document"]
        try:
            session = do_start_signing(
                account=request.user, data=upload.read(), filename=upload.name
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("signing:confirm", token=session.token)
    return render(request, "documents/sign_start.html", {"form": form})


@login_required
def confirm(request: AuthenticatedRequest, token: str) -> HttpResponse:
    try:
        session = access_own_session(request.user, token)
    except NotFound as exc:
        raise Http404(exc.message) from None
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check_sign(account=request.user, token=token, code=form.cleaned_data["code"])
        except JamanaError as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(request, _("The document is signed."))
            return redirect("signing:confirm", token=token)
    return render(request, "documents/sign_confirm.html", {"session": session, "form": form})


@login_required
@require_POST
def resend(request: AuthenticatedRequest, token: str) -> HttpResponse:
    try:
        session = access_own_session(request.user, token)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if session.status == SigningStatus.PENDING:
        do_send_code(
            request.user,
            CodePurpose.SIGNATURE,
            binding=session.original_sha256,
            control=session.control_code,
        )
        messages.info(request, _("A new code has been sent."))
    return redirect("signing:confirm", token=token)


@login_required
def download(request: AuthenticatedRequest, token: str) -> HttpResponse:
    try:
        session = access_own_session(request.user, token)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if session.status != SigningStatus.SIGNED:
        raise Http404()
    with default_storage.open(session.signed_file, "rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    stem = session.filename.rsplit(".", 1)[0][:80] or "document"
    response["Content-Disposition"] = f'attachment; filename="{stem}-signed.pdf"'
    return response


OWN_REVOCATION_REASONS = [
    (
        RevocationReason.KEY_COMPROMISE,
        gettext_lazy("Someone signed in my name, or I lost control of my phone"),
    ),
    (RevocationReason.SUPERSEDED, gettext_lazy("I no longer want this certificate")),
]


class RevokeOwnForm(forms.Form):
    name = forms.CharField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=OWN_REVOCATION_REASONS)


@login_required
def certificates(request: AuthenticatedRequest) -> HttpResponse:
    records = CertificateRecord.objects.filter(
        person_id=request.user.person_id or 0, role="person"
    ).order_by("-not_before")
    form = RevokeOwnForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "renew":
                if request.user.person is None:
                    raise JamanaError("no_person", _("Your account is not linked to a person."))
                do_renew_personal_certificate(request.user.person)
                messages.success(request, _("A new signature certificate has been issued."))
            elif form.is_valid():
                do_revoke_own_certificate(
                    account=request.user,
                    name=form.cleaned_data["name"],
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("Your certificate is revoked."))
        except JamanaError as exc:
            messages.error(request, exc.message)
        return redirect("signing:certificates")
    return render(
        request,
        "documents/my_certificates.html",
        {"records": records, "reasons": OWN_REVOCATION_REASONS},
    )
