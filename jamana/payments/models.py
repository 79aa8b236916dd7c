"""Payment intents, their provider events, refunds, and the double-entry ledger.

Exactness rules (Irembo kept 14,298 duplicate payments): every intent has an idempotency key;
every provider callback is recorded once (unique provider event id); an amount paid twice is
refunded automatically; every movement posts balanced entries to the ledger."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IntentStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("payment status", "Created")
    PENDING = "pending", pgettext_lazy("payment status", "Waiting for your confirmation")
    SUCCEEDED = "succeeded", pgettext_lazy("payment status", "Paid")
    FAILED = "failed", pgettext_lazy("payment status", "Failed")
    EXPIRED = "expired", pgettext_lazy("payment status", "Expired")


FAILURE_MESSAGES = {
    "declined": _("You declined the payment on your phone."),
    "insufficient_funds": _("There was not enough money in the account."),
    "expired": _("The payment was not confirmed in time. Start again."),
    "other": _("The payment did not go through. You were not charged; start again."),
}


class PaymentIntent(models.Model):
    reference = models.CharField(max_length=9, unique=True)
    idempotency_key = models.CharField(max_length=128, unique=True)
    # What is being paid: a request's fee, a tax assessment…
    purpose_type = models.CharField(max_length=32)
    purpose_ref = models.CharField(max_length=64)
    beneficiary = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    payer = models.ForeignKey(
        "identity.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payer_msisdn = models.CharField(max_length=16, blank=True)
    amount_xof = models.PositiveIntegerField()
    provider = models.CharField(max_length=24)
    provider_reference = models.CharField(max_length=128, blank=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=IntentStatus.choices, default=IntentStatus.CREATED
    )
    failure_reason = models.CharField(max_length=255, blank=True)
    payer_instructions = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    # The number of the sealed receipt (quittance) issued once the payment settled.
    receipt_number = models.CharField(max_length=9, blank=True)
    # Set while one worker seals the receipt, so that no other issues it meanwhile.
    receipt_claimed_at = models.DateTimeField(null=True, blank=True)
    # Set when this intent paid a purpose that another intent had already paid.
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["purpose_type", "purpose_ref"]),
            models.Index(fields=["status", "expires_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_xof__gt=0), name="intent_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="provider_reference_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount_xof} XOF ({self.status})"

    @property
    def failure_message(self) -> str:
        """What the payer reads: provider codes are never shown as such."""
        if not self.failure_reason:
            return ""
        return str(FAILURE_MESSAGES.get(self.failure_reason, FAILURE_MESSAGES["other"]))


class PaymentEvent(models.Model):
    """Everything that happened to an intent; a provider callback is stored once."""

    intent = models.ForeignKey(PaymentIntent, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=24)
    provider = models.CharField(max_length=24)
    provider_event_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            # The same callback delivered twice is recognised by its provider event id.
            models.UniqueConstraint(
                fields=["provider", "provider_event_id"], name="provider_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.intent_id}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("refund status", "Pending")
    SUCCEEDED = "succeeded", pgettext_lazy("refund status", "Refunded")
    FAILED = "failed", pgettext_lazy("refund status", "Failed")


class Refund(models.Model):
    intent = models.ForeignKey(PaymentIntent, on_delete=models.PROTECT, related_name="refunds")
    amount_xof = models.PositiveIntegerField()
    reason = models.CharField(max_length=32)  # "duplicate", …
    idempotency_key = models.CharField(max_length=128, unique=True)
    provider_reference = models.CharField(max_length=128, blank=True)
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refund {self.amount_xof} XOF of {self.intent_id}"


class LedgerAccount(models.Model):
    """``provider:<code>`` (money held by a provider for us), ``beneficiary:<org code>``
    (owed to an administration), ``refunds:<provider>`` (paid back), ``fees:<provider>``."""

    code = models.CharField(max_length=80, unique=True)
    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.code


class JournalEntry(models.Model):
    at = models.DateTimeField(db_index=True)
    description = models.CharField(max_length=255)
    intent = models.ForeignKey(
        PaymentIntent, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )

    def __str__(self) -> str:
        return self.description


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="lines")
    debit_xof = models.PositiveBigIntegerField(default=0)
    credit_xof = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit_xof=0) & models.Q(credit_xof__gt=0))
                | (models.Q(credit_xof=0) & models.Q(debit_xof__gt=0)),
                name="line_is_debit_or_credit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} D{self.debit_xof} C{self.credit_xof}"


class OrangeTransactionRecord(models.Model):
    """Durable store for the Orange Money adapter: callbacks and status queries must find the
    transaction again in any process, and after a restart. Only the notif_token's hash is kept."""

    pay_token = models.CharField(max_length=128, unique=True)
    notif_token_sha256 = models.CharField(max_length=64, unique=True)
    order_id = models.CharField(max_length=64)
    amount_xof = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.order_id


class ReconciliationRun(models.Model):
    """One provider's statement for one day compared with our books. Re-running a day
    replaces its differences (the statement may have been incomplete the first time)."""

    provider = models.CharField(max_length=24)
    day = models.DateField()
    ran_at = models.DateTimeField()
    statement_lines = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    fees_xof = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "day"], name="reconcile_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.day}"


class DifferenceKind(models.TextChoices):
    MISSING_IN_LEDGER = "missing_in_ledger", _("Paid at the provider, not in our books")
    MISSING_AT_PROVIDER = "missing_at_provider", _("In our books, not at the provider")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amounts differ")


class ReconciliationDifference(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="differences")
    kind = models.CharField(max_length=24, choices=DifferenceKind.choices)
    line_kind = models.CharField(max_length=8)  # payment | refund
    provider_reference = models.CharField(max_length=128)
    statement_amount_xof = models.BigIntegerField(null=True, blank=True)
    ledger_amount_xof = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.provider_reference}"
