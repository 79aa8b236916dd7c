"""The USSD dialogue as a state machine: one function per screen waiting for input.

``session.state["screen"]`` names the screen the caller is looking at; :func:`step` gives it
the caller's next input and returns the next screen, having moved the state. Every function
runs inside the transaction of :func:`jamana.ussd.actions.check_ussd_call`, under the
session's language, and calls the owning apps' actions (requests, bulletins, certificates,
payments) exactly as the web pages do.

Identification: the phone number (given by the authenticated gateway) plus the USSD PIN for
anything personal; the PIN is asked once per session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from jamana.core.errors import JamanaError, NotFound
from jamana.core.references import format_reference
from jamana.identity.actions import do_set_language
from jamana.identity.models import Account
from jamana.payments.actions import do_create_intent
from jamana.payments.registry import provider_choices
from jamana.procedures.access import BadReference, access_own_request
from jamana.procedures.models import RequestStatus, ServiceRequest
from jamana.procedures.queries import get_service
from jamana.ussd import pins, screens
from jamana.ussd.models import UssdSession
from jamana.ussd.queries import (
    get_pin_state,
    list_latest_requests,
    list_own_birth_acts,
    list_requests_to_pay,
    short_title,
)
from jamana.ussd.screens import Screen

B3_SERVICE = "justice.b3"
BIRTH_EXTRACT_SERVICE = "civil.birth_extract"

# Main-menu choices that show personal data or act for the caller: the PIN comes first.
PERSONAL = {
    "1": "reference",
    "2": "latest",
    "3": "pay",
    "4": "bulletin",
    "5": "birth",
    "6": "applications",
}


@dataclass
class Call:
    """What one step works with: the session (its state is changed in place), the caller's
    account (None for a number without one) and the time of the call."""

    session: UssdSession
    account: Account | None
    now: dt.datetime
    pin_verdict: pins.PinVerdict | None = None

    @property
    def state(self) -> dict[str, Any]:
        return self.session.state

    @property
    def caller(self) -> Account:
        """The caller's account, on screens reached only after :func:`identify`."""
        if self.account is None:
            raise RuntimeError("personal USSD screen reached without an account")
        return self.account

    def go(self, screen_name: str, **data: Any) -> None:
        self.session.state = {"screen": screen_name, **data}


def start(call: Call) -> Screen:
    call.go("main")
    return screens.main_menu()


def step(call: Call, value: str) -> Screen:
    """The caller typed ``value`` on the current screen."""
    value = value.strip()
    handler = HANDLERS.get(call.state.get("screen", ""), on_main)
    return handler(call, value)


def back_to_main(call: Call, notice: str = "") -> Screen:
    call.go("main")
    return screens.main_menu(notice)


# ---------------------------------------------------------------- main menu


def on_main(call: Call, value: str) -> Screen:
    if value in PERSONAL:
        return identify(call, PERSONAL[value])
    if value == "7":
        call.go("language")
        return screens.choose_language()
    if value == "0":
        return screens.goodbye()
    return back_to_main(call, screens.invalid_choice())


def _public_host() -> str:
    return settings.JAMANA_PUBLIC_URL.split("://", 1)[-1].rstrip("/")


def identify(call: Call, target: str) -> Screen:
    """Before anything personal: an account for this number, a PIN set and not locked."""
    if call.account is None:
        return screens.no_account(_public_host())
    if call.session.pin_verified:
        return open_personal(call, target)
    pin = get_pin_state(call.account, call.now)
    if pin.state == "none":
        # No USSD path sets a PIN: only someone signed in on the web (password and SMS code)
        # may, so that a phone picked up alone is not enough to act for its owner.
        return screens.set_pin_first(f"{_public_host()}/ussd/pin/")
    if pin.state == "locked":
        return screens.pin_locked(pin.minutes_left)
    call.go("pin", next=target)
    return screens.enter_pin()


def on_pin(call: Call, value: str) -> Screen:
    from jamana.ussd.actions import check_ussd_pin

    if not pins.is_well_formed(value):
        return screens.enter_pin(screens.pin_malformed())
    outcome = check_ussd_pin(account=call.caller, pin=value, now=call.now, verdict=call.pin_verdict)
    if outcome.state == "ready":
        call.session.pin_verified = True
        return open_personal(call, call.state["next"])
    if outcome.state == "wrong":
        return screens.enter_pin(screens.wrong_pin(outcome.attempts_left))
    if outcome.state == "locked":
        return screens.pin_locked(outcome.minutes_left)
    return screens.set_pin_first(f"{_public_host()}/ussd/pin/")


