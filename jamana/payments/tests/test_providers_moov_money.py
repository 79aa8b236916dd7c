"""Moov Money adapter against the simulator, over real loopback HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jamana.payments.providers import moov_money
from jamana.payments.providers.base import (
    ForgedCallback,
    InvalidAmount,
    PaymentStatus,
    PermanentProviderError,
    TransientProviderError,
)
from jamana.payments.providers.moov_money import MoovMoneyProvider
from jamana.payments.simulator import (
    Outcome,
    SimulatorBehaviour,
    SimulatorCredentials,
    run_simulator,
)
from jamana.payments.simulator.testing import CallbackReceiver

CREDENTIALS = SimulatorCredentials(
    moov_username="tresor-ml",
    moov_password="moov-test-password",
    moov_callback_secret="moov-test-callback-secret-0123456789abcdef",
)
CITIZEN = "+22365000001"


@pytest.fixture
def sim():
    with run_simulator(behaviour=SimulatorBehaviour(seed=5), credentials=CREDENTIALS) as running:
        yield running


@pytest.fixture
def receiver():
    with CallbackReceiver() as running:
        yield running


@pytest.fixture
def moov(sim):
    return MoovMoneyProvider(sim.moov_config())


def _with_header(headers, name, value):
    """``headers`` with ``name`` replaced, whatever the case it arrived in."""
    return {**{k: v for k, v in headers.items() if k.lower() != name.lower()}, name: value}


def _pay(moov, receiver, *, key="key-1", amount=3_000, reference="JAM-0001"):
    return moov.initiate(
        merchant_reference=reference,
        idempotency_key=key,
        amount_xof=amount,
        payer_msisdn=CITIZEN,
        callback_url=receiver.callback_url("moov"),
        description="TDRL 2025",
    )


def _paid_callback(sim, receiver, moov):
    started = _pay(moov, receiver)
    sim.confirm(started.provider_reference)
    (callback,) = receiver.wait_for(1)
    return started, callback


def test_payment_confirmed_on_the_phone_is_called_back_then_queried_as_succeeded(
    sim, receiver, moov
):
    started, callback = _paid_callback(sim, receiver, moov)
    assert started.status is PaymentStatus.PENDING

    event = moov.parse_callback(headers=callback.headers, body=callback.body)

    assert (event.provider_reference, event.status, event.amount_xof) == (
        started.provider_reference,
        PaymentStatus.SUCCEEDED,
        3_000,
    )
    status = moov.query(started.provider_reference)
    assert (status.status, status.amount_xof) == (PaymentStatus.SUCCEEDED, 3_000)
    assert status.paid_at == event.occurred_at


def test_retried_initiate_with_the_same_key_returns_the_same_payment(sim, receiver, moov):
    assert _pay(moov, receiver) == _pay(moov, receiver)
    assert len(sim.intents()) == 1
    assert sim.balance(CITIZEN) == 1_000_000  # nothing taken before the payer confirms


def test_callback_with_a_bad_signature_is_forged(sim, receiver, moov):
    _, callback = _paid_callback(sim, receiver, moov)
    headers = _with_header(callback.headers, moov_money.SIGNATURE_HEADER, "sha256=" + "0" * 64)
    with pytest.raises(ForgedCallback):
        moov.parse_callback(headers=headers, body=callback.body)


def test_callback_signed_with_another_secret_is_forged(sim, receiver):
    moov = MoovMoneyProvider(sim.moov_config())
    _, callback = _paid_callback(sim, receiver, moov)
    other = MoovMoneyProvider(sim.moov_config(callback_secret="another-secret-" + "x" * 32))
    with pytest.raises(ForgedCallback):
        other.parse_callback(headers=callback.headers, body=callback.body)


def test_callback_replayed_with_an_altered_amount_is_forged(sim, receiver, moov):
    _, callback = _paid_callback(sim, receiver, moov)
    payload = json.loads(callback.body)
    payload["amount"] = 300_000
    with pytest.raises(ForgedCallback):
        moov.parse_callback(headers=callback.headers, body=json.dumps(payload).encode())


def test_callback_replayed_after_the_window_is_forged(sim, receiver):
    late = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    moov = MoovMoneyProvider(sim.moov_config(), clock=lambda: late)
    _, callback = _paid_callback(sim, receiver, moov)
    with pytest.raises(ForgedCallback):
        moov.parse_callback(headers=callback.headers, body=callback.body)


def test_unsigned_callback_is_forged(moov):
    with pytest.raises(ForgedCallback):
        moov.parse_callback(headers={}, body=b'{"status": "SUCCESS"}')


def test_headers_are_read_whatever_their_case(sim, receiver, moov):
    _, callback = _paid_callback(sim, receiver, moov)
    lowered = {k.lower(): v for k, v in callback.headers.items()}
    assert moov.parse_callback(headers=lowered, body=callback.body).status is (
        PaymentStatus.SUCCEEDED
    )


def test_duplicate_and_out_of_order_callbacks_are_delivered_as_configured(receiver):
    behaviour = SimulatorBehaviour(duplicate_callbacks=2, out_of_order_callbacks=True)
    with run_simulator(behaviour=behaviour, credentials=CREDENTIALS) as sim:
        moov = MoovMoneyProvider(sim.moov_config())
        started = _pay(moov, receiver)
        sim.confirm(started.provider_reference)
        callbacks = receiver.wait_for(4)
    events = [moov.parse_callback(headers=c.headers, body=c.body) for c in callbacks]
    assert [e.status for e in events] == [PaymentStatus.SUCCEEDED] * 3 + [PaymentStatus.PENDING]
    assert len({e.event_id for e in events[:3]}) == 1  # duplicates share their event id
    assert events[3].occurred_at <= events[0].occurred_at  # the stale one arrives last


def test_payer_declining_fails_the_payment(sim, receiver, moov):
    started = _pay(moov, receiver)
    sim.confirm(started.provider_reference, Outcome.FAILURE)
    (callback,) = receiver.wait_for(1)
    assert moov.parse_callback(headers=callback.headers, body=callback.body).status is (
        PaymentStatus.FAILED
    )
    status = moov.query(started.provider_reference)
    assert (status.status, status.failure_reason, status.paid_at) == (
        PaymentStatus.FAILED,
        "declined",
        None,
    )


def test_refund_and_statement(sim, receiver, moov):
    started, _ = _paid_callback(sim, receiver, moov)
    refund = moov.refund(
        provider_reference=started.provider_reference, amount_xof=1_000, idempotency_key="r-1"
    )
    assert refund.status is PaymentStatus.SUCCEEDED
    assert sim.balance(CITIZEN) == 1_000_000 - 3_000 + 1_000
    with pytest.raises(PermanentProviderError) as reused:
        moov.refund(
            provider_reference=started.provider_reference, amount_xof=2_000, idempotency_key="r-1"
        )
    assert reused.value.code == "http_409"

    lines = moov.statement(dt.datetime.now(dt.UTC).date())
    assert [
        (line.kind, line.provider_reference, line.amount_xof, line.fee_xof) for line in lines
    ] == [
        ("payment", started.provider_reference, 3_000, 30),
        ("refund", refund.refund_reference, 1_000, 0),
    ]
    assert moov.statement(dt.date(2020, 1, 1)) == []


def test_refund_of_an_unpaid_payment_is_refused(sim, receiver, moov):
    started = _pay(moov, receiver)
    with pytest.raises(PermanentProviderError):
        moov.refund(
            provider_reference=started.provider_reference, amount_xof=100, idempotency_key="r"
        )


def test_wrong_partner_password_is_permanent(sim, receiver):
    moov = MoovMoneyProvider(sim.moov_config(password="wrong"))
    with pytest.raises(PermanentProviderError) as refused:
        _pay(moov, receiver)
    assert refused.value.http_status == 401


def test_provider_unavailable_is_transient_and_bad_request_permanent(sim, receiver, moov):
    sim.fail_next(prefix="/moov/", status=503)
    with pytest.raises(TransientProviderError):
        _pay(moov, receiver)
    sim.fail_next(prefix="/moov/", status=429)
    with pytest.raises(TransientProviderError):
        _pay(moov, receiver)
    sim.fail_next(prefix="/moov/", status=400)
    with pytest.raises(PermanentProviderError):
        _pay(moov, receiver)
    started = _pay(moov, receiver)
    assert started.status is PaymentStatus.PENDING
    assert len(sim.intents()) == 1


def test_unknown_transaction_is_permanent(moov):
    with pytest.raises(PermanentProviderError) as refused:
        moov.query("MV-NOPE")
    assert refused.value.http_status == 404


@pytest.mark.parametrize("amount", [0, -1, 1.5, False])
def test_amounts_must_be_positive_whole_xof(moov, amount):
    with pytest.raises(InvalidAmount):
        moov.refund(provider_reference="MV1", amount_xof=amount, idempotency_key="k")


def test_payer_number_must_be_e164(moov, receiver):
    with pytest.raises(ValueError, match=r"E\.164"):
        moov.initiate(
            merchant_reference="JAM-1",
            idempotency_key="k",
            amount_xof=100,
            payer_msisdn="65000001",
            callback_url=receiver.callback_url(),
            description="",
        )


def test_short_callback_secret_is_refused(sim):
    with pytest.raises(ValueError, match="32"):
        MoovMoneyProvider(sim.moov_config(callback_secret="short"))
