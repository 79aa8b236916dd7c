"""Daily reconciliation: each provider's statement against our settled payments and refunds.
Every difference is listed for an agent; provider fees are posted to the ledger once per day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from jamana.audit.actions import record_event
from jamana.payments import ledger
from jamana.payments.models import (
    DifferenceKind,
    IntentStatus,
    JournalLine,
    PaymentIntent,
    ReconciliationDifference,
    ReconciliationRun,
    Refund,
    RefundStatus,
)
from jamana.payments.registry import get_provider


@dataclass(frozen=True)
class Expected:
    kind: str
    amount_xof: int


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)


def _our_books(provider: str, day: dt.date) -> dict[tuple[str, str], Expected]:
    start, end = _day_bounds(day)
    books: dict[tuple[str, str], Expected] = {}
    for reference, amount in PaymentIntent.objects.filter(
        provider=provider,
        status=IntentStatus.SUCCEEDED,
        settled_at__gte=start,
        settled_at__lt=end,
    ).values_list("provider_reference", "amount_xof"):
        books[("payment", reference)] = Expected("payment", amount)
    for reference, amount in Refund.objects.filter(
        intent__provider=provider,
        status=RefundStatus.SUCCEEDED,
        completed_at__gte=start,
        completed_at__lt=end,
    ).values_list("provider_reference", "amount_xof"):
        books[("refund", reference)] = Expected("refund", amount)
    return books


def do_reconcile(provider: str, day: dt.date) -> ReconciliationRun:
    """Compare the provider's statement for ``day`` with our books; idempotent per day."""
    statement = get_provider(provider).statement(day)
    books = _our_books(provider, day)
    differences: list[ReconciliationDifference] = []
    matched = 0
    seen: set[tuple[str, str]] = set()
    for line in statement:
        key = (line.kind, line.provider_reference)
        seen.add(key)
        expected = books.get(key)
        if expected is None:
            differences.append(
                ReconciliationDifference(
                    kind=DifferenceKind.MISSING_IN_LEDGER,
                    line_kind=line.kind,
                    provider_reference=line.provider_reference,
                    statement_amount_xof=line.amount_xof,
                )
            )
        elif expected.amount_xof != line.amount_xof:
            differences.append(
                ReconciliationDifference(
                    kind=DifferenceKind.AMOUNT_MISMATCH,
                    line_kind=line.kind,
                    provider_reference=line.provider_reference,
                    statement_amount_xof=line.amount_xof,
                    ledger_amount_xof=expected.amount_xof,
                )
            )
        else:
            matched += 1
    for (kind, reference), expected in books.items():
        if (kind, reference) not in seen:
            differences.append(
                ReconciliationDifference(
                    kind=DifferenceKind.MISSING_AT_PROVIDER,
                    line_kind=kind,
                    provider_reference=reference,
                    ledger_amount_xof=expected.amount_xof,
                )
            )
    fees = sum(line.fee_xof for line in statement)
    with transaction.atomic():
        run, _created = ReconciliationRun.objects.select_for_update().get_or_create(
            provider=provider, day=day, defaults={"ran_at": timezone.now()}
        )
        already_posted = run.fees_xof
        run.ran_at = timezone.now()
        run.statement_lines = len(statement)
        run.matched = matched
        run.differences.all().delete()
        for difference in differences:
            difference.run = run
        ReconciliationDifference.objects.bulk_create(differences)
        if fees > already_posted:
            # Only the fees not yet booked for this day: re-running never books them twice.
            ledger.post(
                f"Fees {provider} {day.isoformat()}",
                [
                    (f"fees:{provider}", fees - already_posted, 0),
                    (f"provider:{provider}", 0, fees - already_posted),
                ],
            )
            run.fees_xof = fees
        run.save()
        record_event(
            action="payment.reconciled",
            object_type="reconciliation",
            object_ref=f"{provider}:{day.isoformat()}",
            detail={
                "lines": len(statement),
                "matched": matched,
                "differences": len(differences),
                "fees": fees,
            },
        )
    return run


def totals_per_administration() -> list[tuple[str, int]]:
    """What the platform holds for each beneficiary administration (credit balances)."""
    rows = (
        JournalLine.objects.filter(account__code__startswith="beneficiary:")
        .values("account__code")
        .annotate(debit=Sum("debit_xof"), credit=Sum("credit_xof"))
        .order_by("account__code")
    )
    return [
        (row["account__code"].split(":", 1)[1], (row["credit"] or 0) - (row["debit"] or 0))
        for row in rows
    ]
