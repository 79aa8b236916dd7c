"""Questions the assistant handed over to a person: an agent of the right organisation answers
by SMS. The assistant itself keeps nothing of what people ask it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionStatus(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")


class HandedOverQuestion(models.Model):
    reference = models.CharField(max_length=9, unique=True)
    text = models.TextField()
    language = models.CharField(max_length=2)
    # Where the answer is sent. Agents see it masked: they answer through the platform.
    phone = models.CharField(max_length=16)
    account = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="handed_over_questions"
    )
    # The procedure the person said the question is about ("" when they did not know), and what
    # the assistant had offered: the agent sees both.
    procedure_code = models.CharField(max_length=64, blank=True)
    suggested = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.OPEN
    )
    created_at = models.DateTimeField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"]),
            models.Index(fields=["phone", "status"]),
        ]

    def __str__(self) -> str:
        return self.reference
