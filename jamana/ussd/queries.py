"""Reads for the USSD menus: the caller's PIN state, requests and birth acts, each short."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.utils.translation import pgettext_lazy

from jamana.civil.models import BirthAct
from jamana.civil.queries import list_my_acts
from jamana.core.i18n import localized
from jamana.identity.models import Account
from jamana.procedures.models import RequestStatus, Service, ServiceRequest
from jamana.procedures.queries import list_my_requests
from jamana.ussd.models import UssdPin

#: Catalogue titles are written for web pages; on a 182-character screen these stand in.
SHORT_TITLES = {
    "justice.b3": pgettext_lazy("ussd service", "Criminal record B3"),
    "justice.nationality": pgettext_lazy("ussd service", "Nationality certificate"),
    "civil.birth_extract": pgettext_lazy("ussd service", "Birth extract"),
    "civil.birth_copy": pgettext_lazy("ussd service", "Birth full copy"),
    "civil.birth_declaration": pgettext_lazy("ussd service", "Birth declaration"),
    "tax.clearance": pgettext_lazy("ussd service", "Tax clearance"),
}


@dataclass(frozen=True)
class PinState:
    """``none`` (never set), ``locked`` (for ``minutes_left``) or ``ready``."""

    state: str
    minutes_left: int = 0


def get_pin_state(account: Account, now: dt.datetime) -> PinState:
    pin = UssdPin.objects.filter(account=account).only("locked_until").first()
    if pin is None:
        return PinState("none")
    if pin.locked_until and pin.locked_until > now:
        return PinState("locked", minutes_left(pin.locked_until, now))
    return PinState("ready")


def has_pin(account: Account) -> bool:
    return UssdPin.objects.filter(account=account).exists()


def minutes_left(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def short_title(service: Service) -> str:
    return str(SHORT_TITLES.get(service.code) or localized(service, "title"))


def list_latest_requests(account: Account, limit: int = 3) -> list[ServiceRequest]:
    return list(list_my_requests(account).exclude(status=RequestStatus.DRAFT)[:limit])


def list_requests_to_pay(account: Account, limit: int = 3) -> list[ServiceRequest]:
    """The caller's requests awaiting payment, oldest first (the first one due)."""
    awaiting = list_my_requests(account).filter(status=RequestStatus.AWAITING_PAYMENT)
    return list(awaiting.order_by("created_at", "pk")[:limit])


def list_own_birth_acts(account: Account, today: dt.date) -> list[BirthAct]:
    """The caller's own birth acts (not their children's: a parent asks on the web or at a
    counter, where the child is named on screen)."""
    person_id = account.person_id
    return [
        act
        for act in list_my_acts(account, today)
        if act.person_id == person_id or act.person.merged_into_id == person_id
    ]
