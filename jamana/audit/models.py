"""Audit trail: every state change (AuditEvent) and every read of personal data (AccessEvent)."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "identity.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_ref = models.CharField(max_length=64)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_ref"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_ref}"


class AccessEvent(models.Model):
    """Someone other than the person read that person's data: who, for whom, what, when, why."""

    at = models.DateTimeField(db_index=True)
    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "identity.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_type = models.CharField(max_length=64)
    object_ref = models.CharField(max_length=64)
    purpose = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["person", "-at"])]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_ref} read by {self.actor_id}"
