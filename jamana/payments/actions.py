"""The payment lifecycle: create (idempotent) → initiate at the provider → callback and/or
status polling → settle exactly once → fulfil the purpose; an amount paid twice is refunded.

Network calls to providers are made outside database transactions; every state change is
one transaction with its event, its ledger entry and its audit record."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.core.errors import JamanaError
from jamana.core.money import format_xof
from jamana.core.references import (
    InvalidReference,
    format_reference,
    new_reference,
    parse_reference,
)
from jamana.identity.models import Account, Organisation, Person
from jamana.identity.permissions import RECORD_COUNTER_PAYMENT, REFUND_PAYMENT
from jamana.identity.queries import require_permission
from jamana.notify.actions import queue_sms
from jamana.payments import ledger
from jamana.payments.models import (
    IntentStatus,
    PaymentEvent,
    PaymentIntent,
    Refund,
    RefundStatus,
)
from jamana.payments.providers.base import (
    ForgedCallback,
    PaymentStatus,
    PermanentProviderError,
    StatusResult,
    TransientProviderError,
)
from jamana.payments.registry import get_provider

logger = logging.getLogger(__name__)
INTENT_TTL = dt.timedelta(minutes=30)
#: Cash at the counter: recorded by agents, refunded by agents, no provider to call.
CASH = "counter"


class PaymentError(JamanaError):
    pass


def _event(
    intent: PaymentIntent, kind: str, *, event_id: str | None = None, **detail: Any
) -> PaymentEvent:
    return PaymentEvent.objects.create(
        intent=intent,
        at=timezone.now(),
        kind=kind,
        provider=intent.provider,
        provider_event_id=event_id,
        detail=detail,
    )


def do_create_intent(
    *,
    purpose_type: str,
    purpose_ref: str,
    beneficiary: Organisation,
    amount_xof: int,
    provider: str,
    idempotency_key: str,
    payer: Person | None = None,
    payer_msisdn: str = "",
) -> PaymentIntent:
    """Create the intent, or return the one already created with this idempotency key (a
    retried request or a double click). The same key for a different payment is refused."""
    if not isinstance(amount_xof, int) or amount_xof <= 0:
        raise PaymentError("invalid_amount", _("The amount must be a whole number of francs."))
    if provider not in settings.PAYMENT_PROVIDERS:
        raise PaymentError("unknown_provider", _("This payment method is not available."))
    existing = PaymentIntent.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if (
            existing.purpose_type,
            existing.purpose_ref,
            existing.amount_xof,
            existing.provider,
        ) != (purpose_type, purpose_ref, amount_xof, provider):
            raise PaymentError(
                "idempotency_key_reused",
                _("This payment key was already used for another payment."),
            )
        return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            intent = PaymentIntent.objects.create(
                reference=new_reference(),
                idempotency_key=idempotency_key,
                purpose_type=purpose_type,
                purpose_ref=purpose_ref,
                beneficiary=beneficiary,
                payer=payer,
                payer_msisdn=payer_msisdn,
                amount_xof=amount_xof,
                provider=provider,
                created_at=now,
                expires_at=now + INTENT_TTL,
            )
            _event(intent, "created", amount_xof=amount_xof)
            record_event(
                action="payment.intent_created",
                object_type="payment",
                object_ref=intent.reference,
                organisation=beneficiary,
                detail={"purpose": f"{purpose_type}:{purpose_ref}", "amount": amount_xof},
            )
    except IntegrityError:
        # Two identical requests raced: the other one created it.
        return PaymentIntent.objects.get(idempotency_key=idempotency_key)
    return intent


def check_initiate(intent: PaymentIntent, *, callback_url: str) -> PaymentIntent:
    """Ask the provider to collect (USSD push, QR…). Safe to call again: the provider gets the
    same idempotency key and answers with the same transaction."""
    if intent.status not in (IntentStatus.CREATED, IntentStatus.PENDING):
        return intent
    provider = get_provider(intent.provider)
    try:
        result = provider.initiate(
            merchant_reference=intent.reference,
            idempotency_key=intent.idempotency_key,
            amount_xof=intent.amount_xof,
            payer_msisdn=intent.payer_msisdn,
            callback_url=callback_url,
            description=f"Jamana {intent.reference}",
        )
    except TransientProviderError as exc:
        with transaction.atomic():
            _event(intent, "initiate_retry", error=str(exc)[:200])
        raise PaymentError(
            "provider_unavailable",
            _(
                "The payment service does not answer. Try again in a moment; you will not be "
                "charged twice."
            ),
        ) from exc
    except PermanentProviderError as exc:
        with transaction.atomic():
            locked = PaymentIntent.objects.select_for_update().get(pk=intent.pk)
            locked.status = IntentStatus.FAILED
            # The provider's own words stay in the event log; the payer reads our message.
            locked.failure_reason = "other"
            locked.save()
            _event(locked, "failed", error=str(exc)[:200])
        raise PaymentError(
            "payment_refused",
            _("The payment service refused this payment. You were not charged."),
        ) from exc
    with transaction.atomic():
        locked = PaymentIntent.objects.select_for_update().get(pk=intent.pk)
        if locked.status == IntentStatus.CREATED:
            locked.status = IntentStatus.PENDING
        locked.provider_reference = result.provider_reference
        locked.payer_instructions = result.payer_instructions[:255]
        locked.save()
        _event(locked, "initiated", provider_reference=result.provider_reference)
    if result.status != PaymentStatus.PENDING:
        apply_status(locked, provider.query(result.provider_reference))
        locked.refresh_from_db()
    return locked


def do_handle_callback(provider_code: str, *, headers: Mapping[str, str], body: bytes) -> str:
    """A provider's asynchronous notification: authenticated, recorded once, then confirmed by
    a status query before anything is settled. Returns what happened (for the HTTP reply)."""
    provider = get_provider(provider_code)
    try:
        event = provider.parse_callback(headers=headers, body=body)
    except ForgedCallback:
        logger.warning("forged %s callback refused", provider_code)
        with transaction.atomic():
            record_event(
                action="payment.forged_callback",
                object_type="provider",
                object_ref=provider_code,
                detail={"size": len(body)},
            )
        raise
    intent = PaymentIntent.objects.filter(
        provider=provider_code, provider_reference=event.provider_reference
    ).first()
    if intent is None:
        # Most likely the callback overtook the commit of our initiate: answer so that the
        # provider sends it again (a 2xx would make it give up; polling would then be late).
        return "retry"
    try:
        with transaction.atomic():
            _event(
                intent,
                "callback",
                event_id=event.event_id,
                status=event.status.value,
                amount_xof=event.amount_xof,
            )
    except IntegrityError:
        return "duplicate"
    # The callback says what happened; the status query is what we settle on.
    apply_status(intent, provider.query(event.provider_reference))
    return "ok"


def apply_status(intent: PaymentIntent, result: StatusResult) -> PaymentIntent:
    """Settle, fail or expire an intent from the provider's own answer, exactly once."""
    after_commit: list[Callable[[], object]] = []
    with transaction.atomic():
        locked = PaymentIntent.objects.select_for_update().get(pk=intent.pk)
        if locked.status == IntentStatus.SUCCEEDED:
            return locked  # settled once, never twice
        if locked.status in (IntentStatus.FAILED, IntentStatus.EXPIRED) and (
            result.status != PaymentStatus.SUCCEEDED
        ):
            return locked
        # A success after we had given up (late confirmation) still settles: money paid is
        # never ignored; if the purpose was paid meanwhile, it is refunded below.
        if result.status == PaymentStatus.SUCCEEDED:
            if result.amount_xof != locked.amount_xof:
                _event(locked, "amount_mismatch", paid=result.amount_xof)
                logger.error(
                    "amount mismatch on %s: paid %s, due %s",
                    locked.reference,
                    result.amount_xof,
                    locked.amount_xof,
                )
            locked.status = IntentStatus.SUCCEEDED
            locked.settled_at = result.paid_at or timezone.now()
            locked.failure_reason = ""
            locked.save()
            _event(locked, "settled", amount_xof=result.amount_xof)
            ledger.post_payment(locked)
            record_event(
                action="payment.settled",
                object_type="payment",
                object_ref=locked.reference,
                organisation=locked.beneficiary,
                detail={"amount": locked.amount_xof, "provider": locked.provider},
            )
            # A purpose paid in instalments (a tax assessment) takes several payments; its
            # owner's handler refuses the amount that would overpay, and it is refunded then.
            earlier = (
                None
                if locked.purpose_type in settings.PAYMENT_INSTALMENT_PURPOSES
                else (
                    PaymentIntent.objects.filter(
                        purpose_type=locked.purpose_type,
                        purpose_ref=locked.purpose_ref,
                        status=IntentStatus.SUCCEEDED,
                        duplicate_of__isnull=True,
                    )
                    .exclude(pk=locked.pk)
                    .order_by("settled_at", "pk")
                    .first()
                )
            )
            if earlier is not None:
                locked.duplicate_of = earlier
                locked.save(update_fields=["duplicate_of"])
                refund = Refund.objects.create(
                    intent=locked,
                    amount_xof=locked.amount_xof,
                    reason="duplicate",
                    idempotency_key=f"refund:{locked.reference}",
                    created_at=timezone.now(),
                )
                _event(locked, "duplicate_detected", first=earlier.reference)
                after_commit.append(lambda: do_execute_refund(refund.pk))
            else:
                after_commit.append(lambda: _fulfil(locked.pk))
        elif result.status in (PaymentStatus.FAILED, PaymentStatus.EXPIRED):
            locked.status = (
                IntentStatus.FAILED
                if result.status == PaymentStatus.FAILED
                else IntentStatus.EXPIRED
            )
            locked.failure_reason = result.failure_reason[:255]
            locked.save()
            _event(locked, locked.status, reason=result.failure_reason[:200])
        for callback in after_commit:
            transaction.on_commit(callback)
    return locked


