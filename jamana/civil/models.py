"""État civil: registry centres, birth declarations, birth acts with their marginal mentions,
register imports and the probable duplicates they reveal.

Acts are never edited (CPF, Loi 2011-087): what changes afterwards — a correction, a
recognition, a marriage, a death — is a marginal mention appended to the act, and every copy
shows them. The act keeps its own text of names, dates and parents as drawn up, independent of
the ``Person`` records it is linked to. No field records race, ethnicity or religion."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CentreKind(models.TextChoices):
    # CPF art. 87 and 88: commune seats, embassies and consulates general are centres principaux.
    PRINCIPAL = "principal", _("Principal civil registry centre")
    SECONDARY = "secondary", _("Secondary civil registry centre")
    # Transcriptions of acts drawn up abroad and of certain judgments.
    SPECIAL = "special", _("Special civil registry centre")
    # CPF art. 84: health facilities and designated villages receive declarations only; the
    # acts are drawn up by the registry centre they report to.
    DECLARATION = "declaration", _("Declaration centre")


class RegistryCentre(models.Model):
    """What an état civil organisation is within the registry network."""

    organisation = models.OneToOneField(
        "identity.Organisation", on_delete=models.PROTECT, related_name="registry_centre"
    )
    kind = models.CharField(max_length=12, choices=CentreKind.choices)
    commune = models.ForeignKey(
        "core.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A secondary centre reports to its principal centre; a declaration centre to the centre
    # that draws up its acts.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    def __str__(self) -> str:
        return self.organisation.name

    @property
    def draws_up_acts(self) -> bool:
        return self.kind != CentreKind.DECLARATION


class DeclarantRole(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    RELATIVE = "relative", _("Relative")
    HEALTH_WORKER = "health_worker", _("Health worker (midwife, doctor)")
    VILLAGE_CHIEF = "village_chief", _("Village or neighbourhood chief")
    OTHER = "other", _("Other person present at the birth")


class DeclarationChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At the counter")


class DeclarationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the registrar")
    VALIDATED = "validated", _("Act drawn up")
    REJECTED = "rejected", _("Rejected")


class ParentFields(models.Model):
    """Each parent as declared: linked to a ``Person`` when known, always with the text."""

    father = models.ForeignKey(
        "identity.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    father_name = models.CharField(_("father's name"), max_length=200, blank=True)
    father_nina = models.CharField(_("father's NINA"), max_length=16, blank=True)
    father_birth_date = models.DateField(_("father's date of birth"), null=True, blank=True)
    father_profession = models.CharField(_("father's profession"), max_length=120, blank=True)
    father_domicile = models.CharField(_("father's domicile"), max_length=200, blank=True)
    mother = models.ForeignKey(
        "identity.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mother_name = models.CharField(_("mother's name"), max_length=200, blank=True)
    mother_nina = models.CharField(_("mother's NINA"), max_length=16, blank=True)
    mother_birth_date = models.DateField(_("mother's date of birth"), null=True, blank=True)
    mother_profession = models.CharField(_("mother's profession"), max_length=120, blank=True)
    mother_domicile = models.CharField(_("mother's domicile"), max_length=200, blank=True)

    class Meta:
        abstract = True


class BirthDeclaration(ParentFields):
    """A birth declared online by a parent or recorded at a counter, in its centre's queue."""

    reference = models.CharField(max_length=9, unique=True)
    # The centre that draws up the act (a declaration centre's parent).
    centre = models.ForeignKey(
        RegistryCentre, on_delete=models.PROTECT, related_name="declarations"
    )
    channel = models.CharField(max_length=8, choices=DeclarationChannel.choices)
    # Volet II number of the health facility's birth notice, when there is one.
    health_notice_number = models.CharField(_("birth notice number"), max_length=32, blank=True)
    child_given_names = models.CharField(_("child's given names"), max_length=150)
    child_family_name = models.CharField(_("child's family name"), max_length=150)
    child_sex = models.CharField(_("child's sex"), max_length=1)
    birth_date = models.DateField(_("date of birth"))
    birth_time = models.TimeField(_("time of birth"), null=True, blank=True)
    birth_commune = models.ForeignKey("core.AdminArea", on_delete=models.PROTECT, related_name="+")
    birth_place = models.CharField(_("place of birth"), max_length=200)
    declarant = models.ForeignKey(
        "identity.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declarant_name = models.CharField(_("declarant's name"), max_length=200)
    declarant_role = models.CharField(max_length=16, choices=DeclarantRole.choices)
    declarant_phone = models.CharField(_("declarant's phone"), max_length=16, blank=True)
    declared_on = models.DateField()
    submitted_by = models.ForeignKey(
        "identity.Account", on_delete=models.PROTECT, related_name="birth_declarations"
    )
    status = models.CharField(
        max_length=10, choices=DeclarationStatus.choices, default=DeclarationStatus.PENDING
    )
    decided_by = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["centre", "status", "created_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def child_name(self) -> str:
        return f"{self.child_given_names} {self.child_family_name}".strip()


class ActSource(models.TextChoices):
    DECLARATION = "declaration", _("Declaration within the legal delay")
    JUDGMENT = "judgment", _("Transcription of a jugement supplétif")
    REGISTER = "register", _("Digitised from a paper register")


class BirthAct(ParentFields):
    """An acte de naissance, numbered within its centre's register for the year. Immutable once
    written: see :class:`MarginalMention`."""

    centre = models.ForeignKey(RegistryCentre, on_delete=models.PROTECT, related_name="acts")
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="birth_acts"
    )
    child_given_names = models.CharField(max_length=150)
    child_family_name = models.CharField(max_length=150)
    child_sex = models.CharField(max_length=1)
    birth_date = models.DateField()
    # Old registers often give only a year ("né vers 1962"): same precisions as Person.
    birth_date_precision = models.CharField(max_length=8, default="day")
    birth_time = models.TimeField(null=True, blank=True)
    birth_commune = models.ForeignKey(
        "core.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    birth_place = models.CharField(max_length=200)
    declarant_name = models.CharField(max_length=200, blank=True)
    declarant_role = models.CharField(max_length=16, blank=True)
    declared_on = models.DateField(null=True, blank=True)
    drawn_up_on = models.DateField()
    officer_name = models.CharField(max_length=200)
    source = models.CharField(max_length=12, choices=ActSource.choices)
    declaration = models.OneToOneField(
        BirthDeclaration, null=True, blank=True, on_delete=models.PROTECT, related_name="act"
    )
    judgment_court = models.CharField(max_length=200, blank=True)
    judgment_date = models.DateField(null=True, blank=True)
    judgment_number = models.CharField(max_length=64, blank=True)
    register_import = models.ForeignKey(
        "RegisterImport", null=True, blank=True, on_delete=models.PROTECT, related_name="acts"
    )
    recorded_by = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "year", "number"], name="birth_act_number_unique_in_register"
            ),
            models.CheckConstraint(
                condition=~Q(source="judgment")
                | (
                    Q(judgment_court__gt="")
                    & Q(judgment_date__isnull=False)
                    & Q(judgment_number__gt="")
                ),
                name="birth_act_judgment_is_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "drawn_up_on"]),
            models.Index(fields=["drawn_up_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.centre_id}/{self.year}/{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            # The register is written once; later facts are mentions (CPF).
            raise ValueError("a birth act is never edited: append a marginal mention")
        super().save(*args, **kwargs)

    @property
    def register_number(self) -> str:
        """As printed: "N° 123 / 2026"."""
        return f"{self.number} / {self.year}"

    @property
    def child_name(self) -> str:
        return f"{self.child_given_names} {self.child_family_name}".strip()


class MentionKind(models.TextChoices):
    CORRECTION = "correction", _("Rectification")
    RECOGNITION = "recognition", _("Recognition of the child")
    MARRIAGE = "marriage", _("Marriage")
    DIVORCE = "divorce", _("Divorce")
    DEATH = "death", _("Death")
    ADOPTION = "adoption", _("Adoption")
    NAME_CHANGE = "name_change", _("Change of name")
    NATIONALITY = "nationality", _("Nationality")
    CANCELLATION = "cancellation", _("Cancellation of a mention")
    OTHER = "other", _("Other")


class MarginalMention(models.Model):
    """A fact appended in the margin of an act, with its legal basis; never edited. A mention
    made in error is cancelled by another mention pointing at it."""

    act = models.ForeignKey(BirthAct, on_delete=models.PROTECT, related_name="mentions")
    kind = models.CharField(max_length=16, choices=MentionKind.choices)
    text = models.TextField()
    legal_reference = models.CharField(max_length=200)
    # The decision or act it comes from (judgment number, marriage act…), when there is one.
    authority_reference = models.CharField(max_length=200, blank=True)
    effective_on = models.DateField()
    cancels = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="cancelled_by"
    )
    recorded_by = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.act_id}"


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    REFUSED = "refused", _("Refused: nothing imported")


class RegisterImport(models.Model):
    """One run of ``import_birth_register``: what was loaded, from which file, by whom."""

    centre = models.ForeignKey(RegistryCentre, on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=ImportStatus.choices)
    rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates_found = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    run_by = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("To decide")
    MERGED = "merged", _("Same person: merged")
    DISTINCT = "distinct", _("Different persons")
    UNMERGED = "unmerged", _("Merge undone")


class DuplicateCandidate(models.Model):
    """Two person records that may be the same person. Never merged automatically: a registrar
    decides, and a merge can be undone."""

    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+")
    existing = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+")
    centre = models.ForeignKey(
        RegistryCentre, on_delete=models.PROTECT, related_name="duplicate_candidates"
    )
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    register_import = models.ForeignKey(
        RegisterImport, null=True, blank=True, on_delete=models.PROTECT, related_name="candidates"
    )
    # What a merge moved, so that it can be undone exactly.
    merge_record = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "existing"], name="duplicate_pair_once")
        ]
        indexes = [models.Index(fields=["centre", "status", "-score"])]

    def __str__(self) -> str:
        return f"{self.person_id} ~ {self.existing_id} ({self.score:.2f})"
