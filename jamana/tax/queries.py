"""Reads of the tax app: what a person owes, the rolls an agent follows, and the taxpayer
accounts a tax officer opens (each opening recorded as an access the person will see)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_access
from jamana.core.errors import NotFound, PermissionDenied
from jamana.core.geography import valid_on
from jamana.core.i18n import record_text
from jamana.core.models import AdminArea, AreaLevel
from jamana.core.references import format_reference
from jamana.identity.models import Account, Organisation, Person
from jamana.tax.access import parse_tax_number, require_tax_officer
from jamana.tax.models import (
    Assessment,
    AssessmentRoll,
    AssessmentStatus,
    TaxpayerAccount,
    TaxpayerKind,
)


@dataclass(frozen=True)
class TaxpayerSummary:
    taxpayer: TaxpayerAccount
    open: list[Assessment]
    settled: list[Assessment]
    overdue: list[Assessment]

    @property
    def remaining_xof(self) -> int:
        return sum(a.remaining_xof for a in self.open)


def is_overdue(assessment: Assessment, today: dt.date) -> bool:
    return (
        assessment.status == AssessmentStatus.OPEN
        and assessment.due_date is not None
        and assessment.due_date < today
    )


def list_my_taxes(account: Account, *, today: dt.date) -> list[TaxpayerSummary]:
    """The account holder's tax accounts with their open (oldest due first) and recent
    settled assessments."""
    if not account.person_id:
        return []
    taxpayers = (
        TaxpayerAccount.objects.filter(person_id=account.person_id)
        .select_related("tax_office", "commune", "person")
        .prefetch_related("assessments")
        .order_by("kind", "created_at")
    )
    summaries = []
    for taxpayer in taxpayers:
        assessments = sorted(
            taxpayer.assessments.all(),
            key=lambda a: (a.due_date or dt.date.max, -a.year, a.number),
        )
        open_ = [a for a in assessments if a.status == AssessmentStatus.OPEN]
        for a in open_:
            a.is_overdue = is_overdue(a, today)  # type: ignore[attr-defined]
        settled = sorted(
            (a for a in assessments if a.status == AssessmentStatus.PAID),
            key=lambda a: (-a.year, a.number),
        )[:10]
        summaries.append(
            TaxpayerSummary(
                taxpayer=taxpayer,
                open=open_,
                settled=settled,
                overdue=[a for a in open_ if is_overdue(a, today)],
            )
        )
    return summaries


def list_rolls(offices: list[Organisation]) -> QuerySet[AssessmentRoll]:
    return (
        AssessmentRoll.objects.filter(tax_office__in=offices)
        .select_related("tax_office", "uploaded_by")
        .order_by("-created_at")
    )


def get_taxpayer_for_agent(account: Account, nif: str) -> TaxpayerAccount:
    """A tax officer opens a taxpayer account. One of another tax office, or outside the
    officer's jurisdiction, is reported as missing, so that tax numbers cannot be probed; a
    person's account (or a business owned by a person) is recorded as an access event."""
    taxpayer = (
        TaxpayerAccount.objects.select_related("person", "tax_office", "commune", "commune__parent")
        .filter(nif=parse_tax_number(nif))
        .first()
    )
    if taxpayer is None:
        raise NotFound("taxpayer_not_found", _("No tax account with this number."))
    try:
        require_tax_officer(account, taxpayer.tax_office, taxpayer.commune)
    except PermissionDenied:
        raise NotFound("taxpayer_not_found", _("No tax account with this number.")) from None
    if taxpayer.person is not None:
        record_access(
            person=taxpayer.person,
            actor=account,
            organisation=taxpayer.tax_office,
            object_type="taxpayer",
            object_ref=taxpayer.nif,
            purpose=record_text(
                _("Tax account %(nif)s at the tax office"), nif=format_reference(taxpayer.nif)
            ),
        )
    return taxpayer


def list_taxpayer_assessments(taxpayer: TaxpayerAccount, *, today: dt.date) -> list[Assessment]:
    """All the taxpayer's assessments, cancelled ones included, newest year first; each
    carries ``is_overdue``."""
    assessments = list(taxpayer.assessments.order_by("-year", "tax", "subject", "created_at"))
    for a in assessments:
        a.is_overdue = is_overdue(a, today)  # type: ignore[attr-defined]
    return assessments


def find_personal_taxpayer(person: Person) -> TaxpayerAccount | None:
    """The person's own tax account (a person has at most one), wherever it is kept."""
    return (
        TaxpayerAccount.objects.select_related("tax_office")
        .filter(person=person, kind=TaxpayerKind.PERSON)
        .first()
    )


def list_communes_for_offices(
    offices: list[Organisation], *, today: dt.date
) -> QuerySet[AdminArea]:
    """Communes valid ``today`` where ``offices`` keep taxpayers: those within each office's
    area, or every commune of its country when the office has no area. The officer's own
    jurisdiction is checked by the action that opens the account."""
    where = Q(pk__in=[])
    for office in offices:
        if office.area_id is None:
            where |= Q(country=office.country)
        else:
            # The map is at most four deep (AdminArea.ancestors): a commune is the area
            # itself or at most three levels below it.
            where |= (
                Q(pk=office.area_id)
                | Q(parent_id=office.area_id)
                | Q(parent__parent_id=office.area_id)
                | Q(parent__parent__parent_id=office.area_id)
            )
    return (
        valid_on(today)
        .filter(where, level=AreaLevel.COMMUNE)
        .select_related("parent")
        .order_by("name", "code")
    )
