"""The simulator's HTTP server: the three provider APIs, the test controls under ``/_sim``, and a
page showing the payer's phone. Loopback only, a bounded number of threads."""

from __future__ import annotations

import datetime as dt
import html
import logging
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from jamana.payments.providers.base import utc_now
from jamana.payments.providers.moov_money import MoovMoneyConfig
from jamana.payments.providers.orange_money import OrangeMoneyConfig
from jamana.payments.providers.pispi import PispiConfig
from jamana.payments.providers.transport import is_loopback_host
from jamana.payments.simulator.bank import Intent, SimError
from jamana.payments.simulator.behaviour import Outcome, SimulatorBehaviour, SimulatorCredentials
from jamana.payments.simulator.core import Simulator
from jamana.payments.simulator.delivery import Delivery
from jamana.payments.simulator.moov import MoovApi
from jamana.payments.simulator.orange import OrangeApi
from jamana.payments.simulator.pispi import PispiApi
from jamana.payments.simulator.wire import Reply, Request, error

logger = logging.getLogger("jamana.payments.simulator")

_MAX_BODY = 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: _PooledHTTPServer
    # HTTP/1.0: one request per connection, so an idle client never holds a worker.
    protocol_version = "HTTP/1.0"
    timeout = 10  # seconds a slow client may take to send its request

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self._send(Reply(413, {"code": "too_large"}))
            return
        body = self.rfile.read(length) if length else b""
        parts = urllib.parse.urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=dict(urllib.parse.parse_qsl(parts.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            reply = self.server.app.dispatch(request)
        except Exception:
            logger.exception("simulator failed on %s %s", self.command, parts.path)
            reply = Reply(500, {"code": "simulator_error"})
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        payload = reply.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _PooledHTTPServer(HTTPServer):
    """``HTTPServer`` whose requests run on a fixed pool of threads (``ThreadingHTTPServer``
    starts one thread per request, without bound). When the pool and its short queue are
    full, accepting waits (the kernel's listen backlog holds new clients); a connection still
    without a slot after two seconds is closed: the client sees a transient failure."""

    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: _App, *, workers: int) -> None:
        host = address[0]
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.app = app
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sim-http")
        self._slots = threading.BoundedSemaphore(workers * 4)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(timeout=2.0):
            self.shutdown_request(request)
            return
        self._pool.submit(self._work, request, client_address)

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=True, cancel_futures=True)


