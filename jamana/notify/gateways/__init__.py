"""SMS gateways behind one interface (``base.SmsGateway``), chosen by ``SMS_GATEWAY``: console
(the embedded default), smpp (an operator's SMSC) or http (an aggregator's JSON API). Each
gateway is its own module with its own tests; this module only builds the configured one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from jamana.notify.gateways.base import (
    DeliveryReport,
    GatewayListeners,
    InboundSms,
    LookupResult,
    LookupUnsupported,
    OutcomeUnknown,
    PermanentGatewayError,
    ReportState,
    SendResult,
    SmsGateway,
    TransientGatewayError,
)

__all__ = [
    "DeliveryReport",
    "InboundSms",
    "LookupResult",
    "LookupUnsupported",
    "OutcomeUnknown",
    "PermanentGatewayError",
    "ReportState",
    "SendResult",
    "SmsGateway",
    "TransientGatewayError",
    "close_sms_gateways",
    "get_sms_gateway",
]

_lock = threading.Lock()
# One instance per configuration and process: the SMPP gateway holds a bound session.
_instances: dict[tuple[Any, ...], SmsGateway] = {}


def get_sms_gateway(name: str | None = None) -> SmsGateway:
    """The gateway ``name`` (default: ``SMS_GATEWAY``) as configured in the settings."""
    name = name or settings.SMS_GATEWAY
    if name == "smpp":
        key: tuple[Any, ...] = ("smpp", tuple(sorted(settings.SMS_SMPP.items())))
    elif name == "http":
        key = ("http", tuple(sorted(settings.SMS_HTTP.items())))
    elif name == "console":
        key = ("console",)
    else:
        raise KeyError(f"unknown SMS gateway {name!r}")
    with _lock:
        gateway = _instances.get(key)
        if gateway is None:
            gateway = _instances[key] = _build(name)
        return gateway


def close_sms_gateways() -> None:
    """Close every gateway this process opened (SMPP unbinds); the next use opens again."""
    with _lock:
        gateways = list(_instances.values())
        _instances.clear()
    for gateway in gateways:
        gateway.close()


def _build(name: str) -> SmsGateway:
    if name == "smpp":
        from jamana.notify.gateways.smpp import SmppConfig, SmppGateway

        smpp_config: dict[str, Any] = dict(settings.SMS_SMPP)
        return SmppGateway(SmppConfig(**smpp_config), listeners=_listeners())
    if name == "http":
        from jamana.notify.gateways.http import HttpGateway, HttpGatewayConfig

        http_config: dict[str, Any] = dict(settings.SMS_HTTP)
        return HttpGateway(HttpGatewayConfig(**http_config))
    from jamana.notify.gateways.console import ConsoleGateway

    return ConsoleGateway()


def _listeners() -> GatewayListeners:
    """Reports and inbound SMS heard on a gateway's own thread go to the outbox's actions,
    each on a fresh database connection for that thread."""

    def in_thread(handler: Callable[[Any], None]) -> Callable[[Any], None]:
        def run(event: Any) -> None:
            close_old_connections()
            try:
                handler(event)
            finally:
                close_old_connections()

        return run

    def on_reports(reports: list[DeliveryReport]) -> None:
        from jamana.notify.actions import do_apply_delivery_reports

        do_apply_delivery_reports(reports)

    def on_inbound(sms: InboundSms) -> None:
        from jamana.notify.actions import do_handle_inbound_sms

        do_handle_inbound_sms(sms)

    return GatewayListeners(on_reports=in_thread(on_reports), on_inbound=in_thread(on_inbound))
