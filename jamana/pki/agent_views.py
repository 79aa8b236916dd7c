"""Agent page: the certificates an agent may revoke, with the revocation form."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jamana.core.errors import JamanaError
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.permissions import REVOKE_CERTIFICATE
from jamana.identity.queries import agent_organisations
from jamana.pki.actions import do_revoke_certificate
from jamana.pki.models import CertificateRecord, RevocationReason
from jamana.procedures.agent_views import agent_required


class RevokeCertificateForm(forms.Form):
    name = forms.CharField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=RevocationReason.choices)


@agent_required
def certificates(request: AuthenticatedRequest) -> HttpResponse:
    organisations = agent_organisations(request.user, REVOKE_CERTIFICATE)
    operator = any(o.code == settings.JAMANA_PKI_ORGANISATION for o in organisations)
    records = CertificateRecord.objects.select_related("organisation").order_by("name")
    if not operator:
        records = records.filter(organisation__in=organisations)
    form = RevokeCertificateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_revoke_certificate(
                agent=request.user,
                name=form.cleaned_data["name"],
                reason=form.cleaned_data["reason"],
            )
        except JamanaError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The certificate is revoked."))
        return redirect("pki_agent:certificates")
    return render(
        request,
        "pki/agent_certificates.html",
        {"records": records if organisations else [], "reasons": RevocationReason.choices},
    )
