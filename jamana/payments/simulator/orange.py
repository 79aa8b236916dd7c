"""Orange Money WebPay, as :mod:`jamana.payments.providers.orange_money` speaks it, under
``/orange``."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Mapping

from jamana.payments.providers.base import PaymentStatus, format_timestamp
from jamana.payments.simulator.bank import Intent, SimError
from jamana.payments.simulator.core import Simulator
from jamana.payments.simulator.wire import (
    Event,
    Reply,
    Request,
    body_bytes,
    error,
    field_amount,
    field_text,
    parse_day,
)

PROVIDER = "orange"

STATUS = {
    PaymentStatus.PENDING: "PENDING",
    PaymentStatus.SUCCEEDED: "SUCCESS",
    PaymentStatus.FAILED: "FAILED",
    PaymentStatus.EXPIRED: "EXPIRED",
}

_API = re.compile(
    r"/orange-money-webpay/[a-z]{2}/v1/(webpayment|transactionstatus|refund|statement)"
)


class OrangeApi:
    prefix = PROVIDER

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # access token -> time.monotonic() of expiry

    def handle(self, request: Request) -> Reply:
        try:
            if request.method == "POST" and request.path == "/oauth/v3/token":
                return self._token(request)
            self._check_bearer(request)
            match = _API.fullmatch(request.path)
            action = match.group(1) if match else ""
            if request.method == "POST" and action == "webpayment":
                return self._webpayment(request)
            if request.method == "POST" and action == "transactionstatus":
                return self._status(request)
            if request.method == "POST" and action == "refund":
                return self._refund(request)
            if request.method == "GET" and action == "statement":
                return self._statement(request)
            raise SimError(404, "not_found")
        except SimError as exc:
            return error(exc)

    def _token(self, request: Request) -> Reply:
        creds = self.sim.credentials
        if request.basic_auth() != (creds.orange_client_id, creds.orange_client_secret):
            return Reply(401, {"error": "invalid_client"})
        if b"grant_type=client_credentials" not in request.body:
            return Reply(400, {"error": "unsupported_grant_type"})
        token = secrets.token_urlsafe(24)
        ttl = self.sim.behaviour.token_ttl_seconds
        with self._lock:
            self._tokens[token] = time.monotonic() + ttl
        return Reply(200, {"token_type": "Bearer", "access_token": token, "expires_in": ttl})

    def revoke_tokens(self) -> None:
        """Forget every access token (tests: the adapter must fetch a new one)."""
        with self._lock:
            self._tokens.clear()

    def _check_bearer(self, request: Request) -> None:
        value = request.header("authorization")
        token = value[7:] if value.startswith("Bearer ") else ""
        with self._lock:
            valid = self._tokens.get(token, 0.0) > time.monotonic()
        if not valid:
            raise SimError(401, "invalid_token", "missing, unknown or expired access token")

    def _webpayment(self, request: Request) -> Reply:
        data = request.json()
        if data.get("merchant_key") != self.sim.credentials.orange_merchant_key:
            raise SimError(403, "invalid_merchant_key")
        if data.get("currency") != "XOF":
            raise SimError(400, "invalid_currency")
        amount = field_amount(data.get("amount"))
        msisdn = field_text(data, "subscriber_msisdn")
        if not msisdn.isdigit():
            raise SimError(400, "invalid_msisdn")
        key = request.header("x-idempotency-key")
        bank = self.sim.bank
        intent, _ = self.sim.create(
            PROVIDER,
            reference=bank.derive("pay_token", PROVIDER, key, length=32),
            idempotency_key=key,
            merchant_reference=field_text(data, "order_id"),
            amount_xof=amount,
            payer_msisdn="+" + msisdn,
            callback_url=field_text(data, "notif_url"),
            description=str(data.get("description", "")),
            extra={
                "notif_token": bank.derive("notif_token", PROVIDER, key, length=32),
                "txnid": "MP" + bank.derive("txnid", PROVIDER, key, length=12).upper(),
            },
        )
        return Reply(
            201,
            {
                "status": 201,
                "message": "OK",
                "pay_token": intent.reference,
                "payment_url": f"{self.sim.base_url}/_sim/#{intent.reference}",
                "notif_token": intent.extra["notif_token"],
            },
        )

    def _status(self, request: Request) -> Reply:
        data = request.json()
        intent = self.sim.bank.get(PROVIDER, field_text(data, "pay_token"))
        if data.get("order_id") != intent.merchant_reference or data.get("amount") != (
            intent.amount_xof
        ):
            raise SimError(400, "transaction_mismatch", "order_id or amount do not match")
        view = self.sim.bank.view(intent)
        answer: dict[str, object] = {
            "status": STATUS[view.status],
            "order_id": intent.merchant_reference,
            "txnid": intent.extra["txnid"] if view.status is PaymentStatus.SUCCEEDED else "",
            "amount": intent.amount_xof,
        }
        if view.final_at is not None:
            answer["status_date"] = format_timestamp(view.final_at)
        if view.failure_reason:
            answer["reason"] = view.failure_reason
        return Reply(201, answer)

    def _refund(self, request: Request) -> Reply:
        data = request.json()
        intent = self.sim.bank.get(PROVIDER, field_text(data, "pay_token"))
        if data.get("order_id") != intent.merchant_reference:
            raise SimError(400, "transaction_mismatch", "order_id does not match")
        refund = self.sim.bank.refund(
            PROVIDER,
            intent.reference,
            amount_xof=field_amount(data.get("amount")),
            idempotency_key=request.header("x-idempotency-key"),
        )
        return Reply(201, {"refund_id": refund.reference, "status": "SUCCESS"})

    def _statement(self, request: Request) -> Reply:
        day = parse_day(request.query.get("date", ""))
        return Reply(
            200,
            {
                "date": day.isoformat(),
                "transactions": [
                    {
                        "type": line.kind.upper(),
                        "reference": line.reference,
                        "amount": line.amount_xof,
                        "fee": line.fee_xof,
                        "settled_at": format_timestamp(line.settled_at),
                    }
                    for line in self.sim.bank.statement(PROVIDER, day)
                ],
            },
        )

    def notification(self, intent: Intent, event: Event) -> tuple[Mapping[str, str], bytes]:
        # Public fields: status, notif_token, txnid. Ours: pay_token, amount, date.
        body = {
            "status": STATUS[event.status],
            "notif_token": intent.extra["notif_token"],
            "txnid": intent.extra["txnid"] if event.status is PaymentStatus.SUCCEEDED else "",
            "pay_token": intent.reference,
            "amount": intent.amount_xof,
            "date": format_timestamp(event.occurred_at),
        }
        return {}, body_bytes(body)
