from __future__ import annotations

import pytest

from jamana.notify.gateways import close_sms_gateways
from jamana.notify.testing import FakeHttpGateway, SmscProcess

CALLBACK_SECRET = "test-callback-secret"


@pytest.fixture(autouse=True)
def _fresh_gateways():
    yield
    close_sms_gateways()


@pytest.fixture
def smsc():
    """The SMSC simulator, a real separate process on loopback."""
    with SmscProcess(extra_args=("--dlr-delay", "0.1", "--undeliverable", "22376999999")) as sim:
        yield sim


@pytest.fixture
def smpp(settings, smsc):
    settings.SMS_GATEWAY = "smpp"
    settings.SMS_SMPP = {
        **settings.SMS_SMPP,
        "port": smsc.port,
        "response_timeout_seconds": 5,
        "reconnect_min_seconds": 0.1,
        "reconnect_max_seconds": 0.5,
    }
    return smsc


@pytest.fixture
def http_gateway(settings):
    with FakeHttpGateway() as fake:
        settings.SMS_GATEWAY = "http"
        settings.SMS_HTTP = {
            "base_url": fake.url,
            "token": fake.token,
            "callback_secret": CALLBACK_SECRET,
            "callback_url": "http://127.0.0.1:8000/notify/callback/http",
            "timeout_seconds": 2,
        }
        yield fake
