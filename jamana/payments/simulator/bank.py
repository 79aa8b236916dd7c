"""The simulator's books: payer wallets, payment intents, refunds, statements. Protocol-neutral:
each simulated API (``orange``, ``moov``, ``pispi``) translates to and from these records.

One lock guards everything; every method is short and never does I/O under it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from jamana.payments.providers.base import PaymentStatus
from jamana.payments.providers.transport import is_loopback_host
from jamana.payments.simulator.behaviour import Outcome, SimulatorBehaviour

_REASONS = {
    Outcome.FAILURE: "declined",
    Outcome.INSUFFICIENT_FUNDS: "insufficient_funds",
    Outcome.EXPIRED: "expired",
}


class SimError(Exception):
    """A request the simulated provider refuses: ``http_status`` and a stable ``code``."""

    def __init__(self, http_status: int, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.http_status = http_status
        self.code = code


@dataclass
class Refund:
    reference: str
    payment_reference: str
    amount_xof: int
    idempotency_key: str
    created_at: dt.datetime


@dataclass
class Intent:
    provider: str
    reference: str
    idempotency_key: str
    merchant_reference: str
    amount_xof: int
    payer_msisdn: str
    callback_url: str
    description: str
    created_at: dt.datetime
    expires_after_seconds: float
    #: Values a protocol needs again (Orange's notif_token, PI-SPI's message id…).
    extra: dict[str, str]
    #: Drawn at creation, from (seed, provider, key): whether the payer fails, whether the
    #: callbacks get lost.
    fails: bool
    callbacks_lost: bool
    status: PaymentStatus = PaymentStatus.PENDING
    failure_reason: str = ""
    final_at: dt.datetime | None = None
    #: time.monotonic() from which queries see the final status (callback_before_status).
    visible_from: float = 0.0
    fee_xof: int = 0
    refunds: list[Refund] = field(default_factory=list)

    @property
    def refunded_xof(self) -> int:
        return sum(r.amount_xof for r in self.refunds)


@dataclass(frozen=True)
class View:
    """An intent as the status query sees it now."""

    status: PaymentStatus
    failure_reason: str
    final_at: dt.datetime | None


@dataclass(frozen=True)
class Line:
    reference: str
    kind: str  # "payment" | "refund"
    amount_xof: int
    fee_xof: int
    settled_at: dt.datetime


class Bank:
    def __init__(self, behaviour: SimulatorBehaviour, *, clock: Callable[[], dt.datetime]) -> None:
        self.behaviour = behaviour
        self.clock = clock
        self._lock = threading.Lock()
        self._seed = str(behaviour.seed).encode()
        self._intents: dict[str, Intent] = {}
        self._by_key: dict[tuple[str, str], str] = {}
        self._balances: dict[str, int] = dict(behaviour.balances)

    def derive(self, label: str, provider: str, key: str, *, length: int = 20) -> str:
        """A deterministic identifier for (seed, label, provider, key), lower-case hex."""
        digest = hmac.new(self._seed, f"{label}|{provider}|{key}".encode(), hashlib.sha256)
        return digest.hexdigest()[:length]

    def create(
        self,
        provider: str,
        *,
        reference: str,
        idempotency_key: str,
        merchant_reference: str,
        amount_xof: int,
        payer_msisdn: str,
        callback_url: str,
        description: str,
        expires_after_seconds: float | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[Intent, bool]:
        """The intent for this idempotency key, and whether it was created now.

        Raises:
            SimError: 400 for a bad amount or a callback off loopback, 409 when the key
                was used for a different request.
        """
        if type(amount_xof) is not int or amount_xof <= 0:
            raise SimError(400, "invalid_amount", "amount must be a positive integer")
        host = urllib.parse.urlsplit(callback_url).hostname or ""
        if not callback_url.startswith(("http://", "https://")) or not is_loopback_host(host):
            raise SimError(400, "callback_url_not_loopback", "the simulator calls loopback only")
        if not idempotency_key:
            raise SimError(400, "idempotency_key_required")
        ttl = self.behaviour.intent_ttl_seconds
        if expires_after_seconds is not None:
            ttl = max(0.0, min(ttl, expires_after_seconds))
        with self._lock:
            existing = self._by_key.get((provider, idempotency_key))
            if existing is not None:
                intent = self._intents[existing]
                if (intent.merchant_reference, intent.amount_xof, intent.payer_msisdn) != (
                    merchant_reference,
                    amount_xof,
                    payer_msisdn,
                ):
                    raise SimError(409, "idempotency_key_reused", "key used for another payment")
                return intent, False
            rng = random.Random(f"{self.behaviour.seed}|{provider}|{idempotency_key}")  # noqa: S311 (simulation, not security)
            intent = Intent(
                provider=provider,
                reference=reference,
                idempotency_key=idempotency_key,
                merchant_reference=merchant_reference,
                amount_xof=amount_xof,
                payer_msisdn=payer_msisdn,
                callback_url=callback_url,
                description=description,
                created_at=self.clock(),
                expires_after_seconds=ttl,
                extra=dict(extra or {}),
                fails=rng.random() < self.behaviour.failure_rate,
                callbacks_lost=rng.random() < self.behaviour.lost_callback_rate,
            )
            self._intents[reference] = intent
            self._by_key[(provider, idempotency_key)] = reference
            return intent, True

    def get(self, provider: str, reference: str) -> Intent:
        """Raises SimError 404 if ``provider`` has no intent ``reference``."""
        with self._lock:
            intent = self._intents.get(reference)
        if intent is None or intent.provider != provider:
            raise SimError(404, "unknown_reference", f"no payment {reference!r}")
        return intent

    def find(self, reference: str) -> Intent | None:
        with self._lock:
            return self._intents.get(reference)

    def all(self) -> list[Intent]:
        with self._lock:
            return sorted(self._intents.values(), key=lambda i: i.created_at)

    def view(self, intent: Intent) -> View:
        with self._lock:
            if intent.status is not PaymentStatus.PENDING and time.monotonic() >= (
                intent.visible_from
            ):
                return View(intent.status, intent.failure_reason, intent.final_at)
            return View(PaymentStatus.PENDING, "", None)

    def finalize(self, reference: str, outcome: Outcome) -> Intent:
        """Apply what the payer did. A success debits their wallet (or fails for
        insufficient funds) and credits the merchant less the fee.

        Raises:
            SimError: 404 unknown, 409 if the intent is already final.
        """
        with self._lock:
            intent = self._intents.get(reference)
            if intent is None:
                raise SimError(404, "unknown_reference")
            if intent.status is not PaymentStatus.PENDING:
                raise SimError(409, "already_final", f"payment is {intent.status}")
            if outcome is Outcome.SUCCESS:
                balance = self._balances.get(
                    intent.payer_msisdn, self.behaviour.default_balance_xof
                )
                if balance < intent.amount_xof:
                    outcome = Outcome.INSUFFICIENT_FUNDS
                else:
                    self._balances[intent.payer_msisdn] = balance - intent.amount_xof
            if outcome is Outcome.SUCCESS:
                intent.status = PaymentStatus.SUCCEEDED
                intent.fee_xof = intent.amount_xof * self.behaviour.fee_basis_points // 10_000
            elif outcome is Outcome.EXPIRED:
                intent.status = PaymentStatus.EXPIRED
            else:
                intent.status = PaymentStatus.FAILED
            intent.failure_reason = _REASONS.get(outcome, "")
            intent.final_at = self.clock()
            lag = self.behaviour.status_lag_seconds if self.behaviour.callback_before_status else 0
            intent.visible_from = time.monotonic() + lag
            return intent

    def refund(
        self, provider: str, reference: str, *, amount_xof: int, idempotency_key: str
    ) -> Refund:
        """Refund part or all of a settled payment to the payer's wallet, once per key.

        Raises:
            SimError: 400 bad amount or beyond what is left, 404 unknown payment, 409 not
                settled or key reused for another refund.
        """
        if type(amount_xof) is not int or amount_xof <= 0:
            raise SimError(400, "invalid_amount", "amount must be a positive integer")
        if not idempotency_key:
            raise SimError(400, "idempotency_key_required")
        intent = self.get(provider, reference)
        with self._lock:
            for refund in intent.refunds:
                if refund.idempotency_key == idempotency_key:
                    if refund.amount_xof != amount_xof:
                        raise SimError(409, "idempotency_key_reused", "key used for another refund")
                    return refund
            if intent.status is not PaymentStatus.SUCCEEDED:
                raise SimError(409, "not_refundable", f"payment is {intent.status}")
            if intent.refunded_xof + amount_xof > intent.amount_xof:
                raise SimError(400, "refund_exceeds_payment", "more than what was paid")
            refund = Refund(
                reference=f"{reference}-R{len(intent.refunds) + 1}",
                payment_reference=reference,
                amount_xof=amount_xof,
                idempotency_key=idempotency_key,
                created_at=self.clock(),
            )
            intent.refunds.append(refund)
            balance = self._balances.get(intent.payer_msisdn, self.behaviour.default_balance_xof)
            self._balances[intent.payer_msisdn] = balance + amount_xof
            return refund

    def balance(self, msisdn: str) -> int:
        with self._lock:
            return self._balances.get(msisdn, self.behaviour.default_balance_xof)

    def statement(self, provider: str, day: dt.date) -> list[Line]:
        """Settled payments and refunds of ``provider`` on ``day`` (UTC), in time order."""
        lines = []
        with self._lock:
            for intent in self._intents.values():
                if intent.provider != provider:
                    continue
                if (
                    intent.status is PaymentStatus.SUCCEEDED
                    and intent.final_at is not None
                    and intent.final_at.astimezone(dt.UTC).date() == day
                ):
                    lines.append(
                        Line(
                            intent.reference,
                            "payment",
                            intent.amount_xof,
                            intent.fee_xof,
                            intent.final_at,
                        )
                    )
                lines += [
                    Line(r.reference, "refund", r.amount_xof, 0, r.created_at)
                    for r in intent.refunds
                    if r.created_at.astimezone(dt.UTC).date() == day
                ]
        return sorted(lines, key=lambda line: line.settled_at)
