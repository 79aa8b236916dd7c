"""PI-SPI, BCEAO's interoperable instant payment platform: request-to-pay (RTP) and QR.

MODELLED, NOT THE OFFICIAL INTERFACE. What BCEAO has published is the service: instant,
irrevocable payments 24/7 between banks, microfinance institutions and e-money issuers of the
eight UEMOA countries, payer and payee found by an *alias* (a phone number or payment
address), one QR code accepting every participant, and request-to-pay. Its technical
specification goes to participants only, and a merchant such as the Treasury reaches PI-SPI
through its participant (its bank). We therefore model that participant's API on the
ISO 20022 messages PI-SPI's model of service follows (pain.013 creditor payment activation
request, pain.014 status report, pacs.004 return, camt.052 report), in JSON:

``POST /v1/rtp`` (``X-Api-Key``; ``msgId`` is the idempotency key, as ISO 20022 message ids
    are unique per sender) ``{"msgId", "creDtTm", "endToEndId", "instdAmt": {"value", "ccy"},
    "dbtr": {"alias": {"tp": "MSISDN", "val"}}, "cdtr": {"alias": {"tp": "MERCHANT", "val"}},
    "rmtInf": {"ustrd"}, "xpryDtTm", "ntfctnUrl"}`` → ``201 {"rtpId", "txSts": "PDNG"}``
``GET /v1/rtp/{rtpId}``
    → ``{"rtpId", "endToEndId", "txSts", "instdAmt", "accptncDtTm", "stsRsnInf": {"rsnCd"}}``
    with ``txSts`` ``PDNG`` (pending), ``ACSC`` (settled), ``RJCT`` (rejected, with an ISO
    reason code: ``AM04`` insufficient funds, ``MS02`` refused by the payer) or ``EXPD``
    (expired: our own code, ISO has none for an unanswered request)
``POST /v1/rtp/{rtpId}/returns`` ``{"msgId", "rtrdAmt": {"value", "ccy"}}``
    → ``{"rtrId", "txSts"}``
``GET /v1/reports/{YYYY-MM-DD}`` → ``{"ntries": [{"ref", "cdtDbtInd": "CRDT"|"DBIT",
    "amt": {"value", "ccy"}, "fee": {"value"}, "bookgDtTm"}]}``
notification, POSTed to ``ntfctnUrl``
    ``{"ntfctnId", "rtpId", "endToEndId", "txSts", "instdAmt", "stsDtTm", "stsRsnInf"}``
    with ``X-PISPI-Key-Id``, ``X-PISPI-Timestamp`` (Unix seconds) and ``X-PISPI-Signature:
    base64(HMAC-SHA256(secret, timestamp + "\\n" + key id + "\\n" + body))``; the key id lets
    the secret be rotated without refusing callbacks signed just before.
"""

from __future__ import annotations

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
    format_timestamp,
    header,
    parse_amount,
    parse_statement,
    parse_timestamp,
    read_callback,
    utc_now,
)
from jamana.payments.providers.transport import JsonHttpClient

CODE = "pispi"

PAYER_INSTRUCTIONS = (
    "Approve the payment request in your bank or mobile money app, or scan the QR code."
)

KEY_ID_HEADER = "X-PISPI-Key-Id"
TIMESTAMP_HEADER = "X-PISPI-Timestamp"
SIGNATURE_HEADER = "X-PISPI-Signature"

_STATUSES = {
    "PDNG": PaymentStatus.PENDING,
    "ACTC": PaymentStatus.PENDING,  # accepted technically, not yet approved by the payer
    "ACSC": PaymentStatus.SUCCEEDED,
    "RJCT": PaymentStatus.FAILED,
    "EXPD": PaymentStatus.EXPIRED,
}

#: ISO 20022 external status reason codes we turn into our failure reasons.
REASONS = {"AM04": "insufficient_funds", "MS02": "declined", "AB05": "timeout"}


@dataclass(frozen=True, kw_only=True)
class PispiConfig:
    base_url: str
    api_key: str
    #: The Treasury's PI-SPI alias, to which requests ask payers to pay.
    creditor_alias: str
    callback_key_id: str
    #: At least 32 characters.
    callback_secret: str
    #: Secrets still accepted during a rotation, as ``(key id, secret)`` pairs.
    previous_callback_secrets: tuple[tuple[str, str], ...] = ()
    request_ttl: dt.timedelta = dt.timedelta(minutes=30)
    timeout_seconds: float = 10.0
    callback_tolerance: dt.timedelta = signing.DEFAULT_TOLERANCE


def callback_signing_input(timestamp: str, key_id: str, body: bytes) -> bytes:
    return f"{timestamp}\n{key_id}\n".encode() + body


def sign_callback(secret: str, timestamp: str, key_id: str, body: bytes) -> str:
    """The ``X-PISPI-Signature`` value for ``body`` signed with the key ``key_id``."""
    return signing.sign_b64(secret, callback_signing_input(timestamp, key_id, body))


def qr_payload(*, creditor_alias: str, rtp_id: str) -> str:
    """The text of the QR code a payer scans to answer request ``rtp_id`` (modelled)."""
    query = urllib.parse.urlencode({"cdtr": creditor_alias, "rtp": rtp_id})
    return f"pispi://rtp?{query}"