def _fulfil(intent_id: int) -> None:
    """Tell the owner of the purpose (a request, a tax assessment) that it is paid, then issue
    the sealed receipt. A purpose that can no longer take the money (a request cancelled in the
    meantime) gets it refunded."""
    intent = PaymentIntent.objects.select_related("beneficiary", "payer").get(pk=intent_id)
    handler_path = settings.PAYMENT_PURPOSE_HANDLERS.get(intent.purpose_type)
    accepted = import_string(handler_path)(intent) if handler_path else True
    if not accepted:
        with transaction.atomic():
            refund, _created = Refund.objects.get_or_create(
                idempotency_key=f"refund:{intent.reference}",
                defaults={
                    "intent": intent,
                    "amount_xof": intent.amount_xof,
                    "reason": "purpose_closed",
                    "created_at": timezone.now(),
                },
            )
        do_execute_refund(refund.pk)
        return
    issue_receipt(intent)


def issue_receipt(intent: PaymentIntent) -> None:
    """The quittance: a sealed document for every settled payment, issued once (the intent
    row is locked while it is made, so two workers cannot both issue one). A failure leaves
    the payment settled and the receipt to the poller's next round."""
    try:
        _issue_receipt(intent)
    except Exception:
        logger.exception("receipt for payment %s not issued yet", intent.reference)


