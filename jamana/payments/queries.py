"""What agents read about payments."""

from __future__ import annotations

from django.db.models import QuerySet

from jamana.identity.models import Organisation
from jamana.payments.models import Refund, RefundStatus


def list_cash_refunds_due(organisations: list[Organisation]) -> QuerySet[Refund]:
    """Refunds of cash payments that an agent still has to hand over at the counter."""
    return (
        Refund.objects.filter(
            status=RefundStatus.PENDING,
            intent__provider="counter",
            intent__beneficiary__in=organisations,
        )
        .select_related("intent", "intent__beneficiary")
        .order_by("created_at", "pk")
    )
