"""SMPP 3.4 client (ESME) for an operator's SMSC, on ``smpplib``'s PDUs and connection.

One session per process, opened on first use and kept: bound as transceiver (submit and receive
reports on one connection) or transmitter. A reader thread reads every PDU: it matches
``submit_sm_resp``/``query_sm_resp`` to the waiting call by sequence number, answers
``enquire_link`` and ``deliver_sm`` (delivery receipts and inbound SMS, handed to the listeners),
and sends ``enquire_link`` itself when the line has been quiet for ``enquire_link_seconds``; a
session that stops answering is closed. The next use reconnects, with back-off after failures
(``reconnect_min_seconds`` doubling up to ``reconnect_max_seconds``), so a restarted SMSC is
found again without a restart of ours.

Long texts are cut by :mod:`jamana.notify.segments` (between characters, never inside an escape
sequence; ``smpplib.gsm.make_parts`` cuts the encoded bytes, its own FIXME) and sent as:

* ``udh`` (default): one ``submit_sm`` per segment with a concatenation header (8-bit reference),
  ``esm_class`` UDHI — what every handset reassembles;
* ``sar``: one ``submit_sm`` per segment with the ``sar_*`` optional parameters;
* ``payload``: one ``submit_sm`` with the whole text in ``message_payload``; the SMSC cuts it.

GSM-7 texts use ``data_coding`` 0 (SMSC default alphabet, unpacked septets), others UCS-2 (8).
``registered_delivery`` asks for a receipt per segment. SMPP 3.4 has no client reference the
SMSC would keep for us, so :meth:`SmppGateway.lookup` is unsupported: a message whose
``submit_sm_resp`` never came is handed to an agent rather than sent twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import queue
import re
import select
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import smpplib.client
import smpplib.consts as c
import smpplib.exceptions
from smpplib import smpp

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
    TransientGatewayError,
    report_state,
    timed,
)
from jamana.notify.segments import GSM7, decode_octets, encode_part, sms_layout

logger = logging.getLogger("jamana.sms.smpp")

BIND_MODES = ("transceiver", "transmitter")
CONCATENATION = ("udh", "sar", "payload")
# Statuses after which the same submit_sm may succeed a little later.
_RETRY_STATUSES = frozenset({c.SMPP_ESME_RTHROTTLED, c.SMPP_ESME_RMSGQFUL})
# ESME_RX_T_APPN: "temporary application error", the SMSC will deliver the PDU again later.
ESME_RX_T_APPN = 0x00000064
# message_state values of query_sm_resp and the message_state TLV (SMPP 3.4, 5.2.28).
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
_RECEIPT_TYPES = frozenset({0x04, 0x20})  # SMSC delivery receipt, intermediate notification
_READ_TICK = 0.2


@dataclass(frozen=True, kw_only=True)
class SmppConfig:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    bind_mode: str = "transceiver"
    concatenation: str = "udh"
    registered_delivery: bool = True
    enquire_link_seconds: float = 30.0
    response_timeout_seconds: float = 10.0
    reconnect_min_seconds: float = 1.0
    reconnect_max_seconds: float = 60.0
    # In-call retries of one segment the SMSC throttled, before giving the message back.
    throttle_retries: int = 3

    def __post_init__(self) -> None:
        if self.bind_mode not in BIND_MODES:
            raise ValueError(f"bind_mode must be one of {BIND_MODES}")
        if self.concatenation not in CONCATENATION:
            raise ValueError(f"concatenation must be one of {CONCATENATION}")
        if self.response_timeout_seconds <= 0 or self.enquire_link_seconds <= 0:
            raise ValueError("timeouts must be positive")
        # SMPP 3.4 C-Octet strings, NUL included; smpplib would cut longer ones silently.
        if len(self.system_id) > 15 or len(self.password) > 8 or len(self.system_type) > 12:
            raise ValueError("system_id ≤ 15, password ≤ 8, system_type ≤ 12 characters")


class _SessionLost(Exception):
    pass


class _Waiter:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.pdu: Any = None
        self.lost = False


class _Session:
    """One bound SMPP connection and its reader thread."""

    def __init__(self, config: SmppConfig, listeners: GatewayListeners) -> None:
        self.config = config
        self.listeners = listeners
        self.client = smpplib.client.Client(
            config.host,
            config.port,
            timeout=config.response_timeout_seconds,
            allow_unknown_opt_params=True,
            logger_name="jamana.sms.smpp.pdu",
        )
        # Re-entrant: a failed write inside the lock closes the session, which takes it again.
        self._send_lock = threading.RLock()
        self._waiters: dict[int, _Waiter] = {}
        self._closing = False
        self.alive = False
        self.enquire_links_sent = 0
        self._last_heard = time.monotonic()
        self._enquire_sent_at: float | None = None
        self._reader = threading.Thread(target=self._read_loop, name="smpp-reader", daemon=True)
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._handler = threading.Thread(target=self._handle_loop, name="smpp-deliver", daemon=True)

    def open(self) -> None:
        cfg = self.config
        try:
            self.client.connect()
            sock = self.client._socket  # smpplib keeps its socket private
            if sock is not None:
                # Requests and responses are small and go both ways at once (receipts): without
                # this, Nagle holds a submit_sm until the SMSC acknowledges our last response.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            bind = getattr(self.client, f"bind_{cfg.bind_mode}")
            bind(system_id=cfg.system_id, password=cfg.password, system_type=cfg.system_type)
        except smpplib.exceptions.PDUError as exc:
            self._close_socket()
            raise TransientGatewayError(f"bind refused: {exc}", code="bind_refused") from None
        except (smpplib.exceptions.ConnectionError, OSError) as exc:
            self._close_socket()
            raise TransientGatewayError(
                f"cannot reach the SMSC: {exc or 'connection failed'}", code="connection"
            ) from None
        self.alive = True
        self._last_heard = time.monotonic()
        self._reader.start()
        self._handler.start()
        logger.info("bound to %s:%s as %s", cfg.host, cfg.port, cfg.bind_mode)

    # Sending ----------------------------------------------------------------------------------

    def request(self, command: str, **fields: Any) -> _Waiter:
        """Write one request PDU and return the waiter its response will be handed to.

        Raises:
            _SessionLost: nothing could be written (the request did not leave).
        """
        with self._send_lock:
            if not self.alive:
                raise _SessionLost("session closed")
            pdu = smpp.make_pdu(command, client=self.client, **fields)
            waiter = _Waiter()
            self._waiters[pdu.sequence] = waiter
            try:
                self.client.send_pdu(pdu)
            except smpplib.exceptions.PDUError:
                # smpplib refuses a command the bind state does not allow: nothing was written.
                self._waiters.pop(pdu.sequence, None)
                raise _SessionLost(f"{command} not allowed in this bind") from None
            except (smpplib.exceptions.ConnectionError, OSError):
                self._waiters.pop(pdu.sequence, None)
                self._die()
                raise _SessionLost("write failed") from None
        return waiter

    def wait(self, waiter: _Waiter) -> Any:
        """The response PDU; raises _SessionLost or TimeoutError without one."""
        if not waiter.done.wait(self.config.response_timeout_seconds):
            raise TimeoutError("no response")
        if waiter.lost:
            raise _SessionLost("session lost before the response")
        return waiter.pdu

    def _respond(self, command: str, request: Any, **fields: Any) -> None:
        with self._send_lock:
            if not self.alive:
                return
            pdu = smpp.make_pdu(command, client=self.client, **fields)
            # smpplib ignores a ``sequence`` keyword (its property already has a value): a
            # response must carry its request's sequence number, so it is set afterwards.
            pdu.sequence = request.sequence
            try:
                self.client.send_pdu(pdu)
            except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError):
                self._die()

    # Reading ----------------------------------------------------------------------------------

    def _read_loop(self) -> None:
        cfg = self.config
        try:
            while not self._closing:
                sock = self.client._socket  # smpplib keeps its socket private; select needs it
                if sock is None:
                    break
                readable, _, _ = select.select([sock], [], [], _READ_TICK)
                now = time.monotonic()
                if not readable:
                    if self._enquire_sent_at is not None:
                        if now - self._enquire_sent_at > cfg.response_timeout_seconds:
                            logger.warning("SMSC did not answer enquire_link: reconnecting")
                            break
                    elif now - self._last_heard >= cfg.enquire_link_seconds:
                        self._enquire_link()
                    continue
                pdu = self.client.read_pdu()
                self._last_heard = time.monotonic()
                self._enquire_sent_at = None
                self._dispatch(pdu)
        except (
            smpplib.exceptions.ConnectionError,
            smpplib.exceptions.PDUError,
            smpplib.exceptions.UnknownCommandError,
            OSError,
            ValueError,
            AttributeError,  # smpplib drops its socket when closed under our feet
        ) as exc:
            if not self._closing:
                logger.warning("SMPP session lost: %s", exc or type(exc).__name__)
        finally:
            self._die()

    def _enquire_link(self) -> None:
        with self._send_lock:
            if not self.alive:
                return
            try:
                self.client.send_pdu(smpp.make_pdu("enquire_link", client=self.client))
            except (smpplib.exceptions.ConnectionError, OSError):
                return
            self._enquire_sent_at = time.monotonic()
            self.enquire_links_sent += 1

    def _dispatch(self, pdu: Any) -> None:
        command = pdu.command
        if command == "enquire_link":
            self._respond("enquire_link_resp", pdu)
        elif command == "deliver_sm":
            # Handled on another thread: a listener may send (the answer to an inbound SMS),
            # and this thread must stay free to read that submit_sm_resp.
            self._inbox.put(pdu)
        elif command == "unbind":
            self._respond("unbind_resp", pdu)
            self._closing = True
        elif pdu.is_response() or command == "generic_nack":
            waiter = self._waiters.pop(pdu.sequence, None)
            if waiter is not None:
                waiter.pdu = pdu
                waiter.done.set()
        else:
            logger.info("ignored %s from the SMSC", command)
            self._respond("generic_nack", pdu, status=c.SMPP_ESME_RINVCMDID)

    def _handle_loop(self) -> None:
        while True:
            batch = [self._inbox.get()]
            # Receipts come in bursts: what is already waiting is applied in one transaction.
            while len(batch) < 200 and batch[-1] is not None:
                try:
                    batch.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            pdus = [pdu for pdu in batch if pdu is not None]
            if pdus:
                self._handle(pdus)
            if len(pdus) < len(batch):
                return

    def _handle(self, pdus: list[Any]) -> None:
        statuses: dict[int, int] = {}
        reports: list[tuple[Any, DeliveryReport]] = []
        for pdu in pdus:
            try:
                event = parse_deliver_sm(pdu)
            except Exception:
                logger.exception("unreadable deliver_sm")
                statuses[id(pdu)] = c.SMPP_ESME_RSYSERR
                continue
            if isinstance(event, DeliveryReport):
                reports.append((pdu, event))
                continue
            try:
                self.listeners.on_inbound(event)
            except Exception:
                # Our side failed (database down…): the SMSC keeps it and delivers it again.
                logger.exception("inbound SMS not handled; asking the SMSC to retry")
                statuses[id(pdu)] = ESME_RX_T_APPN
        if reports:
            try:
                self.listeners.on_reports([report for _pdu, report in reports])
            except Exception:
                logger.exception("delivery reports not applied; asking the SMSC to retry")
                statuses.update({id(pdu): ESME_RX_T_APPN for pdu, _report in reports})
        for pdu in pdus:
            self._respond("deliver_sm_resp", pdu, status=statuses.get(id(pdu), c.SMPP_ESME_ROK))

    def _die(self) -> None:
        with self._send_lock:
            was_alive, self.alive = self.alive, False
            waiters, self._waiters = self._waiters, {}
        for waiter in waiters.values():
            waiter.lost = True
            waiter.done.set()
        if was_alive:
            self._inbox.put(None)
            self._close_socket()

    def _close_socket(self) -> None:
        with contextlib.suppress(OSError):
            self.client.disconnect()

    def close(self) -> None:
        """Unbind politely, then close (idempotent)."""
        self._closing = True  # the SMSC hangs up after unbind_resp: not a lost session
        if self.alive:
            try:
                waiter = self.request("unbind")
                waiter.done.wait(min(2.0, self.config.response_timeout_seconds))
            except _SessionLost:
                pass
        self._closing = True
        self._die()
        for thread in (self._reader, self._handler):
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout=2)


class SmppGateway:
    """The SMPP gateway: thread-safe; one per process (see ``get_sms_gateway``)."""

    name = "smpp"

    def __init__(self, config: SmppConfig, listeners: GatewayListeners | None = None) -> None:
        self.config = config
        self.listeners = listeners or GatewayListeners()
        self._lock = threading.Lock()
        self._session: _Session | None = None
        self._failures = 0
        self._next_connect_at = 0.0
        self.connections = 0  # binds made, for tests and the bench

    # Session management -----------------------------------------------------------------------

    def _bound(self) -> _Session:
        with self._lock:
            if self._session is not None and self._session.alive:
                return self._session
            now = time.monotonic()
            if now < self._next_connect_at:
                raise TransientGatewayError(
                    f"SMSC unreachable; next try in {self._next_connect_at - now:.1f} s (back-off)",
                    code="backoff",
                )
            session = _Session(self.config, self.listeners)
            try:
                session.open()
            except TransientGatewayError:
                self._failures += 1
                delay = min(
                    self.config.reconnect_max_seconds,
                    self.config.reconnect_min_seconds * 2 ** (self._failures - 1),
                )
                self._next_connect_at = now + delay
                raise
            self._failures = 0
            self._next_connect_at = 0.0
            self._session = session
            self.connections += 1
            return session

    def maintain(self) -> bool:
        """Reconnect if the session is down and the back-off allows (for a process that only
        listens for reports and inbound SMS); True if bound."""
        try:
            self._bound()
        except TransientGatewayError:
            return False
        return True

    @property
    def is_bound(self) -> bool:
        session = self._session
        return session is not None and session.alive

    @property
    def enquire_links_sent(self) -> int:
        session = self._session
        return session.enquire_links_sent if session is not None else 0

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()

    # Sending ----------------------------------------------------------------------------------

    def send(self, *, to: str, body: str, sender: str, client_ref: str) -> SendResult:
        with timed(self.name, "submit_sm"):
            session = self._bound()
            accepted: list[str] = []
            for fields in submit_sm_fields(
                to=to,
                body=body,
                sender=sender,
                client_ref=client_ref,
                concatenation=self.config.concatenation,
                registered_delivery=self.config.registered_delivery,
            ):
                accepted.append(self._submit_one(session, fields, tuple(accepted)))
            return SendResult(gateway=self.name, references=tuple(accepted))

    def _submit_one(
        self, session: _Session, fields: dict[str, Any], accepted: tuple[str, ...]
    ) -> str:
        for attempt in range(self.config.throttle_retries + 1):
            try:
                waiter = session.request("submit_sm", **fields)
            except _SessionLost:
                if accepted:
                    raise OutcomeUnknown(
                        "connection lost between segments", code="partial", accepted=accepted
                    ) from None
                raise TransientGatewayError("connection lost", code="connection") from None
            try:
                response = session.wait(waiter)
            except (TimeoutError, _SessionLost) as exc:
                raise OutcomeUnknown(
                    f"no submit_sm_resp: {exc}", code="no_answer", accepted=accepted
                ) from None
            status = int(response.status)
            if response.command == "submit_sm_resp" and status == c.SMPP_ESME_ROK:
                return _text(response.message_id)
            if status in _RETRY_STATUSES and attempt < self.config.throttle_retries:
                time.sleep(0.2 * 2**attempt)
                continue
            description = c.DESCRIPTIONS.get(status, "unknown status")
            message = f"submit_sm refused: 0x{status:08X} {description}"
            if status in _RETRY_STATUSES or status == c.SMPP_ESME_RSYSERR:
                if accepted:
                    raise OutcomeUnknown(message, code="partial", accepted=accepted)
                raise TransientGatewayError(message, code=f"smpp_{status:#x}")
            raise PermanentGatewayError(message, code=f"smpp_{status:#x}", accepted=accepted)
        raise AssertionError("unreachable")  # pragma: no cover

    def lookup(self, client_ref: str) -> LookupResult | None:
        raise LookupUnsupported("SMPP 3.4 keeps no client reference")

    def query(self, reference: str, *, sender: str) -> tuple[ReportState, str]:
        """The SMSC's state of one submitted segment (``query_sm``): (state, stat word).

        Raises:
            TransientGatewayError: no session, no answer.
            PermanentGatewayError: the SMSC does not know this reference.
        """
        if self.config.bind_mode != "transceiver":
            # smpplib allows query_sm only from a receiver or transceiver bind.
            raise PermanentGatewayError("query_sm needs a transceiver bind", code="query_failed")
        with timed(self.name, "query_sm"):
            session = self._bound()
            ton, npi, source = source_address(sender)
            try:
                waiter = session.request(
                    "query_sm",
                    message_id=reference,
                    source_addr_ton=ton,
                    source_addr_npi=npi,
                    source_addr=source,
                )
                response = session.wait(waiter)
            except (_SessionLost, TimeoutError) as exc:
                raise TransientGatewayError(f"query_sm: {exc}", code="no_answer") from None
            if response.command != "query_sm_resp" or response.status != c.SMPP_ESME_ROK:
                raise PermanentGatewayError(
                    f"query_sm refused: 0x{int(response.status):08X}", code="query_failed"
                )
            stat = MESSAGE_STATES.get(int(response.message_state or 0), "UNKNOWN")
            return report_state(stat), stat


# Pure helpers (tested without a network) ------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip("\x00")
    return str(value or "")


def source_address(sender: str) -> tuple[int, int, str]:
    """(TON, NPI, address) for our sender id: alphanumeric (5, 0), else international (1, 1)."""
    digits = sender.lstrip("+")
    if digits.isdigit():
        return c.SMPP_TON_INTL, c.SMPP_NPI_ISDN, digits
    return c.SMPP_TON_ALNUM, c.SMPP_NPI_UNK, sender[:11]


def concatenation_reference(client_ref: str) -> int:
    """A 16-bit reference derived from the message's id: the same on every try of a message."""
    return int.from_bytes(hashlib.sha256(client_ref.encode()).digest()[:2], "big")


