"""Persons, their identifiers, accounts, organisations and agents.

There is deliberately no field for race, ethnicity or religion on any model (DESIGN.md §5).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from jamana.core.models import AdminArea, Country
from jamana.core.names import blocking_key


class Language(models.TextChoices):
    FRENCH = "fr", "Français"
    BAMBARA = "bm", "Bamanankan"
    ENGLISH = "en", "English"


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class DatePrecision(models.TextChoices):
    DAY = "day", _("Exact date")
    MONTH = "month", _("Month and year")
    YEAR = "year", _("Year only")
    ABOUT_YEAR = "about", _("About a year (né vers)")


class Person(models.Model):
    """Anyone known to the State, with or without an account or an identifier yet."""

    given_names = models.CharField(_("given names"), max_length=150, blank=True)
    family_name = models.CharField(_("family name"), max_length=150, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    # For an imprecise date the first day of the period is stored and the precision kept,
    # so "né vers 1962" is printed as such, never as "1 January 1962".
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_date_precision = models.CharField(
        max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    birth_commune = models.ForeignKey(
        AdminArea, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    birth_place_abroad = models.CharField(_("place of birth abroad"), max_length=200, blank=True)
    birth_country = models.CharField(_("country of birth"), max_length=2, default="ML")
    father = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    father_name = models.CharField(_("father's name"), max_length=200, blank=True)
    mother = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mother_name = models.CharField(_("mother's name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    preferred_language = models.CharField(
        max_length=2, choices=Language.choices, default=Language.FRENCH
    )
    # Spelling-tolerant key of the family name (Keïta/Keita, Coulibaly/Kulibali share it):
    # finds candidate duplicates with one indexed query. Derived in save().
    family_key = models.CharField(max_length=24, blank=True, editable=False)
    # Two records found to be the same person: this one now points at the one kept. Set and
    # undone only by the audited merge actions, never deleted.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_names="", family_name=""), name="person_has_a_name"
            ),
            models.CheckConstraint(
                condition=Q(sex__in=["F", "M"]), name="person_sex_is_known_value"
            ),
        ]
        indexes = [
            models.Index(fields=["family_name", "given_names"]),
            # Candidate duplicates: one block of spelling-tolerant family names, born in a window.
            models.Index(fields=["family_key", "birth_date"], name="person_family_key_born"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.family_key = blocking_key(self.family_name or self.given_names)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "family_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "family_key"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_names, self.family_name) if part)

    def birth_date_display(self) -> str:
        return format_partial_date(self.birth_date, self.birth_date_precision)

    def birth_place_display(self) -> str:
        if self.birth_commune_id:
            return str(self.birth_commune)
        return self.birth_place_abroad


def format_partial_date(day: dt.date | None, precision: str) -> str:
    if day is None:
        return ""
    if precision == DatePrecision.ABOUT_YEAR:
        return pgettext("approximate birth date", "about %(year)s") % {"year": day.year}
    if precision == DatePrecision.YEAR:
        return str(day.year)
    if precision == DatePrecision.MONTH:
        return formats.date_format(day, "F Y")
    return formats.date_format(day, "j F Y")


class IdentifierKind(models.TextChoices):
    NINA = "nina", _("NINA")
    TEMPORARY_NINA = "nina_temp", _("Temporary NINA")
    BIOMETRIC_CARD = "id_card", _("Biometric identity card number")
    AES_PASSPORT = "aes_passport", _("AES passport number")


class PersonIdentifier(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="identifiers")
    kind = models.CharField(max_length=16, choices=IdentifierKind.choices)
    value = models.CharField(max_length=32)
    issued_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identifier_unique_per_kind"),
            models.UniqueConstraint(fields=["person", "kind"], name="one_identifier_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class AccountManager(BaseUserManager["Account"]):
    def create_user(self, phone: str, password: str | None = None, **fields: object) -> Account:
        account = self.model(phone=phone, **fields)
        account.set_password(password)
        account.save(using=self._db)
        return account


class Account(AbstractBaseUser):
    """A sign-in: a phone number (E.164) and a password, confirmed each time by an SMS code."""

    phone = models.CharField(_("phone"), max_length=16, unique=True)
    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    display_name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.FRENCH)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = []
    objects = AccountManager()

    def __str__(self) -> str:
        return self.display_name or self.phone


class LoginThrottle(models.Model):
    """Failed sign-in attempts for one identifier, with an exponential lock-out."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.failures} failure(s)"


class CodePurpose(models.TextChoices):
    LOGIN = "login", _("Sign-in")
    PASSWORD_RESET = "reset", _("Password reset")
    SIGNATURE = "sign", _("Electronic signature")


class OneTimeCode(models.Model):
    """A 6-digit code sent by SMS. Only its keyed hash is stored; it is usable once."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="codes")
    purpose = models.CharField(max_length=8, choices=CodePurpose.choices)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    superseded = models.BooleanField(default=False)
    # What the code is bound to (the SHA-256 of a document to sign), or "".
    binding = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} code for account {self.account_id}"


class OrganisationKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    COURT = "court", _("Court")
    CIVIL_REGISTRY = "civil_registry", _("Civil registry centre")
    TAX_OFFICE = "tax_office", _("Tax office")
    COMMUNE = "commune", _("Commune")
    RECRUITING_BODY = "recruiting", _("Recruiting body")
    AGENCY = "agency", _("Public agency")


class Organisation(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=OrganisationKind.choices)
    country = models.CharField(max_length=2, choices=Country.choices, default=Country.MALI)
    area = models.ForeignKey(
        AdminArea, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    COUNTER_AGENT = "counter", _("Counter agent")
    REVIEWER = "reviewer", _("Case officer")
    HEAD_OF_SERVICE = "head", _("Head of service")
    REGISTRAR = "registrar", _("Civil registrar")
    COURT_CLERK = "clerk", _("Court clerk")
    # A judge or prosecutor: signs what only a magistrate may (nationality certificates,
    # changes to the bulletin rules).
    MAGISTRATE = "magistrate", _("Magistrate")
    TAX_OFFICER = "tax", _("Tax officer")
    # A recruiting body's officer: prepares calls, enters exam marks, handles appeals.
    CALLS_OFFICER = "calls", _("Recruitment officer")
    JURY_MEMBER = "jury", _("Jury member")
    # Answers the questions the assistant hands over to a person.
    INFORMATION_AGENT = "info", _("Information agent")
    ORG_ADMIN = "admin", _("Organisation administrator")


class Agent(models.Model):
    """A role held by an account in an organisation, limited to a jurisdiction."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="agent_roles")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="agents")
    role = models.CharField(max_length=16, choices=Role.choices)
    # None means the organisation's whole area.
    jurisdiction = models.ForeignKey(
        AdminArea, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "organisation", "role"], name="agent_role_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} — {self.get_role_display()} ({self.organisation})"
