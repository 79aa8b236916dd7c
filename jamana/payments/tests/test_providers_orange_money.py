"""Orange Money adapter against the simulator, over real loopback HTTP."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest

from jamana.payments.providers.base import (
    ForgedCallback,
    InvalidAmount,
    PaymentStatus,
    PermanentProviderError,
    TransientProviderError,
)
from jamana.payments.providers.orange_money import (
    InMemoryOrangeTransactionStore,
    OrangeMoneyProvider,
)
from jamana.payments.simulator import (
    Outcome,
    SimulatorBehaviour,
    SimulatorCredentials,
    orange_config,
    run_simulator,
)
from jamana.payments.simulator.testing import CallbackReceiver

CREDENTIALS = SimulatorCredentials(
    orange_client_id="tresor-ml",
    orange_client_secret="orange-test-client-secret",
    orange_merchant_key="orange-test-merchant",
)
CITIZEN = "+22370000001"


@pytest.fixture
def sim():
    with run_simulator(
        behaviour=SimulatorBehaviour(seed=11, fee_basis_points=150), credentials=CREDENTIALS
    ) as running:
        yield running


@pytest.fixture
def receiver():
    with CallbackReceiver() as running:
        yield running


@pytest.fixture
def store():
    return InMemoryOrangeTransactionStore()


@pytest.fixture
def orange(sim, store):
    return OrangeMoneyProvider(sim.orange_config(), store=store)


def _pay(orange, receiver, *, key="key-1", amount=5_000, reference="JAM-0001"):
    return orange.initiate(
        merchant_reference=reference,
        idempotency_key=key,
        amount_xof=amount,
        payer_msisdn=CITIZEN,
        callback_url=receiver.callback_url("orange"),
        description="Bulletin n°3",
    )


def test_payment_confirmed_on_the_phone_is_called_back_then_queried_as_succeeded(
    sim, receiver, orange
):
    started = _pay(orange, receiver)
    assert started.status is PaymentStatus.PENDING
    assert "PIN" in started.payer_instructions
    assert orange.query(started.provider_reference).status is PaymentStatus.PENDING

    sim.confirm(started.provider_reference)
    (callback,) = receiver.wait_for(1)
    event = orange.parse_callback(headers=callback.headers, body=callback.body)

    assert event.provider_reference == started.provider_reference
    assert event.status is PaymentStatus.SUCCEEDED
    assert event.amount_xof == 5_000
    status = orange.query(started.provider_reference)
    assert status.status is PaymentStatus.SUCCEEDED
    assert status.amount_xof == 5_000
    assert status.paid_at is not None and status.paid_at.tzinfo is not None
    assert status.failure_reason == ""


def test_notification_carries_the_public_webpay_fields(sim, receiver, orange):
    started = _pay(orange, receiver)
    sim.confirm(started.provider_reference)
    (callback,) = receiver.wait_for(1)
    payload = json.loads(callback.body)
    assert payload["status"] == "SUCCESS"
    assert payload["txnid"].startswith("MP")
    assert len(payload["notif_token"]) == 32


def test_retried_initiate_with_the_same_key_returns_the_same_payment(sim, receiver, orange):
    first = _pay(orange, receiver)
    again = _pay(orange, receiver)
    assert again == first
    assert len(sim.intents()) == 1


def test_same_key_for_another_amount_is_refused_permanently(receiver, orange):
    _pay(orange, receiver, amount=5_000)
    with pytest.raises(PermanentProviderError) as refused:
        _pay(orange, receiver, amount=6_000)
    assert refused.value.code == "http_409"


def test_callback_with_an_unknown_notif_token_is_forged(sim, receiver, orange):
    started = _pay(orange, receiver)
    sim.confirm(started.provider_reference)
    (callback,) = receiver.wait_for(1)
    payload = json.loads(callback.body)
    payload["notif_token"] = "0" * 32
    with pytest.raises(ForgedCallback):
        orange.parse_callback(headers={}, body=json.dumps(payload).encode())


def test_callback_replayed_with_an_altered_amount_is_forged(sim, receiver, orange):
    started = _pay(orange, receiver)
    sim.confirm(started.provider_reference)
    (callback,) = receiver.wait_for(1)
    payload = json.loads(callback.body)
    payload["amount"] = 500_000
    with pytest.raises(ForgedCallback):
        orange.parse_callback(headers=callback.headers, body=json.dumps(payload).encode())


def test_callback_naming_another_payment_is_forged(sim, receiver, orange):
    first = _pay(orange, receiver, key="key-1")
    _pay(orange, receiver, key="key-2", reference="JAM-0002")
    sim.confirm(first.provider_reference)
    (callback,) = receiver.wait_for(1)
    payload = json.loads(callback.body)
    payload["pay_token"] = "someone-elses-token"
    with pytest.raises(ForgedCallback):
        orange.parse_callback(headers={}, body=json.dumps(payload).encode())


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"status": "SUCCESS"}'])
def test_unreadable_callback_is_forged(orange, body):
    with pytest.raises(ForgedCallback):
        orange.parse_callback(headers={}, body=body)


def test_payer_without_funds_fails_with_the_reason(sim, receiver, orange):
    started = _pay(orange, receiver)
    sim.confirm(started.provider_reference, Outcome.INSUFFICIENT_FUNDS)
    (callback,) = receiver.wait_for(1)
    assert orange.parse_callback(headers={}, body=callback.body).status is PaymentStatus.FAILED
    status = orange.query(started.provider_reference)
    assert (status.status, status.failure_reason) == (PaymentStatus.FAILED, "insufficient_funds")
    assert status.paid_at is None


def test_unanswered_payment_expires(receiver, store):
    behaviour = SimulatorBehaviour(intent_ttl_seconds=0.2)
    with run_simulator(behaviour=behaviour, credentials=CREDENTIALS) as sim:
        orange = OrangeMoneyProvider(sim.orange_config(), store=store)
        started = _pay(orange, receiver)
        (callback,) = receiver.wait_for(1)
        assert orange.parse_callback(headers={}, body=callback.body).status is (
            PaymentStatus.EXPIRED
        )
        status = orange.query(started.provider_reference)
        assert (status.status, status.failure_reason) == (PaymentStatus.EXPIRED, "expired")


def test_refund_is_idempotent_and_the_statement_lists_payment_and_refund(sim, receiver, orange):
    started = _pay(orange, receiver, amount=10_000)
    sim.confirm(started.provider_reference)
    refund = orange.refund(
        provider_reference=started.provider_reference, amount_xof=10_000, idempotency_key="r-1"
    )
    again = orange.refund(
        provider_reference=started.provider_reference, amount_xof=10_000, idempotency_key="r-1"
    )
    assert refund == again
    assert refund.status is PaymentStatus.SUCCEEDED
    assert sim.intent(started.provider_reference)["refunded_xof"] == 10_000

    lines = orange.statement(dt.datetime.now(dt.UTC).date())
    assert [
        (line.kind, line.provider_reference, line.amount_xof, line.fee_xof) for line in lines
    ] == [
        ("payment", started.provider_reference, 10_000, 150),
        ("refund", refund.refund_reference, 10_000, 0),
    ]


def test_refund_beyond_the_payment_is_refused(sim, receiver, orange):
    started = _pay(orange, receiver, amount=1_000)
    sim.confirm(started.provider_reference)
    with pytest.raises(PermanentProviderError):
        orange.refund(
            provider_reference=started.provider_reference, amount_xof=1_001, idempotency_key="r"
        )


def test_revoked_access_token_is_renewed_once(sim, receiver, orange):
    started = _pay(orange, receiver)
    sim.revoke_tokens()
    assert orange.query(started.provider_reference).status is PaymentStatus.PENDING


def test_wrong_client_secret_is_permanent(sim, receiver, store):
    orange = OrangeMoneyProvider(sim.orange_config(client_secret="wrong"), store=store)
    with pytest.raises(PermanentProviderError) as refused:
        _pay(orange, receiver)
    assert refused.value.http_status == 401


def test_provider_unavailable_is_transient_and_the_retry_charges_once(sim, receiver, orange):
    sim.fail_next(prefix="/orange/orange-money-webpay", status=503)
    with pytest.raises(TransientProviderError) as failed:
        _pay(orange, receiver)
    assert failed.value.code == "http_503"
    _pay(orange, receiver)
    assert len(sim.intents()) == 1


def test_bad_request_is_permanent(sim, receiver, orange):
    sim.fail_next(prefix="/orange/orange-money-webpay", status=400)
    with pytest.raises(PermanentProviderError) as refused:
        _pay(orange, receiver)
    assert refused.value.code == "http_400"


def test_slow_provider_times_out_as_transient(sim, receiver, store):
    orange = OrangeMoneyProvider(sim.orange_config(timeout_seconds=0.2), store=store)
    sim.fail_next(prefix="/orange/orange-money-webpay", status=200, delay_seconds=0.6)
    with pytest.raises(TransientProviderError) as failed:
        _pay(orange, receiver)
    assert failed.value.code == "timeout"


def test_provider_down_is_transient(receiver, store):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = orange_config(f"http://127.0.0.1:{port}", CREDENTIALS)
    orange = OrangeMoneyProvider(config, store=store)
    with pytest.raises(TransientProviderError) as failed:
        _pay(orange, receiver)
    assert failed.value.code == "connection"


def test_query_from_another_adapter_instance_sharing_the_store(sim, receiver, store, orange):
    started = _pay(orange, receiver)
    sim.confirm(started.provider_reference)
    fresh = OrangeMoneyProvider(sim.orange_config(), store=store)
    assert fresh.query(started.provider_reference).status is PaymentStatus.SUCCEEDED


def test_query_of_a_payment_the_store_never_saw_is_permanent(sim, orange):
    with pytest.raises(PermanentProviderError) as refused:
        orange.query("never-initiated")
    assert refused.value.code == "unknown_reference"


@pytest.mark.parametrize("amount", [0, -100, 5000.0, True, "5000", None])
def test_amounts_must_be_positive_whole_xof(orange, amount):
    with pytest.raises(InvalidAmount):
        orange.initiate(
            merchant_reference="JAM-1",
            idempotency_key="k",
            amount_xof=amount,
            payer_msisdn=CITIZEN,
            callback_url="http://127.0.0.1:1/cb",
            description="",
        )


def test_plain_http_to_a_real_host_is_refused():
    from jamana.payments.providers.orange_money import OrangeMoneyConfig

    config = OrangeMoneyConfig(
        base_url="http://api.orange.com", client_id="a", client_secret="b", merchant_key="c"
    )
    with pytest.raises(ValueError, match="loopback"):
        OrangeMoneyProvider(config)
