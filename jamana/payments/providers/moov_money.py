"""Moov Money (Moov Africa, formerly Flooz), as a REST/JSON merchant-payment API with
HMAC-SHA256 signed callbacks.

Moov Africa publishes little: its partner sandbox (developer.moov-africa.com) authenticates
every call with HTTP Basic ``username:password``, takes the payer's number without ``+`` and
answers with a ``transactionId``; the older Moov Money gateways of Bénin and Togo are SOAP
services (``pushWithPendingTransaction``, ``getTransactionStatus``) whose push leaves the
payer a USSD prompt to approve with their PIN. We keep those conventions and *assume* the
rest, to be replaced by the contract Moov Africa Malitel signs with the Treasury:

``POST /v1/payments`` (``Idempotency-Key`` header)
    ``{"type": "merchantpayment", "msisdn", "amount", "currency", "externalRef",
    "description", "callbackUrl"}`` → ``202 {"transactionId", "status": "PENDING"}``
``GET /v1/payments/{transactionId}``
    → ``{"transactionId", "externalRef", "status", "amount", "completedAt", "reason"}``,
    ``status`` in ``PENDING, SUCCESS, FAILED, EXPIRED``
``POST /v1/payments/{transactionId}/refunds`` (``Idempotency-Key`` header)
    ``{"amount"}`` → ``{"refundId", "status"}``
``GET /v1/statements/{YYYY-MM-DD}``
    → ``{"entries": [{"reference", "type": "PAYMENT"|"REFUND", "amount", "fee",
    "settledAt"}]}``
callback, POSTed to ``callbackUrl``
    ``{"eventId", "transactionId", "externalRef", "status", "amount", "currency",
    "occurredAt"}`` with ``X-Moov-Timestamp: <unix seconds>`` and
    ``X-Moov-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``.
"""

from __future__ import annotations

import base64
import datetime as dt
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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
    check_msisdn,
    header,
    parse_amount,
    parse_statement,
    parse_timestamp,
    read_callback,
    utc_now,
)
from jamana.payments.providers.transport import JsonHttpClient

CODE = "moov_money"

PAYER_INSTRUCTIONS = "Confirm the payment with your Moov Money PIN on the USSD prompt."

SIGNATURE_HEADER = "X-Moov-Signature"
TIMESTAMP_HEADER = "X-Moov-Timestamp"

_STATUSES = {
    "PENDING": PaymentStatus.PENDING,
    "SUCCESS": PaymentStatus.SUCCEEDED,
    "FAILED": PaymentStatus.FAILED,
    "EXPIRED": PaymentStatus.EXPIRED,
}


@dataclass(frozen=True, kw_only=True)
class MoovMoneyConfig:
    base_url: str
    username: str
    password: str
    #: Shared with Moov to sign callbacks; at least 32 characters.
    callback_secret: str
    currency: str = "XOF"
    timeout_seconds: float = 15.0
    callback_tolerance: dt.timedelta = signing.DEFAULT_TOLERANCE


def callback_signing_input(timestamp: str, body: bytes) -> bytes:
    return timestamp.encode("ascii") + b"." + body


