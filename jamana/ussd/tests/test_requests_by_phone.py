"""Menus 1 and 2: the caller's own requests, never anyone else's."""

from __future__ import annotations

import pytest

from jamana.core.references import format_reference, new_reference
from jamana.procedures.actions import check_submit_request
from jamana.ussd.tests.conftest import PIN

pytestmark = pytest.mark.django_db


def test_check_one_of_my_requests_by_reference(phone, with_pin, service):
    request = check_submit_request(account=with_pin, service_code=service.code)
    phone.walk("1", PIN)
    reply = phone.send(request.reference.lower())
    assert reply.startswith("END ")
    assert format_reference(request.reference) in reply
    assert "Awaiting payment" in reply and "500" in reply


def test_reference_typed_with_dashes_and_lookalikes_is_understood(phone, with_pin, service):
    request = check_submit_request(account=with_pin, service_code=service.code)
    phone.walk("1", PIN)
    assert format_reference(request.reference) in phone.send(format_reference(request.reference))


def test_someone_elses_reference_is_answered_like_a_missing_one(
    phone, with_pin, other_citizen, service
):
    theirs = check_submit_request(account=other_citizen, service_code=service.code)
    phone.walk("1", PIN)
    reply_theirs = phone.send(theirs.reference)
    phone.walk("1", PIN)
    missing = new_reference()
    reply_missing = phone.send(missing)
    assert reply_theirs == reply_missing
    assert reply_theirs.startswith("END ") and "no request with this reference" in reply_theirs
    assert format_reference(theirs.reference) not in reply_theirs


def test_a_typing_error_in_a_reference_is_asked_again(phone, with_pin, service):
    request = check_submit_request(account=with_pin, service_code=service.code)
    phone.walk("1", PIN)
    wrong_check = request.reference[:-1] + ("0" if request.reference[-1] != "0" else "1")
    reply = phone.send(wrong_check)
    assert reply.startswith("CON ") and "typing error" in reply
    reply = phone.send("ABC")
    assert reply.startswith("CON ") and "9 letters and digits" in reply
    assert format_reference(request.reference) in phone.send(request.reference)


def test_my_latest_requests_shows_the_last_three(phone, with_pin, service, free_service):
    made = [
        check_submit_request(account=with_pin, service_code=code)
        for code in (service.code, free_service.code, service.code, free_service.code)
    ]
    reply = phone.walk("2", PIN)
    assert reply.startswith("END ")
    shown = [r for r in made if format_reference(r.reference) in reply]
    assert shown == made[1:]  # the oldest one is left out
    assert "In review" in reply and "Awaiting payment" in reply


def test_my_latest_requests_without_any(phone, with_pin):
    assert "no requests yet" in phone.walk("2", PIN)


def test_latest_requests_are_only_mine(phone, with_pin, other_citizen, service):
    theirs = check_submit_request(account=other_citizen, service_code=service.code)
    reply = phone.walk("2", PIN)
    assert format_reference(theirs.reference) not in reply