RECEIPT_CLAIM_TTL = dt.timedelta(minutes=5)


def _issue_receipt(intent: PaymentIntent) -> None:
    from jamana.documents.actions import issue_document

    # Claim the receipt with one short UPDATE instead of holding a row lock while sealing
    # (~50 ms): on SQLite a lock held that long queues every other payment (bench/PAYMENTS.md).
    now = timezone.now()
    claimed = (
        PaymentIntent.objects.filter(pk=intent.pk, receipt_number="", status=IntentStatus.SUCCEEDED)
        .filter(
            models.Q(receipt_claimed_at__isnull=True)
            | models.Q(receipt_claimed_at__lt=now - RECEIPT_CLAIM_TTL)
        )
        .update(receipt_claimed_at=now)
    )
    if not claimed:
        return
    locked = PaymentIntent.objects.select_related("beneficiary", "payer").get(pk=intent.pk)
    try:
        with translation.override("fr"):
            paid_on = (
                timezone.localtime(locked.settled_at).strftime("%Y-%m-%d %H:%M")
                if locked.settled_at
                else ""
            )
            fields = [
                (gettext("Payment reference"), format_reference(locked.reference)),
                (gettext("Paid for"), f"{locked.purpose_type} {locked.purpose_ref}"),
                (gettext("Amount"), format_xof(locked.amount_xof)),
                (gettext("Paid with"), locked.provider),
                (gettext("Provider reference"), locked.provider_reference or "—"),
                (gettext("Paid on"), paid_on),
            ]
        document = issue_document(
            kind="payment_receipt",
            issuer=locked.beneficiary,
            holder=locked.payer,
            holder_name=(locked.payer.full_name if locked.payer else locked.payer_msisdn) or "—",
            fields=fields,
        )
    except BaseException:
        PaymentIntent.objects.filter(pk=intent.pk).update(receipt_claimed_at=None)
        raise
    PaymentIntent.objects.filter(pk=intent.pk).update(receipt_number=document.number)


