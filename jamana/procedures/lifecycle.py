"""The allowed moves of a ServiceRequest, in one table."""

from __future__ import annotations

from jamana.procedures.models import RequestStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.AWAITING_PAYMENT, S.IN_REVIEW, S.CANCELLED}),
    S.AWAITING_PAYMENT: frozenset({S.IN_REVIEW, S.CANCELLED}),
    S.IN_REVIEW: frozenset({S.ISSUED, S.REFUSED, S.CANCELLED}),
    S.ISSUED: frozenset(),
    S.REFUSED: frozenset(),
    S.CANCELLED: frozenset(),
}
CLOSED = frozenset({S.ISSUED, S.REFUSED, S.CANCELLED})
# A citizen may withdraw a request until an agent has started deciding it.
CITIZEN_CANCELLABLE = frozenset({S.DRAFT, S.SUBMITTED, S.AWAITING_PAYMENT})


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())
