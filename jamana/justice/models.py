"""The casier judiciaire: convictions recorded by court clerks, the later events of each
(appeal, sentence served, rehabilitation, amnesty, pardon, cancellation), the dated rules of
court competence and the magistrates' changes to the bulletin rules.

Nothing is deleted or edited: a wrong entry is cancelled by an audited event. What each
bulletin shows is decided by ``jamana.justice.bulletins`` (pure, tested, documented). No field
records race, ethnicity or religion."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class OffenceCategory(models.TextChoices):
    CRIME = "crime", _("Crime")
    DELIT = "delit", _("Délit")
    CONTRAVENTION = "contravention", _("Contravention")


class Conviction(models.Model):
    """One decision in a person's casier, as the clerk of the sentencing court recorded it."""

    reference = models.CharField(max_length=9, unique=True)
    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="convictions"
    )
    court = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="convictions"
    )
    decided_on = models.DateField()
    decision_number = models.CharField(max_length=64)
    offence_label = models.CharField(max_length=255)
    offence_reference = models.CharField(max_length=255)
    category = models.CharField(max_length=16, choices=OffenceCategory.choices)
    # Each sentence as recorded: {"kind", "months", "suspended", "probation", "amount_xof",
    # "description"} — the shape of ``bulletins.Sentence``.
    sentences = models.JSONField(default=list)
    final = models.BooleanField(default=True)
    minor_at_offence = models.BooleanField(default=False)
    by_default = models.BooleanField(default=False)
    court_ordered_b3 = models.BooleanField(default=False)
    recorded_by = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["court", "decision_number", "person"], name="conviction_once_per_decision"
            )
        ]
        indexes = [models.Index(fields=["person", "decided_on"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.decision_number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            # The casier is written once; what follows is an event (CPP: nothing is erased).
            raise ValueError("a conviction is never edited: record an event")
        super().save(*args, **kwargs)


class EventKind(models.TextChoices):
    APPEAL = "appeal", _("Appeal decision")
    CASSATION = "cassation", _("Cassation decision")
    SENTENCE_SERVED = "sentence_served", _("Sentence served")
    FINE_PAID = "fine_paid", _("Fine paid")
    REHABILITATION = "rehabilitation", _("Rehabilitation")
    AMNESTY = "amnesty", _("Amnesty")
    PARDON = "pardon", _("Pardon")
    SUSPENSION_REVOKED = "suspension_revoked", _("Suspension revoked")
    SUSPENSION_COMPLETED = "suspension_completed", _("Suspended sentence completed")
    CANCELLATION = "cancellation", _("Cancellation of an entry recorded in error")


class ConvictionEvent(models.Model):
    """Something that happened to a conviction afterwards, appended, never edited."""

    conviction = models.ForeignKey(Conviction, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    on = models.DateField()
    reference = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    # An appeal that changes the sentence: the new sentences (same shape as Conviction's).
    new_sentences = models.JSONField(null=True, blank=True)
    quashed = models.BooleanField(default=False)
    recorded_by = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["on", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.on}"


class CompetenceRule(models.Model):
    """Which court keeps the casier of a person born somewhere, over a period: e.g. everyone
    born in the District of Bamako → the court of Commune III; born abroad → the Cour d'appel.
    The most specific rule in force wins (an area contained in another beats it); without a
    rule, the court whose area contains the birth commune."""

    born_abroad = models.BooleanField(default=False)
    birth_area = models.ForeignKey(
        "core.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    court = models.ForeignKey("identity.Organisation", on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    reference = models.CharField(max_length=255)

    def __str__(self) -> str:
        where = "abroad" if self.born_abroad else str(self.birth_area)
        return f"{where} → {self.court_id}"


class BulletinRuleChange(models.Model):
    """A magistrate's change of one bulletin rule parameter, with its reason. The latest
    change of each parameter in force applies; earlier ones stay for the record."""

    parameter = models.CharField(max_length=64)
    value = models.JSONField()
    reason = models.TextField()
    valid_from = models.DateField()
    decided_by = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["valid_from", "decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.parameter} = {self.value!r} from {self.valid_from}"
