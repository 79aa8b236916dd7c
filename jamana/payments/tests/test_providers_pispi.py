"""PI-SPI (modelled request-to-pay) adapter against the simulator, over real loopback HTTP."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

import pytest

from jamana.payments.providers import pispi
from jamana.payments.providers.base import (
    ForgedCallback,
    PaymentStatus,
    PermanentProviderError,
    TransientProviderError,
)
from jamana.payments.providers.pispi import PispiProvider
from jamana.payments.simulator import (
    Outcome,
    SimulatorBehaviour,
    SimulatorCredentials,
    run_simulator,
)
from jamana.payments.simulator.testing import CallbackReceiver

CREDENTIALS = SimulatorCredentials(
    pispi_api_key="pispi-test-api-key",
    pispi_key_id="2025-01",
    pispi_callback_secret="pispi-test-callback-secret-0123456789abcdef",
    pispi_creditor_alias="TRESOR-ML-TEST",
)
CITIZEN = "+22376000002"


@pytest.fixture
def sim():
    with run_simulator(behaviour=SimulatorBehaviour(seed=3), credentials=CREDENTIALS) as running:
        yield running


@pytest.fixture
def receiver():
    with CallbackReceiver() as running:
        yield running


@pytest.fixture
def spi(sim):
    return PispiProvider(sim.pispi_config())


def _with_header(headers, name, value):
    """``headers`` with ``name`` replaced, whatever the case it arrived in."""
    return {**{k: v for k, v in headers.items() if k.lower() != name.lower()}, name: value}


def _request(spi, receiver, *, key="msg-1", amount=25_000, reference="JAM-0003"):
    return spi.initiate(
        merchant_reference=reference,
        idempotency_key=key,
        amount_xof=amount,
        payer_msisdn=CITIZEN,
        callback_url=receiver.callback_url("pispi"),
        description="Vignette 2025",
    )


def _settled(sim, receiver, spi, outcome=Outcome.SUCCESS):
    started = _request(spi, receiver)
    sim.confirm(started.provider_reference, outcome)
    (callback,) = receiver.wait_for(1)
    return started, callback


def test_request_approved_by_the_payer_is_notified_then_queried_as_settled(sim, receiver, spi):
    started, callback = _settled(sim, receiver, spi)
    assert started.status is PaymentStatus.PENDING
    assert "QR" in started.payer_instructions

    event = spi.parse_callback(headers=callback.headers, body=callback.body)

    assert (event.provider_reference, event.status, event.amount_xof) == (
        started.provider_reference,
        PaymentStatus.SUCCEEDED,
        25_000,
    )
    status = spi.query(started.provider_reference)
    assert (status.status, status.amount_xof) == (PaymentStatus.SUCCEEDED, 25_000)
    assert status.paid_at is not None


def test_notification_is_iso20022_shaped(sim, receiver, spi):
    _, callback = _settled(sim, receiver, spi)
    payload = json.loads(callback.body)
    assert payload["txSts"] == "ACSC"
    assert payload["instdAmt"] == {"value": 25_000, "ccy": "XOF"}
    assert payload["endToEndId"] == "JAM-0003"


def test_qr_payload_names_the_creditor_and_the_request(receiver, spi):
    started = _request(spi, receiver)
    query = urllib.parse.parse_qs(
        urllib.parse.urlsplit(spi.qr_payload(started.provider_reference)).query
    )
    assert query == {"cdtr": ["TRESOR-ML-TEST"], "rtp": [started.provider_reference]}


def test_same_message_id_returns_the_same_request(sim, receiver, spi):
    assert _request(spi, receiver) == _request(spi, receiver)
    assert len(sim.intents()) == 1
    with pytest.raises(PermanentProviderError) as refused:
        _request(spi, receiver, amount=1)
    assert refused.value.code == "http_409"


def test_notification_with_a_bad_signature_is_forged(sim, receiver, spi):
    _, callback = _settled(sim, receiver, spi)
    headers = _with_header(callback.headers, pispi.SIGNATURE_HEADER, "AAAA")
    with pytest.raises(ForgedCallback):
        spi.parse_callback(headers=headers, body=callback.body)


def test_notification_signed_with_an_unknown_key_is_forged(sim, receiver, spi):
    _, callback = _settled(sim, receiver, spi)
    headers = _with_header(callback.headers, pispi.KEY_ID_HEADER, "1999-01")
    with pytest.raises(ForgedCallback):
        spi.parse_callback(headers=headers, body=callback.body)


def test_notification_signed_with_another_secret_is_forged(sim, receiver):
    spi = PispiProvider(sim.pispi_config(callback_secret="not-the-shared-secret-" + "y" * 20))
    _, callback = _settled(sim, receiver, spi)
    with pytest.raises(ForgedCallback):
        spi.parse_callback(headers=callback.headers, body=callback.body)


def test_notification_replayed_with_an_altered_amount_is_forged(sim, receiver, spi):
    _, callback = _settled(sim, receiver, spi)
    payload = json.loads(callback.body)
    payload["instdAmt"]["value"] = 1
    with pytest.raises(ForgedCallback):
        spi.parse_callback(headers=callback.headers, body=json.dumps(payload).encode())


def test_rotated_secret_still_accepts_notifications_signed_with_the_previous_one(sim, receiver):
    spi = PispiProvider(
        sim.pispi_config(
            callback_key_id="2025-02",
            callback_secret="the-new-secret-after-rotation-0123456789",
            previous_callback_secrets=(
                (CREDENTIALS.pispi_key_id, CREDENTIALS.pispi_callback_secret),
            ),
        )
    )
    _, callback = _settled(sim, receiver, spi)
    assert spi.parse_callback(headers=callback.headers, body=callback.body).status is (
        PaymentStatus.SUCCEEDED
    )


def test_insufficient_funds_comes_back_as_am04(sim, receiver, spi):
    started, callback = _settled(sim, receiver, spi, Outcome.INSUFFICIENT_FUNDS)
    assert json.loads(callback.body)["stsRsnInf"] == {"rsnCd": "AM04"}
    status = spi.query(started.provider_reference)
    assert (status.status, status.failure_reason) == (PaymentStatus.FAILED, "insufficient_funds")


def test_request_expires_at_the_expiry_it_asked_for(receiver):
    with run_simulator(behaviour=SimulatorBehaviour(), credentials=CREDENTIALS) as sim:
        spi = PispiProvider(sim.pispi_config(request_ttl=dt.timedelta(seconds=1)))
        started = _request(spi, receiver)
        (callback,) = receiver.wait_for(1, timeout=5)
        event = spi.parse_callback(headers=callback.headers, body=callback.body)
        assert event.status is PaymentStatus.EXPIRED
        assert spi.query(started.provider_reference).failure_reason == "expired"


def test_return_and_report(sim, receiver, spi):
    started, _ = _settled(sim, receiver, spi)
    returned = spi.refund(
        provider_reference=started.provider_reference, amount_xof=25_000, idempotency_key="rt-1"
    )
    assert returned.status is PaymentStatus.SUCCEEDED
    lines = spi.statement(dt.datetime.now(dt.UTC).date())
    assert [
        (line.kind, line.provider_reference, line.amount_xof, line.fee_xof) for line in lines
    ] == [
        ("payment", started.provider_reference, 25_000, 250),
        ("refund", returned.refund_reference, 25_000, 0),
    ]
    with pytest.raises(PermanentProviderError):
        spi.refund(
            provider_reference=started.provider_reference, amount_xof=1, idempotency_key="rt-2"
        )


def test_wrong_api_key_is_permanent(sim, receiver):
    spi = PispiProvider(sim.pispi_config(api_key="wrong"))
    with pytest.raises(PermanentProviderError) as refused:
        _request(spi, receiver)
    assert refused.value.http_status == 401


def test_platform_unavailable_is_transient(sim, receiver, spi):
    sim.fail_next(prefix="/pispi/", status=503, count=2)
    with pytest.raises(TransientProviderError):
        _request(spi, receiver)
    with pytest.raises(TransientProviderError):
        spi.statement(dt.date(2025, 10, 1))
    assert spi.statement(dt.date(2025, 10, 1)) == []


def test_bad_request_is_permanent(sim, receiver, spi):
    sim.fail_next(prefix="/pispi/", status=400)
    with pytest.raises(PermanentProviderError) as refused:
        _request(spi, receiver)
    assert refused.value.code == "http_400"
