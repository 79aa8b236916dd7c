"""What the tax app does when a payment of an assessment settles (a payments purpose handler)."""

from __future__ import annotations

from typing import Any

from jamana.tax.actions import do_apply_payment


def on_assessment_paid(intent: Any) -> bool:
    """Credit the payment to its assessment. False (the payment is refunded) when the
    assessment was cancelled, is already paid, or owes less than this amount."""
    return do_apply_payment(
        number=intent.purpose_ref,
        amount_xof=intent.amount_xof,
        payment_ref=intent.reference,
    )