class _App:
    """Routes requests to the provider APIs and the ``/_sim`` controls."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def dispatch(self, request: Request) -> Reply:
        if request.path == "/_sim" or request.path.startswith("/_sim/"):
            return self._control(request)
        fault = self.sim.fault_for(request.path)
        if fault is not None:
            status, delay = fault
            time.sleep(delay)
            return Reply(status, {"code": f"simulated_{status}"})
        prefix, _, rest = request.path.lstrip("/").partition("/")
        api = self.sim.apis.get(prefix)
        if api is None:
            return Reply(404, {"code": "not_found"})
        return api.handle(
            Request(request.method, "/" + rest, request.query, request.headers, request.body)
        )

    def _control(self, request: Request) -> Reply:
        path = request.path.removeprefix("/_sim").rstrip("/")
        try:
            if request.method == "GET" and path == "":
                return Reply(200, _phone_page(self.sim), content_type="text/html; charset=utf-8")
            if request.method == "GET" and path == "/intents":
                return Reply(200, [_describe(self.sim, i) for i in self.sim.bank.all()])
            if request.method == "GET" and path == "/deliveries":
                return Reply(200, [asdict(d) for d in self.sim.sender.deliveries()])
            if request.method == "POST" and path.startswith("/confirm/"):
                return self._confirm(request, path.removeprefix("/confirm/"))
            if request.method == "POST" and path == "/fail-next":
                data = request.json()
                self.sim.fail_next(
                    prefix=str(data.get("prefix", "/")),
                    status=int(data.get("status", 503)),
                    count=int(data.get("count", 1)),
                    delay_seconds=float(data.get("delay_seconds", 0)),
                )
                return Reply(200, {"ok": True})
            raise SimError(404, "not_found")
        except SimError as exc:
            return error(exc)

    def _confirm(self, request: Request, reference: str) -> Reply:
        from_form = request.header("content-type").startswith("application/x-www-form")
        if from_form:
            data = dict(urllib.parse.parse_qsl(request.body.decode()))
        else:
            data = request.json() if request.body else {}
        try:
            outcome = Outcome(data.get("outcome", "success"))
        except ValueError:
            raise SimError(400, "invalid_outcome", f"one of {[o.value for o in Outcome]}") from None
        intent = self.sim.settle(reference, outcome)
        if from_form:  # the phone page: back to it
            return Reply(303, "", content_type="text/plain", headers={"Location": "/_sim/"})
        return Reply(200, _describe(self.sim, intent))


def _describe(sim: Simulator, intent: Intent) -> dict[str, Any]:
    view = sim.bank.view(intent)
    return {
        "provider": intent.provider,
        "reference": intent.reference,
        "merchant_reference": intent.merchant_reference,
        "amount_xof": intent.amount_xof,
        "payer_msisdn": intent.payer_msisdn,
        "status": intent.status.value,
        "visible_status": view.status.value,
        "failure_reason": intent.failure_reason,
        "refunded_xof": intent.refunded_xof,
        "fee_xof": intent.fee_xof,
    }


def _phone_page(sim: Simulator) -> str:
    rows = []
    for intent in reversed(sim.bank.all()):
        ref = html.escape(intent.reference)
        if intent.status.value == "pending":
            buttons = "".join(
                f'<button name="outcome" value="{o.value}">{o.value.replace("_", " ")}</button>'
                for o in Outcome
            )
            action = f'<form method="post" action="/_sim/confirm/{ref}">{buttons}</form>'
        else:
            action = html.escape(intent.status.value)
        rows.append(
            f'<tr id="{ref}"><td>{html.escape(intent.provider)}</td>'
            f"<td>{html.escape(intent.payer_msisdn)}</td><td>{intent.amount_xof} XOF</td>"
            f"<td>{html.escape(intent.description)}</td><td><code>{ref}</code></td>"
            f"<td>{action}</td></tr>"
        )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width">'
        "<title>Payment simulator</title><h1>Payment simulator: the payer's phone</h1>"
        "<p>Every payment request the simulated providers received. Answer as the payer."
        "<table><tr><th>Provider<th>Payer<th>Amount<th>Description<th>Reference<th>Answer</tr>"
        + "".join(rows)
        + "</table></html>"
    )


class RunningSimulator:
    """A started simulator: ``url``, ``stop()``, and helpers for tests and settings."""

    def __init__(self, server: _PooledHTTPServer, sim: Simulator, url: str) -> None:
        self._server = server
        self._sim = sim
        self.url = url
        self.credentials = sim.credentials
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="sim-server"
        )
        self._thread.daemon = True
        self._thread.start()
        self._stopped = False

    def stop(self) -> None:
        """Stop serving, cancel timers and pending callbacks, and wait for the threads."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._sim.stop()
        self._thread.join()

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- controls, the same as the /_sim endpoints ------------------------------------------

    def confirm(self, reference: str, outcome: Outcome | str = Outcome.SUCCESS) -> None:
        """The payer answers on the phone (raises ``SimError`` if unknown or already final)."""
        self._sim.settle(reference, Outcome(outcome))

    def fail_next(
        self, *, prefix: str = "/", status: int = 503, count: int = 1, delay_seconds: float = 0
    ) -> None:
        self._sim.fail_next(prefix=prefix, status=status, count=count, delay_seconds=delay_seconds)

    def deliveries(self, reference: str | None = None) -> list[Delivery]:
        return [
            d
            for d in self._sim.sender.deliveries()
            if reference is None or d.reference == reference
        ]

    def intent(self, reference: str) -> dict[str, Any]:
        intent = self._sim.bank.find(reference)
        if intent is None:
            raise KeyError(reference)
        return _describe(self._sim, intent)

    def intents(self) -> list[dict[str, Any]]:
        return [_describe(self._sim, i) for i in self._sim.bank.all()]

    def balance(self, msisdn: str) -> int:
        return self._sim.bank.balance(msisdn)

    def revoke_tokens(self) -> None:
        api = self._sim.apis["orange"]
        if isinstance(api, OrangeApi):
            api.revoke_tokens()

    # -- adapter configurations pointing here ---------------------------------------------

    def orange_config(self, **overrides: Any) -> OrangeMoneyConfig:
        return orange_config(self.url, self.credentials, **overrides)

    def moov_config(self, **overrides: Any) -> MoovMoneyConfig:
        return moov_config(self.url, self.credentials, **overrides)

    def pispi_config(self, **overrides: Any) -> PispiConfig:
        return pispi_config(self.url, self.credentials, **overrides)