def do_execute_refund(refund_id: int) -> Refund:
    """Send a pending refund to the provider (idempotent: same key on every retry)."""
    refund = Refund.objects.select_related("intent", "intent__beneficiary").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    if refund.intent.provider == CASH:
        return refund  # handed back in cash by an agent: do_pay_out_cash_refund
    provider = get_provider(refund.intent.provider)
    try:
        result = provider.refund(
            provider_reference=refund.intent.provider_reference,
            amount_xof=refund.amount_xof,
            idempotency_key=refund.idempotency_key,
        )
    except TransientProviderError:
        return refund  # the poller retries pending refunds
    with transaction.atomic():
        locked = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("intent", "intent__beneficiary")
            .get(pk=refund.pk)
        )
        if locked.status != RefundStatus.PENDING:
            return locked
        if result.status == PaymentStatus.SUCCEEDED:
            _complete_refund(locked, provider_reference=result.refund_reference)
        else:
            locked.provider_reference = result.refund_reference
            if result.status == PaymentStatus.FAILED:
                locked.status = RefundStatus.FAILED
            locked.save()
            _event(locked.intent, f"refund_{locked.status}", refund=locked.provider_reference)
        record_event(
            action="payment.refund",
            object_type="payment",
            object_ref=locked.intent.reference,
            organisation=locked.intent.beneficiary,
            detail={"amount": locked.amount_xof, "status": locked.status},
        )
    return locked


def _tell_refunded(refund: Refund) -> None:
    intent = refund.intent
    phone = intent.payer_msisdn or (intent.payer.phone if intent.payer else "")
    if not phone:
        return
    account = Account.objects.filter(person_id=intent.payer_id).first() if intent.payer_id else None
    language = account.language if account else "fr"
    with translation.override(language):
        # The raw number, not format_xof: its narrow spaces are not in the GSM alphabet.
        text = gettext(
            "Jamana: payment %(ref)s was made twice or is no longer due. "
            "%(amount)s FCFA has been refunded to you."
        ) % {"ref": format_reference(intent.reference), "amount": refund.amount_xof}
    queue_sms(to=phone, body=text, language=language)


def do_poll_pending(*, older_than: dt.timedelta = dt.timedelta(seconds=30)) -> int:
    """Status polling takes over when callbacks are late or lost, and recovers intents left
    half-way by a crash: created-but-not-initiated intents are initiated again (same
    idempotency key, so the provider answers with the same transaction), pending ones are
    queried, pending refunds are retried."""
    now = timezone.now()
    handled = 0
    for intent in PaymentIntent.objects.filter(
        status__in=[IntentStatus.CREATED, IntentStatus.PENDING], created_at__lte=now - older_than
    ):
        provider = get_provider(intent.provider)
        try:
            if not intent.provider_reference:
                if intent.expires_at > now:
                    check_initiate(intent, callback_url=callback_url_for(intent.provider))
                    handled += 1
                continue
            result = provider.query(intent.provider_reference)
        except (TransientProviderError, PaymentError):
            continue
        if result.status == PaymentStatus.PENDING and intent.expires_at <= now:
            result = StatusResult(
                provider_reference=result.provider_reference,
                status=PaymentStatus.EXPIRED,
                amount_xof=result.amount_xof,
                paid_at=None,
                failure_reason="expired",
            )
        apply_status(intent, result)
        handled += 1
    for refund in Refund.objects.filter(status=RefundStatus.PENDING).exclude(intent__provider=CASH):
        do_execute_refund(refund.pk)
        handled += 1
    for settled in PaymentIntent.objects.filter(
        status=IntentStatus.SUCCEEDED,
        receipt_number="",
        duplicate_of__isnull=True,
        settled_at__lte=now - older_than,
    ).exclude(refunds__status=RefundStatus.SUCCEEDED):
        issue_receipt(settled)
        handled += 1
    return handled


def callback_url_for(provider_code: str) -> str:
    return f"{settings.JAMANA_PUBLIC_URL.rstrip('/')}/payments/callback/{provider_code}"


def do_record_counter_payment(
    *,
    agent: Account,
    purpose_type: str,
    purpose_ref: str,
    beneficiary: Organisation,
    amount_xof: int,
    receipt: str,
    payer: Person | None = None,
) -> PaymentIntent:
    """Cash taken at the counter against a numbered paper receipt: settled at once, posted to
    the ledger like any payment. Recording the same receipt twice changes nothing. The caller
    (the purpose's owner) has already applied the payment, inside the same transaction."""
    key = f"counter:{beneficiary.code}:{receipt}"
    existing = PaymentIntent.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if (existing.purpose_type, existing.purpose_ref) != (purpose_type, purpose_ref):
            raise PaymentError(
                "receipt_reused", _("This receipt number was already used for another payment.")
            )
        return existing
    now = timezone.now()
    with transaction.atomic():
        intent = PaymentIntent.objects.create(
            reference=new_reference(),
            idempotency_key=key,
            purpose_type=purpose_type,
            purpose_ref=purpose_ref,
            beneficiary=beneficiary,
            payer=payer,
            amount_xof=amount_xof,
            provider=CASH,
            provider_reference=receipt,
            status=IntentStatus.SUCCEEDED,
            created_at=now,
            expires_at=now,
            settled_at=now,
        )
        _event(intent, "settled", amount_xof=amount_xof, receipt=receipt, agent=agent.pk)
        ledger.post_payment(intent)
        record_event(
            action="payment.settled",
            object_type="payment",
            object_ref=intent.reference,
            actor=agent,
            organisation=beneficiary,
            detail={"amount": amount_xof, "provider": "counter", "receipt": receipt},
        )
        transaction.on_commit(lambda: issue_receipt(intent))
    return intent


