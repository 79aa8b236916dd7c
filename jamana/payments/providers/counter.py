"""Cash at the counter: an agent takes the money and records it against a printed receipt.

There is no remote provider. ``initiate`` opens a pending intent in the :class:`CashBook`;
:meth:`CounterProvider.record_cash_receipt`, called by the app when an agent records a
receipt, is the "provider confirmation": it writes the receipt to the book and returns a
signed :class:`SignedCallback` that the app feeds to the same callback handling as the
mobile-money providers (``parse_callback`` → ``query``), so a counter payment is settled by
exactly the code that settles the others. Refunds are paid out in cash too: ``refund``
records that money is owed (pending), :meth:`CounterProvider.record_refund_payout` that an
agent handed it over.

The book is the counter's "provider state". The default keeps it in memory for the process;
production passes a durable one (see ``docs/payments/providers.md``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import ClassVar, Protocol

from jamana.payments.providers import signing
from jamana.payments.providers.base import (
    CallbackEvent,
    ForgedCallback,
    InitiateResult,
    PaymentStatus,
    PermanentProviderError,
    RefundResult,
    StatementLine,
    StatusResult,
    check_amount,
    check_idempotency_key,
    format_timestamp,
    header,
    parse_amount,
    parse_timestamp,
    read_callback,
    utc_now,
)

CODE = "counter"

PAYER_INSTRUCTIONS = "Pay in cash at a Jamana counter and keep your receipt."

SIGNATURE_HEADER = "X-Jamana-Counter-Signature"
TIMESTAMP_HEADER = "X-Jamana-Counter-Timestamp"


@dataclass(frozen=True, kw_only=True)
class CounterConfig:
    #: Signs the receipts handed to ``parse_callback``; at least 32 characters.
    callback_secret: str
    reference_prefix: str = "CTR"
    #: Receipt callbacks are ours and may wait in a queue: a day, not minutes.
    callback_tolerance: dt.timedelta = dt.timedelta(days=1)


@dataclass(frozen=True, kw_only=True)
class CashIntent:
    reference: str
    merchant_reference: str
    amount_xof: int


@dataclass(frozen=True, kw_only=True)
class CashReceipt:
    reference: str
    receipt_number: str
    amount_xof: int
    agent: str
    received_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class CashRefund:
    refund_reference: str
    reference: str
    amount_xof: int
    requested_at: dt.datetime
    paid_out_at: dt.datetime | None = None
    paid_out_by: str = ""


@dataclass(frozen=True)
class SignedCallback:
    headers: Mapping[str, str]
    body: bytes


class CashBook(Protocol):
    """The counter's records. Each ``add_*`` is atomic and returns the record already stored
    under the same key, if any, so the caller can tell a retry from a conflict."""

    def add_intent(self, intent: CashIntent) -> CashIntent: ...

    def intent(self, reference: str) -> CashIntent | None: ...

    def add_receipt(self, receipt: CashReceipt) -> CashReceipt: ...

    def receipt(self, reference: str) -> CashReceipt | None: ...

    def add_refund(self, refund: CashRefund, *, limit_xof: int) -> CashRefund | None:
        """Store ``refund`` unless refunds of its reference would then exceed ``limit_xof``
        (``None``); a refund already stored under its ``refund_reference`` is returned."""
        ...

    def pay_out_refund(
        self, refund_reference: str, *, agent: str, paid_out_at: dt.datetime
    ) -> CashRefund | None: ...

    def day(self, day: dt.date) -> tuple[list[CashReceipt], list[CashRefund]]:
        """Receipts taken and refunds paid out on ``day`` (UTC)."""
        ...


class InMemoryCashBook:
    """A thread-safe book for one process; :meth:`shared` is the process-wide default."""

    _shared: ClassVar[InMemoryCashBook | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._intents: dict[str, CashIntent] = {}
        self._receipts: dict[str, CashReceipt] = {}
        self._refunds: dict[str, CashRefund] = {}

    @classmethod
    def shared(cls) -> InMemoryCashBook:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def add_intent(self, intent: CashIntent) -> CashIntent:
        with self._lock:
            return self._intents.setdefault(intent.reference, intent)

    def intent(self, reference: str) -> CashIntent | None:
        with self._lock:
            return self._intents.get(reference)

    def add_receipt(self, receipt: CashReceipt) -> CashReceipt:
        with self._lock:
            return self._receipts.setdefault(receipt.reference, receipt)

    def receipt(self, reference: str) -> CashReceipt | None:
        with self._lock:
            return self._receipts.get(reference)

    def add_refund(self, refund: CashRefund, *, limit_xof: int) -> CashRefund | None:
        with self._lock:
            if refund.refund_reference in self._refunds:
                return self._refunds[refund.refund_reference]
            already = sum(
                r.amount_xof for r in self._refunds.values() if r.reference == refund.reference
            )
            if already + refund.amount_xof > limit_xof:
                return None
            self._refunds[refund.refund_reference] = refund
            return refund

    def pay_out_refund(
        self, refund_reference: str, *, agent: str, paid_out_at: dt.datetime
    ) -> CashRefund | None:
        with self._lock:
            refund = self._refunds.get(refund_reference)
            if refund is not None and refund.paid_out_at is None:
                refund = replace(refund, paid_out_at=paid_out_at, paid_out_by=agent)
                self._refunds[refund_reference] = refund
            return refund

    def day(self, day: dt.date) -> tuple[list[CashReceipt], list[CashRefund]]:
        with self._lock:
            receipts = [r for r in self._receipts.values() if r.received_at.date() == day]
            refunds = [
                r
                for r in self._refunds.values()
                if r.paid_out_at is not None and r.paid_out_at.date() == day
            ]
        return receipts, refunds


def sign_callback(secret: str, timestamp: str, body: bytes) -> str:
    return signing.sign_hex(secret, timestamp.encode("ascii") + b"." + body)


class CounterProvider:
    """The :class:`~jamana.payments.providers.base.PaymentProvider` for cash at the counter."""

    code = CODE

    def __init__(
        self,
        config: CounterConfig,
        *,
        book: CashBook | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        if len(config.callback_secret) < 32:
            raise ValueError("the counter callback secret must be at least 32 characters")
        self.config = config
        self.book: CashBook = book or InMemoryCashBook.shared()
        self._clock = clock

    def _derived(self, label: str, key: str) -> str:
        return hashlib.sha256(f"{label}\n{key}".encode()).hexdigest()[:16].upper()

    def initiate(
        self,
        *,
        merchant_reference: str,
        idempotency_key: str,
        amount_xof: int,
        payer_msisdn: str,
        callback_url: str,
        description: str,
    ) -> InitiateResult:
        """Open a pending intent; the reference derives from the idempotency key, so a retry
        finds the same one. ``payer_msisdn``, ``callback_url`` and ``description`` are unused:
        the payer is at the counter.

        Raises:
            PermanentProviderError: ``idempotency_key_reused`` for a different payment.
        """
        check_amount(amount_xof)
        check_idempotency_key(idempotency_key)
        wanted = CashIntent(
            reference=f"{self.config.reference_prefix}-{self._derived('intent', idempotency_key)}",
            merchant_reference=merchant_reference,
            amount_xof=amount_xof,
        )
        if self.book.add_intent(wanted) != wanted:
            raise PermanentProviderError(
                "idempotency_key_reused", "this key already opened another cash payment"
            )
        return InitiateResult(
            provider_reference=wanted.reference,
            status=PaymentStatus.PENDING,
            payer_instructions=PAYER_INSTRUCTIONS,
        )

    def record_cash_receipt(
        self,
        *,
        provider_reference: str,
        amount_xof: int,
        receipt_number: str,
        agent: str,
        received_at: dt.datetime | None = None,
    ) -> SignedCallback:
        """Record that ``agent`` took ``amount_xof`` in cash against ``receipt_number`` and
        return the callback to hand to ``parse_callback``. Recording the same receipt again
        returns the same callback (a double click is harmless).

        Raises:
            PermanentProviderError: ``unknown_reference``; ``amount_mismatch`` (the counter
                takes exactly what is owed); ``already_paid`` under another receipt.
        """
        check_amount(amount_xof)
        intent = self.book.intent(provider_reference)
        if intent is None:
            raise PermanentProviderError("unknown_reference", "no such cash payment")
        if amount_xof != intent.amount_xof:
            raise PermanentProviderError(
                "amount_mismatch", f"{intent.amount_xof} XOF is owed, not {amount_xof}"
            )
        wanted = CashReceipt(
            reference=provider_reference,
            receipt_number=receipt_number,
            amount_xof=amount_xof,
            agent=agent,
            received_at=(received_at or self._clock()).astimezone(dt.UTC),
        )
        stored = self.book.add_receipt(wanted)
        if stored.receipt_number != receipt_number:
            raise PermanentProviderError(
                "already_paid", f"already paid under receipt {stored.receipt_number}"
            )
        body = json.dumps(
            {
                "eventId": stored.receipt_number,
                "reference": stored.reference,
                "status": "SUCCEEDED",
                "amount": stored.amount_xof,
                "agent": stored.agent,
                "receivedAt": format_timestamp(stored.received_at),
            },
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(self._clock().timestamp()))
        return SignedCallback(
            headers={
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign_callback(self.config.callback_secret, timestamp, body),
            },
            body=body,
        )

    def parse_callback(self, *, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Read a receipt callback made by :meth:`record_cash_receipt`.

        Raises:
            ForgedCallback: missing, stale or wrong signature.
            PermanentProviderError: signed but unreadable.
        """
        timestamp = header(headers, TIMESTAMP_HEADER)
        signing.check_timestamp(
            timestamp, now=self._clock(), tolerance=self.config.callback_tolerance
        )
        expected = sign_callback(self.config.callback_secret, timestamp, body)
        if not signing.same(expected, header(headers, SIGNATURE_HEADER)):
            raise ForgedCallback("bad counter receipt signature")
        return read_callback(
            body,
            lambda p: CallbackEvent(
                event_id=f"{CODE}:{p['eventId']}",
                provider_reference=str(p["reference"]),
                status=PaymentStatus(p["status"].lower()),
                amount_xof=parse_amount(p["amount"]),
                occurred_at=parse_timestamp(p["receivedAt"]),
            ),
        )

    def query(self, provider_reference: str) -> StatusResult:
        intent = self.book.intent(provider_reference)
        if intent is None:
            raise PermanentProviderError("unknown_reference", "no such cash payment")
        receipt = self.book.receipt(provider_reference)
        if receipt is None:
            return StatusResult(
                provider_reference=provider_reference,
                status=PaymentStatus.PENDING,
                amount_xof=intent.amount_xof,
                paid_at=None,
                failure_reason="",
            )
        return StatusResult(
            provider_reference=provider_reference,
            status=PaymentStatus.SUCCEEDED,
            amount_xof=receipt.amount_xof,
            paid_at=receipt.received_at,
            failure_reason="",
        )

    def refund(
        self, *, provider_reference: str, amount_xof: int, idempotency_key: str
    ) -> RefundResult:
        """Record that ``amount_xof`` is owed back in cash (pending until paid out).

        Raises:
            PermanentProviderError: ``not_paid``; ``refund_exceeds_payment``;
                ``idempotency_key_reused`` for a different refund.
        """
        check_amount(amount_xof)
        check_idempotency_key(idempotency_key)
        receipt = self.book.receipt(provider_reference)
        if receipt is None:
            raise PermanentProviderError("not_paid", "nothing was paid in cash for this")
        wanted = CashRefund(
            refund_reference=f"{provider_reference}-R{self._derived('refund', idempotency_key)}",
            reference=provider_reference,
            amount_xof=amount_xof,
            requested_at=self._clock(),
        )
        stored = self.book.add_refund(wanted, limit_xof=receipt.amount_xof)
        if stored is None:
            raise PermanentProviderError(
                "refund_exceeds_payment", "refunds would exceed what was paid"
            )
        if (stored.reference, stored.amount_xof) != (wanted.reference, wanted.amount_xof):
            raise PermanentProviderError(
                "idempotency_key_reused", "this key already recorded another refund"
            )
        return RefundResult(
            refund_reference=stored.refund_reference,
            status=PaymentStatus.SUCCEEDED if stored.paid_out_at else PaymentStatus.PENDING,
        )

    def record_refund_payout(
        self, *, refund_reference: str, agent: str, paid_out_at: dt.datetime | None = None
    ) -> RefundResult:
        """Record that ``agent`` handed the refund over; doing it twice changes nothing.

        Raises:
            PermanentProviderError: ``unknown_reference``.
        """
        refund = self.book.pay_out_refund(
            refund_reference,
            agent=agent,
            paid_out_at=(paid_out_at or self._clock()).astimezone(dt.UTC),
        )
        if refund is None:
            raise PermanentProviderError("unknown_reference", "no such cash refund")
        return RefundResult(refund_reference=refund_reference, status=PaymentStatus.SUCCEEDED)

    def statement(self, day: dt.date) -> list[StatementLine]:
        receipts, refunds = self.book.day(day)
        lines = [
            StatementLine(
                provider_reference=r.reference,
                kind="payment",
                amount_xof=r.amount_xof,
                settled_at=r.received_at,
                fee_xof=0,
            )
            for r in receipts
        ]
        lines += [
            StatementLine(
                provider_reference=r.refund_reference,
                kind="refund",
                amount_xof=r.amount_xof,
                settled_at=r.paid_out_at,
                fee_xof=0,
            )
            for r in refunds
            if r.paid_out_at is not None
        ]
        return sorted(lines, key=lambda line: line.settled_at)
