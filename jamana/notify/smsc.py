"""An SMSC simulator for tests, benches and demos: ``python -m jamana.notify.smsc --port 2775``.

A small SMPP 3.4 server on ``smpplib``'s PDU classes (the ``smpp34`` package's Python server was
tried first: it cannot check bind credentials nor answer ``query_sm``). It:

* accepts ``bind_transmitter``/``bind_receiver``/``bind_transceiver`` with the configured
  system_id and password (else ESME_RINVPASWD), answers ``enquire_link`` and ``unbind``;
* acks every ``submit_sm`` with a fresh message id, and reassembles concatenated texts (UDH with
  8- or 16-bit references, SAR parameters, ``message_payload``) decoded by ``data_coding``;
* sends a delivery receipt (``deliver_sm``, esm_class 0x04, text ``id:… stat:…`` plus the
  ``receipted_message_id``/``message_state`` parameters) after ``--dlr-delay`` seconds when the
  submission asked for one — UNDELIV for numbers given with ``--undeliverable``; receipts for
  an ESME that is not bound wait until one binds, as on a real SMSC;
* answers ``query_sm`` with the message's state (ESME_RQUERYFAIL for an unknown id);
* has a control API on loopback HTTP for tests: ``GET /_sim/messages`` (reassembled texts),
  ``GET /_sim/stats``, ``POST /_sim/mo`` ``{"from", "to", "text"}`` (a person texts us).

Loopback only, in-memory, no persistence. Not for production.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import heapq
import itertools
import json
import logging
import signal
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import smpplib.client
import smpplib.consts as c
import smpplib.exceptions
from smpplib import smpp

from jamana.notify.segments import GSM7, decode_octets, encode_part, sms_layout

logger = logging.getLogger("jamana.smsc")

_BIND_STATES = {
    "bind_transmitter": (True, False),
    "bind_receiver": (False, True),
    "bind_transceiver": (True, True),
}
_SMSC_DELIVERY_RECEIPT = 0x04  # esm_class message type (SMPP 3.4, 5.2.12)
_STATE_NUMBERS = {"ENROUTE": 1, "DELIVRD": 2, "EXPIRED": 3, "UNDELIV": 5, "ACCEPTD": 6}


@dataclass
class _Stored:
    message_id: str
    source: str
    destination: str
    submitted_at: dt.datetime
    text_start: str
    state: str = "ENROUTE"
    done_at: dt.datetime | None = None


@dataclass
class _Assembly:
    total: int
    data_coding: int
    ids: list[str] = field(default_factory=list)
    parts: dict[int, bytes] = field(default_factory=dict)


class _Sequences:
    """What smpplib's PDUs ask of a "client": the sequence numbers of our own requests."""

    def __init__(self) -> None:
        self._generator = smpplib.client.SimpleSequenceGenerator()
        self._lock = threading.Lock()

    @property
    def sequence(self) -> int:
        return self._generator.sequence

    def next_sequence(self) -> int:
        with self._lock:
            return self._generator.next_sequence()


class _Connection:
    def __init__(self, smsc: Smsc, sock: socket.socket) -> None:
        self.smsc = smsc
        self.sock = sock
        self.seq = _Sequences()
        self.system_id = ""
        self.can_send = False
        self.can_receive = False
        self._write = threading.Lock()
        self.open = True

    @property
    def bound(self) -> bool:
        return self.can_send or self.can_receive

    def send(self, command: str, *, sequence: int | None = None, **fields: Any) -> bool:
        pdu = smpp.make_pdu(command, client=self.seq, **fields)
        if sequence is not None:
            # smpplib ignores a ``sequence`` keyword (its property already has a value).
            pdu.sequence = sequence
        try:
            with self._write:
                self.sock.sendall(pdu.generate())
        except OSError:
            self.open = False
            return False
        return True

    def reply(self, request: Any, command: str, **fields: Any) -> None:
        self.send(command, sequence=request.sequence, **fields)

    def read(self) -> Any:
        header = self._exact(4)
        (length,) = struct.unpack(">L", header)
        if length < 16 or length > 70_000:
            raise smpplib.exceptions.PDUError("bad command_length")
        data = header + self._exact(length - 4)
        return smpp.parse_pdu(data, client=self.seq, allow_unknown_opt_params=True)

    def _exact(self, size: int) -> bytes:
        chunks = []
        while size:
            chunk = self.sock.recv(size)
            if not chunk:
                raise ConnectionError("closed")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)


