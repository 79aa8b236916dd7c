"""A person texts a request reference and gets its status back, in their language; another
phone learns nothing about it."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from jamana.core.references import format_reference
from jamana.identity.actions import do_set_language
from jamana.notify.actions import do_handle_inbound_sms
from jamana.notify.gateways import InboundSms
from jamana.notify.gateways.http import sign_callback
from jamana.notify.models import InboundMessage, InboundOutcome, OutboundMessage
from jamana.notify.testing import wait_until
from jamana.procedures import actions as procedures

from .conftest import CALLBACK_SECRET

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def request_(citizen, service):
    return procedures.check_submit_request(account=citizen, service_code=service.code)


def _text(sender: str, text: str, **kwargs) -> InboundMessage:
    inbound = do_handle_inbound_sms(
        InboundSms(gateway="dev", sender=sender, recipient="JAMANA", text=text, **kwargs)
    )
    assert inbound is not None
    return inbound


def _reply(inbound: InboundMessage) -> str:
    return OutboundMessage.objects.get(pk=inbound.reply_id).body


@pytest.mark.parametrize("typed", ["{ref}", "{bare}", "{bare_lower}", "statut {ref} svp"])
def test_the_submitter_gets_the_status_of_their_request(citizen, request_, typed):
    ref = format_reference(request_.reference)
    text = typed.format(ref=ref, bare=request_.reference, bare_lower=request_.reference.lower())
    inbound = _text(citizen.phone, text)
    assert inbound.outcome == InboundOutcome.STATUS
    reply = OutboundMessage.objects.get(pk=inbound.reply_id)
    assert reply.recipient == citizen.phone
    assert ref in reply.body and "500" in reply.body  # awaiting payment of 500 FCFA
    assert reply.status == "sent"


def test_the_answer_is_in_the_language_of_the_phone_account(citizen, request_):
    do_set_language(citizen, "bm")
    inbound = _text(citizen.phone, request_.reference)
    reply = OutboundMessage.objects.get(pk=inbound.reply_id)
    assert reply.language == "bm"
    assert "Sɛbɛn kopi" in reply.body  # the service's Bambara title
    assert reply.encoding == "ucs2"


def test_another_phone_is_told_no_such_request_is_known(other_citizen, request_):
    inbound = _text(other_citizen.phone, request_.reference)
    unknown = _text(other_citizen.phone, "7K3Q9PX2M")  # well formed, does not exist
    assert inbound.outcome == unknown.outcome == InboundOutcome.NOT_FOUND
    # Someone else's request reads exactly like one that does not exist.
    assert _reply(inbound).replace(format_reference(request_.reference), "X") == _reply(
        unknown
    ).replace("7K3-Q9P-X2M", "X")


def test_a_number_without_an_account_learns_nothing(request_):
    inbound = _text("+22376111111", request_.reference)
    assert inbound.outcome == InboundOutcome.NOT_FOUND
    assert inbound.sender == "+22376111111"


def test_a_typing_error_and_a_text_without_reference_get_help(citizen, request_):
    typo = request_.reference[:-1] + ("0" if request_.reference[-1] != "0" else "1")
    assert _text(citizen.phone, typo).outcome == InboundOutcome.HELP
    assert typo in _reply(_text(citizen.phone, typo))  # the reference as typed, to check it
    assert _text(citizen.phone, "bonjour").outcome == InboundOutcome.HELP


def test_an_international_number_without_plus_is_understood(citizen, request_):
    inbound = _text(citizen.phone.lstrip("+"), request_.reference)
    assert inbound.outcome == InboundOutcome.STATUS and inbound.sender == citizen.phone


def test_answers_are_limited_per_phone_and_hour(citizen, request_, settings):
    settings.NOTIFY_INBOUND_REPLIES_PER_HOUR = 2
    outcomes = [_text(citizen.phone, request_.reference).outcome for _ in range(3)]
    assert outcomes == [InboundOutcome.STATUS, InboundOutcome.STATUS, InboundOutcome.LIMITED]
    assert InboundMessage.objects.filter(reply__isnull=False).count() == 2


def test_the_same_inbound_sms_is_answered_once(citizen, request_):
    first = do_handle_inbound_sms(
        InboundSms(
            gateway="http",
            sender=citizen.phone,
            recipient="",
            text=request_.reference,
            reference="in-1",
        )
    )
    again = do_handle_inbound_sms(
        InboundSms(
            gateway="http",
            sender=citizen.phone,
            recipient="",
            text=request_.reference,
            reference="in-1",
        )
    )
    assert first is not None and again is None
    assert InboundMessage.objects.count() == 1


def test_an_sms_texted_to_the_smsc_is_answered_over_smpp(citizen, request_, smpp):
    from jamana.notify.gateways import get_sms_gateway

    assert get_sms_gateway().maintain()  # bound and listening, as deliver_messages keeps it
    assert smpp.send_mo(sender=citizen.phone, text=format_reference(request_.reference))
    wait_until(lambda: any("500" in m["text"] for m in smpp.messages()))
    [answer] = [m for m in smpp.messages() if "500" in m["text"]]
    assert answer["to"] == citizen.phone.lstrip("+")
    assert InboundMessage.objects.get().outcome == InboundOutcome.STATUS


def test_an_sms_from_the_http_gateway_callback_is_answered(client, citizen, request_, http_gateway):
    body = json.dumps(
        {
            "type": "inbound",
            "id": "mo-7",
            "from": citizen.phone,
            "to": "36000",
            "text": request_.reference,
        }
    ).encode()
    stamp = str(int(time.time()))
    response = client.post(
        reverse("notify:http_callback"),
        data=body,
        content_type="application/json",
        headers={
            "X-Jamana-Timestamp": stamp,
            "X-Jamana-Signature": sign_callback(CALLBACK_SECRET, stamp, body),
        },
    )
    assert response.status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.gateway_ref, inbound.outcome) == ("mo-7", InboundOutcome.STATUS)
    assert any(
        format_reference(request_.reference) in m["text"] for m in http_gateway.accepted.values()
    )


def test_the_dev_page_plays_a_person_texting(client, citizen, request_):
    page = client.get(reverse("notify:dev_inbound"))
    assert page.status_code == 200
    response = client.post(
        reverse("notify:dev_inbound"), {"phone": citizen.phone, "text": request_.reference}
    )
    assert response.status_code == 302
    inbox = client.get(reverse("dev_sms")).content.decode()
    assert format_reference(request_.reference) in inbox and "gsm7" in inbox


def test_the_dev_page_is_off_unless_enabled(client, db, settings):
    settings.SMS_DEV_INBOX = False
    assert client.get(reverse("notify:dev_inbound")).status_code == 404
