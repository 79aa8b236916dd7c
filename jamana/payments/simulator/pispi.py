"""PI-SPI request-to-pay (modelled), as :mod:`jamana.payments.providers.pispi` speaks it, under
``/pispi``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jamana.payments.providers import pispi
from jamana.payments.providers.base import PaymentStatus, format_timestamp, parse_timestamp
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

PROVIDER = "pispi"

STATUS = {
    PaymentStatus.PENDING: "PDNG",
    PaymentStatus.SUCCEEDED: "ACSC",
    PaymentStatus.FAILED: "RJCT",
    PaymentStatus.EXPIRED: "EXPD",
}
#: Our failure reasons as ISO 20022 status reason codes.
REASON_CODES = {"insufficient_funds": "AM04", "declined": "MS02"}

_RTP = re.compile(r"/v1/rtp/([A-Za-z0-9-]+)")
_RETURNS = re.compile(r"/v1/rtp/([A-Za-z0-9-]+)/returns")
_REPORT = re.compile(r"/v1/reports/([0-9-]+)")


def _xof(value: Any) -> int:
    if not isinstance(value, dict) or value.get("ccy") != "XOF":
        raise SimError(400, "invalid_currency", "amounts are {value, ccy: XOF}")
    return field_amount(value.get("value"))


class PispiApi:
    prefix = PROVIDER

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def handle(self, request: Request) -> Reply:
        if request.header("x-api-key") != self.sim.credentials.pispi_api_key:
            return Reply(401, {"code": "unauthorized", "message": "bad API key"})
        try:
            if request.method == "POST" and request.path == "/v1/rtp":
                return self._request_to_pay(request)
            if request.method == "GET" and (match := _RTP.fullmatch(request.path)):
                return Reply(200, self._describe(self.sim.bank.get(PROVIDER, match.group(1))))
            if request.method == "POST" and (match := _RETURNS.fullmatch(request.path)):
                return self._return(request, match.group(1))
            if request.method == "GET" and (match := _REPORT.fullmatch(request.path)):
                return self._report(match.group(1))
            raise SimError(404, "not_found")
        except SimError as exc:
            return error(exc)

    def _request_to_pay(self, request: Request) -> Reply:
        data = request.json()
        key = field_text(data, "msgId")
        try:
            debtor = data["dbtr"]["alias"]["val"]
            creditor = data["cdtr"]["alias"]["val"]
            expires = parse_timestamp(data["xpryDtTm"])
        except (KeyError, TypeError, ValueError):
            raise SimError(400, "invalid_request", "dbtr, cdtr and xpryDtTm are required") from None
        bank = self.sim.bank
        intent, _ = self.sim.create(
            PROVIDER,
            reference="RTP" + bank.derive("rtp", PROVIDER, key, length=20).upper(),
            idempotency_key=key,
            merchant_reference=field_text(data, "endToEndId"),
            amount_xof=_xof(data.get("instdAmt")),
            payer_msisdn=str(debtor),
            callback_url=field_text(data, "ntfctnUrl"),
            description=str(data.get("rmtInf", {}).get("ustrd", "")),
            expires_after_seconds=(expires - self.sim.clock()).total_seconds(),
            extra={"creditor": str(creditor)},
        )
        answer = self._describe(intent)
        answer["msgId"] = key
        answer["qrPayload"] = pispi.qr_payload(
            creditor_alias=intent.extra["creditor"], rtp_id=intent.reference
        )
        return Reply(201, answer)

    def _describe(self, intent: Intent) -> dict[str, Any]:
        view = self.sim.bank.view(intent)
        answer: dict[str, Any] = {
            "rtpId": intent.reference,
            "endToEndId": intent.merchant_reference,
            "txSts": STATUS[view.status],
            "instdAmt": {"value": intent.amount_xof, "ccy": "XOF"},
        }
        if view.status is PaymentStatus.SUCCEEDED and view.final_at is not None:
            answer["accptncDtTm"] = format_timestamp(view.final_at)
        if view.failure_reason in REASON_CODES:
            answer["stsRsnInf"] = {"rsnCd": REASON_CODES[view.failure_reason]}
        return answer

    def _return(self, request: Request, reference: str) -> Reply:
        data = request.json()
        refund = self.sim.bank.refund(
            PROVIDER,
            reference,
            amount_xof=_xof(data.get("rtrdAmt")),
            idempotency_key=field_text(data, "msgId"),
        )
        return Reply(201, {"rtrId": refund.reference, "txSts": "ACSC"})

    def _report(self, day_text: str) -> Reply:
        day = parse_day(day_text)
        return Reply(
            200,
            {
                "rptDt": day.isoformat(),
                "ntries": [
                    {
                        "ref": line.reference,
                        "cdtDbtInd": "CRDT" if line.kind == "payment" else "DBIT",
                        "amt": {"value": line.amount_xof, "ccy": "XOF"},
                        "fee": {"value": line.fee_xof, "ccy": "XOF"},
                        "bookgDtTm": format_timestamp(line.settled_at),
                    }
                    for line in self.sim.bank.statement(PROVIDER, day)
                ],
            },
        )

    def notification(self, intent: Intent, event: Event) -> tuple[Mapping[str, str], bytes]:
        payload: dict[str, Any] = {
            "ntfctnId": event.event_id,
            "rtpId": intent.reference,
            "endToEndId": intent.merchant_reference,
            "txSts": STATUS[event.status],
            "instdAmt": {"value": intent.amount_xof, "ccy": "XOF"},
            "stsDtTm": format_timestamp(event.occurred_at),
        }
        if event.reason in REASON_CODES:
            payload["stsRsnInf"] = {"rsnCd": REASON_CODES[event.reason]}
        body = body_bytes(payload)
        creds = self.sim.credentials
        timestamp = str(int(self.sim.clock().timestamp()))
        return {
            pispi.KEY_ID_HEADER: creds.pispi_key_id,
            pispi.TIMESTAMP_HEADER: timestamp,
            pispi.SIGNATURE_HEADER: pispi.sign_callback(
                creds.pispi_callback_secret, timestamp, creds.pispi_key_id, body
            ),
        }, body