class Smsc:
    """The simulator's state and behaviour, shared by all connections."""

    def __init__(
        self,
        *,
        system_id: str = "jamana",
        password: str = "jamana",  # noqa: S107 (the simulator's public development password)
        dlr_delay: float = 0.2,
        undeliverable: Sequence[str] = (),
        dlr: bool = True,
    ) -> None:
        self.system_id = system_id
        self.password = password
        self.dlr_delay = dlr_delay
        self.undeliverable = {number.lstrip("+") for number in undeliverable}
        self.dlr = dlr
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.connections: list[_Connection] = []
        self.stored: dict[str, _Stored] = {}
        self.assembled: list[dict[str, Any]] = []
        self._assemblies: dict[tuple[str, str, int, int], _Assembly] = {}
        self._waiting_receipts: list[tuple[str, dict[str, Any]]] = []
        self._due: list[tuple[float, str, str, bool]] = []
        self._due_ready = threading.Condition()
        threading.Thread(target=self._receipts_loop, name="smsc-receipts", daemon=True).start()
        self.stats = {
            "binds": 0,
            "bind_refused": 0,
            "submit_sm": 0,
            "enquire_link": 0,
            "query_sm": 0,
            "deliver_sm": 0,
            "deliver_sm_resp": 0,
            "deliver_sm_retry": 0,
        }

    # One connection -----------------------------------------------------------------------

    def serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Connection(self, sock)
        with self._lock:
            self.connections.append(conn)
        try:
            while conn.open:
                try:
                    pdu = conn.read()
                except smpplib.exceptions.UnknownCommandError:
                    conn.send("generic_nack", status=c.SMPP_ESME_RINVCMDID)
                    continue
                if not self._handle(conn, pdu):
                    break
        except (OSError, ConnectionError, smpplib.exceptions.PDUError, struct.error):
            pass
        finally:
            conn.open = False
            with self._lock:
                self.connections.remove(conn)
            with contextlib.suppress(OSError):
                sock.close()

    def _handle(self, conn: _Connection, pdu: Any) -> bool:
        command = pdu.command
        if command in _BIND_STATES:
            return self._bind(conn, pdu)
        if command == "enquire_link":
            self._count("enquire_link")
            conn.reply(pdu, "enquire_link_resp")
        elif command == "unbind":
            conn.reply(pdu, "unbind_resp")
            return False
        elif command == "submit_sm":
            if not conn.can_send:
                conn.reply(pdu, "submit_sm_resp", status=c.SMPP_ESME_RINVBNDSTS)
            else:
                self._submit(conn, pdu)
        elif command == "query_sm":
            self._query(conn, pdu)
        elif command == "deliver_sm_resp":
            self._count("deliver_sm_resp" if pdu.status == 0 else "deliver_sm_retry")
        elif pdu.is_response():
            pass
        else:
            conn.reply(pdu, "generic_nack", status=c.SMPP_ESME_RINVCMDID)
        return True

    def _bind(self, conn: _Connection, pdu: Any) -> bool:
        response = pdu.command + "_resp"
        if conn.bound:
            conn.reply(pdu, response, status=c.SMPP_ESME_RALYBND, system_id="SIMSMSC")
            return True
        if _text(pdu.system_id) != self.system_id or _text(pdu.password) != self.password:
            self._count("bind_refused")
            conn.reply(pdu, response, status=c.SMPP_ESME_RINVPASWD, system_id="SIMSMSC")
            return True
        conn.system_id = self.system_id
        conn.can_send, conn.can_receive = _BIND_STATES[pdu.command]
        self._count("binds")
        conn.reply(pdu, response, system_id="SIMSMSC")
        if conn.can_receive:
            self._flush_waiting_receipts()
        return True

    # Submissions ------------------------------------------------------------------------------

    def _submit(self, conn: _Connection, pdu: Any) -> None:
        message_id = f"{next(self._ids):010X}"
        short = bytes(pdu.short_message or b"")
        payload = getattr(pdu, "message_payload", None)
        data_coding = int(pdu.data_coding or 0)
        source, destination = _text(pdu.source_addr), _text(pdu.destination_addr)
        self._count("submit_sm")
        conn.reply(pdu, "submit_sm_resp", message_id=message_id)
        body = bytes(payload) if payload else short
        concat: tuple[int, int, int] | None = None  # (reference, total, number)
        kind = "payload" if payload else "single"
        if int(pdu.esm_class or 0) & c.SMPP_GSMFEAT_UDHI and body:
            concat, body = _read_udh(body)
            kind = "udh"
        elif getattr(pdu, "sar_total_segments", None):
            concat = (
                int(pdu.sar_msg_ref_num),
                int(pdu.sar_total_segments),
                int(pdu.sar_segment_seqnum),
            )
            kind = "sar"
        now = dt.datetime.now(dt.UTC)
        part_text = decode_octets(body, data_coding)
        with self._lock:
            self.stored[message_id] = _Stored(
                message_id, source, destination, now, text_start=part_text[:20]
            )
            if concat is None or concat[1] <= 1:
                self._complete(source, destination, [message_id], [body], data_coding, kind)
            else:
                key = (source, destination, concat[0], concat[1])
                assembly = self._assemblies.setdefault(key, _Assembly(concat[1], data_coding))
                assembly.parts[concat[2]] = body
                assembly.ids.append(message_id)
                if len(assembly.parts) == assembly.total:
                    del self._assemblies[key]
                    ordered = [assembly.parts[n] for n in sorted(assembly.parts)]
                    self._complete(source, destination, assembly.ids, ordered, data_coding, kind)
        # The handset gets it (or not) after the delay; a receipt goes out only if asked for.
        stat = "UNDELIV" if destination in self.undeliverable else "DELIVRD"
        report = self.dlr and bool(int(pdu.registered_delivery or 0) & 0x01)
        self._schedule(time.monotonic() + self.dlr_delay, message_id, stat, report)

    def _complete(
        self,
        source: str,
        destination: str,
        ids: list[str],
        parts: list[bytes],
        data_coding: int,
        kind: str,
    ) -> None:
        if data_coding == 0x08:
            text = b"".join(parts).decode("utf-16-be", errors="replace")
        else:
            text = "".join(decode_octets(part, data_coding) for part in parts)
        self.assembled.append(
            {
                "ids": ids,
                "from": source,
                "to": destination,
                "text": text,
                "parts": len(parts),
                "data_coding": data_coding,
                "concatenation": kind,
            }
        )

    def _schedule(self, due: float, message_id: str, stat: str, report: bool) -> None:
        with self._due_ready:
            heapq.heappush(self._due, (due, message_id, stat, report))
            self._due_ready.notify()

    def _receipts_loop(self) -> None:
        """One thread sends every receipt when it is due (not a timer thread per message)."""
        while True:
            with self._due_ready:
                while not self._due or self._due[0][0] > time.monotonic():
                    timeout = self._due[0][0] - time.monotonic() if self._due else None
                    self._due_ready.wait(timeout)
                _due, message_id, stat, report = heapq.heappop(self._due)
            self._receipt(message_id, stat, report)

    def _receipt(self, message_id: str, stat: str, report: bool) -> None:
        with self._lock:
            stored = self.stored[message_id]
            stored.state, stored.done_at = stat, dt.datetime.now(dt.UTC)
        if not report:
            return
        stamp = "%y%m%d%H%M"
        text = (
            f"id:{message_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} "
            f"submit date:{stored.submitted_at.strftime(stamp)} "
            f"done date:{stored.done_at.strftime(stamp)} stat:{stat} err:000 "
            f"text:{stored.text_start}"
        )
        fields = {
            "source_addr_ton": c.SMPP_TON_INTL,
            "source_addr_npi": c.SMPP_NPI_ISDN,
            "source_addr": stored.destination,
            "destination_addr": stored.source,
            "esm_class": _SMSC_DELIVERY_RECEIPT,
            "short_message": text.encode("latin-1", errors="replace"),
            "receipted_message_id": message_id,
            "message_state": _STATE_NUMBERS[stat],
        }
        self._deliver(fields)

    def _deliver(self, fields: dict[str, Any]) -> bool:
        """Send a deliver_sm to a bound receiver, or keep it until one binds."""
        with self._lock:
            receivers = [conn for conn in self.connections if conn.open and conn.can_receive]
        for conn in receivers:
            if conn.send("deliver_sm", **fields):
                self._count("deliver_sm")
                return True
        with self._lock:
            self._waiting_receipts.append(("deliver_sm", fields))
        return False

    def _flush_waiting_receipts(self) -> None:
        with self._lock:
            waiting, self._waiting_receipts = self._waiting_receipts, []
        for _command, fields in waiting:
            self._deliver(fields)

    def _query(self, conn: _Connection, pdu: Any) -> None:
        self._count("query_sm")
        with self._lock:
            stored = self.stored.get(_text(pdu.message_id))
        if stored is None:
            conn.reply(pdu, "query_sm_resp", status=c.SMPP_ESME_RQUERYFAIL, message_id="")
            return
        final = stored.done_at.strftime("%y%m%d%H%M%S000+") if stored.done_at else ""
        conn.reply(
            pdu,
            "query_sm_resp",
            message_id=stored.message_id,
            final_date=final,
            message_state=_STATE_NUMBERS[stored.state],
            error_code=0,
        )

    # Control ----------------------------------------------------------------------------------

    def inject_mo(self, *, sender: str, recipient: str, text: str) -> bool:
        """A person texts ``text`` to ``recipient`` from ``sender``."""
        layout = sms_layout(text)
        data_coding = c.SMPP_ENCODING_DEFAULT if layout.encoding == GSM7 else 0x08
        fields = {
            "source_addr_ton": c.SMPP_TON_INTL,
            "source_addr_npi": c.SMPP_NPI_ISDN,
            "source_addr": sender.lstrip("+"),
            "destination_addr": recipient,
            "esm_class": 0,
            "data_coding": data_coding,
            "short_message": encode_part(text, layout.encoding)[:254],
        }
        return self._deliver(fields)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                **self.stats,
                "bound": sum(1 for conn in self.connections if conn.bound and conn.open),
                "waiting_receipts": len(self._waiting_receipts),
            }

    def _count(self, name: str) -> None:
        with self._lock:
            self.stats[name] += 1


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip("\x00")
    return str(value or "")


