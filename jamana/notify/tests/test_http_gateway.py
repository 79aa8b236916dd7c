"""The generic HTTP gateway against a loopback server: bearer token, idempotency key, status
lookups, and signed callbacks for delivery reports."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from jamana.notify.actions import queue_sms
from jamana.notify.gateways.http import (
    HttpGateway,
    HttpGatewayConfig,
    sign_callback,
)
from jamana.notify.models import MessageStatus, OutboundMessage

from .conftest import CALLBACK_SECRET

pytestmark = pytest.mark.django_db(transaction=True)


def _callback(client, event: dict, *, secret: str = CALLBACK_SECRET, timestamp: int | None = None):
    body = json.dumps(event).encode()
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    return client.post(
        reverse("notify:http_callback"),
        data=body,
        content_type="application/json",
        headers={
            "X-Jamana-Timestamp": stamp,
            "X-Jamana-Signature": sign_callback(secret, stamp, body),
        },
    )


def test_the_message_uid_is_the_idempotency_key(http_gateway):
    message = queue_sms(to="+22376000001", body="Jamana: test", language="fr")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.gateway_ref == "gw-1"
    [(key, sent)] = http_gateway.accepted.items()
    assert key == str(message.uid) == sent["client_ref"]
    assert sent["to"] == "+22376000001" and sent["from"] == "JAMANA"
    gateway = HttpGateway(
        HttpGatewayConfig(base_url=http_gateway.url, token="test-token", callback_secret="x")
    )
    again = gateway.send(to="+22376000001", body="Jamana: test", sender="JAMANA", client_ref=key)
    assert again.reference == "gw-1" and len(http_gateway.accepted) == 1


def test_lookup_tells_accepted_from_never_seen(http_gateway):
    gateway = HttpGateway(
        HttpGatewayConfig(base_url=http_gateway.url, token="test-token", callback_secret="x")
    )
    gateway.send(to="+22376000001", body="x", sender="JAMANA", client_ref="known")
    assert gateway.lookup("known").references == ("gw-1",)
    assert gateway.lookup("unknown") is None


def test_a_wrong_token_is_a_permanent_failure(http_gateway):
    http_gateway.token = "another"
    message = queue_sms(to="+22376000001", body="x", language="fr")
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "http_401" in message.last_error


def test_plain_http_is_refused_off_loopback():
    with pytest.raises(ValueError):
        HttpGatewayConfig(base_url="http://sms.example.org", token="t", callback_secret="s")


def test_a_signed_status_callback_marks_the_message_delivered(client, http_gateway):
    message = queue_sms(to="+22376000001", body="x", language="fr")
    response = _callback(client, {"type": "status", "id": "gw-1", "status": "delivered"})
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.report_stat == "DELIVERED"
    assert (
        _callback(client, {"type": "status", "id": "gw-1", "status": "delivered"}).status_code
        == 200
    )


def test_a_failed_status_callback_marks_the_message_failed(client, http_gateway):
    message = queue_sms(to="+22376000001", body="x", language="fr")
    _callback(
        client, {"type": "status", "id": "gw-1", "status": "undeliverable", "error": "absent"}
    )
    assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.FAILED


@pytest.mark.parametrize(
    "tamper",
    ["secret", "stale", "unsigned"],
)
def test_forged_or_stale_callbacks_are_refused(client, http_gateway, tamper):
    message = queue_sms(to="+22376000001", body="x", language="fr")
    event = {"type": "status", "id": "gw-1", "status": "delivered"}
    if tamper == "secret":
        response = _callback(client, event, secret="not-the-secret")
    elif tamper == "stale":
        response = _callback(client, event, timestamp=int(time.time()) - 3600)
    else:
        response = client.post(
            reverse("notify:http_callback"), data=event, content_type="application/json"
        )
    assert response.status_code == 401
    assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.SENT


def test_an_authentic_but_unreadable_callback_is_a_400(client, http_gateway):
    assert _callback(client, {"type": "status"}).status_code == 400
    assert _callback(client, {"type": "weather"}).status_code == 400
