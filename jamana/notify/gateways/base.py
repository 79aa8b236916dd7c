"""The one interface every SMS gateway implements, its results, events and errors.

A gateway is plain Python (no Django): its configuration is a frozen dataclass passed to its
constructor, and what it hears from the operator (delivery reports, inbound SMS) goes to the
callbacks it was given. The outbox (``jamana.notify.delivery``) is the only caller of ``send``.

Every ``send`` carries the message's own stable id (``client_ref``): a gateway that supports an
idempotency key or client reference sends it, so that a retry after a crash or a timeout is
recognised instead of sent twice, and ``lookup(client_ref)`` can tell afterwards whether the
gateway accepted the message.

Errors, from the point of view of "may we send it again?":

* :class:`TransientGatewayError` — nothing was accepted (connection refused, bind failed,
  throttled): retry later.
* :class:`PermanentGatewayError` — refused (invalid number, rejected content): never retry.
* :class:`OutcomeUnknown` — sent, but no answer came (timeout, connection lost after writing):
  the gateway may have accepted it. Never resend blindly; the outbox's recovery asks the gateway
  (``lookup``) or hands the message to an agent.

Each error carries ``accepted``: the references of the parts accepted before it happened (a long
SMS sent over SMPP is several submissions), and a stable ``code``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

logger = logging.getLogger("jamana.sms")


class GatewayError(Exception):
    def __init__(self, code: str, message: str, *, accepted: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.accepted = accepted


class TransientGatewayError(GatewayError):
    """Nothing was accepted and a later try may succeed: timeout before sending, throttling,
    gateway down."""

    def __init__(
        self, message: str = "", *, code: str = "transient", accepted: tuple[str, ...] = ()
    ) -> None:
        super().__init__(code, message, accepted=accepted)


class PermanentGatewayError(GatewayError):
    """Never worth retrying: invalid number, rejected content, bad credentials for this call."""

    def __init__(
        self, message: str = "", *, code: str = "permanent", accepted: tuple[str, ...] = ()
    ) -> None:
        super().__init__(code, message, accepted=accepted)


class OutcomeUnknown(GatewayError):
    """Sent, but the answer never came: the gateway may or may not have accepted it."""

    def __init__(
        self, message: str = "", *, code: str = "no_answer", accepted: tuple[str, ...] = ()
    ) -> None:
        super().__init__(code, message, accepted=accepted)


class LookupUnsupported(GatewayError):
    """The gateway cannot tell whether it accepted a message by our reference (SMPP 3.4 has no
    client reference; a console prints and forgets)."""

    def __init__(self, message: str = "") -> None:
        super().__init__("lookup_unsupported", message)


class ReportState(StrEnum):
    """Where the operator says a message is."""

    PENDING = "pending"  # accepted, enroute, or a state the operator itself does not know
    DELIVERED = "delivered"
    FAILED = "failed"  # undeliverable, expired, rejected, deleted


@dataclass(frozen=True)
class SendResult:
    """A message accepted by the gateway: one reference per submitted part (SMPP gives one per
    segment; most HTTP gateways one for the message)."""

    gateway: str
    references: tuple[str, ...]

    @property
    def reference(self) -> str:
        return self.references[0] if self.references else ""


@dataclass(frozen=True)
class LookupResult:
    """What the gateway knows of a message it accepted under our ``client_ref``."""

    references: tuple[str, ...]
    state: ReportState = ReportState.PENDING
    stat: str = ""


@dataclass(frozen=True)
class DeliveryReport:
    """A delivery receipt: the operator's verdict on one submitted part."""

    gateway: str
    reference: str
    state: ReportState
    stat: str  # the operator's own word: DELIVRD, UNDELIV, EXPIRED, REJECTD, …
    error: str = ""
    done_at: dt.datetime | None = None


@dataclass(frozen=True)
class InboundSms:
    """A text a person sent to our number."""

    gateway: str
    sender: str  # E.164 when the gateway gave an international number
    recipient: str
    text: str
    reference: str = ""  # the gateway's id of the inbound message, when it has one
    received_at: dt.datetime | None = None


@dataclass
class GatewayListeners:
    """Where a gateway hands what it hears (reports in batches: they come in bursts). Each may
    raise: the gateway then tells the operator to try again later (SMPP: a temporary error in
    ``deliver_sm_resp``; HTTP: a 5xx)."""

    on_reports: Callable[[list[DeliveryReport]], None] = field(default=lambda reports: None)
    on_inbound: Callable[[InboundSms], None] = field(default=lambda sms: None)


class SmsGateway(Protocol):
    name: str

    def send(self, *, to: str, body: str, sender: str, client_ref: str) -> SendResult: ...

    def lookup(self, client_ref: str) -> LookupResult | None:
        """What the gateway accepted under ``client_ref``; None if it has no such message.

        Raises:
            LookupUnsupported: the gateway cannot look messages up by our reference.
            TransientGatewayError: it could not be asked now.
        """
        ...

    def close(self) -> None: ...


# SMPP ``stat`` words and HTTP status words, mapped once for every gateway.
_STATES = {
    "DELIVRD": ReportState.DELIVERED,
    "DELIVERED": ReportState.DELIVERED,
    "UNDELIV": ReportState.FAILED,
    "UNDELIVERABLE": ReportState.FAILED,
    "EXPIRED": ReportState.FAILED,
    "REJECTD": ReportState.FAILED,
    "REJECTED": ReportState.FAILED,
    "DELETED": ReportState.FAILED,
    "FAILED": ReportState.FAILED,
}


def report_state(stat: str) -> ReportState:
    """Our state for an operator's status word (case-insensitive); anything we do not know,
    ENROUTE, ACCEPTD and UNKNOWN included, is still pending."""
    return _STATES.get(stat.strip().upper(), ReportState.PENDING)


@contextmanager
def timed(gateway: str, operation: str) -> Iterator[None]:
    """Log how long one gateway call took (never the text or the number)."""
    started = time.monotonic()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        logger.info(
            "%s %s %s in %.1f ms", gateway, operation, outcome, (time.monotonic() - started) * 1e3
        )