def _read_udh(data: bytes) -> tuple[tuple[int, int, int] | None, bytes]:
    """(reference, total, number) from a user-data header, and the text after it."""
    length = data[0]
    header, rest = data[1 : 1 + length], data[1 + length :]
    i = 0
    while i + 1 < len(header):
        iei, size = header[i], header[i + 1]
        value = header[i + 2 : i + 2 + size]
        if iei == 0x00 and size == 3:
            return (value[0], value[1], value[2]), rest
        if iei == 0x08 and size == 4:
            return (int.from_bytes(value[:2], "big"), value[2], value[3]), rest
        i += 2 + size
    return None, rest


class _TcpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def run_smsc(
    smsc: Smsc, *, host: str = "127.0.0.1", port: int = 2775, control_port: int = 0
) -> tuple[_TcpServer, ThreadingHTTPServer]:
    """Start the SMPP listener and the control API in background threads."""

    class SmppHandler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            smsc.serve(self.request)

    class ControlHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/_sim/messages":
                with smsc._lock:
                    self._json(200, list(smsc.assembled))
            elif self.path == "/_sim/stats":
                self._json(200, smsc.snapshot())
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if self.path != "/_sim/mo":
                self._json(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                data = json.loads(self.rfile.read(length) or b"{}")
                sent = smsc.inject_mo(
                    sender=str(data["from"]),
                    recipient=str(data.get("to", "JAMANA")),
                    text=data["text"],
                )
            except (ValueError, KeyError, TypeError):
                self._json(400, {"error": "bad_request"})
                return
            self._json(202, {"delivered": sent})

        def _json(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _TcpServer((host, port), SmppHandler)
    control = ThreadingHTTPServer((host, control_port), ControlHandler)
    control.daemon_threads = True
    for target in (server.serve_forever, control.serve_forever):
        threading.Thread(target=target, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return server, control


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jamana.notify.smsc", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="a loopback address (default %(default)s)")
    p.add_argument("--port", type=int, default=2775, help="SMPP port; 0 picks a free one")
    p.add_argument("--control-port", type=int, default=0, help="control API port (0: free)")
    p.add_argument("--system-id", default="jamana")
    p.add_argument("--password", default="jamana")
    p.add_argument("--dlr-delay", type=float, default=0.2, metavar="SECONDS")
    p.add_argument("--no-dlr", action="store_true", help="never send delivery receipts")
    p.add_argument("--undeliverable", nargs="*", default=[], metavar="NUMBER")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s",
    )
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the simulator listens on loopback only")
    smsc = Smsc(
        system_id=args.system_id,
        password=args.password,
        dlr_delay=args.dlr_delay,
        undeliverable=args.undeliverable,
        dlr=not args.no_dlr,
    )
    server, control = run_smsc(smsc, host=args.host, port=args.port, control_port=args.control_port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(
        f"SMSC simulator on smpp://{args.host}:{server.server_address[1]} "
        f"control http://{args.host}:{control.server_address[1]}/_sim/",
        flush=True,
    )
    while not stop.wait(0.2):
        pass
    server.shutdown()
    control.shutdown()
    server.server_close()
    control.server_close()
    print("SMSC simulator stopped", flush=True)


if __name__ == "__main__":
    main()
