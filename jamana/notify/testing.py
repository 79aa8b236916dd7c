"""Test and bench helpers: the SMSC simulator as a real separate process, and a loopback fake
of the generic HTTP SMS gateway. Loopback only."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmscProcess:
    """``python -m jamana.notify.smsc`` started on ``port`` (a free one by default); stop it,
    start it again on the same port, and read what it received through its control API."""

    def __init__(self, *, port: int | None = None, extra_args: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.extra_args = extra_args
        self.process: subprocess.Popen[str] | None = None
        self.control_url = ""

    def start(self) -> SmscProcess:
        command = [
            sys.executable,
            "-m",
            "jamana.notify.smsc",
            "--port",
            str(self.port),
            "--control-port",
            "0",
            *self.extra_args,
        ]
        self.process = subprocess.Popen(  # noqa: S603 (our own module, fixed arguments)
            command,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        banner = self.process.stdout.readline() if self.process.stdout else ""
        if not banner.startswith("SMSC simulator on"):
            self.stop()
            raise RuntimeError(f"the SMSC simulator did not start: {banner!r}")
        self.control_url = banner.split()[-1].rstrip("/")
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _get(self, path: str) -> Any:
        with _OPENER.open(f"{self.control_url}/{path}", timeout=5) as response:
            return json.loads(response.read())

    def messages(self) -> list[dict[str, Any]]:
        return list(self._get("messages"))

    def stats(self) -> dict[str, int]:
        return dict(self._get("stats"))

    def send_mo(self, *, sender: str, text: str, to: str = "JAMANA") -> bool:
        body = json.dumps({"from": sender, "to": to, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 (loopback control URL)
            f"{self.control_url}/mo", data=body, method="POST"
        )
        with _OPENER.open(request, timeout=5) as response:
            return bool(json.loads(response.read())["delivered"])

    def __enter__(self) -> SmscProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class FakeHttpGateway:
    """The generic HTTP SMS gateway (docs/notify/sms.md) on loopback: keeps each message once
    per idempotency key, answers lookups by client_ref. ``hold`` (an Event) makes POSTs wait
    after being accepted and before answering, to play a client that dies in between;
    ``fail_with`` answers the next POSTs with that HTTP status instead of accepting them."""

    def __init__(self, *, token: str = "test-token") -> None:  # noqa: S107 (a test double)
        self.token = token
        self.accepted: dict[str, dict[str, Any]] = {}  # client_ref -> message
        self.posts = 0
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()
        self.fail_with: list[int] = []
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.headers.get("Authorization") != f"Bearer {gateway.token}":
                    self._json(401, {"error": "unauthorized"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                data = json.loads(self.rfile.read(length))
                key = self.headers.get("Idempotency-Key", "")
                with gateway._lock:
                    gateway.posts += 1
                    if gateway.fail_with:
                        self._json(gateway.fail_with.pop(0), {"error": "failing"})
                        return
                    message = gateway.accepted.get(key)
                    if message is None:
                        message = {
                            "id": f"gw-{len(gateway.accepted) + 1}",
                            "status": "accepted",
                            **data,
                        }
                        gateway.accepted[key] = message
                gateway.arrived.set()
                if gateway.hold is not None:
                    gateway.hold.wait(30)
                    return  # never answer: the client died meanwhile
                self._json(201, {"id": message["id"], "status": message["status"]})

            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                ref = (query.get("client_ref") or [""])[0]
                with gateway._lock:
                    message = gateway.accepted.get(ref)
                if message is None:
                    self._json(404, {"error": "not_found"})
                else:
                    self._json(200, {"id": message["id"], "status": message["status"]})

            def _json(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeHttpGateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_until(predicate: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Poll ``predicate`` every 20 ms until it is true; raises TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.02)
