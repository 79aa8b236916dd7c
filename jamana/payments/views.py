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
from jamana.identity.permissions import RECORD_COUNTER_PAYMENT, REFUND_PAYMENT, VIEW_PAYMENTS
from jamana.identity.queries import agent_organisations
from jamana.payments.actions import (
    callback_url_for,
    check_initiate,
    check_refund_payment,
    do_create_intent,
    do_handle_callback,
    do_pay_out_cash_refund,
)
from jamana.payments.models import IntentStatus, PaymentIntent, ReconciliationRun
from jamana.payments.providers.base import ForgedCallback, ProviderError
from jamana.payments.queries import list_cash_refunds_due
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

    def clean_phone(self) -> str:
        """The number to charge, in E.164."""
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhoneNumber:
            raise forms.ValidationError(_("This phone number is not valid.")) from None


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
            intent = do_create_intent(
                purpose_type="request_fee",
                purpose_ref=service_request.reference,
                beneficiary=service_request.organisation,
                amount_xof=service_request.fee_xof,
                provider=form.cleaned_data["provider"],
                idempotency_key=f"web:{request.user.pk}:{form.cleaned_data['attempt']}",
                payer=service_request.applicant,
                payer_msisdn=form.cleaned_data["phone"],
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


class RefundForm(forms.Form):
    reference = forms.CharField(label=_("Payment reference"), max_length=16)
    reason = forms.CharField(label=_("Reason"), max_length=255)


@login_required
def agent_payments(request: AuthenticatedRequest) -> HttpResponse:
    """Reconciliation differences to look into, what is held for each administration, refunds
    to decide and cash refunds to hand over."""
    viewing = agent_organisations(request.user, VIEW_PAYMENTS)
    refunding = agent_organisations(request.user, REFUND_PAYMENT)
    cashiers = agent_organisations(request.user, RECORD_COUNTER_PAYMENT)
    if not (viewing or refunding or cashiers):
        raise Http404()
    form = RefundForm(request.POST or None) if refunding else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            refund = check_refund_payment(
                agent=request.user,
                reference=form.cleaned_data["reference"],
                reason=form.cleaned_data["reason"],
            )
        except JamanaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Refund of %(amount)s FCFA decided for payment %(ref)s.")
                % {"amount": refund.amount_xof, "ref": refund.intent.reference},
            )
            return redirect("payments:agent_payments")
    codes = {o.code for o in viewing}
    runs = ReconciliationRun.objects.prefetch_related("differences").order_by("-day", "provider")
    return render(
        request,
        "payments/agent_payments.html",
        {
            "runs": runs[:30] if viewing else [],
            "can_view": bool(viewing),
            "totals": [
                (code, amount) for code, amount in totals_per_administration() if code in codes
            ],
            "refund_form": form,
            "cash_refunds": list(list_cash_refunds_due(cashiers)[:100]) if cashiers else [],
        },
    )


@login_required
@require_POST
def pay_out_cash_refund(request: AuthenticatedRequest, refund_id: int) -> HttpResponse:
    try:
        refund = do_pay_out_cash_refund(agent=request.user, refund_id=refund_id)
    except JamanaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(amount)s FCFA handed back for payment %(ref)s.")
            % {"amount": refund.amount_xof, "ref": refund.intent.reference},
        )
    return redirect("payments:agent_payments")
