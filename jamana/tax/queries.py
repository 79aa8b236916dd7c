"""Reads of the tax app: what a person owes, and the rolls an agent follows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from jamana.identity.models import Account, Organisation
from jamana.tax.models import Assessment, AssessmentRoll, AssessmentStatus, TaxpayerAccount


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
