"""The transactional outbox: a message is written in the same transaction as the change
that causes it, and delivered by a task only once that transaction has committed."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "E-mail"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class OutboundMessage(models.Model):
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    language = models.CharField(max_length=2, default="fr")
    # Sensitive bodies (one-time codes) are wiped once delivered, unless the dev inbox keeps them.
    sensitive = models.BooleanField(default=False)
    status = models.CharField(
        max_length=8, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    gateway = models.CharField(max_length=32, blank=True)
    gateway_ref = models.CharField(max_length=128, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"