class PispiProvider:
    """The :class:`~jamana.payments.providers.base.PaymentProvider` for PI-SPI (modelled)."""

    code = CODE

    def __init__(self, config: PispiConfig, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        secrets_ = [config.callback_secret, *(s for _, s in config.previous_callback_secrets)]
        if any(len(secret) < 32 for secret in secrets_):
            raise ValueError("PI-SPI callback secrets must be at least 32 characters")
        self.config = config
        self._clock = clock
        self._secrets = {
            config.callback_key_id: config.callback_secret,
            **dict(config.previous_callback_secrets),
        }
        self._http = JsonHttpClient(
            provider=CODE, base_url=config.base_url, timeout_seconds=config.timeout_seconds
        )

    def _call(self, method: str, path: str, *, json_body: Any = None) -> Any:
        headers = {"X-Api-Key": self.config.api_key}
        return self._http.request(method, path, json_body=json_body, headers=headers).data

    def qr_payload(self, provider_reference: str) -> str:
        """The QR text for a request this adapter initiated (not part of the interface)."""
        return qr_payload(creditor_alias=self.config.creditor_alias, rtp_id=provider_reference)

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
        now = self._clock()
        answer = self._call(
            "POST",
            "/v1/rtp",
            json_body={
                "msgId": idempotency_key,
                "creDtTm": format_timestamp(now),
                "endToEndId": merchant_reference,
                "instdAmt": {"value": amount_xof, "ccy": "XOF"},
                "dbtr": {"alias": {"tp": "MSISDN", "val": payer_msisdn}},
                "cdtr": {"alias": {"tp": "MERCHANT", "val": self.config.creditor_alias}},
                "rmtInf": {"ustrd": description[:140]},
                "xpryDtTm": format_timestamp(now + self.config.request_ttl),
                "ntfctnUrl": callback_url,
            },
        )
        return InitiateResult(
            provider_reference=_text(answer, "rtpId"),
            status=_status(answer),
            payer_instructions=PAYER_INSTRUCTIONS,
        )

    def query(self, provider_reference: str) -> StatusResult:
        answer = self._call("GET", f"/v1/rtp/{_path_segment(provider_reference)}")
        status = _status(answer)
        try:
            amount = _amount(answer["instdAmt"])
            paid_at = (
                parse_timestamp(answer.get("accptncDtTm"))
                if status is PaymentStatus.SUCCEEDED
                else None
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentProviderError("bad_response", f"status answer: {exc}") from None
        return StatusResult(
            provider_reference=_text(answer, "rtpId"),
            status=status,
            amount_xof=amount,
            paid_at=paid_at,
            failure_reason=_reason(status, answer),
        )

    def refund(
        self, *, provider_reference: str, amount_xof: int, idempotency_key: str
    ) -> RefundResult:
        check_amount(amount_xof)
        check_idempotency_key(idempotency_key)
        answer = self._call(
            "POST",
            f"/v1/rtp/{_path_segment(provider_reference)}/returns",
            json_body={"msgId": idempotency_key, "rtrdAmt": {"value": amount_xof, "ccy": "XOF"}},
        )
        return RefundResult(refund_reference=_text(answer, "rtrId"), status=_status(answer))

    def parse_callback(self, *, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Check the signature (with the secret of the announced key id) and its timestamp.

        Raises:
            ForgedCallback: unknown key id, missing, stale or wrong signature.
            PermanentProviderError: signed but not a notification we can read.
        """
        timestamp = header(headers, TIMESTAMP_HEADER)
        signing.check_timestamp(
            timestamp, now=self._clock(), tolerance=self.config.callback_tolerance
        )
        key_id = header(headers, KEY_ID_HEADER)
        secret = self._secrets.get(key_id)
        if secret is None:
            raise ForgedCallback("unknown PI-SPI signing key")
        expected = sign_callback(secret, timestamp, key_id, body)
        if not signing.same(expected, header(headers, SIGNATURE_HEADER)):
            raise ForgedCallback("bad PI-SPI notification signature")
        return read_callback(
            body,
            lambda p: CallbackEvent(
                event_id=f"{CODE}:{p['ntfctnId']}",
                provider_reference=str(p["rtpId"]),
                status=_status(p),
                amount_xof=_amount(p["instdAmt"]),
                occurred_at=parse_timestamp(p["stsDtTm"]),
            ),
        )

    def statement(self, day: dt.date) -> list[StatementLine]:
        return parse_statement(
            self._call("GET", f"/v1/reports/{day.isoformat()}"),
            "ntries",
            lambda row: StatementLine(
                provider_reference=str(row["ref"]),
                kind={"CRDT": "payment", "DBIT": "refund"}[row["cdtDbtInd"]],
                amount_xof=_amount(row["amt"]),
                settled_at=parse_timestamp(row["bookgDtTm"]),
                fee_xof=parse_amount(row.get("fee", {}).get("value", 0)),
            ),
        )


def _amount(value: Any) -> int:
    if not isinstance(value, dict) or value.get("ccy") != "XOF":
        raise ValueError(f"not an amount in XOF: {value!r}")
    return parse_amount(value.get("value"))


def _reason(status: PaymentStatus, answer: Any) -> str:
    if status is PaymentStatus.EXPIRED:
        return "expired"
    if status is not PaymentStatus.FAILED:
        return ""
    info = answer.get("stsRsnInf")
    code = info.get("rsnCd") if isinstance(info, dict) else None
    if not isinstance(code, str):
        return "rejected"
    return REASONS.get(code, f"rejected_{code.lower()}")


def _path_segment(reference: str) -> str:
    return urllib.parse.quote(reference, safe="")


def _text(answer: Any, key: str) -> str:
    value = answer.get(key) if isinstance(answer, dict) else None
    if not isinstance(value, str) or not value:
        raise PermanentProviderError("bad_response", f"PI-SPI answer without {key}")
    return value


def _status(answer: Any) -> PaymentStatus:
    raw = answer.get("txSts") if isinstance(answer, dict) else None
    if not isinstance(raw, str) or raw not in _STATUSES:
        raise PermanentProviderError("bad_response", f"unknown PI-SPI status {raw!r}")
    return _STATUSES[raw]
