"""Requests and replies as the simulated APIs see them, and small JSON helpers."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from jamana.payments.providers.base import PaymentStatus
from jamana.payments.simulator.bank import Intent, SimError


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # below the provider's prefix, e.g. "/v1/payments"
    query: Mapping[str, str]
    headers: Mapping[str, str]  # keys lower-case
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json(self) -> dict[str, Any]:
        """The body as a JSON object. Raises SimError 400 otherwise."""
        try:
            data = json.loads(self.body or b"null")
        except ValueError:
            raise SimError(400, "invalid_json") from None
        if not isinstance(data, dict):
            raise SimError(400, "invalid_json", "expected a JSON object")
        return data

    def basic_auth(self) -> tuple[str, str] | None:
        value = self.header("authorization")
        if not value.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password


@dataclass(frozen=True)
class Reply:
    status: int
    data: Any = None
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if self.content_type == "application/json":
            return json.dumps(self.data, separators=(",", ":")).encode()
        return str(self.data).encode()


def error(exc: SimError) -> Reply:
    return Reply(exc.http_status, {"code": exc.code, "message": str(exc)})


@dataclass(frozen=True)
class Event:
    """One notification's content: the same event sent twice is a duplicate."""

    event_id: str
    status: PaymentStatus
    reason: str
    occurred_at: dt.datetime


class SimulatedApi(Protocol):
    """One provider's protocol, mounted under ``/<prefix>``."""

    prefix: str

    def handle(self, request: Request) -> Reply: ...

    def notification(self, intent: Intent, event: Event) -> tuple[Mapping[str, str], bytes]: ...


def field_text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise SimError(400, "missing_field", f"{key} is required")
    return value


def field_amount(value: Any) -> int:
    if type(value) is not int or value <= 0:
        raise SimError(400, "invalid_amount", "amount must be a positive integer")
    return value


def body_bytes(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SimError(400, "invalid_date", "dates are YYYY-MM-DD") from None
