"""Provider callbacks (machines) and the citizen's payment pages (people)."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jamana.core.errors import JamanaError, NotFound
from jamana.core.phones import InvalidPhoneNumber, normalize_phone
from jamana.identity.http import AuthenticatedRequest
from jamana.identity.permissions import VIEW_PAYMENTS
from jamana.identity.queries import agent_organisations
from jamana.payments.actions import (
    callback_url_for,
    check_initiate,
    do_create_intent,
    do_handle_callback,
)
from jamana.payments.models import IntentStatus, PaymentIntent, ReconciliationRun
from jamana.payments.providers.base import ForgedCallback, ProviderError
from jamana.payments.reconciliation import totals_per_administration
from jamana.payments.registry import provider_choices
from jamana.procedures.access import access_own_request
from jamana.procedures.models import RequestStatus

MAX_CALLBACK_BYTES = 64 * 1024


@csrf_exempt
@require_POST
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_CALLBACK_BYTES:
        return JsonResponse({"status": "too_large"}, status=413)
    try:
        outcome = do_handle_callback(
            provider, headers={k: v for k, v in request.headers.items()}, body=request.body
        )
    except KeyError:
        raise Http404() from None
    except ForgedCallback:
        return JsonResponse({"status": "refused"}, status=401)
    except ProviderError:
        # Authentic but unreadable (unknown status, missing field): a clear 400, never a 500.
        return JsonResponse({"status": "malformed"}, status=400)
    # A duplicate is acknowledged like the first: the provider must stop resending it.
    if outcome == "retry":
        return JsonResponse({"status": "unknown_yet"}, status=503)
    return JsonResponse({"status": outcome})


class PayForm(forms.Form):
    provider = forms.ChoiceField(label=_("Pay with"))
    phone = forms.CharField(label=_("Phone number to charge"), max_length=20)
    # One token per rendered form: a double click or a retried POST reuses the same intent.
    attempt = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["provider"].choices = provider_choices()  # type: ignore[attr-defined]


@login_required
def pay_request(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    try:
        service_request = access_own_request(request.user, reference)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if service_request.status != RequestStatus.AWAITING_PAYMENT:
        return redirect("procedures:request_detail", reference=service_request.reference)
    form = PayForm(
        request.POST or None,
        initial={"phone": request.user.phone, "attempt": secrets.token_hex(12)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            phone = normalize_phone(form.cleaned_data["phone"])
        except InvalidPhoneNumber:
            form.add_error("phone", _("This phone number is not valid."))
        else:
            try:
                intent = do_create_intent(
                    purpose_type="request_fee",
                    purpose_ref=service_request.reference,
                    beneficiary=service_request.organisation,
                    amount_xof=service_request.fee_xof,
                    provider=form.cleaned_data["provider"],
                    idempotency_key=f"web:{request.user.pk}:{form.cleaned_data['attempt']}",
                    payer=service_request.applicant,
                    payer_msisdn=phone,
                )
                check_initiate(intent, callback_url=callback_url_for(intent.provider))
            except JamanaError as exc:
                messages.error(request, exc.message)
            else:
                return redirect("payments:status", reference=intent.reference)
    return render(request, "payments/pay.html", {"req": service_request, "form": form})


@login_required
def status(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    intent = PaymentIntent.objects.filter(
        reference=reference, payer_id=request.user.person_id or 0
    ).first()
    if intent is None:
        raise Http404()
    return render(
        request,
        "payments/status.html",
        {
            "intent": intent,
            "waiting": intent.status in (IntentStatus.CREATED, IntentStatus.PENDING),
        },
    )


@login_required
def agent_payments(request: AuthenticatedRequest) -> HttpResponse:
    """Reconciliation differences to look into, and what is held for each administration."""
    organisations = agent_organisations(request.user, VIEW_PAYMENTS)
    if not organisations:
        raise Http404()
    codes = {o.code for o in organisations}
    runs = ReconciliationRun.objects.prefetch_related("differences").order_by("-day", "provider")
    return render(
        request,
        "payments/agent_payments.html",
        {
            "runs": runs[:30],
            "totals": [
                (code, amount) for code, amount in totals_per_administration() if code in codes
            ],
        },
    )
