"""Test helpers: a tiny HTTP receiver that records the callbacks the simulator sends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ReceivedCallback:
    path: str
    headers: dict[str, str]
    body: bytes


class CallbackReceiver:
    """Listens on ``127.0.0.1`` and records every POST; answers ``status`` (200 by default,
    settable to make the simulator retry). Use as a context manager, or call ``stop()``."""

    def __init__(self, *, status: int = 200) -> None:
        self.status = status
        self._cond = threading.Condition()
        self._received: list[ReceivedCallback] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._cond:
                    receiver._received.append(
                        ReceivedCallback(self.path, dict(self.headers.items()), body)
                    )
                    receiver._cond.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def callback_url(self, name: str = "callback") -> str:
        return f"{self.url}/{name}"

    @property
    def received(self) -> list[ReceivedCallback]:
        with self._cond:
            return list(self._received)

    def wait_for(
        self,
        count: int,
        *,
        timeout: float = 5.0,
        where: Callable[[ReceivedCallback], bool] = lambda _: True,
    ) -> list[ReceivedCallback]:
        """The matching callbacks once there are at least ``count`` of them.

        Raises:
            TimeoutError: fewer arrived within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matching = [r for r in self._received if where(r)]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(matching)} of {count} callbacks arrived")
                self._cond.wait(remaining)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> CallbackReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_until(predicate: Callable[[], bool], *, timeout: float = 30.0) -> None:
    """Poll ``predicate`` every 20 ms until it is true; raises TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.02)