def open_personal(call: Call, target: str) -> Screen:
    return OPENERS[target](call)


# ---------------------------------------------------------------- 1: one request by reference


def open_reference(call: Call) -> Screen:
    call.go("reference")
    return screens.enter_reference()


def on_reference(call: Call, value: str) -> Screen:
    try:
        request = access_own_request(call.caller, value)
    except BadReference as exc:
        # A typing error (format or check character) says nothing about anyone's request.
        return screens.enter_reference(exc.message)
    except NotFound as exc:
        # Someone else's request is answered exactly like a missing one.
        return screens.no_such_request(exc.message)
    return screens.request_status(
        reference=format_reference(request.reference),
        service=short_title(request.service),
        status=str(RequestStatus(request.status).label),
        amount_due=request.fee_xof if request.status == RequestStatus.AWAITING_PAYMENT else None,
    )


# ---------------------------------------------------------------- 2: my latest requests


def open_latest(call: Call) -> Screen:
    return screens.latest_requests(
        [
            (
                format_reference(r.reference),
                short_title(r.service),
                str(RequestStatus(r.status).label),
            )
            for r in list_latest_requests(call.caller)
        ]
    )


# ---------------------------------------------------------------- 6: my applications


def open_applications(call: Call) -> Screen:
    """The caller's latest applications to calls, with the result once published."""
    from jamana.calls.queries import list_my_applications

    items = []
    for application in list_my_applications(call.caller)[:3]:
        status = application.status_for_applicant()
        if application.rank and application.call.results_published_at:
            status = f"{status} ({application.rank})"
        items.append((format_reference(application.reference), application.call.code, status))
    return screens.my_applications(items)


# ---------------------------------------------------------------- 3: paying a fee


def open_pay(call: Call) -> Screen:
    items = [
        [r.reference, short_title(r.service), r.fee_xof] for r in list_requests_to_pay(call.caller)
    ]
    if not items:
        return screens.nothing_to_pay()
    call.go("pay_list", items=items)
    return _pay_list(call)


def _pay_list(call: Call, notice: str = "") -> Screen:
    return screens.choose_request_to_pay(
        [(format_reference(ref), title, fee) for ref, title, fee in call.state["items"]], notice
    )


def on_pay_list(call: Call, value: str) -> Screen:
    items = call.state["items"]
    if value == "0":
        return back_to_main(call)
    if not (value.isdigit() and 1 <= int(value) <= len(items)):
        return _pay_list(call, screens.invalid_choice())
    return offer_payment(call, items[int(value) - 1][0])


def offer_payment(call: Call, reference: str, notice: str = "") -> Screen:
    """Choose how to pay the request's fee (straight to the payment with one provider)."""
    request = _own_request(call.caller, reference)
    if request is None or request.status != RequestStatus.AWAITING_PAYMENT:
        return screens.nothing_left_to_pay()
    providers = provider_choices()
    if not providers:
        return screens.no_payment_method()
    if len(providers) == 1:
        return start_payment(call, request, providers[0][0])
    call.go("provider", request=reference, providers=[code for code, _name in providers])
    return _provider_menu(call, request.fee_xof, notice)


def _provider_menu(call: Call, amount_xof: int, notice: str = "") -> Screen:
    names = dict(provider_choices())
    return screens.choose_provider(
        reference=format_reference(call.state["request"]),
        amount_xof=amount_xof,
        providers=[names.get(code, code) for code in call.state["providers"]],
        notice=notice,
    )


def on_provider(call: Call, value: str) -> Screen:
    providers = call.state["providers"]
    if value == "0":
        return back_to_main(call)
    request = _own_request(call.caller, call.state["request"])
    if request is None or request.status != RequestStatus.AWAITING_PAYMENT:
        return screens.nothing_left_to_pay()
    if not (value.isdigit() and 1 <= int(value) <= len(providers)):
        return _provider_menu(call, request.fee_xof, screens.invalid_choice())
    return start_payment(call, request, providers[int(value) - 1])


