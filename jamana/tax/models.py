"""Taxpayer accounts, the assessments they owe and the rolls agents import them from.

Amounts are whole XOF. An assessment keeps the legal reference and confidence of the rules
that produced it (``jamana.tax.rules``), so a past amount stays explainable after the tables
change. No field records race, ethnicity or religion."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaxpayerKind(models.TextChoices):
    PERSON = "person", _("Person")
    BUSINESS = "business", _("Business")


class TaxpayerAccount(models.Model):
    # NIF (numéro d'identification fiscale): a Jamana reference, 8 characters + check character.
    nif = models.CharField(_("tax identification number"), max_length=9, unique=True)
    kind = models.CharField(max_length=8, choices=TaxpayerKind.choices)
    # The person taxed; for a business, its owner when it is an individual business (the
    # impôt synthétique regime), else null.
    person = models.ForeignKey(
        "identity.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="taxpayer_accounts",
    )
    business_name = models.CharField(_("business name"), max_length=200, blank=True)
    commune = models.ForeignKey("core.AdminArea", on_delete=models.PROTECT, related_name="+")
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    tax_office = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="taxpayers"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One NIF per person; a person may also own several businesses.
            models.UniqueConstraint(
                fields=["person"], condition=Q(kind="person"), name="taxpayer_person_once"
            ),
            models.CheckConstraint(
                condition=Q(kind="business", business_name__gt="")
                | Q(kind="person", person__isnull=False),
                name="taxpayer_kind_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nif} {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.kind == TaxpayerKind.BUSINESS:
            return self.business_name
        return self.person.full_name if self.person else ""


class TaxCode(models.TextChoices):
    TDRL = "tdrl", _("Regional and local development tax (TDRL)")
    VIGNETTE = "vignette", _("Vehicle tax (vignette)")
    IMPOT_SYNTHETIQUE = "impot_synthetique", _("Small business flat tax (impôt synthétique)")


class AssessmentStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("assessment status", "To pay")
    PAID = "paid", pgettext_lazy("assessment status", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("assessment status", "Cancelled")


class RollStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("roll status", "Waiting")
    RUNNING = "running", pgettext_lazy("roll status", "Running")
    DONE = "done", pgettext_lazy("roll status", "Done")
    FAILED = "failed", pgettext_lazy("roll status", "Failed")


class AssessmentRoll(models.Model):
    """A roll file (CSV) uploaded by a tax officer and assessed row by row by a task."""

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    content = models.TextField()
    uploaded_by = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    tax_office = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    # Rows whose assessment already exists (the same file uploaded again): not assessed twice.
    skipped_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row": 3, "message": "…"}]
    status = models.CharField(max_length=8, choices=RollStatus.choices, default=RollStatus.PENDING)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        return 100 * self.processed_rows // self.total_rows if self.total_rows else 100


class Assessment(models.Model):
    number = models.CharField(max_length=9, unique=True)
    taxpayer = models.ForeignKey(
        TaxpayerAccount, on_delete=models.PROTECT, related_name="assessments"
    )
    tax = models.CharField(max_length=24, choices=TaxCode.choices)
    year = models.PositiveSmallIntegerField()
    # What is taxed when a taxpayer has several (a vehicle's plate); "" for taxes on the person.
    subject = models.CharField(max_length=32, blank=True)
    base_xof = models.PositiveIntegerField()
    surcharge_xof = models.PositiveIntegerField(default=0)
    amount_xof = models.PositiveIntegerField()  # total due: base + surcharge
    paid_xof = models.PositiveIntegerField(default=0)
    # None when no date is set yet (the TDRL's is the mairie's roll's): then never overdue.
    due_date = models.DateField(null=True, blank=True)
    legal_reference = models.TextField()
    confidence = models.CharField(max_length=16)
    status = models.CharField(
        max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.OPEN
    )
    details = models.JSONField(default=dict, blank=True)
    roll = models.ForeignKey(
        AssessmentRoll,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    issued_by = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_date"])]
        constraints = [
            # Annual taxes are assessed once per taxpayer, year (and vehicle): a roll imported
            # twice assesses nothing twice. A cancelled assessment may be replaced.
            models.UniqueConstraint(
                fields=["taxpayer", "tax", "year", "subject"],
                condition=~Q(status="cancelled"),
                name="assessment_once_per_year",
            ),
            models.CheckConstraint(
                condition=Q(amount_xof=F("base_xof") + F("surcharge_xof")),
                name="assessment_total_is_base_plus_surcharge",
            ),
            models.CheckConstraint(
                condition=Q(paid_xof__lte=F("amount_xof")), name="assessment_not_overpaid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.tax} {self.year}"

    @property
    def remaining_xof(self) -> int:
        return self.amount_xof - self.paid_xof

    @property
    def exempt_reason(self) -> str:
        return str(self.details.get("exempt_reason") or "")
