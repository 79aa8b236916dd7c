"""Orange Money, modelled on the public Orange Money *Web Payment* (WebPay) merchant API.

From the public documentation and integrations (developer.orange.com, "Orange Money WebPay"):

* an OAuth 2 client-credentials token: ``POST /oauth/v3/token`` with HTTP Basic
  ``client_id:client_secret`` and the form ``grant_type=client_credentials``, answered with
  ``{"token_type": "Bearer", "access_token": …, "expires_in": …}``;
* ``POST /orange-money-webpay/{country}/v1/webpayment`` with a Bearer token and the JSON
  ``merchant_key, currency, order_id, amount, return_url, cancel_url, notif_url, lang,
  reference``, answered ``201`` with ``pay_token``, ``payment_url`` and ``notif_token``;
* ``POST /orange-money-webpay/{country}/v1/transactionstatus`` with ``order_id, amount,
  pay_token``, answered with ``status`` in ``INITIATED, PENDING, EXPIRED, SUCCESS, FAILED``
  and ``txnid``;
* the notification Orange POSTs to ``notif_url``: ``{"status", "notif_token", "txnid"}``. It
  carries no signature: it is authenticated by its ``notif_token``, a per-transaction secret
  the merchant received at initiation and must find again.

Our assumptions (confirm them with Orange Mali before going live), all marked in
``docs/payments/providers.md``: the payer's number (``subscriber_msisdn``) so Orange sends a
USSD push instead of a payment page; the ``X-Idempotency-Key`` header; the extra fields
``amount``, ``pay_token`` and ``date`` in notifications and ``amount``, ``status_date`` and
``reason`` in status answers (used when present, checked against what we sent); and the
``refund`` and ``statement`` endpoints, which the public WebPay API does not have.

The status query needs the ``order_id`` and ``amount`` of the transaction, and a notification
names it only by its ``notif_token``: the adapter therefore remembers each transaction in an
:class:`OrangeTransactionStore`. The default keeps them in memory for the process; production
passes a durable store backed by the payments table (see the docs).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

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
    parse_amount,
    parse_statement,
    parse_timestamp,
    utc_now,
)
from jamana.payments.providers.transport import JsonHttpClient

CODE = "orange_money"

PAYER_INSTRUCTIONS = "Confirm the payment with your Orange Money PIN on the USSD prompt."

_STATUSES = {
    "INITIATED": PaymentStatus.PENDING,
    "PENDING": PaymentStatus.PENDING,
    "SUCCESS": PaymentStatus.SUCCEEDED,
    "FAILED": PaymentStatus.FAILED,
    "EXPIRED": PaymentStatus.EXPIRED,
}


@dataclass(frozen=True, kw_only=True)
class OrangeMoneyConfig:
    """Credentials and endpoints; all but ``base_url`` come from the Orange developer portal.

    ``base_url`` is ``https://api.orange.com`` in production (http is allowed to loopback
    only, for the simulator); ``country`` is the path segment of the merchant's market.
    """

    base_url: str = "https://api.orange.com"
    country: str = "ml"
    client_id: str
    client_secret: str
    merchant_key: str
    #: Shown to the payer (WebPay's ``reference``, at most 30 characters).
    merchant_name: str = "Jamana"
    currency: str = "XOF"
    lang: str = "fr"
    #: Where WebPay's payment page sends a browser back; unused by the USSD push.
    return_url: str = ""
    cancel_url: str = ""
    timeout_seconds: float = 15.0

    @property
    def api_prefix(self) -> str:
        return f"/orange-money-webpay/{self.country}/v1"


@dataclass(frozen=True, kw_only=True)
class OrangeTransaction:
    """What the adapter must find again from a ``pay_token`` or a ``notif_token``."""

    pay_token: str
    #: SHA-256 of the notif_token: the store never holds the secret itself.
    notif_token_sha256: str
    order_id: str
    amount_xof: int


class OrangeTransactionStore(Protocol):
    def save(self, transaction: OrangeTransaction) -> None: ...

    def by_pay_token(self, pay_token: str) -> OrangeTransaction | None: ...

    def by_notif_token_sha256(self, digest: str) -> OrangeTransaction | None: ...


class InMemoryOrangeTransactionStore:
    """A thread-safe store for one process. :meth:`shared` is the process-wide default, so
    adapters built per request still find each other's transactions (not across processes or
    restarts: production needs a durable store)."""

    _shared: ClassVar[InMemoryOrangeTransactionStore | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_pay_token: dict[str, OrangeTransaction] = {}
        self._by_notif: dict[str, OrangeTransaction] = {}

    @classmethod
    def shared(cls) -> InMemoryOrangeTransactionStore:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def save(self, transaction: OrangeTransaction) -> None:
        with self._lock:
            self._by_pay_token[transaction.pay_token] = transaction
            self._by_notif[transaction.notif_token_sha256] = transaction

    def by_pay_token(self, pay_token: str) -> OrangeTransaction | None:
        with self._lock:
            return self._by_pay_token.get(pay_token)

    def by_notif_token_sha256(self, digest: str) -> OrangeTransaction | None:
        with self._lock:
            return self._by_notif.get(digest)


def notif_token_digest(notif_token: str) -> str:
    return hashlib.sha256(notif_token.encode()).hexdigest()


class OrangeMoneyProvider:
    """The :class:`~jamana.payments.providers.base.PaymentProvider` for Orange Money."""

    code = CODE

    def __init__(
        self,
        config: OrangeMoneyConfig,
        *,
        store: OrangeTransactionStore | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        if len(config.merchant_name) > 30:
            raise ValueError("Orange Money shows at most 30 characters of merchant name")
        self.config = config
        self.store: OrangeTransactionStore = store or InMemoryOrangeTransactionStore.shared()
        self._clock = clock
        self._http = JsonHttpClient(
            provider=CODE, base_url=config.base_url, timeout_seconds=config.timeout_seconds
        )
        self._token_lock = threading.Lock()
        self._token = ""
        self._token_valid_until = 0.0  # time.monotonic()

    # -- OAuth 2 client credentials -------------------------------------------------------

    def _access_token(self, *, renew: bool = False) -> str:
        with self._token_lock:
            if renew or not self._token or time.monotonic() >= self._token_valid_until:
                basic = base64.b64encode(
                    f"{self.config.client_id}:{self.config.client_secret}".encode()
                ).decode("ascii")
                answer = self._http.request(
                    "POST",
                    "/oauth/v3/token",
                    form_body={"grant_type": "client_credentials"},
                    headers={"Authorization": f"Basic {basic}"},
                ).data
                token = answer.get("access_token") if isinstance(answer, dict) else None
                if not isinstance(token, str) or not token:
                    raise PermanentProviderError("bad_response", "token answer has no token")
                lifetime = answer.get("expires_in", 0)
                lifetime = lifetime if type(lifetime) is int else 0
                self._token = token
                # Renew a minute early so a token never expires between check and use.
                self._token_valid_until = time.monotonic() + max(lifetime - 60, 0)
            return self._token

    def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """An API call with a Bearer token; a 401 renews the token once (it may have been
        revoked before its announced expiry)."""
        for attempt in (0, 1):
            token = self._access_token(renew=attempt == 1)
            try:
                return self._http.request(
                    method,
                    self.config.api_prefix + path,
                    json_body=json_body,
                    headers={"Authorization": f"Bearer {token}", **(headers or {})},
                ).data
            except PermanentProviderError as exc:
                if exc.http_status != 401 or attempt == 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- PaymentProvider ------------------------------------------------------------------

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
            "/webpayment",
            json_body={
                "merchant_key": self.config.merchant_key,
                "currency": self.config.currency,
                "order_id": merchant_reference,
                "amount": amount_xof,
                "return_url": self.config.return_url or callback_url,
                "cancel_url": self.config.cancel_url or callback_url,
                "notif_url": callback_url,
                "lang": self.config.lang,
                "reference": self.config.merchant_name,
                # Our assumption: the USSD-push variant takes the payer's number.
                "subscriber_msisdn": payer_msisdn.removeprefix("+"),
                "description": description[:100],
            },
            headers={"X-Idempotency-Key": idempotency_key},
        )
        pay_token = _text(answer, "pay_token")
        notif_token = _text(answer, "notif_token")
        self.store.save(
            OrangeTransaction(
                pay_token=pay_token,
                notif_token_sha256=notif_token_digest(notif_token),
                order_id=merchant_reference,
                amount_xof=amount_xof,
            )
        )
        return InitiateResult(
            provider_reference=pay_token,
            status=PaymentStatus.PENDING,
            payer_instructions=PAYER_INSTRUCTIONS,
        )

    def _transaction(self, pay_token: str) -> OrangeTransaction:
        transaction = self.store.by_pay_token(pay_token)
        if transaction is None:
            raise PermanentProviderError(
                "unknown_reference", f"no Orange Money transaction {pay_token!r} in the store"
            )
        return transaction

    def query(self, provider_reference: str) -> StatusResult:
        transaction = self._transaction(provider_reference)
        answer = self._call(
            "POST",
            "/transactionstatus",
            json_body={
                "order_id": transaction.order_id,
                "amount": transaction.amount_xof,
                "pay_token": transaction.pay_token,
            },
        )
        status = _status(answer)
        try:
            amount = parse_amount(answer.get("amount", transaction.amount_xof))
            paid_at = (
                parse_timestamp(answer["status_date"])
                if status is PaymentStatus.SUCCEEDED and "status_date" in answer
                else None
            )
        except (ValueError, KeyError) as exc:
            raise PermanentProviderError("bad_response", f"status answer: {exc}") from None
        reason = ""
        if status is PaymentStatus.FAILED:
            reason = str(answer.get("reason") or "failed")
        elif status is PaymentStatus.EXPIRED:
            reason = "expired"
        return StatusResult(
            provider_reference=transaction.pay_token,
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
        transaction = self._transaction(provider_reference)
        answer = self._call(
            "POST",
            "/refund",
            json_body={
                "order_id": transaction.order_id,
                "pay_token": transaction.pay_token,
                "amount": amount_xof,
            },
            headers={"X-Idempotency-Key": idempotency_key},
        )
        return RefundResult(refund_reference=_text(answer, "refund_id"), status=_status(answer))

    def parse_callback(self, *, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Authenticate a notification by its ``notif_token`` (and, when present, check the
        ``pay_token`` and ``amount`` against the transaction it names).

        Raises:
            ForgedCallback: not JSON, unknown notif_token, or content that contradicts it.
            PermanentProviderError: authentic but with a status we do not know.
        """
        try:
            payload = json.loads(body)
        except ValueError:
            raise ForgedCallback("notification is not JSON") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("notif_token"), str):
            raise ForgedCallback("notification without notif_token")
        transaction = self.store.by_notif_token_sha256(notif_token_digest(payload["notif_token"]))
        if transaction is None:
            raise ForgedCallback("unknown notif_token")
        if payload.get("pay_token", transaction.pay_token) != transaction.pay_token:
            raise ForgedCallback("notification names another transaction")
        if "amount" in payload:
            try:
                amount = parse_amount(payload["amount"])
            except ValueError:
                raise ForgedCallback("notification amount is not a number") from None
            if amount != transaction.amount_xof:
                raise ForgedCallback("notification amount differs from the transaction")
        status = _status(payload)
        try:
            occurred_at = parse_timestamp(payload["date"]) if "date" in payload else self._clock()
        except ValueError as exc:
            raise PermanentProviderError("malformed_callback", str(exc)) from None
        txnid = payload.get("txnid")
        return CallbackEvent(
            event_id=f"{CODE}:{transaction.pay_token}:{payload['status']}:{txnid or ''}",
            provider_reference=transaction.pay_token,
            status=status,
            amount_xof=transaction.amount_xof,
            occurred_at=occurred_at,
        )

    def statement(self, day: dt.date) -> list[StatementLine]:
        return parse_statement(
            self._call("GET", f"/statement?date={day.isoformat()}"),
            "transactions",
            lambda row: StatementLine(
                provider_reference=str(row["reference"]),
                kind={"PAYMENT": "payment", "REFUND": "refund"}[row["type"]],
                amount_xof=parse_amount(row["amount"]),
                settled_at=parse_timestamp(row["settled_at"]),
                fee_xof=parse_amount(row.get("fee", 0)),
            ),
        )


def _text(answer: Any, key: str) -> str:
    value = answer.get(key) if isinstance(answer, dict) else None
    if not isinstance(value, str) or not value:
        raise PermanentProviderError("bad_response", f"Orange Money answer without {key}")
    return value


def _status(answer: Any) -> PaymentStatus:
    raw = answer.get("status") if isinstance(answer, dict) else None
    if not isinstance(raw, str) or raw not in _STATUSES:
        raise PermanentProviderError("bad_response", f"unknown Orange Money status {raw!r}")
    return _STATUSES[raw]
