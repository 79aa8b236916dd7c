"""A generic HTTP SMS gateway: JSON over HTTPS with a bearer token (docs/notify/sms.md).

* ``POST {base}/messages`` with ``Authorization: Bearer …`` and ``Idempotency-Key: <client_ref>``
  and ``{"to", "from", "text", "client_ref", "callback_url"}``; the answer (200/201/202) is
  ``{"id": "<gateway reference>", "status": "accepted"}``. The same key twice gives the same id:
  a retry after a timeout is never a second SMS.
* ``GET {base}/messages?client_ref=<client_ref>``: 200 with the same object and its current
  ``status``, or 404 if the gateway never accepted that message.
* Callbacks to us (``POST /notify/callback/http``): a JSON event, signed with
  ``X-Jamana-Timestamp: <unix seconds>`` and
  ``X-Jamana-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``:
  ``{"type": "status", "id", "status", "error"?, "at"?}`` (a delivery report) or
  ``{"type": "inbound", "id", "from", "to", "text", "at"?}`` (an SMS a person sent us).

Failures: connection refused, DNS, HTTP 5xx/408/429 are transient (nothing accepted, or the
same key makes the retry harmless); a timeout or a connection dropped after the request left is
an unknown outcome (the recovery pass asks ``GET …?client_ref=``); another 4xx is permanent.
Bodies are never logged (they hold phone numbers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jamana.notify.gateways.base import (
    DeliveryReport,
    InboundSms,
    LookupResult,
    OutcomeUnknown,
    PermanentGatewayError,
    SendResult,
    TransientGatewayError,
    report_state,
    timed,
)

SIGNATURE_HEADER = "X-Jamana-Signature"
TIMESTAMP_HEADER = "X-Jamana-Timestamp"
#: How far a callback's timestamp may be from our clock, either way (bounds replays).
CALLBACK_TOLERANCE = dt.timedelta(minutes=5)
_TRANSIENT_STATUSES = frozenset({408, 425, 429})


class ForgedCallback(Exception):
    """A callback whose signature or timestamp does not check out: refused."""


class MalformedCallback(Exception):
    """An authentic callback we cannot read."""


@dataclass(frozen=True, kw_only=True)
class HttpGatewayConfig:
    base_url: str
    token: str
    callback_secret: str
    callback_url: str = ""
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"SMS HTTP gateway URL must be http(s)://host…, got {self.base_url!r}")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("plain http is only allowed to a loopback host (the token travels)")
        if self.timeout_seconds <= 0:
            raise ValueError("timeout must be positive")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # following a redirect with the token would leak it


class HttpGateway:
    name = "http"

    def __init__(self, config: HttpGatewayConfig) -> None:
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if _is_loopback(urllib.parse.urlsplit(self.base_url).hostname or ""):
            handlers.append(urllib.request.ProxyHandler({}))
        self._opener = urllib.request.build_opener(*handlers)

    def send(self, *, to: str, body: str, sender: str, client_ref: str) -> SendResult:
        payload = {
            "to": to,
            "from": sender,
            "text": body,
            "client_ref": client_ref,
            "callback_url": self.config.callback_url,
        }
        with timed(self.name, "send"):
            data = self._call("POST", "/messages", payload, {"Idempotency-Key": client_ref})
        reference = data.get("id") if isinstance(data, dict) else None
        if not isinstance(reference, str) or not reference:
            raise OutcomeUnknown("accepted without an id", code="no_reference")
        return SendResult(gateway=self.name, references=(reference,))

    def lookup(self, client_ref: str) -> LookupResult | None:
        with timed(self.name, "lookup"):
            try:
                data = self._call(
                    "GET", "/messages?" + urllib.parse.urlencode({"client_ref": client_ref})
                )
            except PermanentGatewayError as exc:
                if exc.code == "http_404":
                    return None
                raise TransientGatewayError(str(exc), code=exc.code) from None
            except OutcomeUnknown as exc:
                raise TransientGatewayError(str(exc), code=exc.code) from None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise TransientGatewayError("unreadable lookup answer", code="not_json")
        stat = str(data.get("status", ""))
        return LookupResult(references=(data["id"],), state=report_state(stat), stat=stat.upper())

    def close(self) -> None:
        pass

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        all_headers = {
            "Accept": "application/json",
            "Authorization": f"Bearer {self.config.token}",
            **(headers or {}),
        }
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            all_headers["Content-Type"] = "application/json"
        # The scheme was checked in the config: https, or http to loopback.
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path, data=data, headers=all_headers, method=method
        )
        where = f"{method} {path.split('?')[0]}"
        try:
            with self._opener.open(request, timeout=self.config.timeout_seconds) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code in _TRANSIENT_STATUSES:
                raise TransientGatewayError(
                    f"{where}: HTTP {exc.code}", code=f"http_{exc.code}"
                ) from None
            raise PermanentGatewayError(
                f"{where}: HTTP {exc.code}", code=f"http_{exc.code}"
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise OutcomeUnknown(f"{where}: timed out", code="timeout") from None
            raise TransientGatewayError(f"{where}: {exc.reason}", code="connection") from None
        except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
            raise OutcomeUnknown(f"{where}: timed out", code="timeout") from None
        except (ConnectionResetError, http.client.RemoteDisconnected, http.client.IncompleteRead):
            raise OutcomeUnknown(f"{where}: connection dropped", code="dropped") from None
        except OSError as exc:
            raise TransientGatewayError(f"{where}: {exc}", code="connection") from None
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise OutcomeUnknown(f"{where}: answer is not JSON", code="not_json") from None


def sign_callback(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (gateways and tests)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def parse_callback(
    *,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: dt.datetime,
) -> DeliveryReport | InboundSms:
    """Check a callback's signature and timestamp, then read its event.

    Raises:
        ForgedCallback: no secret configured, missing or wrong signature, stale timestamp.
        MalformedCallback: authentic but unreadable.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not secret:
        raise ForgedCallback("no callback secret configured")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise ForgedCallback("missing or malformed timestamp")
    if abs(now.timestamp() - int(timestamp)) > CALLBACK_TOLERANCE.total_seconds():
        raise ForgedCallback("timestamp outside the accepted window")
    expected = sign_callback(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode("ascii", "replace")):
        raise ForgedCallback("bad signature")
    try:
        event = json.loads(body)
    except ValueError:
        raise MalformedCallback("not JSON") from None
    if not isinstance(event, dict):
        raise MalformedCallback("not an object")
    kind = event.get("type")
    at = _parse_time(event.get("at"))
    if kind == "status":
        reference, stat = event.get("id"), event.get("status")
        if not isinstance(reference, str) or not reference or not isinstance(stat, str):
            raise MalformedCallback("status event without id or status")
        return DeliveryReport(
            gateway=HttpGateway.name,
            reference=reference,
            state=report_state(stat),
            stat=stat.upper()[:16],
            error=str(event.get("error") or "")[:32],
            done_at=at,
        )
    if kind == "inbound":
        sender, text = event.get("from"), event.get("text")
        if not isinstance(sender, str) or not isinstance(text, str):
            raise MalformedCallback("inbound event without from or text")
        return InboundSms(
            gateway=HttpGateway.name,
            sender=sender,
            recipient=str(event.get("to") or ""),
            text=text,
            reference=str(event.get("id") or "")[:64],
            received_at=at,
        )
    raise MalformedCallback(f"unknown event type {kind!r}")


def _parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
