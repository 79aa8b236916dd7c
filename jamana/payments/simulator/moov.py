"""Moov Money, as :mod:`jamana.payments.providers.moov_money` speaks it, under ``/moov``."""

from __future__ import annotations

import re
from collections.abc import Mapping

from jamana.payments.providers import moov_money
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

PROVIDER = "moov"

STATUS = {
    PaymentStatus.PENDING: "PENDING",
    PaymentStatus.SUCCEEDED: "SUCCESS",
    PaymentStatus.FAILED: "FAILED",
    PaymentStatus.EXPIRED: "EXPIRED",
}

_PAYMENT = re.compile(r"/v1/payments/([A-Za-z0-9-]+)")
_REFUNDS = re.compile(r"/v1/payments/([A-Za-z0-9-]+)/refunds")
_STATEMENT = re.compile(r"/v1/statements/([0-9-]+)")


class MoovApi:
    prefix = PROVIDER

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def handle(self, request: Request) -> Reply:
        creds = self.sim.credentials
        if request.basic_auth() != (creds.moov_username, creds.moov_password):
            return Reply(401, {"code": "unauthorized", "message": "bad partner credentials"})
        try:
            if request.method == "POST" and request.path == "/v1/payments":
                return self._pay(request)
            if request.method == "GET" and (match := _PAYMENT.fullmatch(request.path)):
                return Reply(200, self._describe(self.sim.bank.get(PROVIDER, match.group(1))))
            if request.method == "POST" and (match := _REFUNDS.fullmatch(request.path)):
                return self._refund(request, match.group(1))
            if request.method == "GET" and (match := _STATEMENT.fullmatch(request.path)):
                return self._statement(match.group(1))
            raise SimError(404, "not_found")
        except SimError as exc:
            return error(exc)

    def _pay(self, request: Request) -> Reply:
        data = request.json()
        if data.get("type") != "merchantpayment" or data.get("currency") != "XOF":
            raise SimError(400, "unsupported", "type merchantpayment in XOF only")
        msisdn = field_text(data, "msisdn")
        if not msisdn.isdigit():
            raise SimError(400, "invalid_msisdn")
        key = request.header("idempotency-key")
        intent, _ = self.sim.create(
            PROVIDER,
            reference="MV" + self.sim.bank.derive("transaction", PROVIDER, key, length=16).upper(),
            idempotency_key=key,
            merchant_reference=field_text(data, "externalRef"),
            amount_xof=field_amount(data.get("amount")),
            payer_msisdn="+" + msisdn,
            callback_url=field_text(data, "callbackUrl"),
            description=str(data.get("description", "")),
        )
        answer = self._describe(intent)
        answer["message"] = "USSD push sent to the subscriber"
        return Reply(202, answer)

    def _describe(self, intent: Intent) -> dict[str, object]:
        view = self.sim.bank.view(intent)
        answer: dict[str, object] = {
            "transactionId": intent.reference,
            "externalRef": intent.merchant_reference,
            "status": STATUS[view.status],
            "amount": intent.amount_xof,
            "currency": "XOF",
        }
        if view.final_at is not None:
            answer["completedAt"] = format_timestamp(view.final_at)
        if view.failure_reason:
            answer["reason"] = view.failure_reason
        return answer

    def _refund(self, request: Request, reference: str) -> Reply:
        refund = self.sim.bank.refund(
            PROVIDER,
            reference,
            amount_xof=field_amount(request.json().get("amount")),
            idempotency_key=request.header("idempotency-key"),
        )
        return Reply(201, {"refundId": refund.reference, "status": "SUCCESS"})

    def _statement(self, day_text: str) -> Reply:
        day = parse_day(day_text)
        return Reply(
            200,
            {
                "date": day.isoformat(),
                "entries": [
                    {
                        "reference": line.reference,
                        "type": line.kind.upper(),
                        "amount": line.amount_xof,
                        "fee": line.fee_xof,
                        "settledAt": format_timestamp(line.settled_at),
                    }
                    for line in self.sim.bank.statement(PROVIDER, day)
                ],
            },
        )

    def notification(self, intent: Intent, event: Event) -> tuple[Mapping[str, str], bytes]:
        body = body_bytes(
            {
                "eventId": event.event_id,
                "transactionId": intent.reference,
                "externalRef": intent.merchant_reference,
                "status": STATUS[event.status],
                "amount": intent.amount_xof,
                "currency": "XOF",
                "occurredAt": format_timestamp(event.occurred_at),
            }
        )
        timestamp = str(int(self.sim.clock().timestamp()))
        signature = moov_money.sign_callback(
            self.sim.credentials.moov_callback_secret, timestamp, body
        )
        return {
            moov_money.TIMESTAMP_HEADER: timestamp,
            moov_money.SIGNATURE_HEADER: signature,
        }, body
