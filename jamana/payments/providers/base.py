"""The one interface every payment provider adapter implements, and its results and errors.

An adapter is plain Python (no Django): its configuration is a frozen dataclass passed to its
constructor, so real credentials come from settings and tests point it at the simulator.

The usual mobile-money flow is ``initiate`` → the payer confirms on the phone → an
asynchronous callback, read with ``parse_callback`` → ``query``, which is what the caller
settles on (a callback says something happened; the status query says what the provider will
stand by). Every call that moves money carries the caller's idempotency key to the provider,
so a retry after a timeout never charges or refunds twice.

Errors: :class:`TransientProviderError` is worth retrying with the same idempotency key
(timeout, connection refused, HTTP 5xx/429); :class:`PermanentProviderError` is not (HTTP 4xx,
an answer we cannot read); :class:`ForgedCallback` means a callback failed authentication and
must be refused. Each carries a stable ``code`` for callers to branch on; the message is for
humans.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

__all__ = [
    "CallbackEvent",
    "ForgedCallback",
    "InitiateResult",
    "InvalidAmount",
    "PaymentProvider",
    "PaymentStatus",
    "PermanentProviderError",
    "ProviderError",
    "RefundResult",
    "StatementLine",
    "StatusResult",
    "TransientProviderError",
    "check_amount",
    "check_msisdn",
]


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self is not PaymentStatus.PENDING


@dataclass(frozen=True, kw_only=True)
class InitiateResult:
    provider_reference: str
    status: PaymentStatus
    #: An English msgid ("Confirm with your PIN on the USSD push"); the app translates it.
    payer_instructions: str


@dataclass(frozen=True, kw_only=True)
class StatusResult:
    provider_reference: str
    status: PaymentStatus
    amount_xof: int
    paid_at: dt.datetime | None
    #: A short stable code ("insufficient_funds", "expired"), empty unless failed or expired.
    failure_reason: str


@dataclass(frozen=True, kw_only=True)
class CallbackEvent:
    #: Unique per notification *content*: a duplicate delivery repeats the same id.
    event_id: str
    provider_reference: str
    status: PaymentStatus
    amount_xof: int
    occurred_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class RefundResult:
    refund_reference: str
    status: PaymentStatus


@dataclass(frozen=True, kw_only=True)
class StatementLine:
    #: The payment's reference for a payment line, the refund's reference for a refund line.
    provider_reference: str
    kind: str  # "payment" | "refund"
    amount_xof: int
    settled_at: dt.datetime
    fee_xof: int


class ProviderError(Exception):
    """Base of the adapters' errors; ``code`` is stable, the message is for humans."""

    def __init__(self, code: str, message: str = "", *, http_status: int | None = None) -> None:
        super().__init__(message or code)
        self.code = code
        self.http_status = http_status


class ForgedCallback(ProviderError):
    """A callback that fails authentication (bad or missing signature, wrong secret, unknown
    token, altered content). Refuse it; never act on its content."""

    def __init__(self, message: str = "callback failed authentication") -> None:
        super().__init__("forged_callback", message)


class TransientProviderError(ProviderError):
    """Worth retrying with the same idempotency key: timeout, connection refused, 5xx, 429."""


class PermanentProviderError(ProviderError):
    """Never worth retrying as is: the provider refused the request (4xx) or answered nonsense."""


class InvalidAmount(ValueError):
    """An amount that is not a positive whole number of XOF."""


class PaymentProvider(Protocol):
    code: str

    def initiate(
        self,
        *,
        merchant_reference: str,
        idempotency_key: str,
        amount_xof: int,
        payer_msisdn: str,
        callback_url: str,
        description: str,
    ) -> InitiateResult: ...

    def query(self, provider_reference: str) -> StatusResult: ...

    def refund(
        self, *, provider_reference: str, amount_xof: int, idempotency_key: str
    ) -> RefundResult: ...

    def parse_callback(self, *, headers: Mapping[str, str], body: bytes) -> CallbackEvent: ...

    def statement(self, day: dt.date) -> list[StatementLine]: ...


def check_amount(amount_xof: object) -> int:
    """The amount if it is a positive ``int`` (XOF has no minor unit); ``bool``, ``float``
    (even 500.0), ``Decimal`` and strings are refused rather than rounded.

    Raises:
        InvalidAmount: not a positive int.
    """
    if type(amount_xof) is not int:
        raise InvalidAmount(f"amount must be a whole number of XOF, got {amount_xof!r}")
    if amount_xof <= 0:
        raise InvalidAmount(f"amount must be positive, got {amount_xof}")
    return amount_xof


_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def check_msisdn(msisdn: str) -> str:
    """The number if it is E.164 (``+22370000001``); the app normalises numbers before this.

    Raises:
        ValueError: not E.164.
    """
    if not _E164.match(msisdn):
        raise ValueError(f"payer number must be E.164, got {msisdn!r}")
    return msisdn


def check_idempotency_key(key: str) -> str:
    """The key if it is 1-128 printable ASCII characters without spaces (it travels in headers).

    Raises:
        ValueError: empty, too long or with characters a header cannot carry.
    """
    if not 1 <= len(key) <= 128 or not all("!" <= c <= "~" for c in key):
        raise ValueError("idempotency key must be 1-128 printable ASCII characters")
    return key


def parse_amount(value: object) -> int:
    """An amount from a provider's JSON: an int, or a string of digits (some providers quote
    numbers). A fraction, a negative or anything else is refused.

    Raises:
        ValueError: not a whole, non-negative number of XOF.
    """
    if type(value) is int and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ValueError(f"not a whole number of XOF: {value!r}")


def parse_timestamp(value: object) -> dt.datetime:
    """A timezone-aware UTC datetime from ISO 8601 text (``Z`` or an offset required).

    Raises:
        ValueError: not ISO 8601, or naive (a provider's local time is ambiguous).
    """
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {value!r}")
    return parsed.astimezone(dt.UTC)


def format_timestamp(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the millisecond."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value, looked up case-insensitively (WSGI, http.server and tests differ);
    empty if absent, or if given twice with different values (which one would a proxy have
    checked?)."""
    wanted = name.lower()
    values = {value for key, value in headers.items() if key.lower() == wanted}
    return values.pop() if len(values) == 1 else ""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def read_callback(body: bytes, event: Callable[[Any], CallbackEvent]) -> CallbackEvent:
    """An authenticated callback's JSON body read by ``event``; an authentic body we cannot
    read is ``malformed_callback`` (permanent: retrying it will not help)."""
    try:
        return event(json.loads(body))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PermanentProviderError("malformed_callback", str(exc)) from None


def parse_statement(
    answer: Any, rows_key: str, line: Callable[[Any], StatementLine]
) -> list[StatementLine]:
    """A provider's statement: the list under ``rows_key``, each row read by ``line``. An
    answer of the wrong shape is a ``bad_response``, naming the faulty row."""
    rows = answer.get(rows_key) if isinstance(answer, dict) else None
    if not isinstance(rows, list):
        raise PermanentProviderError("bad_response", f"statement without {rows_key}")
    lines = []
    for index, row in enumerate(rows):
        try:
            lines.append(line(row))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PermanentProviderError(
                "bad_response", f"statement line {index}: {exc!r}"
            ) from None
    return lines