def start_payment(call: Call, request: ServiceRequest, provider: str) -> Screen:
    """Create the payment intent now and ask the provider for it once the reply is sent.

    The idempotency key comes from the gateway's session id: a retried call, or the same
    choice typed again in this session, reuses the intent. The provider is called by a task
    after commit, not here: its push to the phone (a USSD prompt for the mobile-money PIN)
    cannot open while our USSD session still holds the screen, and the provider may take
    longer than the gateway's ~2 s deadline. A provider that does not answer is retried by
    ``poll_payments``; one that refuses is told to the payer by SMS (see tasks.py)."""
    try:
        intent = do_create_intent(
            purpose_type="request_fee",
            purpose_ref=request.reference,
            beneficiary=request.organisation,
            amount_xof=request.fee_xof,
            provider=provider,
            idempotency_key=f"ussd:{call.session.session_id}:{request.reference}",
            payer=request.applicant,
            payer_msisdn=call.session.phone,
        )
    except JamanaError as exc:
        return screens.problem(exc.message)
    from jamana.ussd.tasks import initiate_payment

    reference = intent.reference
    transaction.on_commit(lambda: initiate_payment.enqueue(reference))
    return screens.payment_started(
        reference=format_reference(request.reference), amount_xof=intent.amount_xof
    )


def _own_request(account: Account, reference: str) -> ServiceRequest | None:
    try:
        return access_own_request(account, reference)
    except NotFound:
        return None


# ---------------------------------------------------------------- 4: bulletin n°3


def _fee(service_code: str) -> int | None:
    service = get_service(service_code)
    return service.fee_xof if service is not None else None


def open_bulletin(call: Call) -> Screen:
    fee = _fee(B3_SERVICE)
    if fee is None:
        return screens.service_closed()
    call.go("bulletin", fee=fee)
    return screens.confirm_bulletin(fee)


def on_bulletin(call: Call, value: str) -> Screen:
    from jamana.justice.requests import check_request_bulletin

    if value == "0":
        return back_to_main(call)
    if value != "1":
        return screens.confirm_bulletin(call.state["fee"], screens.invalid_choice())
    try:
        request = check_request_bulletin(account=call.caller)
    except JamanaError as exc:
        return screens.problem(exc.message)
    return _created(call, request)


def _created(call: Call, request: ServiceRequest) -> Screen:
    """A request was just made: pay its fee now, or wait for the SMS (a free one)."""
    reference = format_reference(request.reference)
    if request.status == RequestStatus.AWAITING_PAYMENT:
        return offer_payment(call, request.reference, screens.request_created(reference))
    return screens.request_created_free(reference)


# ---------------------------------------------------------------- 5: birth certificate extract


def open_birth(call: Call) -> Screen:
    fee = _fee(BIRTH_EXTRACT_SERVICE)
    if fee is None:
        return screens.service_closed()
    acts = list_own_birth_acts(call.caller, timezone.localdate(call.now))
    if not acts:
        return screens.no_birth_act()
    items = [
        [
            act.pk,
            act.number,
            act.year,
            str(act.birth_commune) if act.birth_commune_id else act.birth_place,
        ]
        for act in acts[:3]
    ]
    call.go("birth", acts=items, fee=fee)
    return _acts_menu(call)


def _acts_menu(call: Call, notice: str = "") -> Screen:
    return screens.choose_act(
        [(number, year, place) for _pk, number, year, place in call.state["acts"]],
        call.state["fee"],
        notice,
    )


def on_birth(call: Call, value: str) -> Screen:
    from jamana.civil.certificates import check_request_certificate

    acts = call.state["acts"]
    if value == "0":
        return back_to_main(call)
    if not (value.isdigit() and 1 <= int(value) <= len(acts)):
        return _acts_menu(call, screens.invalid_choice())
    try:
        request = check_request_certificate(
            account=call.caller, act_id=acts[int(value) - 1][0], kind="extract"
        )
    except JamanaError as exc:
        return screens.problem(exc.message)
    return _created(call, request)


# ---------------------------------------------------------------- 7: language


def on_language(call: Call, value: str) -> Screen:
    codes = [code for code, _name in screens.LANGUAGE_MENU]
    if value == "0":
        return back_to_main(call)
    if not (value.isdigit() and 1 <= int(value) <= len(codes)):
        return screens.choose_language(screens.invalid_choice())
    language = codes[int(value) - 1]
    call.session.language = language
    if call.account is not None:
        # Remembered on the account: SMS and the web reach the person in this language too.
        do_set_language(call.account, language)
    translation.activate(language)
    return back_to_main(call, screens.language_changed())


HANDLERS: dict[str, Callable[[Call, str], Screen]] = {
    "main": on_main,
    "pin": on_pin,
    "reference": on_reference,
    "pay_list": on_pay_list,
    "provider": on_provider,
    "bulletin": on_bulletin,
    "birth": on_birth,
    "language": on_language,
}

OPENERS: dict[str, Callable[[Call], Screen]] = {
    "reference": open_reference,
    "latest": open_latest,
    "pay": open_pay,
    "bulletin": open_bulletin,
    "birth": open_birth,
    "applications": open_applications,
}