def sign_callback(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Moov-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    return "sha256=" + signing.sign_hex(secret, callback_signing_input(timestamp, body))


class MoovMoneyProvider:
    """The :class:`~jamana.payments.providers.base.PaymentProvider` for Moov Money."""

    code = CODE

    def __init__(
        self, config: MoovMoneyConfig, *, clock: Callable[[], dt.datetime] = utc_now
    ) -> None:
        if len(config.callback_secret) < 32:
            raise ValueError("the Moov Money callback secret must be at least 32 characters")
        self.config = config
        self._clock = clock
        self._http = JsonHttpClient(
            provider=CODE, base_url=config.base_url, timeout_seconds=config.timeout_seconds
        )
        basic = f"{config.username}:{config.password}".encode()
        self._auth = "Basic " + base64.b64encode(basic).decode("ascii")

    def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        headers = {"Authorization": self._auth}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return self._http.request(method, path, json_body=json_body, headers=headers).data

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
        check_amount(amount_xof)
        check_msisdn(payer_msisdn)
        check_idempotency_key(idempotency_key)
        answer = self._call(
            "POST",
            "/v1/payments",
            json_body={
                "type": "merchantpayment",
                "msisdn": payer_msisdn.removeprefix("+"),
                "amount": amount_xof,
                "currency": self.config.currency,
                "externalRef": merchant_reference,
                "description": description[:100],
                "callbackUrl": callback_url,
            },
            idempotency_key=idempotency_key,
        )
        return InitiateResult(
            provider_reference=_text(answer, "transactionId"),
            status=_status(answer),
            payer_instructions=PAYER_INSTRUCTIONS,
        )

    def query(self, provider_reference: str) -> StatusResult:
        answer = self._call("GET", f"/v1/payments/{_path_segment(provider_reference)}")
        status = _status(answer)
        try:
            amount = parse_amount(answer.get("amount"))
            paid_at = (
                parse_timestamp(answer.get("completedAt"))
                if status is PaymentStatus.SUCCEEDED
                else None
            )
        except ValueError as exc:
            raise PermanentProviderError("bad_response", f"status answer: {exc}") from None
        reason = ""
        if status is PaymentStatus.FAILED:
            reason = str(answer.get("reason") or "failed")
        elif status is PaymentStatus.EXPIRED:
            reason = "expired"
        return StatusResult(
            provider_reference=_text(answer, "transactionId"),
            status=status,
            amount_xof=amount,
            paid_at=paid_at,
            failure_reason=reason,
        )

    def refund(
        self, *, provider_reference: str, amount_xof: int, idempotency_key: str
    ) -> RefundResult:
        check_amount(amount_xof)
        check_idempotency_key(idempotency_key)
        answer = self._call(
            "POST",
            f"/v1/payments/{_path_segment(provider_reference)}/refunds",
            json_body={"amount": amount_xof},
            idempotency_key=idempotency_key,
        )
        return RefundResult(refund_reference=_text(answer, "refundId"), status=_status(answer))

    def parse_callback(self, *, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Check the signature over the raw body and its timestamp, then read the event.

        Raises:
            ForgedCallback: missing, stale or wrong signature.
            PermanentProviderError: signed by Moov but not an event we can read.
        """
        timestamp = header(headers, TIMESTAMP_HEADER)
        signing.check_timestamp(
            timestamp, now=self._clock(), tolerance=self.config.callback_tolerance
        )
        expected = sign_callback(self.config.callback_secret, timestamp, body)
        if not signing.same(expected, header(headers, SIGNATURE_HEADER)):
            raise ForgedCallback("bad Moov Money callback signature")
        return read_callback(
            body,
            lambda p: CallbackEvent(
                event_id=f"{CODE}:{p['eventId']}",
                provider_reference=str(p["transactionId"]),
                status=_status(p),
                amount_xof=parse_amount(p["amount"]),
                occurred_at=parse_timestamp(p["occurredAt"]),
            ),
        )

    def statement(self, day: dt.date) -> list[StatementLine]:
        return parse_statement(
            self._call("GET", f"/v1/statements/{day.isoformat()}"),
            "entries",
            lambda row: StatementLine(
                provider_reference=str(row["reference"]),
                kind={"PAYMENT": "payment", "REFUND": "refund"}[row["type"]],
                amount_xof=parse_amount(row["amount"]),
                settled_at=parse_timestamp(row["settledAt"]),
                fee_xof=parse_amount(row.get("fee", 0)),
            ),
        )


def _path_segment(reference: str) -> str:
    return urllib.parse.quote(reference, safe="")


def _text(answer: Any, key: str) -> str:
    value = answer.get(key) if isinstance(answer, dict) else None
    if not isinstance(value, str) or not value:
        raise PermanentProviderError("bad_response", f"Moov Money answer without {key}")
    return value


def _status(answer: Any) -> PaymentStatus:
    raw = answer.get("status") if isinstance(answer, dict) else None
    if not isinstance(raw, str) or raw not in _STATUSES:
        raise PermanentProviderError("bad_response", f"unknown Moov Money status {raw!r}")
    return _STATUSES[raw]
