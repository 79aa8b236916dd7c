"""Reads of calls and applications. An applicant reads only their own applications; what a
reviewer may see is in ``review`` (pseudonyms only)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamana.calls.models import Application, Call, CallStatus
from jamana.core.errors import NotFound
from jamana.identity.models import Account

PUBLIC_STATUSES = (
    CallStatus.PUBLISHED,
    CallStatus.IN_REVIEW,
    CallStatus.RANKED,
    CallStatus.RESULTS_PUBLISHED,
)


def list_open_calls() -> QuerySet[Call]:
    """Calls taking applications now, closing soonest first."""
    now = timezone.now()
    return (
        Call.objects.filter(status=CallStatus.PUBLISHED, opens_at__lte=now, closes_at__gte=now)
        .select_related("organisation")
        .order_by("closes_at")
    )


def list_public_calls() -> QuerySet[Call]:
    return Call.objects.filter(status__in=PUBLIC_STATUSES).select_related("organisation")


def get_public_call(code: str) -> Call:
    call = list_public_calls().filter(code=code).first()
    if call is None:
        raise NotFound("call_not_found", _("No such call."))
    return call


def list_my_applications(account: Account) -> QuerySet[Application]:
    return (
        Application.objects.filter(account=account)
        .select_related("call", "post")
        .order_by("-created_at")
    )


def get_my_application(account: Account, reference: str) -> Application | None:
    """The account's application with this reference, else None (never someone else's)."""
    return (
        Application.objects.filter(account=account, reference=reference)
        .select_related("call__organisation", "post", "exam_centre", "receipt")
        .first()
    )
