"""Cash at the counter: no HTTP; the agent's receipt is the provider's confirmation."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jamana.payments.providers import counter as counter_module
from jamana.payments.providers.base import (
    ForgedCallback,
    InvalidAmount,
    PaymentStatus,
    PermanentProviderError,
)
from jamana.payments.providers.counter import CounterConfig, CounterProvider, InMemoryCashBook

SECRET = "counter-test-secret-0123456789abcdef"
NOW = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC)
AGENT = "agent:bamako-commune-3:0042"


@pytest.fixture
def counter():
    return CounterProvider(
        CounterConfig(callback_secret=SECRET), book=InMemoryCashBook(), clock=lambda: NOW
    )


def _open(counter, *, key="key-1", amount=3_000):
    return counter.initiate(
        merchant_reference="JAM-0009",
        idempotency_key=key,
        amount_xof=amount,
        payer_msisdn="+22370000009",
        callback_url="",
        description="TDRL",
    )


def test_cash_receipt_settles_the_payment_through_the_callback_path(counter):
    started = _open(counter)
    assert started.status is PaymentStatus.PENDING
    assert "counter" in started.payer_instructions
    assert counter.query(started.provider_reference).status is PaymentStatus.PENDING

    callback = counter.record_cash_receipt(
        provider_reference=started.provider_reference,
        amount_xof=3_000,
        receipt_number="Q-2025-000123",
        agent=AGENT,
    )
    event = counter.parse_callback(headers=callback.headers, body=callback.body)

    assert (event.provider_reference, event.status, event.amount_xof, event.occurred_at) == (
        started.provider_reference,
        PaymentStatus.SUCCEEDED,
        3_000,
        NOW,
    )
    status = counter.query(started.provider_reference)
    assert (status.status, status.amount_xof, status.paid_at) == (
        PaymentStatus.SUCCEEDED,
        3_000,
        NOW,
    )


def test_retried_initiate_finds_the_same_intent(counter):
    assert _open(counter) == _open(counter)
    with pytest.raises(PermanentProviderError) as refused:
        _open(counter, amount=4_000)
    assert refused.value.code == "idempotency_key_reused"


def test_recording_the_same_receipt_twice_is_harmless(counter):
    started = _open(counter)
    first = counter.record_cash_receipt(
        provider_reference=started.provider_reference,
        amount_xof=3_000,
        receipt_number="Q-1",
        agent=AGENT,
    )
    again = counter.record_cash_receipt(
        provider_reference=started.provider_reference,
        amount_xof=3_000,
        receipt_number="Q-1",
        agent=AGENT,
    )
    assert first == again


def test_a_second_receipt_for_a_paid_intent_is_refused(counter):
    started = _open(counter)
    counter.record_cash_receipt(
        provider_reference=started.provider_reference,
        amount_xof=3_000,
        receipt_number="Q-1",
        agent=AGENT,
    )
    with pytest.raises(PermanentProviderError) as refused:
        counter.record_cash_receipt(
            provider_reference=started.provider_reference,
            amount_xof=3_000,
            receipt_number="Q-2",
            agent=AGENT,
        )
    assert refused.value.code == "already_paid"


def test_the_counter_takes_exactly_what_is_owed(counter):
    started = _open(counter)
    with pytest.raises(PermanentProviderError) as refused:
        counter.record_cash_receipt(
            provider_reference=started.provider_reference,
            amount_xof=2_000,
            receipt_number="Q-1",
            agent=AGENT,
        )
    assert refused.value.code == "amount_mismatch"


def test_altered_or_missigned_receipts_are_forged(counter):
    started = _open(counter)
    callback = counter.record_cash_receipt(
        provider_reference=started.provider_reference,
        amount_xof=3_000,
        receipt_number="Q-1",
        agent=AGENT,
    )
    payload = json.loads(callback.body)
    payload["amount"] = 30_000
    with pytest.raises(ForgedCallback):
        counter.parse_callback(headers=callback.headers, body=json.dumps(payload).encode())

    other = CounterProvider(CounterConfig(callback_secret="x" * 40), book=counter.book)
    with pytest.raises(ForgedCallback):
        other.parse_callback(headers=callback.headers, body=callback.body)
    with pytest.raises(ForgedCallback):
        counter.parse_callback(headers={}, body=callback.body)


def test_refund_is_owed_until_an_agent_pays_it_out_then_on_the_statement(counter):
    started = _open(counter)
    counter.record_cash_receipt(
        provider_reference=started.provider_reference,
        amount_xof=3_000,
        receipt_number="Q-1",
        agent=AGENT,
    )
    refund = counter.refund(
        provider_reference=started.provider_reference, amount_xof=3_000, idempotency_key="r-1"
    )
    assert refund.status is PaymentStatus.PENDING
    assert [line.kind for line in counter.statement(NOW.date())] == ["payment"]

    paid = counter.record_refund_payout(refund_reference=refund.refund_reference, agent=AGENT)

    assert paid.status is PaymentStatus.SUCCEEDED
    assert (
        counter.refund(
            provider_reference=started.provider_reference, amount_xof=3_000, idempotency_key="r-1"
        )
        == paid
    )
    lines = counter.statement(NOW.date())
    assert [(line.kind, line.provider_reference, line.amount_xof) for line in lines] == [
        ("payment", started.provider_reference, 3_000),
        ("refund", refund.refund_reference, 3_000),
    ]


def test_refund_of_what_was_not_paid_or_beyond_it_is_refused(counter):
    started = _open(counter)
    with pytest.raises(PermanentProviderError) as refused:
        counter.refund(
            provider_reference=started.provider_reference, amount_xof=100, idempotency_key="r"
        )
    assert refused.value.code == "not_paid"
    counter.record_cash_receipt(
        provider_reference=started.provider_reference,
        amount_xof=3_000,
        receipt_number="Q-1",
        agent=AGENT,
    )
    counter.refund(
        provider_reference=started.provider_reference, amount_xof=2_000, idempotency_key="r-1"
    )
    with pytest.raises(PermanentProviderError) as refused:
        counter.refund(
            provider_reference=started.provider_reference, amount_xof=1_001, idempotency_key="r-2"
        )
    assert refused.value.code == "refund_exceeds_payment"


@pytest.mark.parametrize("amount", [0, -3_000, 3_000.0, "3000"])
def test_amounts_must_be_positive_whole_xof(counter, amount):
    with pytest.raises(InvalidAmount):
        _open(counter, amount=amount)


def test_default_book_is_shared_by_adapters_of_one_process():
    config = CounterConfig(callback_secret=SECRET)
    started = _open(CounterProvider(config), key="shared-book-key")
    assert CounterProvider(config).query(started.provider_reference).status is (
        PaymentStatus.PENDING
    )
    assert counter_module.InMemoryCashBook.shared() is counter_module.InMemoryCashBook.shared()