def submit_sm_fields(
    *,
    to: str,
    body: str,
    sender: str,
    client_ref: str,
    concatenation: str = "udh",
    registered_delivery: bool = True,
) -> list[dict[str, Any]]:
    """The ``submit_sm`` PDUs (as smpplib fields) that carry ``body`` to ``to``."""
    layout = sms_layout(body)
    data_coding = c.SMPP_ENCODING_DEFAULT if layout.encoding == GSM7 else c.SMPP_ENCODING_ISO10646
    ton, npi, source = source_address(sender)
    common: dict[str, Any] = {
        "source_addr_ton": ton,
        "source_addr_npi": npi,
        "source_addr": source,
        "dest_addr_ton": c.SMPP_TON_INTL,
        "dest_addr_npi": c.SMPP_NPI_ISDN,
        "destination_addr": to.lstrip("+"),
        "data_coding": data_coding,
        "registered_delivery": 1 if registered_delivery else 0,
        "esm_class": c.SMPP_MSGMODE_DEFAULT,
    }
    parts = [encode_part(part, layout.encoding) for part in layout.parts]
    if len(parts) == 1:
        return [{**common, "short_message": parts[0]}]
    if concatenation == "payload":
        return [{**common, "short_message": b"", "message_payload": b"".join(parts)}]
    ref = concatenation_reference(client_ref)
    total = len(parts)
    if total > 255:
        raise PermanentGatewayError("text too long for one concatenated SMS", code="too_long")
    fields = []
    for number, octets in enumerate(parts, start=1):
        if concatenation == "sar":
            fields.append(
                {
                    **common,
                    "short_message": octets,
                    "sar_msg_ref_num": ref,
                    "sar_total_segments": total,
                    "sar_segment_seqnum": number,
                }
            )
        else:
            udh = bytes([0x05, 0x00, 0x03, ref & 0xFF, total, number])
            fields.append(
                {
                    **common,
                    "esm_class": c.SMPP_MSGMODE_DEFAULT | c.SMPP_GSMFEAT_UDHI,
                    "short_message": udh + octets,
                }
            )
    return fields


