"""A signed-in person sets or changes their USSD PIN on the web, typing their password again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jamana.audit.models import AuditEvent
from jamana.notify.models import OutboundMessage
from jamana.testing import PASSWORD
from jamana.ussd import pins
from jamana.ussd.models import UssdPin

pytestmark = pytest.mark.django_db
BACKEND = "jamana.identity.backends.AccountBackend"


def _post(client, password=PASSWORD, pin="2580", pin_again=None):
    return client.post(
        "/ussd/pin/", {"password": password, "pin": pin, "pin_again": pin_again or pin}
    )


def test_the_page_needs_a_signed_in_person(client):
    response = client.get("/ussd/pin/")
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]


def test_set_a_pin_hashed_with_an_audit_event_and_an_sms(client, citizen):
    client.force_login(citizen, backend=BACKEND)
    client.post("/i18n/setlang/", {"language": "en"})
    assert "You have no USSD PIN yet." in client.get("/ussd/pin/").content.decode()
    response = _post(client)
    assert response.status_code == 302
    record = UssdPin.objects.get(account=citizen)
    assert "2580" not in record.pin_hash and record.pin_hash.startswith("argon2$argon2id$")
    assert "m=19456,t=2,p=1" in record.pin_hash
    assert pins.pin_matches(citizen.pk, "2580", record.pin_hash)
    assert not pins.pin_matches(citizen.pk, "2581", record.pin_hash)
    assert AuditEvent.objects.filter(action="ussd.pin_set", actor=citizen).exists()
    assert OutboundMessage.objects.filter(recipient=citizen.phone, body__contains="PIN").exists()


def test_the_hash_is_useless_without_the_secret_key(citizen, settings):
    from jamana.ussd.actions import check_set_pin

    record = check_set_pin(account=citizen, password=PASSWORD, pin="2580", pin_again="2580")
    settings.SECRET_KEY = "another-secret-key-of-another-instance-0123456789-abcdefghijkl"
    assert not pins.pin_matches(citizen.pk, "2580", record.pin_hash)
    # A key being rotated out still opens it.
    settings.SECRET_KEY_FALLBACKS = [
        "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"
    ]
    assert pins.pin_matches(citizen.pk, "2580", record.pin_hash)


def test_a_wrong_password_sets_nothing(client, citizen):
    client.force_login(citizen, backend=BACKEND)
    client.post("/i18n/setlang/", {"language": "en"})
    response = _post(client, password="not-my-password")
    assert response.status_code == 200 and "Wrong password" in response.content.decode()
    assert not UssdPin.objects.exists()


@pytest.mark.parametrize(
    ("pin", "again", "message"),
    [
        ("12a4", "12a4", "4 digits"),
        ("258", "258", "4 digits"),
        ("2580", "2581", "different"),
        ("1234", "1234", "too easy"),
        ("0000", "0000", "too easy"),
        ("9876", "9876", "too easy"),
        ("1987", "1987", "too easy"),  # her year of birth
        ("0001", "0001", "too easy"),  # the end of her phone number
    ],
)
def test_bad_pins_are_refused(client, citizen, pin, again, message):
    client.force_login(citizen, backend=BACKEND)
    client.post("/i18n/setlang/", {"language": "en"})
    response = _post(client, pin=pin, pin_again=again)
    assert response.status_code == 200 and message in response.content.decode()
    assert not UssdPin.objects.exists()


def test_a_new_pin_lifts_the_lock_out(client, citizen):
    from jamana.ussd.actions import check_set_pin, check_ussd_pin

    check_set_pin(account=citizen, password=PASSWORD, pin="2580", pin_again="2580")
    now = timezone.now()
    for wrong in ("1111", "1112", "1113"):
        outcome = check_ussd_pin(account=citizen, pin=wrong, now=now)
    assert outcome.state == "locked"
    client.force_login(citizen, backend=BACKEND)
    client.post("/i18n/setlang/", {"language": "en"})
    assert "locked" in client.get("/ussd/pin/").content.decode()
    _post(client, pin="3691")
    assert check_ussd_pin(account=citizen, pin="3691", now=now).state == "ready"
    assert AuditEvent.objects.filter(action="ussd.pin_changed").exists()


def test_the_lock_is_reported_in_minutes(citizen):
    from jamana.ussd.actions import check_set_pin, check_ussd_pin

    check_set_pin(account=citizen, password=PASSWORD, pin="2580", pin_again="2580")
    now = timezone.now()
    for wrong in ("1111", "1112", "1113"):
        check_ussd_pin(account=citizen, pin=wrong, now=now)
    later = check_ussd_pin(account=citizen, pin="2580", now=now + dt.timedelta(minutes=14))
    assert (later.state, later.minutes_left) == ("locked", 1)
