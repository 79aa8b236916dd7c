"""The transactional outbox: a message is written in the same transaction as the change
that causes it, and delivered by a task only once that transaction has committed.

A message moves queued → sending (claimed by one worker, committed before the gateway is called)
→ sent (the gateway accepted it; its references recorded) → delivered or failed (the operator's
delivery reports). A transient failure puts it back to queued with a later ``next_attempt_at``;
a message left in sending by a crash is resolved by the recovery pass: asked of the gateway by
its ``uid``, or marked unknown for an agent when the gateway cannot tell. Never sent twice by us.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", _("E-mail")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown")


class OutboundMessage(models.Model):
    # Our own stable id for the message: the idempotency key / client reference at the gateway,
    # the same on every try, so that a retry is recognised there rather than sent again.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    language = models.CharField(max_length=2, default="fr")
    # Sensitive bodies (one-time codes) are wiped once delivered, unless the dev inbox keeps them.
    sensitive = models.BooleanField(default=False)
    # SMS only: "gsm7" or "ucs2" and the number of segments (jamana.notify.segments).
    encoding = models.CharField(max_length=4, blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    # When a queued message may be tried (back-off after a transient failure); null = now.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the current try began (status sending): the recovery pass looks at old ones.
    claimed_at = models.DateTimeField(null=True, blank=True)
    gateway = models.CharField(max_length=32, blank=True)
    gateway_ref = models.CharField(max_length=128, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    # The operator's last word on it (DELIVRD, UNDELIV, EXPIRED…), from a delivery report.
    report_stat = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "next_attempt_at"], name="notify_outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"


class SmsPart(models.Model):
    """One submitted segment of an SMS as the gateway knows it (SMPP answers one reference per
    segment and reports on each); HTTP gateways have one part per message."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveSmallIntegerField()
    gateway = models.CharField(max_length=32)
    reference = models.CharField(max_length=128)
    state = models.CharField(max_length=12, default="pending")
    report_stat = models.CharField(max_length=16, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "reference"], name="notify_part_unique_reference"
            ),
            models.UniqueConstraint(fields=["message", "number"], name="notify_part_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.reference} ({self.state})"


class DeliveryReceipt(models.Model):
    """Every delivery report the operator sent, as received. One that arrives before we have
    recorded the reference it names (the report can beat our commit) waits here, unmatched,
    and is applied when the reference is recorded."""

    gateway = models.CharField(max_length=32)
    reference = models.CharField(max_length=128)
    state = models.CharField(max_length=12)
    stat = models.CharField(max_length=16, blank=True)
    error = models.CharField(max_length=32, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    part = models.ForeignKey(
        SmsPart, null=True, blank=True, on_delete=models.SET_NULL, related_name="receipts"
    )

    class Meta:
        indexes = [models.Index(fields=["gateway", "reference"])]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.reference} {self.stat}"


class InboundOutcome(models.TextChoices):
    STATUS = "status", _("Status sent")
    NOT_FOUND = "not_found", _("No such request")
    HELP = "help", _("Help sent")
    # Not a reference: the procedure assistant answered, or sent the question to an agent.
    ANSWERED = "answered", _("Assistant answered")
    HANDED_OVER = "handed_over", _("Sent to an agent")
    LIMITED = "limited", _("Too many messages")
    IGNORED = "ignored", _("Not a phone number we can answer")


class InboundMessage(models.Model):
    """An SMS a person sent us (a request reference, to get its status back)."""

    gateway = models.CharField(max_length=32)
    # The gateway's id for it when it gives one: the same inbound SMS is answered once.
    gateway_ref = models.CharField(max_length=64, blank=True)
    sender = models.CharField(max_length=32)
    recipient = models.CharField(max_length=32, blank=True)
    text = models.CharField(max_length=480)
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=12, choices=InboundOutcome.choices)
    reply = models.ForeignKey(
        OutboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "gateway_ref"],
                condition=~models.Q(gateway_ref=""),
                name="notify_inbound_unique_ref",
            )
        ]
        indexes = [models.Index(fields=["sender", "received_at"])]

    def __str__(self) -> str:
        return f"from {self.sender} ({self.outcome})"
