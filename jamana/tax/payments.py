"""What the tax app does when a payment of an assessment settles (a payments purpose handler)."""

from __future__ import annotations

from typing import Any

from jamana.tax.actions import do_apply_payment
from jamana.tax.models import Assessment, AssessmentStatus


def on_assessment_paid(intent: Any) -> bool:
    """Credit the payment to its assessment. False (the payment is refunded) when the
    assessment was cancelled, is already paid, or owes less than this amount."""
    return do_apply_payment(
        number=intent.purpose_ref,
        amount_xof=intent.amount_xof,
        payment_ref=intent.reference,
    )


def may_refund_assessment(intent: Any) -> bool:
    """A payment of an assessment is given back only once the assessment is cancelled."""
    return Assessment.objects.filter(
        number=intent.purpose_ref, status=AssessmentStatus.CANCELLED
    ).exists()
