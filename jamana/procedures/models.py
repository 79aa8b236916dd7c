"""The service catalogue and the one request lifecycle every service shares."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Service(models.Model):
    code = models.CharField(max_length=32, unique=True)  # e.g. "justice.b3"
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="services"
    )
    title_fr = models.CharField(max_length=200)
    title_bm = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    description_fr = models.TextField()
    description_bm = models.TextField()
    description_en = models.TextField()
    requirements_fr = models.TextField(blank=True)
    requirements_bm = models.TextField(blank=True)
    requirements_en = models.TextField(blank=True)
    fee_xof = models.PositiveIntegerField(default=0)
    target_delay_days = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    IN_REVIEW = "in_review", _("In review")
    ISSUED = "issued", _("Issued")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


class ServiceRequest(models.Model):
    reference = models.CharField(max_length=9, unique=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="requests")
    applicant = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="service_requests"
    )
    submitted_by = models.ForeignKey(
        "identity.Account", on_delete=models.PROTECT, related_name="submitted_requests"
    )
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="service_requests"
    )
    # Where the case belongs, for agents whose jurisdiction is narrower than the organisation.
    area = models.ForeignKey(
        "core.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.DRAFT
    )
    fee_xof = models.PositiveIntegerField()  # the fee at submission, not today's
    details = models.JSONField(default=dict, blank=True)
    assigned_to = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "status", "submitted_at"]),
            models.Index(fields=["applicant", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.reference


class RequestEvent(models.Model):
    """One step of a request's timeline: who moved it, from what to what, when and why."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=20, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=RequestStatus.choices)
    actor = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "identity.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
