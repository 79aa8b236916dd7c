"""SMS gateways behind one interface. Each gateway is its own module with its own tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


class TransientGatewayError(Exception):
    """Worth retrying: timeout, throttling, gateway down."""


class PermanentGatewayError(Exception):
    """Never worth retrying: invalid number, rejected content."""


@dataclass(frozen=True)
class SendResult:
    gateway: str
    reference: str


class SmsGateway(Protocol):
    name: str

    def send(self, *, to: str, body: str, sender: str) -> SendResult: ...


def get_sms_gateway() -> SmsGateway:
    from jamana.notify.gateways.console import ConsoleGateway

    gateways: dict[str, type[SmsGateway]] = {"console": ConsoleGateway}
    return gateways[settings.SMS_GATEWAY]()