def check_refund_payment(*, agent: Account, reference: str, reason: str) -> Refund:
    """A head of service decides to give back what was paid for a purpose that no longer
    stands (a cancelled tax assessment, a refused request): whatever of the payment has not
    been refunded yet, through the provider it came by, or in cash at the counter. The
    purpose's owner must agree (``PAYMENT_REFUND_GUARDS``). Deciding it twice changes
    nothing."""
    reason = reason.strip()
    if not reason:
        raise PaymentError("reason_required", _("A refund must give its reason."))
    with transaction.atomic():
        intent = (
            PaymentIntent.objects.select_for_update(of=("self",))
            .select_related("beneficiary")
            .filter(reference=_parsed_reference(reference))
            .first()
        )
        if intent is None:
            raise PaymentError("payment_not_found", _("No payment with this reference."))
        require_permission(agent, REFUND_PAYMENT, intent.beneficiary)
        existing = Refund.objects.filter(idempotency_key=f"refund:decision:{intent.reference}")
        if existing.exists():
            return existing.get()
        if intent.status != IntentStatus.SUCCEEDED:
            raise PaymentError("not_paid", _("Only a payment that was made can be refunded."))
        refunded = sum(r.amount_xof for r in intent.refunds.exclude(status=RefundStatus.FAILED))
        remaining = intent.amount_xof - refunded
        if remaining <= 0:
            raise PaymentError("already_refunded", _("This payment was already refunded."))
        guard_path = settings.PAYMENT_REFUND_GUARDS.get(intent.purpose_type)
        if guard_path is None or not import_string(guard_path)(intent):
            raise PaymentError(
                "purpose_still_stands",
                _(
                    "What this payment was for still stands: cancel the assessment or close "
                    "the request first."
                ),
            )
        refund = Refund.objects.create(
            intent=intent,
            amount_xof=remaining,
            reason="decision",
            idempotency_key=f"refund:decision:{intent.reference}",
            created_at=timezone.now(),
        )
        _event(intent, "refund_decided", amount_xof=remaining, agent=agent.pk)
        record_event(
            action="payment.refund_decided",
            object_type="payment",
            object_ref=intent.reference,
            actor=agent,
            organisation=intent.beneficiary,
            detail={"amount": remaining, "reason": reason[:255]},
        )
        transaction.on_commit(lambda: do_execute_refund(refund.pk))
    return refund


def _parsed_reference(text: str) -> str:
    try:
        return parse_reference(text)
    except InvalidReference:
        return ""


def do_pay_out_cash_refund(*, agent: Account, refund_id: int) -> Refund:
    """An agent hands a cash refund over at the counter: the refund is done, the ledger takes
    the money out of the counter's till, the payer is told. Doing it twice changes nothing."""
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("intent", "intent__beneficiary")
            .filter(pk=refund_id, intent__provider=CASH)
            .first()
        )
        if refund is None:
            raise PaymentError("refund_not_found", _("No cash refund with this number."))
        require_permission(agent, RECORD_COUNTER_PAYMENT, refund.intent.beneficiary)
        if refund.status != RefundStatus.PENDING:
            return refund
        _complete_refund(refund, provider_reference=f"cash:{agent.pk}")
        record_event(
            action="payment.refund",
            object_type="payment",
            object_ref=refund.intent.reference,
            actor=agent,
            organisation=refund.intent.beneficiary,
            detail={"amount": refund.amount_xof, "status": refund.status, "cash": True},
        )
    return refund


def _complete_refund(refund: Refund, *, provider_reference: str) -> None:
    refund.provider_reference = provider_reference
    refund.status = RefundStatus.SUCCEEDED
    refund.completed_at = timezone.now()
    refund.save()
    ledger.post_refund(refund)
    _event(refund.intent, "refund_succeeded", refund=provider_reference)
    _tell_refunded(refund)
