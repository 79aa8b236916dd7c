"""Phone number plus USSD PIN for anything personal: no account, no PIN, wrong PIN, lock-out,
and sessions that time out."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone, translation

from jamana.audit.models import AuditEvent
from jamana.notify.models import OutboundMessage
from jamana.ussd import screens
from jamana.ussd.models import UssdPin
from jamana.ussd.tests.conftest import PIN, Phone

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)


def test_a_number_without_account_sees_the_menu_but_nothing_personal(client, db, settings):
    phone = Phone(client, "+22376999999")
    assert phone.dial().startswith("CON ")
    reply = phone.send("2")
    # In the instance's language (French), with the site to sign up on.
    with translation.override("fr"):
        site = settings.JAMANA_PUBLIC_URL.split("://")[-1]
        assert reply == screens.no_account(site).render()


def test_without_a_pin_the_person_is_sent_to_the_web_or_a_counter(phone):
    phone.dial()
    reply = phone.send("2")
    assert reply.startswith("END ")
    assert "/ussd/pin/" in reply and "counter" in reply
    assert not UssdPin.objects.exists()  # no USSD path creates one


def test_right_pin_opens_the_personal_menu_and_is_asked_once(phone, with_pin):
    phone.dial()
    assert "PIN" in phone.send("3")
    assert "request awaiting payment" in phone.send(PIN)  # nothing to pay: END
    phone.dial()
    phone.send("7")
    phone.send("3")  # English
    assert "PIN" in phone.send("1")
    phone.send(PIN)
    # Back on the main menu in the same session, no second PIN.
    phone.dial()


def test_pin_is_not_asked_again_within_a_session(phone, with_pin, client):
    phone.dial()
    phone.send("3")  # pay: asks the PIN
    phone.send(PIN)
    # A new session asks again; within one session the PIN holds across menus.
    phone.dial()
    phone.send("1")
    assert "reference" in phone.send(PIN)
    assert "reference" in phone.send("XYZ")  # bad reference: re-asked, no PIN


def test_malformed_pin_is_asked_again_without_counting(phone, with_pin):
    phone.dial()
    phone.send("2")
    reply = phone.send("12")
    assert reply.startswith("CON ") and "4 digits" in reply
    assert UssdPin.objects.get().failed_attempts == 0


def test_wrong_pin_says_how_many_attempts_are_left(phone, with_pin):
    phone.dial()
    phone.send("2")
    reply = phone.send("1111")
    assert reply.startswith("CON ") and "2 attempts left" in reply
    reply = phone.send("1112")
    assert "1 attempt left" in reply
    assert "Your latest requests" in phone.send(PIN) or "no requests" in phone.last
    assert UssdPin.objects.get().failed_attempts == 0  # a right PIN starts over


def test_third_wrong_pin_locks_ussd_for_fifteen_minutes_and_tells_the_person(
    phone, with_pin, citizen
):
    with time_machine.travel(START, tick=False) as clock:
        phone.dial()
        phone.send("2")
        phone.send("1111")
        phone.send("1112")
        reply = phone.send("1113")
        assert reply.startswith("END ") and "15 minutes" in reply
        pin = UssdPin.objects.get()
        assert pin.locked_until == START + dt.timedelta(minutes=15)
        assert AuditEvent.objects.filter(action="ussd.pin_locked").count() == 1
        sms = OutboundMessage.objects.filter(recipient=citizen.phone).order_by("-pk").first()
        assert "locked" in sms.body

        # Locked in a new session too, even with the right PIN.
        clock.move_to(START + dt.timedelta(minutes=5))
        phone.dial()
        reply = phone.send("2")
        assert reply.startswith("END ") and "10 minutes" in reply

        # Over after 15 minutes: three new attempts.
        clock.move_to(START + dt.timedelta(minutes=15, seconds=1))
        phone.dial()
        phone.send("2")
        assert "2 attempts left" in phone.send("1111")
        phone.send(PIN)
        assert phone.last.startswith("END ")
        assert UssdPin.objects.get().locked_until is None


def test_a_retried_wrong_pin_counts_once(phone, with_pin):
    phone.dial()
    phone.send("2")
    phone.send("1111")
    for _ in range(3):
        assert phone.post(phone.text).content.decode() == phone.last
    assert UssdPin.objects.get().failed_attempts == 1


def test_wrong_pins_add_up_across_sessions(phone, with_pin):
    phone.walk("2", "1111")
    phone.walk("2", "1112")
    assert phone.walk("2", "1113").startswith("END ")
    assert UssdPin.objects.get().locked_until > timezone.now()


def test_session_times_out_after_two_idle_minutes(phone, with_pin, settings):
    settings.USSD_SESSION_IDLE_SECONDS = 120
    with time_machine.travel(START, tick=False) as clock:
        phone.dial()
        phone.send("2")
        clock.move_to(START + dt.timedelta(seconds=121))
        reply = phone.send(PIN)
        assert reply.startswith("END ") and "expired" in reply
        # Nothing more happens in this session.
        assert phone.send("2").startswith("END ")


def test_session_within_the_idle_limit_goes_on(phone, with_pin):
    with time_machine.travel(START, tick=False) as clock:
        phone.dial()
        phone.send("2")
        clock.move_to(START + dt.timedelta(seconds=119))
        assert phone.send(PIN).startswith("END ")
        assert "expired" not in phone.last


def test_a_closed_session_stays_closed(phone):
    phone.dial()
    assert phone.send("0").startswith("END ")
    assert "over" in phone.send("1")


def test_the_pin_is_hashed_once_per_call_before_the_session_is_locked(phone, with_pin, monkeypatch):
    from jamana.ussd import pins

    calls = []
    original = pins.pin_matches
    monkeypatch.setattr(pins, "pin_matches", lambda *a: calls.append(a) or original(*a))
    phone.walk("2")
    phone.send("1111")
    phone.send(PIN)
    assert len(calls) == 2


def test_a_verdict_made_against_an_older_pin_is_not_trusted(citizen, with_pin):
    from jamana.testing import PASSWORD
    from jamana.ussd import pins
    from jamana.ussd.actions import check_set_pin, check_ussd_pin

    old_hash = UssdPin.objects.get().pin_hash
    check_set_pin(account=citizen, password=PASSWORD, pin="3691", pin_again="3691")
    stale = pins.PinVerdict(old_hash, PIN, True)
    outcome = check_ussd_pin(account=citizen, pin=PIN, now=timezone.now(), verdict=stale)
    assert outcome.state == "wrong"