_RECEIPT_FIELD = re.compile(r"(id|stat|err|done date):\s*(\S+)", re.IGNORECASE)


def parse_deliver_sm(pdu: Any) -> DeliveryReport | InboundSms:
    """A ``deliver_sm`` read as a delivery receipt (``esm_class`` type 0x04 or 0x20: the
    ``receipted_message_id``/``message_state`` parameters when present, else the receipt text
    ``id:… stat:… err:… done date:…``) or as an inbound SMS (its text decoded by
    ``data_coding``; a concatenation header is dropped and each segment read on its own)."""
    esm_class = int(pdu.esm_class or 0)
    payload = pdu.message_payload if getattr(pdu, "message_payload", None) else None
    raw = payload or pdu.short_message or b""
    if (esm_class & 0x3C) in _RECEIPT_TYPES:
        fields = {k.lower(): v for k, v in _RECEIPT_FIELD.findall(raw.decode("latin-1"))}
        reference = _text(getattr(pdu, "receipted_message_id", None)) or fields.get("id", "")
        state_number = getattr(pdu, "message_state", None)
        stat = (
            MESSAGE_STATES.get(int(state_number), "UNKNOWN")
            if state_number
            else fields.get("stat", "UNKNOWN")
        )
        return DeliveryReport(
            gateway="smpp",
            reference=reference,
            state=report_state(stat),
            stat=stat.upper()[:16],
            error=fields.get("err", "")[:32],
            done_at=_receipt_date(fields.get("done date", "")),
        )
    if esm_class & c.SMPP_GSMFEAT_UDHI and raw:
        raw = raw[1 + raw[0] :]
    sender = _text(pdu.source_addr)
    if int(pdu.source_addr_ton or 0) == c.SMPP_TON_INTL and sender.isdigit():
        sender = "+" + sender
    return InboundSms(
        gateway="smpp",
        sender=sender,
        recipient=_text(pdu.destination_addr),
        text=decode_octets(raw, int(pdu.data_coding or 0)),
    )


def _receipt_date(value: str) -> dt.datetime | None:
    """``YYMMDDhhmm`` (or with seconds) in UTC, as SMSCs write it; None if unreadable."""
    fmt = {12: "%y%m%d%H%M%S", 10: "%y%m%d%H%M"}.get(len(value))
    if fmt is None or not value.isdigit():
        return None
    try:
        return dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def socket_is_open(host: str, port: int) -> bool:
    """Whether something listens on host:port (for the simulator's start-up)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
