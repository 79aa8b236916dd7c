"""Timers and callback delivery: one scheduler thread and a bounded pool of senders."""

from __future__ import annotations

import heapq
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

logger = logging.getLogger("jamana.payments.simulator")


class Scheduler:
    """Runs short functions at a later time, in order, on one thread."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="sim-scheduler", daemon=True)
        self._thread.start()

    def call_later(self, delay_seconds: float, fn: Callable[[], None]) -> None:
        with self._cond:
            if self._stopped:
                return
            self._seq += 1
            heapq.heappush(self._heap, (time.monotonic() + delay_seconds, self._seq, fn))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:
                logger.exception("simulator timer failed")

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()
        self._thread.join()


@dataclass(frozen=True)
class Delivery:
    """One attempt (or a decision not to attempt) to deliver a callback."""

    provider: str
    reference: str
    event_id: str
    status: str
    attempt: int
    #: "delivered" (2xx), "failed" (answered otherwise, or unreachable), or "lost" (never sent,
    #: by behaviour).
    outcome: str
    http_status: int | None
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Notification:
    """A callback to send: what it is about, and how to build its request at send time (so
    signature timestamps are fresh on every retry)."""

    provider: str
    reference: str
    event_id: str
    status: str
    url: str
    build: Callable[[], tuple[Mapping[str, str], bytes]]


class CallbackSender:
    """POSTs notifications, each sequence in order on one worker, and retries failures."""

    def __init__(
        self,
        *,
        scheduler: Scheduler,
        workers: int,
        timeout_seconds: float,
        retries: int,
        retry_seconds: float,
    ) -> None:
        self._scheduler = scheduler
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sim-callback")
        self._timeout = timeout_seconds
        self._retries = retries
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._log: list[Delivery] = []
        self._stopped = False
        # Never through a proxy: callbacks go to loopback only.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._log)

    def _record(self, note: Notification, attempt: int, outcome: str, status: int | None) -> None:
        with self._lock:
            self._log.append(
                Delivery(
                    note.provider,
                    note.reference,
                    note.event_id,
                    note.status,
                    attempt,
                    outcome,
                    status,
                    time.monotonic(),
                )
            )

    def lose(self, notes: Sequence[Notification]) -> None:
        for note in notes:
            self._record(note, 0, "lost", None)

    def send(self, notes: Sequence[Notification]) -> None:
        """Deliver ``notes`` in order (a later one waits for the earlier one's answer)."""
        with self._lock:
            if self._stopped:
                return
            self._pool.submit(self._send_all, list(notes))

    def _send_all(self, notes: list[Notification]) -> None:
        for note in notes:
            self._attempt(note, 1)

    def _attempt(self, note: Notification, attempt: int) -> None:
        with self._lock:
            if self._stopped:
                return
        headers, body = note.build()
        request = urllib.request.Request(  # noqa: S310 (loopback http, checked at intent creation)
            note.url,
            data=body,
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        status: int | None = None
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            logger.info("callback to %s failed: %s", note.url, exc)
        delivered = status is not None and 200 <= status < 300
        self._record(note, attempt, "delivered" if delivered else "failed", status)
        if not delivered and attempt <= self._retries:
            self._scheduler.call_later(self._retry_seconds, lambda: self._resend(note, attempt + 1))

    def _resend(self, note: Notification, attempt: int) -> None:
        with self._lock:
            if self._stopped:
                return
            self._pool.submit(self._attempt, note, attempt)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self._pool.shutdown(wait=True, cancel_futures=True)
