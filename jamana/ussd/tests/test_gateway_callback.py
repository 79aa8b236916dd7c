"""The callback answers only the gateway, follows its convention and answers a retry with the
same reply."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client

from jamana.ussd.models import UssdExchange, UssdSession
from jamana.ussd.tests.conftest import SECRET, Phone

pytestmark = pytest.mark.django_db


def _form(text: str = "", phone: str = "+22376000001", session: str = "ATUid_1") -> dict:
    return {"sessionId": session, "serviceCode": "*123#", "phoneNumber": phone, "text": text}


def test_first_call_shows_the_main_menu_as_plain_text(phone):
    reply = phone.dial()
    assert reply.startswith("CON ")
    assert "1 Check a request" in reply or "1 " in reply
    assert "0 " in reply


def test_call_without_the_secret_is_refused(client, citizen):
    response = client.post("/ussd/callback", _form())
    assert response.status_code == 403
    response = client.post("/ussd/callback", _form(), headers={"X-USSD-Secret": "guess"})
    assert response.status_code == 403
    assert not UssdSession.objects.exists()


def test_call_from_outside_the_allowed_networks_is_refused(client, citizen, settings):
    settings.USSD_GATEWAY_NETWORKS = [ipaddress.ip_network("196.201.214.0/24")]
    response = client.post("/ussd/callback", _form(), headers={"X-USSD-Secret": SECRET})
    assert response.status_code == 403
    response = client.post(
        "/ussd/callback",
        _form(),
        headers={"X-USSD-Secret": SECRET},
        REMOTE_ADDR="196.201.214.7",
    )
    assert response.status_code == 200


def test_allow_list_alone_is_enough_and_forwarded_for_is_ignored(client, citizen, settings):
    settings.USSD_GATEWAY_SECRET = ""
    settings.USSD_GATEWAY_NETWORKS = [ipaddress.ip_network("196.201.214.0/24")]
    assert client.post("/ussd/callback", _form()).status_code == 403
    spoofed = client.post("/ussd/callback", _form(), headers={"X-Forwarded-For": "196.201.214.7"})
    assert spoofed.status_code == 403
    allowed = client.post("/ussd/callback", _form(), REMOTE_ADDR="196.201.214.7")
    assert allowed.status_code == 200


def test_nothing_configured_refuses_every_call(client, citizen, settings):
    settings.USSD_GATEWAY_SECRET = ""
    settings.USSD_GATEWAY_NETWORKS = []
    response = client.post("/ussd/callback", _form(), headers={"X-USSD-Secret": ""})
    assert response.status_code == 403


def test_callback_needs_no_csrf_token(citizen):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/ussd/callback", _form(), headers={"X-USSD-Secret": SECRET})
    assert response.status_code == 200


def test_only_post_is_accepted(client):
    assert client.get("/ussd/callback", headers={"X-USSD-Secret": SECRET}).status_code == 405


def test_call_without_session_id_is_a_bad_request(client, citizen):
    response = client.post("/ussd/callback", _form(session=""), headers={"X-USSD-Secret": SECRET})
    assert response.status_code == 400


@pytest.mark.parametrize("number", ["+22376000001", "22376000001", "76000001"])
def test_phone_numbers_are_normalized(client, citizen, number):
    Phone(client, number).dial()
    assert UssdSession.objects.get().phone == "+22376000001"
    assert UssdSession.objects.get().account == citizen


def test_invalid_phone_number_ends_politely(client, db):
    reply = Phone(client, "12").dial()
    assert reply.startswith("END ")
    assert not UssdSession.objects.exists()


def test_a_retried_call_gets_the_same_reply_once(phone):
    phone.dial()
    first = phone.send("9")
    again = phone.post(phone.text).content.decode()
    assert again == first
    assert UssdExchange.objects.filter(text="9").count() == 1


def test_another_number_cannot_continue_a_session(client, phone, other_citizen):
    phone.dial()
    intruder = Phone(client, other_citizen.phone)
    intruder.session_id = phone.session_id
    intruder.text = ""
    assert intruder.send("7").startswith("END ")
    # Nor replay what the owner was shown.
    stolen = intruder.post(phone.text).content.decode()
    assert stolen != phone.last and stolen.startswith("END ")
    # The owner's dialogue goes on untouched.
    assert phone.send("7").startswith("CON ")


def test_a_shortcut_dial_carries_several_inputs(client, citizen):
    phone = Phone(client, citizen.phone)
    phone.session_id = "ATUid_shortcut"
    reply = phone.post("7*3").content.decode()
    assert reply.startswith("CON ") and "Language changed" in reply


def test_each_call_makes_few_queries(phone, with_pin, service, django_assert_max_num_queries):
    """The callback is the hot path of USSD: a handful of queries per call, PIN included."""
    from jamana.procedures.actions import check_submit_request
    from jamana.ussd.tests.conftest import PIN

    check_submit_request(account=with_pin, service_code=service.code)
    with django_assert_max_num_queries(10):
        phone.dial()
    with django_assert_max_num_queries(9):
        phone.send("2")
    with django_assert_max_num_queries(11):
        phone.send(PIN)
    with django_assert_max_num_queries(1):
        phone.post(phone.text)  # a retry: one read
