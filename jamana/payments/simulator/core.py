"""The simulator's engine: the books, the payer's phone, timers and callbacks, behind the
simulated APIs. No HTTP server here (see :mod:`.server`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from jamana.payments.providers.base import PaymentStatus
from jamana.payments.simulator.bank import Bank, Intent, SimError
from jamana.payments.simulator.behaviour import Outcome, SimulatorBehaviour, SimulatorCredentials
from jamana.payments.simulator.delivery import CallbackSender, Notification, Scheduler
from jamana.payments.simulator.wire import Event, SimulatedApi


@dataclass
class _Fault:
    prefix: str
    status: int
    remaining: int
    delay_seconds: float


class Simulator:
    def __init__(
        self,
        *,
        behaviour: SimulatorBehaviour,
        credentials: SimulatorCredentials,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.behaviour = behaviour
        self.credentials = credentials
        self.clock = clock
        self.bank = Bank(behaviour, clock=clock)
        self.scheduler = Scheduler()
        self.sender = CallbackSender(
            scheduler=self.scheduler,
            workers=behaviour.callback_workers,
            timeout_seconds=behaviour.callback_timeout_seconds,
            retries=behaviour.callback_retries,
            retry_seconds=behaviour.callback_retry_seconds,
        )
        self.apis: dict[str, SimulatedApi] = {}
        self.base_url = ""
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._error_rng = random.Random(behaviour.seed)  # noqa: S311 (simulation, not security)

    def mount(self, api: SimulatedApi) -> None:
        self.apis[api.prefix] = api

    # -- faults ---------------------------------------------------------------------------

    def fail_next(
        self, *, prefix: str = "/", status: int = 503, count: int = 1, delay_seconds: float = 0
    ) -> None:
        """Answer the next ``count`` API requests under ``prefix`` with ``status`` (after
        ``delay_seconds``, to make clients time out)."""
        with self._lock:
            self._faults.append(_Fault(prefix, status, count, delay_seconds))

    def fault_for(self, path: str) -> tuple[int, float] | None:
        """The (status, delay) to answer ``path`` with instead of serving it, if any."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault.status, fault.delay_seconds
            if self.behaviour.error_rate and self._error_rng.random() < self.behaviour.error_rate:
                return 503, 0.0
        return None

    # -- intents --------------------------------------------------------------------------

    def create(
        self,
        provider: str,
        *,
        reference: str,
        idempotency_key: str,
        merchant_reference: str,
        amount_xof: int,
        payer_msisdn: str,
        callback_url: str,
        description: str,
        expires_after_seconds: float | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[Intent, bool]:
        """:meth:`Bank.create`, then the timers of a new intent: the payer's automatic
        confirmation (if configured) and expiry."""
        intent, created = self.bank.create(
            provider,
            reference=reference,
            idempotency_key=idempotency_key,
            merchant_reference=merchant_reference,
            amount_xof=amount_xof,
            payer_msisdn=payer_msisdn,
            callback_url=callback_url,
            description=description,
            expires_after_seconds=expires_after_seconds,
            extra=extra,
        )
        if created:
            reference = intent.reference
            after = self.behaviour.confirm_after_seconds
            if after is not None:
                outcome = Outcome.FAILURE if intent.fails else Outcome.SUCCESS
                self.scheduler.call_later(after, lambda: self._settle_quietly(reference, outcome))
            self.scheduler.call_later(
                intent.expires_after_seconds,
                lambda: self._settle_quietly(reference, Outcome.EXPIRED),
            )
        return intent, created

    def _settle_quietly(self, reference: str, outcome: Outcome) -> None:
        # Already final is fine: the payer answered before the timer.
        with contextlib.suppress(SimError):
            self.settle(reference, outcome)

    def settle(self, reference: str, outcome: Outcome) -> Intent:
        """What the payer did on the phone; sends the callbacks it causes.

        Raises:
            SimError: 404 unknown reference, 409 already final.
        """
        intent = self.bank.finalize(reference, outcome)
        self._notify(intent)
        return intent

    def _notify(self, intent: Intent) -> None:
        api = self.apis[intent.provider]
        final = Event(
            event_id=f"{intent.reference}-{intent.status.value}",
            status=intent.status,
            reason=intent.failure_reason,
            occurred_at=intent.final_at or self.clock(),
        )
        events = [final] * (1 + self.behaviour.duplicate_callbacks)
        if self.behaviour.out_of_order_callbacks:
            # A notification of the earlier "pending" state, overtaken by the final one.
            events.append(
                Event(
                    event_id=f"{intent.reference}-pending",
                    status=PaymentStatus.PENDING,
                    reason="",
                    occurred_at=intent.created_at,
                )
            )
        notes = [self._note(api, intent, event) for event in events]
        if intent.callbacks_lost:
            self.sender.lose(notes)
            return
        self.scheduler.call_later(
            self.behaviour.callback_delay_seconds, lambda: self.sender.send(notes)
        )

    @staticmethod
    def _note(api: SimulatedApi, intent: Intent, event: Event) -> Notification:
        def build() -> tuple[Mapping[str, str], bytes]:
            return api.notification(intent, event)

        return Notification(
            provider=intent.provider,
            reference=intent.reference,
            event_id=event.event_id,
            status=event.status.value,
            url=intent.callback_url,
            build=build,
        )

    def stop(self) -> None:
        self.scheduler.stop()
        self.sender.stop()
