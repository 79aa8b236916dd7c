"""Double-entry postings. Called inside the caller's transaction; an unbalanced entry is a
programming error and raises before anything is written."""

from __future__ import annotations

from django.db.models import Sum
from django.utils import timezone

from jamana.payments.models import JournalEntry, JournalLine, LedgerAccount, PaymentIntent, Refund


class UnbalancedEntry(Exception):
    pass


def account(code: str, name: str = "") -> LedgerAccount:
    found, _created = LedgerAccount.objects.get_or_create(
        code=code, defaults={"name": name or code}
    )
    return found


def post(
    description: str,
    lines: list[tuple[str, int, int]],
    *,
    intent: PaymentIntent | None = None,
    refund: Refund | None = None,
) -> JournalEntry:
    """``lines`` are (account code, debit, credit); debits must equal credits."""
    debits = sum(d for _code, d, _c in lines)
    credits = sum(c for _code, _d, c in lines)
    if debits != credits or debits <= 0:
        raise UnbalancedEntry(f"{description}: debits {debits} != credits {credits}")
    entry = JournalEntry.objects.create(
        at=timezone.now(), description=description, intent=intent, refund=refund
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(entry=entry, account=account(code), debit_xof=d, credit_xof=c)
            for code, d, c in lines
        ]
    )
    return entry


def post_payment(intent: PaymentIntent) -> JournalEntry:
    """Money arrived at the provider, owed to the beneficiary administration."""
    return post(
        f"Payment {intent.reference}",
        [
            (f"provider:{intent.provider}", intent.amount_xof, 0),
            (f"beneficiary:{intent.beneficiary.code}", 0, intent.amount_xof),
        ],
        intent=intent,
    )


def post_refund(refund: Refund) -> JournalEntry:
    """A duplicate amount returned to the payer: no longer owed, no longer held."""
    intent = refund.intent
    return post(
        f"Refund of {intent.reference}",
        [
            (f"beneficiary:{intent.beneficiary.code}", refund.amount_xof, 0),
            (f"provider:{intent.provider}", 0, refund.amount_xof),
        ],
        intent=intent,
        refund=refund,
    )


def balance(code: str) -> int:
    """Debits minus credits of an account."""
    totals = JournalLine.objects.filter(account__code=code).aggregate(
        d=Sum("debit_xof"), c=Sum("credit_xof")
    )
    return (totals["d"] or 0) - (totals["c"] or 0)


def is_balanced() -> bool:
    totals = JournalLine.objects.aggregate(d=Sum("debit_xof"), c=Sum("credit_xof"))
    return (totals["d"] or 0) == (totals["c"] or 0)
