"""What the procedures app does when a request's fee is paid (a payments purpose handler)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from jamana.core.i18n import record_text
from jamana.procedures.actions import _locked, _move
from jamana.procedures.models import RequestStatus, ServiceRequest


def on_request_fee_paid(intent: Any) -> bool:
    """Move the request from "awaiting payment" to "in review". Returns False when the
    request can no longer take the money (withdrawn, or already paid), so it is refunded."""
    with transaction.atomic():
        request = _locked(intent.purpose_ref)
        if request.status != RequestStatus.AWAITING_PAYMENT or request.fee_xof != intent.amount_xof:
            return False
        _move(
            request,
            RequestStatus.IN_REVIEW,
            actor=None,
            organisation=request.organisation,
            reason=record_text(
                _("Paid by %(provider)s, payment %(ref)s"),
                provider=intent.provider,
                ref=intent.reference,
            ),
        )
    return True


def may_refund_request_fee(intent: Any) -> bool:
    """A fee is given back by decision only when the request was refused or withdrawn."""
    return ServiceRequest.objects.filter(
        reference=intent.purpose_ref, status__in=[RequestStatus.REFUSED, RequestStatus.CANCELLED]
    ).exists()