def orange_config(
    url: str, credentials: SimulatorCredentials | None = None, **overrides: Any
) -> OrangeMoneyConfig:
    """The Orange Money configuration for a simulator at ``url``."""
    c = credentials or SimulatorCredentials()
    values: dict[str, Any] = {
        "base_url": f"{url}/orange",
        "client_id": c.orange_client_id,
        "client_secret": c.orange_client_secret,
        "merchant_key": c.orange_merchant_key,
        "timeout_seconds": 5.0,
    }
    return OrangeMoneyConfig(**{**values, **overrides})


def moov_config(
    url: str, credentials: SimulatorCredentials | None = None, **overrides: Any
) -> MoovMoneyConfig:
    """The Moov Money configuration for a simulator at ``url``."""
    c = credentials or SimulatorCredentials()
    values: dict[str, Any] = {
        "base_url": f"{url}/moov",
        "username": c.moov_username,
        "password": c.moov_password,
        "callback_secret": c.moov_callback_secret,
        "timeout_seconds": 5.0,
    }
    return MoovMoneyConfig(**{**values, **overrides})


def pispi_config(
    url: str, credentials: SimulatorCredentials | None = None, **overrides: Any
) -> PispiConfig:
    """The PI-SPI configuration for a simulator at ``url``."""
    c = credentials or SimulatorCredentials()
    values: dict[str, Any] = {
        "base_url": f"{url}/pispi",
        "api_key": c.pispi_api_key,
        "creditor_alias": c.pispi_creditor_alias,
        "callback_key_id": c.pispi_key_id,
        "callback_secret": c.pispi_callback_secret,
        "timeout_seconds": 5.0,
    }
    return PispiConfig(**{**values, **overrides})


def run_simulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    behaviour: SimulatorBehaviour,
    credentials: SimulatorCredentials | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> RunningSimulator:
    """Start the simulator in background threads and return it once it accepts connections.

    :param port: 0 picks a free port (see ``.url``).
    :param clock: the time the simulated providers put on statuses, callbacks and statements
        (timers always run on real time).
    :raises ValueError: ``host`` is not a loopback address.
    """
    if not is_loopback_host(host):
        raise ValueError(f"the simulator listens on loopback only, not {host!r}")
    sim = Simulator(
        behaviour=behaviour, credentials=credentials or SimulatorCredentials(), clock=clock
    )
    for api in (OrangeApi(sim), MoovApi(sim), PispiApi(sim)):
        sim.mount(api)
    try:
        server = _PooledHTTPServer((host, port), _App(sim), workers=behaviour.max_workers)
    except BaseException:
        sim.stop()
        raise
    bound_host, bound_port = server.server_address[:2]
    bound = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
    shown = f"[{bound}]" if ":" in bound else bound
    sim.base_url = f"http://{shown}:{bound_port}"
    return RunningSimulator(server, sim, sim.base_url)
