"""USSD personas and a phone that talks to the callback exactly as a gateway does."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from jamana.ussd.actions import check_set_pin

SECRET = "test-gateway-secret"
PIN = "2580"
_sessions = itertools.count(1)


class Phone:
    """A feature phone behind an Africa's Talking-style gateway: each call carries everything
    typed in the session so far, joined by ``*``."""

    def __init__(self, client, number: str) -> None:
        self.client = client
        self.number = number
        self.session_id = ""
        self.text = ""
        self.last = ""

    def post(self, text: str, **extra):
        return self.client.post(
            "/ussd/callback",
            {
                "sessionId": self.session_id,
                "serviceCode": "*123#",
                "phoneNumber": self.number,
                "text": text,
            },
            headers={"X-USSD-Secret": SECRET},
            **extra,
        )

    def dial(self) -> str:
        self.session_id = f"ATUid_test_{next(_sessions)}"
        self.text = ""
        return self._call()

    def send(self, value: str) -> str:
        self.text = value if self.text == "" else f"{self.text}*{value}"
        return self._call()

    def walk(self, *values: str) -> str:
        reply = self.dial()
        for value in values:
            reply = self.send(value)
        return reply

    def _call(self) -> str:
        response = self.post(self.text)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain")
        self.last = response.content.decode()
        return self.last


@pytest.fixture(autouse=True)
def gateway(settings):
    settings.USSD_GATEWAY_SECRET = SECRET
    settings.USSD_GATEWAY_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.fixture
def phone(client, citizen):
    """The citizen's phone. The account reads English so that the assertions read the
    message ids; the three languages are checked in test_screen_length and test_navigation."""
    from jamana.identity.actions import do_set_language

    do_set_language(citizen, "en")
    return Phone(client, citizen.phone)


@pytest.fixture
def with_pin(citizen):
    from jamana.testing import PASSWORD

    check_set_pin(account=citizen, password=PASSWORD, pin=PIN, pin_again=PIN)
    return citizen
