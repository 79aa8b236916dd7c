"""Every screen fits the 182 characters of a USSD reply, in French, Bambara and English: each
screen built with its longest content, and every path walked through the callback."""

from __future__ import annotations

import inspect
import logging

import pytest
from django.utils import translation

from jamana.core.references import format_reference, new_reference
from jamana.procedures.actions import check_submit_request
from jamana.ussd import screens
from jamana.ussd.screens import MAX_REPLY, Screen
from jamana.ussd.tests.conftest import PIN

pytestmark = pytest.mark.django_db
LANGUAGES = ["fr", "bm", "en"]
LONG = "Wuli " * 40  # any free text (titles, places, messages) longer than a screen
REF = format_reference("7K3Q9PX2M")
BIG = 1_250_000


def _worst_cases() -> dict[str, list[Screen]]:
    """Each screen function with the longest content it can be given."""
    items3 = [(REF, LONG, BIG)] * 3
    return {
        "main_menu": [
            screens.main_menu(),
            screens.main_menu(screens.invalid_choice()),
            screens.main_menu(screens.language_changed()),
        ],
        "goodbye": [screens.goodbye()],
        "session_expired": [screens.session_expired()],
        "session_over": [screens.session_over()],
        "invalid_phone": [screens.invalid_phone()],
        "problem": [screens.problem(LONG)],
        "service_closed": [screens.service_closed()],
        "no_account": [screens.no_account("jamana.gouv.ml")],
        "set_pin_first": [screens.set_pin_first("jamana.gouv.ml/ussd/pin/")],
        "enter_pin": [
            screens.enter_pin(),
            screens.enter_pin(screens.pin_malformed()),
            screens.enter_pin(screens.wrong_pin(1)),
            screens.enter_pin(screens.wrong_pin(2)),
        ],
        "pin_locked": [screens.pin_locked(1), screens.pin_locked(15)],
        "enter_reference": [screens.enter_reference(), screens.enter_reference(LONG)],
        "request_status": [
            screens.request_status(reference=REF, service=LONG, status=LONG, amount_due=BIG)
        ],
        "no_such_request": [screens.no_such_request(LONG)],
        "my_applications": [
            screens.my_applications([(REF, LONG, LONG)] * 3),
            screens.my_applications([]),
        ],
        "latest_requests": [
            screens.latest_requests([(REF, LONG, LONG)] * 3),
            screens.latest_requests([]),
        ],
        "choose_request_to_pay": [
            screens.choose_request_to_pay(items3),
            screens.choose_request_to_pay(items3, screens.invalid_choice()),
        ],
        "nothing_to_pay": [screens.nothing_to_pay()],
        "nothing_left_to_pay": [screens.nothing_left_to_pay()],
        "choose_provider": [
            screens.choose_provider(
                reference=REF, amount_xof=BIG, providers=[LONG] * 3, notice=LONG
            ),
            screens.choose_provider(
                reference=REF,
                amount_xof=BIG,
                providers=["Orange Money", "Moov Money", "PI-SPI (BCEAO)"],
                notice=screens.request_created(REF),
            ),
        ],
        "no_payment_method": [screens.no_payment_method()],
        "payment_started": [screens.payment_started(reference=REF, amount_xof=BIG)],
        "confirm_bulletin": [
            screens.confirm_bulletin(BIG),
            screens.confirm_bulletin(0, screens.invalid_choice()),
        ],
        "choose_act": [
            screens.choose_act([(123456, 1987, LONG)] * 3, BIG, screens.invalid_choice()),
            screens.choose_act([(1, 1987, "Kati")], 0),
        ],
        "no_birth_act": [screens.no_birth_act()],
        "request_created_free": [screens.request_created_free(REF)],
        "choose_language": [
            screens.choose_language(),
            screens.choose_language(screens.invalid_choice()),
        ],
    }


def test_every_screen_function_is_checked():
    made = {
        name
        for name, fn in inspect.getmembers(screens, inspect.isfunction)
        if fn.__module__ == screens.__name__
        and inspect.signature(fn).return_annotation in ("Screen", Screen)
        and name not in ("ask", "close")
    }
    with translation.override("en"):
        assert made == set(_worst_cases())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen_fits_with_its_longest_content(language, caplog):
    with translation.override(language), caplog.at_level(logging.ERROR):
        for name, cases in _worst_cases().items():
            for screen in cases:
                text = screen.render()
                assert len(text) <= MAX_REPLY, (name, language, len(text), text)
    assert not [r for r in caplog.records if "too long" in r.getMessage()]


def _walks(phone, own_reference: str) -> list[str]:
    """Every path of the menus, for one caller: the replies in order."""
    replies = [phone.dial(), phone.send("9"), phone.send("6"), phone.send("7")]
    replies += [phone.send("5"), phone.send("0"), phone.send("0"), phone.send("1")]
    replies += [phone.walk("1", "12", "1111", PIN, "ABC", own_reference)]
    replies += [phone.walk("1", PIN, new_reference())]
    replies += [phone.walk("2", PIN)]
    replies += [phone.walk("3", PIN, "8", "1", "7", "0")]
    replies += [phone.walk("3", PIN, "1", "1")]
    replies += [phone.walk("4", PIN)]
    replies += [phone.walk("5", PIN)]
    replies += [phone.walk("2", "1111", "1112", "1113")]
    replies += [phone.walk("2")]
    return replies


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_path_fits_in_each_language(language, client, citizen, with_pin, service, caplog):
    from jamana.ussd.tests.conftest import Phone

    citizen.language = language
    citizen.save(update_fields=["language"])
    own = check_submit_request(account=citizen, service_code=service.code)
    check_submit_request(account=citizen, service_code=service.code)
    phone = Phone(client, citizen.phone)
    with caplog.at_level(logging.ERROR):
        replies = _walks(phone, own.reference)
    for reply in replies:
        assert len(reply) <= MAX_REPLY, (language, len(reply), reply)
        assert reply.startswith(("CON ", "END "))
    assert not [r for r in caplog.records if "too long" in r.getMessage()]
