"""Benchmark: mobile-money payments end to end through the simulator, and the daily
reconciliation of one million ledger lines.

Part 1, end to end. A throw-away production-configured instance (SQLite in a temp dir, demo
data, the PKI for receipts) is served by gunicorn on 127.0.0.1; the payment simulator runs
beside it (``python -m jamana.payments.simulator --confirm-after 0``: every payer confirms at
once) with ``PAYMENT_SIMULATOR_URL`` pointing at it and ``JAMANA_PUBLIC_URL`` at gunicorn, so
the simulator's callbacks reach the app over real HTTP. This process plays K payers in a
closed loop: for one of the citizen's requests awaiting payment, ``do_create_intent`` +
``check_initiate`` (the same calls as the pay view; the provider call is real HTTP to the
simulator), then it waits until the intent is settled in the database before paying the
next. The simulator confirms, calls back; a gunicorn worker authenticates the callback,
queries the status, settles (ledger, events, audit), moves the request and issues the sealed
receipt. Reported: payments settled per second, p50/p99 from initiation to settlement (and to
the receipt), CPU per payment of each process, and a same-run baseline of as many bare HTTP
status queries to the simulator at the same concurrency. Every payment is checked afterwards.

Part 2, reconciliation. In a fresh database (SQLite, and PostgreSQL at 127.0.0.1:5432 when it
answers), ~500,000 settled intents for one provider and one day are bulk-created with their
journal entries (1,000,000 journal lines) and a few refunds; a fake provider serves a matching
statement with injected differences. Timed, in a child process pinned to one CPU:
``do_reconcile(provider, day)``, ``totals_per_administration()`` and ``ledger.is_balanced()``,
beside a baseline reading the same rows (``values_list``, and a raw cursor); peak memory of
each; whether the differences found are exactly the injected ones; a cProfile of a re-run.

    .venv/bin/python bench/payments.py            # ~5 minutes
    .venv/bin/python bench/payments.py --quick    # ~1 minute
    .venv/bin/python bench/payments.py --help

Figures go to bench/results/payments-<timestamp>.json and bench/results/payments-latest.md.
Only 127.0.0.1 is contacted; the servers started here are stopped and the temp dir and the
PostgreSQL database created here are removed on exit.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import ctypes
import datetime as dt
import gc
import json
import math
import os
import platform
import pstats
import queue
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _support import (
    BenchError,
    cpu_model,
    free_port,
    git_state,
    http_request,
    manage,
    percentile,
    print_log_tails,
    proc_ticks,
    raise_system_exit,
    scratch_env,
    stop_group,
    version,
    write_atomically,
)
from _support import wait_ready as _wait_ready

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
HOST = "127.0.0.1"  # the only address this script ever talks to
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
CITIZEN_PHONE = "+22370000001"
CHILD_MARKER = "PAYBENCH_JSON "
PROFILE_TOP = 15

SIZES = {
    "full": {
        "payments": 300,
        "concurrency": "1,4",
        "warmup": 6,
        "recon_intents": 500_000,
        "recon_refunds": 200,
    },
    "quick": {
        "payments": 40,
        "concurrency": "1,4",
        "warmup": 4,
        "recon_intents": 50_000,
        "recon_refunds": 20,
    },
}


# --------------------------------------------------------------------------- small helpers


def dist(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "mean": sum(ordered) / len(ordered),
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p99": percentile(ordered, 99),
        "min": ordered[0],
        "max": ordered[-1],
    }


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return math.nan


def status_kib(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM), so each phase's own peak can be read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def trim_memory() -> None:
    """Collect garbage and give freed heap back to the OS, so the next phase's RSS starts low."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# --------------------------------------------------------------------------- CPU accounting

CLK_TCK = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(root: int) -> float:
    """CPU time of a process and its direct children (gunicorn master and workers). Workers
    that ended meanwhile are not counted (none do here: no max-requests)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid, ticks = proc_ticks(int(entry))
        except (OSError, IndexError, ValueError):
            continue
        if int(entry) == root or ppid == root:
            total += ticks
    return total / CLK_TCK


def machine_busy_seconds() -> float:
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (
            int(x) for x in stat.readline().split()[1:9]
        )
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- processes


@dataclass
class Child:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class Processes:
    """Every long-running child, each in its own process group; only these are signalled."""

    children: list[Child] = field(default_factory=list)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            stop_group(child.proc)
        self.children.clear()


def start_child(
    procs: Processes, name: str, cmd: list[str], env: dict[str, str], port: int, tmp: Path
) -> Child:
    log_path = tmp / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    child = Child(name, port, proc, log_path)
    procs.children.append(child)
    return child


def http_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    status, _, data = http_request(port, "GET", path, headers, timeout=10)
    return status, data


def http_post(port: int, path: str, body: bytes = b"{}") -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    status, _, data = http_request(port, "POST", path, headers, body, timeout=10)
    return status, data


def wait_ready(child: Child, path: str, timeout: float = 60.0) -> None:
    _wait_ready(child.name, child.port, child.proc, child.log_path, path, timeout)


def clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            (
                "DJANGO_",
                "DATABASE_",
                "JAMANA_",
                "SECURE_",
                "SESSION_",
                "DB_",
                "MEDIA_",
                "PAYMENT_",
            )
        )
    }


# --------------------------------------------------------------------------- part 1: end to end


def e2e_env(tmp: Path, app_port: int, sim_port: int) -> dict[str, str]:
    return scratch_env(
        tmp,
        f"sqlite:///{tmp / 'e2e.sqlite3'}",
        JAMANA_PUBLIC_URL=f"http://{HOST}:{app_port}",
        PAYMENT_SIMULATOR_URL=f"http://{HOST}:{sim_port}",
    )


@dataclass
class Payment:
    request_ref: str
    amount_xof: int
    beneficiary: str
    t_start: float = 0.0  # time.time() before do_create_intent
    t_created: float = 0.0  # do_create_intent returned
    t_initiated: float = 0.0  # check_initiate returned
    t_confirmed: float = 0.0  # the payer's "confirm" on the simulated phone was answered
    t_seen: float = 0.0  # the payer saw it settled (DB polled every 5 ms)
    intent_pk: int = 0
    provider_reference: str = ""
    error: str = ""


class SettleWatcher:
    """One thread polling the database every few ms for intents that reached a final status;
    each waiting payer gets its event set."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._waiting: dict[int, threading.Event] = {}
        self.final: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="settle-watcher", daemon=True)
        self.polls = 0

    def start(self) -> None:
        self._thread.start()

    def watch(self, pk: int) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._waiting[pk] = event
        return event

    def _run(self) -> None:
        from django.db import connection

        from jamana.payments.models import IntentStatus, PaymentIntent

        try:
            while not self._stop.is_set():
                with self._lock:
                    pks = list(self._waiting)
                if pks:
                    done = list(
                        PaymentIntent.objects.filter(pk__in=pks)
                        .exclude(status__in=[IntentStatus.CREATED, IntentStatus.PENDING])
                        .values_list("pk", "status")
                    )
                    self.polls += 1
                    with self._lock:
                        for pk, status in done:
                            self.final[pk] = status
                            self._waiting.pop(pk).set()
                time.sleep(self.interval)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def pay_all(
    payments: list[Payment],
    concurrency: int,
    provider: str,
    account: Any,
    watcher: SettleWatcher,
    timeout: float,
    sim_port: int,
    confirm: str,
) -> float:
    """K payers in a closed loop; returns the wall time from the first start to the last
    payment seen settled. With ``confirm == "phone"`` the payer confirms on the simulated
    phone (``POST /_sim/confirm/<reference>``) once ``check_initiate`` has returned; with
    ``"auto"`` the simulator confirms by itself as soon as it receives the request."""
    from django.db import connection

    from jamana.identity.models import Organisation
    from jamana.payments.actions import callback_url_for, check_initiate, do_create_intent

    todo: queue.Queue[Payment] = queue.Queue()
    for p in payments:
        todo.put(p)
    organisations = {o.code: o for o in Organisation.objects.all()}
    person = account.person
    callback_url = callback_url_for(provider)

    def payer() -> None:
        try:
            while True:
                try:
                    p = todo.get_nowait()
                except queue.Empty:
                    return
                p.t_start = time.time()
                try:
                    intent = do_create_intent(
                        purpose_type="request_fee",
                        purpose_ref=p.request_ref,
                        beneficiary=organisations[p.beneficiary],
                        amount_xof=p.amount_xof,
                        provider=provider,
                        idempotency_key=f"bench:{p.request_ref}",
                        payer=person,
                        payer_msisdn=account.phone,
                    )
                    p.t_created = time.time()
                    event = watcher.watch(intent.pk)
                    p.intent_pk = intent.pk
                    intent = check_initiate(intent, callback_url=callback_url)
                    p.t_initiated = time.time()
                    p.provider_reference = intent.provider_reference
                    if confirm == "phone":
                        status, body = http_post(
                            sim_port, f"/_sim/confirm/{intent.provider_reference}"
                        )
                        if status != 200:
                            raise BenchError(f"confirm: HTTP {status} {body[:200]!r}")
                        p.t_confirmed = time.time()
                except Exception as exc:  # recorded and reported, the others go on
                    p.error = f"{type(exc).__name__}: {exc}"[:300]
                    continue
                if event.wait(timeout):
                    p.t_seen = time.time()
                else:
                    p.error = f"not settled within {timeout:g} s"
        finally:
            connection.close()

    started = time.time()
    threads = [threading.Thread(target=payer, name=f"payer-{i}") for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return max((p.t_seen for p in payments if p.t_seen), default=started) - started


def bare_status_queries(sim_port: int, references: list[str], concurrency: int) -> dict[str, Any]:
    """The baseline: the same number of bare HTTP round trips to the simulator (Moov status
    query with Basic auth, one connection each, as the simulator serves HTTP/1.0), closed loop,
    same concurrency. Every answer must be 200 and name the transaction."""
    from jamana.payments.simulator.behaviour import SimulatorCredentials

    creds = SimulatorCredentials()
    auth = base64.b64encode(f"{creds.moov_username}:{creds.moov_password}".encode()).decode()
    headers = {"Authorization": f"Basic {auth}"}
    todo: queue.Queue[str] = queue.Queue()
    for ref in references:
        todo.put(ref)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def loop() -> None:
        nonlocal errors
        lat: list[float] = []
        bad = 0
        while True:
            try:
                ref = todo.get_nowait()
            except queue.Empty:
                break
            t0 = time.perf_counter()
            try:
                status, body = http_get(sim_port, f"/moov/v1/payments/{ref}", headers)
            except OSError:
                bad += 1
                continue
            lat.append((time.perf_counter() - t0) * 1000)
            if status != 200 or ref.encode() not in body:
                bad += 1
        with lock:
            latencies.extend(lat)
            errors += bad

    cpu0, wall0 = self_cpu_seconds(), time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall0
    return {
        "requests": len(latencies),
        "seconds": wall,
        "per_s": len(latencies) / wall if wall else math.nan,
        "latency_ms": dist(latencies),
        "errors": errors,
        "client_cpu_s": self_cpu_seconds() - cpu0,
    }


def make_requests(account: Any, count: int) -> list[Payment]:
    """``count`` requests of the demo citizen awaiting payment, over the demo services that
    have a fee (four administrations), created through the procedures' own actions."""
    from jamana.procedures import actions as procedures
    from jamana.procedures.models import RequestStatus, Service

    services = list(Service.objects.filter(fee_xof__gt=0).select_related("organisation"))
    if not services:
        raise BenchError("no demo service with a fee")
    out = []
    for i in range(count):
        service = services[i % len(services)]
        request = procedures.check_submit_request(account=account, service_code=service.code)
        if request.status != RequestStatus.AWAITING_PAYMENT:
            raise BenchError(f"request {request.reference} is {request.status}")
        out.append(Payment(request.reference, request.fee_xof, service.organisation.code))
    return out


def run_level(
    payments: list[Payment],
    concurrency: int,
    opts: argparse.Namespace,
    account: Any,
    procs: dict[str, Child],
) -> dict[str, Any]:
    from jamana.documents.models import Document
    from jamana.payments.models import PaymentEvent, PaymentIntent

    watcher = SettleWatcher()
    watcher.start()
    app, sim = procs["gunicorn"], procs["simulator"]
    cpu = {
        "gunicorn": group_cpu_seconds(app.proc.pid),
        "simulator": group_cpu_seconds(sim.proc.pid),
        "bench": self_cpu_seconds(),
        "machine": machine_busy_seconds(),
    }
    wall0 = time.perf_counter()
    print(f"  {len(payments)} payments, {concurrency} payer(s) …", end="", flush=True)
    try:
        pay_all(
            payments,
            concurrency,
            opts.provider,
            account,
            watcher,
            opts.payment_timeout,
            sim.port,
            opts.confirm,
        )
    finally:
        watcher.stop()
    # Receipts are issued right after the settlement commits, in the same callback request:
    # wait (bounded) for the last ones before reading the CPU counters.
    pks = [p.intent_pk for p in payments if p.intent_pk]
    deadline = time.monotonic() + opts.payment_timeout
    while time.monotonic() < deadline:
        if not PaymentIntent.objects.filter(pk__in=pks, receipt_number="").exists():
            break
        time.sleep(0.02)
    wall = time.perf_counter() - wall0
    cpu_used = {
        "gunicorn": group_cpu_seconds(app.proc.pid) - cpu["gunicorn"],
        "simulator": group_cpu_seconds(sim.proc.pid) - cpu["simulator"],
        "bench": self_cpu_seconds() - cpu["bench"],
        "machine": machine_busy_seconds() - cpu["machine"],
    }
    cpu_used["other"] = max(
        0.0,
        cpu_used["machine"] - cpu_used["gunicorn"] - cpu_used["simulator"] - cpu_used["bench"],
    )

    settled_at = {
        intent_id: at.timestamp()
        for intent_id, at in PaymentEvent.objects.filter(
            intent_id__in=pks, kind="settled"
        ).values_list("intent_id", "at")
    }
    receipts = dict(
        PaymentIntent.objects.filter(pk__in=pks)
        .exclude(receipt_number="")
        .values_list("pk", "receipt_number")
    )
    issued_at = {
        number: at.timestamp()
        for number, at in Document.objects.filter(number__in=receipts.values()).values_list(
            "number", "issued_at"
        )
    }
    ok = [p for p in payments if not p.error and p.intent_pk in settled_at]
    initiate_ms = [(p.t_initiated - p.t_start) * 1000 for p in ok]
    create_ms = [(p.t_created - p.t_start) * 1000 for p in ok]
    provider_initiate_ms = [(p.t_initiated - p.t_created) * 1000 for p in ok]
    confirm_ms = [(p.t_confirmed - p.t_initiated) * 1000 for p in ok if p.t_confirmed]
    settle_ms = [(settled_at[p.intent_pk] - p.t_start) * 1000 for p in ok]
    after_initiate_ms = [(settled_at[p.intent_pk] - p.t_initiated) * 1000 for p in ok]
    seen_ms = [(p.t_seen - p.t_start) * 1000 for p in ok if p.t_seen]
    receipt_ms = [
        (issued_at[receipts[p.intent_pk]] - p.t_start) * 1000
        for p in ok
        if p.intent_pk in receipts and receipts[p.intent_pk] in issued_at
    ]
    first = min((p.t_start for p in payments if p.t_start), default=0.0)
    last_settled = max((settled_at[p.intent_pk] for p in ok), default=first)
    settle_span = last_settled - first
    n_ok = len(ok)
    result = {
        "concurrency": concurrency,
        "payments": len(payments),
        "settled": n_ok,
        "errors": [p.error for p in payments if p.error],
        "wall_s": wall,
        "settle_span_s": settle_span,
        "settled_per_s": n_ok / settle_span if settle_span > 0 else math.nan,
        "receipts_issued": len(receipt_ms),
        "initiate_ms": dist(initiate_ms),
        "create_intent_ms": dist(create_ms),
        "check_initiate_ms": dist(provider_initiate_ms),
        "phone_confirm_ms": dist(confirm_ms),
        "lost_callbacks": lost_callbacks(pks, settled_at),
        "initiate_to_settled_ms": dist(settle_ms),
        "after_initiate_to_settled_ms": dist(after_initiate_ms),
        "initiate_to_seen_by_payer_ms": dist(seen_ms),
        "initiate_to_receipt_ms": dist(receipt_ms),
        "cpu_s": cpu_used,
        "cpu_ms_per_payment": {k: v * 1000 / max(1, n_ok) for k, v in cpu_used.items()},
        "watcher_polls": watcher.polls,
    }
    print(
        f" {result['settled_per_s']:6.1f} settled/s  p50 "
        f"{result['initiate_to_settled_ms'].get('p50', math.nan):7.1f} ms  p99 "
        f"{result['initiate_to_settled_ms'].get('p99', math.nan):7.1f} ms  "
        f"({n_ok}/{len(payments)} settled, {len(receipt_ms)} receipts, "
        f"{result['lost_callbacks']} callbacks lost)\n"
        f"      p50: do_create_intent {result['create_intent_ms'].get('p50', math.nan):.1f} ms, "
        f"check_initiate {result['check_initiate_ms'].get('p50', math.nan):.1f} ms, phone "
        f"confirm {result['phone_confirm_ms'].get('p50', math.nan):.1f} ms, initiate→settled "
        f"{result['after_initiate_to_settled_ms'].get('p50', math.nan):.1f} ms; cores busy: "
        + ", ".join(f"{k} {v / wall:.2f}" for k, v in cpu_used.items() if k != "machine")
    )
    return result


def lost_callbacks(pks: list[int], settled_at: dict[int, float]) -> int:
    """Intents still pending without any callback recorded: the simulator delivered their
    callback (answered 200), but it arrived before ``check_initiate`` had committed the
    provider reference, so ``do_handle_callback`` found no intent and answered "unknown"."""
    from jamana.payments.models import PaymentEvent

    unsettled = [pk for pk in pks if pk not in settled_at]
    with_callback = set(
        PaymentEvent.objects.filter(intent_id__in=unsettled, kind="callback").values_list(
            "intent_id", flat=True
        )
    )
    return len([pk for pk in unsettled if pk not in with_callback])


def check_books(
    payments: list[Payment], before: dict[str, int], docs_before: int
) -> dict[str, Any]:
    """Every measured payment settled exactly once, booked once, receipted once; the ledger
    balanced; each administration owed exactly what was paid to it."""
    from django.db.models import Count

    from jamana.documents.models import Document
    from jamana.payments import ledger
    from jamana.payments.models import (
        IntentStatus,
        JournalEntry,
        PaymentEvent,
        PaymentIntent,
        Refund,
    )
    from jamana.procedures.models import RequestStatus, ServiceRequest

    pks = [p.intent_pk for p in payments if p.intent_pk]
    intents = PaymentIntent.objects.filter(pk__in=pks)
    settled_events = dict(
        PaymentEvent.objects.filter(intent_id__in=pks, kind="settled")
        .values("intent_id")
        .annotate(n=Count("id"))
        .values_list("intent_id", "n")
    )
    entries = dict(
        JournalEntry.objects.filter(intent_id__in=pks)
        .values("intent_id")
        .annotate(n=Count("id"))
        .values_list("intent_id", "n")
    )
    expected: dict[str, int] = {}
    for p in payments:
        expected[p.beneficiary] = expected.get(p.beneficiary, 0) + p.amount_xof
    owed = {
        code: -(ledger.balance(f"beneficiary:{code}") - before.get(code, 0)) for code in expected
    }
    callbacks = PaymentEvent.objects.filter(intent_id__in=pks, kind="callback").count()
    checks = {
        "intents": len(pks),
        "all_succeeded": intents.filter(status=IntentStatus.SUCCEEDED).count() == len(payments),
        "settled_exactly_once": len(settled_events) == len(payments)
        and set(settled_events.values()) == {1},
        "one_journal_entry_each": len(entries) == len(payments) and set(entries.values()) == {1},
        "ledger_balanced": ledger.is_balanced(),
        "beneficiary_owed_equals_paid": owed == expected,
        "owed_by_beneficiary": owed,
        "paid_by_beneficiary": expected,
        "receipts_once": intents.exclude(receipt_number="").count() == len(payments)
        and Document.objects.filter(kind="payment_receipt").count() - docs_before == len(payments),
        "requests_in_review": ServiceRequest.objects.filter(
            reference__in=[p.request_ref for p in payments], status=RequestStatus.IN_REVIEW
        ).count()
        == len(payments),
        "no_refunds": not Refund.objects.filter(intent_id__in=pks).exists(),
        "callback_events": callbacks,
    }
    checks["ok"] = all(
        checks[k]
        for k in (
            "all_succeeded",
            "settled_exactly_once",
            "one_journal_entry_each",
            "ledger_balanced",
            "beneficiary_owed_equals_paid",
            "receipts_once",
            "requests_in_review",
            "no_refunds",
        )
    )
    return checks


def sim_deliveries(sim_port: int) -> dict[str, int]:
    status, body = http_get(sim_port, "/_sim/deliveries")
    if status != 200:
        return {}
    counts: dict[str, int] = {}
    for d in json.loads(body):
        key = f"{d['outcome']}:{d['http_status']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def run_e2e(opts: argparse.Namespace, tmp: Path, procs: Processes) -> dict[str, Any]:
    app_port, sim_port = free_port(), free_port()
    env = e2e_env(tmp, app_port, sim_port)
    log = tmp / "setup.log"
    t0 = time.monotonic()
    for args in (
        ("migrate", "--noinput"),
        ("compile_translations",),
        ("collectstatic", "--noinput"),
        ("seed_demo", "--persons", "10"),  # the PKI too (receipts are sealed)
    ):
        manage(env, *args, log=log)
    setup_s = time.monotonic() - t0

    sim = start_child(
        procs,
        "simulator",
        [
            sys.executable,
            "-m",
            "jamana.payments.simulator",
            "--port",
            str(sim_port),
            *(["--confirm-after", "0"] if opts.confirm == "auto" else []),
            "--seed",
            "1",
        ],
        env,
        sim_port,
        tmp,
    )
    gunicorn_args = [
        "--workers",
        str(opts.workers),
        "--worker-class",
        "sync",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--no-control-socket",
    ]
    app = start_child(
        procs,
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "jamana.config.wsgi:application",
            "--bind",
            f"{HOST}:{app_port}",
            "--chdir",
            str(REPO),
            *gunicorn_args,
        ],
        env,
        app_port,
        tmp,
    )
    wait_ready(sim, "/_sim/intents")
    wait_ready(app, "/healthz")

    # This process becomes the payers: Django on the same database and settings.
    os.environ.update(env)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    import logging

    from django.conf import settings

    # The payers' own provider calls would log one INFO line each here; gunicorn keeps the
    # production logging (to its log file).
    logging.getLogger("jamana.payments.providers").setLevel(logging.WARNING)

    from jamana.documents.models import Document
    from jamana.identity.models import Account
    from jamana.payments import ledger
    from jamana.payments.registry import _provider

    _provider.cache_clear()
    if opts.provider not in settings.PAYMENT_PROVIDERS:
        raise BenchError(f"{opts.provider} is not configured: {list(settings.PAYMENT_PROVIDERS)}")
    account = Account.objects.select_related("person").get(phone=CITIZEN_PHONE)

    levels = opts.concurrency_levels
    total = opts.warmup + opts.payments * len(levels)
    t0 = time.monotonic()
    payments = make_requests(account, total)
    print(
        f"Instance ready in {setup_s:.0f} s (+{time.monotonic() - t0:.0f} s for {total} "
        f"requests awaiting payment); gunicorn {opts.workers} sync workers on :{app_port}, "
        f"simulator on :{sim_port}; provider {opts.provider}"
    )
    codes = sorted({p.beneficiary for p in payments})
    before = {code: ledger.balance(f"beneficiary:{code}") for code in codes}
    docs_before = Document.objects.filter(kind="payment_receipt").count()
    children = {"gunicorn": app, "simulator": sim}

    warm, rest = payments[: opts.warmup], payments[opts.warmup :]
    print("End to end (warm-up first, not counted):")
    warmup = run_level(warm, min(2, max(levels)), opts, account, children)
    runs = []
    baselines = []
    for i, conc in enumerate(levels):
        batch = rest[i * opts.payments : (i + 1) * opts.payments]
        runs.append(run_level(batch, conc, opts, account, children))
        refs = [p.provider_reference for p in batch if p.provider_reference]
        base = bare_status_queries(sim_port, refs, conc)
        base["concurrency"] = conc
        baselines.append(base)
        print(
            f"  baseline: {base['requests']} bare status queries to the simulator, {conc} "
            f"client(s): {base['per_s']:7.1f}/s  p50 {base['latency_ms']['p50']:6.2f} ms  "
            f"p99 {base['latency_ms']['p99']:6.2f} ms  errors {base['errors']}"
        )
    # The books are checked over the payments that settled (all of them unless callbacks were
    # lost, which only --confirm auto provokes).
    settled = [p for p in payments if p.intent_pk and not p.error]
    checks = check_books(settled, before, docs_before)
    checks["unsettled"] = len(payments) - len(settled)
    checks["simulator_deliveries"] = sim_deliveries(sim_port)
    status_ok = opts.confirm == "auto" or checks["unsettled"] == 0
    print(
        f"Checks: {'OK' if checks['ok'] and status_ok else 'FAILED'} — "
        + ", ".join(
            f"{k}={checks[k]}"
            for k in (
                "all_succeeded",
                "settled_exactly_once",
                "one_journal_entry_each",
                "ledger_balanced",
                "beneficiary_owed_equals_paid",
                "receipts_once",
                "requests_in_review",
                "no_refunds",
            )
        )
        + f"; simulator callbacks {checks['simulator_deliveries']}"
    )
    return {
        "setup_s": setup_s,
        "provider": opts.provider,
        "gunicorn": {"args": gunicorn_args, "workers": opts.workers},
        "simulator": "python -m jamana.payments.simulator"
        + (" --confirm-after 0" if opts.confirm == "auto" else "")
        + " (8 HTTP threads, 4 callback senders, HTTP/1.0)",
        "confirm": opts.confirm,
        "warmup": warmup,
        "runs": runs,
        "baselines": baselines,
        "checks": checks,
        "ok": checks["ok"] and status_ok,
        "sqlite": sqlite3.sqlite_version,
    }


# --------------------------------------------------------------------------- part 2: reconcile

RECON_PROVIDER = "moov_money"
RECON_DAY = dt.date(2026, 11, 27)
RECON_ORGS = 20


def pin_to_one_cpu(requested: int | None) -> tuple[int, list[int]]:
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[-1] if requested is None else requested
    if cpu not in allowed:
        raise SystemExit(f"CPU {cpu} is not among the allowed CPUs {allowed}")
    os.sched_setaffinity(0, {cpu})
    return cpu, allowed


class Phase:
    """Wall, CPU and peak RSS of one block (peak reset at the start)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.result: dict[str, Any] = {}

    def __enter__(self) -> Phase:
        trim_memory()
        self.rss0 = status_kib("VmRSS")
        self.reset = reset_peak_rss()
        self.cpu0 = time.process_time()
        self.wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self.wall0
        cpu = time.process_time() - self.cpu0
        hwm = status_kib("VmHWM")
        self.result = {
            "wall_s": wall,
            "cpu_s": cpu,
            "rss_before_mib": self.rss0 / 1024,
            "peak_rss_mib": hwm / 1024 if self.reset else math.nan,
            "peak_extra_mib": (hwm - self.rss0) / 1024 if self.reset else math.nan,
            "rss_after_mib": status_kib("VmRSS") / 1024,
        }


def recon_populate(n: int, n_refunds: int) -> dict[str, Any]:
    """Bulk-create ``n`` settled intents of one provider and day with their journal entries
    (2 lines each), ``n_refunds`` refunds (2 lines each), and the statement the provider would
    serve, with injected differences. Returns the statement and what must be found."""
    from django.db import transaction

    from jamana.identity.models import Organisation
    from jamana.payments.models import (
        IntentStatus,
        JournalEntry,
        JournalLine,
        LedgerAccount,
        PaymentIntent,
        Refund,
        RefundStatus,
    )
    from jamana.payments.providers.base import StatementLine

    start = dt.datetime.combine(RECON_DAY, dt.time.min, tzinfo=dt.UTC)
    Organisation.objects.bulk_create(
        [
            Organisation(code=f"ML-BENCH-{i:02d}", name=f"Bench {i}", kind="agency")
            for i in range(RECON_ORGS)
        ]
    )
    orgs = list(Organisation.objects.filter(code__startswith="ML-BENCH-").order_by("code"))
    provider_account = LedgerAccount.objects.create(
        code=f"provider:{RECON_PROVIDER}", name=RECON_PROVIDER
    )
    accounts = {
        o.pk: LedgerAccount.objects.create(code=f"beneficiary:{o.code}", name=o.name) for o in orgs
    }

    def amount_of(i: int) -> int:
        return 100 + (i * 7919) % 24_900  # 100 … 24,999 XOF

    def ref_of(i: int) -> str:
        return f"MV{i:016X}"

    # Injected differences, spread over the day.
    omitted = {n // 7, n // 3, (5 * n) // 6}  # in our books, not on the statement
    mismatched = {n // 5, n // 2, (9 * n) // 10}  # the provider's amount differs
    extra_refs = [f"MVEXTRA{j:010d}" for j in range(3)]  # on the statement only
    refunded = list(range(11, 11 + n_refunds * 13, 13))[:n_refunds]
    omitted_refund = refunded[len(refunded) // 2] if refunded else None

    batch = 5000
    expected_owed: dict[str, int] = {o.code: 0 for o in orgs}
    total_amount = 0
    t0 = time.perf_counter()
    for lo in range(0, n, batch):
        hi = min(n, lo + batch)
        intents = []
        for i in range(lo, hi):
            at = start + dt.timedelta(seconds=86_399 * i / n)
            org = orgs[i % len(orgs)]
            amount = amount_of(i)
            expected_owed[org.code] += amount
            total_amount += amount
            intents.append(
                PaymentIntent(
                    reference=f"B{i:08d}",
                    idempotency_key=f"bench:{i}",
                    purpose_type="bench",
                    purpose_ref=str(i),
                    beneficiary=org,
                    payer_msisdn="+22370000001",
                    amount_xof=amount,
                    provider=RECON_PROVIDER,
                    provider_reference=ref_of(i),
                    status=IntentStatus.SUCCEEDED,
                    created_at=at - dt.timedelta(seconds=30),
                    expires_at=at + dt.timedelta(minutes=30),
                    settled_at=at,
                    receipt_number=f"R{i:08d}",
                )
            )
        with transaction.atomic():
            PaymentIntent.objects.bulk_create(intents, batch_size=batch)
            entries = JournalEntry.objects.bulk_create(
                [
                    JournalEntry(at=x.settled_at, description=f"Payment {x.reference}", intent=x)
                    for x in intents
                ],
                batch_size=batch,
            )
            lines = []
            for x, entry in zip(intents, entries, strict=True):
                lines.append(
                    JournalLine(entry=entry, account=provider_account, debit_xof=x.amount_xof)
                )
                lines.append(
                    JournalLine(
                        entry=entry, account=accounts[x.beneficiary_id], credit_xof=x.amount_xof
                    )
                )
            JournalLine.objects.bulk_create(lines, batch_size=batch)
        if lo and lo % 100_000 == 0:
            print(f"    {lo:,} intents ({time.perf_counter() - t0:.0f} s)", flush=True)

    intents_by_i = dict(
        PaymentIntent.objects.filter(reference__in=[f"B{i:08d}" for i in refunded]).values_list(
            "reference", "pk"
        )
    )
    refund_amount = 0
    with transaction.atomic():
        refunds = []
        for i in refunded:
            org = orgs[i % len(orgs)]
            amount = amount_of(i)
            expected_owed[org.code] -= amount
            refund_amount += amount
            refunds.append(
                Refund(
                    intent_id=intents_by_i[f"B{i:08d}"],
                    amount_xof=amount,
                    reason="duplicate",
                    idempotency_key=f"refund:B{i:08d}",
                    provider_reference=f"RF{i:016X}",
                    status=RefundStatus.SUCCEEDED,
                    created_at=start + dt.timedelta(seconds=86_399 * i / n),
                    completed_at=start + dt.timedelta(seconds=86_399 * i / n + 60),
                )
            )
        refunds = Refund.objects.bulk_create(refunds)
        entries = JournalEntry.objects.bulk_create(
            [
                JournalEntry(
                    at=r.completed_at, description="Refund", intent_id=r.intent_id, refund=r
                )
                for r in refunds
            ]
        )
        lines = []
        for r, entry, i in zip(refunds, entries, refunded, strict=True):
            org = orgs[i % len(orgs)]
            lines.append(JournalLine(entry=entry, account=accounts[org.pk], debit_xof=r.amount_xof))
            lines.append(
                JournalLine(entry=entry, account=provider_account, credit_xof=r.amount_xof)
            )
        JournalLine.objects.bulk_create(lines)
    populate_s = time.perf_counter() - t0

    # The provider's statement for the day, built before anything is timed.
    statement = []
    fees = 0
    for i in range(n):
        if i in omitted:
            continue
        amount = amount_of(i) + (1 if i in mismatched else 0)
        fee = amount * 100 // 10_000
        fees += fee
        statement.append(
            StatementLine(
                provider_reference=ref_of(i),
                kind="payment",
                amount_xof=amount,
                settled_at=start + dt.timedelta(seconds=86_399 * i / n),
                fee_xof=fee,
            )
        )
    for i in refunded:
        if i == omitted_refund:
            continue
        statement.append(
            StatementLine(
                provider_reference=f"RF{i:016X}",
                kind="refund",
                amount_xof=amount_of(i),
                settled_at=start + dt.timedelta(seconds=86_399 * i / n + 60),
                fee_xof=0,
            )
        )
    for j, ref in enumerate(extra_refs):
        statement.append(
            StatementLine(
                provider_reference=ref,
                kind="payment",
                amount_xof=1000 + j,
                settled_at=start + dt.timedelta(hours=12),
                fee_xof=10,
            )
        )
        fees += 10
    expected_diffs = sorted(
        [("missing_at_provider", "payment", ref_of(i)) for i in omitted]
        + [("amount_mismatch", "payment", ref_of(i)) for i in mismatched]
        + [("missing_in_ledger", "payment", ref) for ref in extra_refs]
        + (
            [("missing_at_provider", "refund", f"RF{omitted_refund:016X}")]
            if omitted_refund is not None
            else []
        )
    )
    return {
        "statement": statement,
        "expected_differences": expected_diffs,
        "expected_matched": n
        - len(omitted)
        - len(mismatched)
        + len(refunded)
        - (1 if omitted_refund is not None else 0),
        "expected_fees": fees,
        "expected_owed": expected_owed,
        "populate_s": populate_s,
        "intents": n,
        "refunds": len(refunded),
        "journal_lines": JournalLine.objects.count(),
        "total_amount_xof": total_amount,
        "refund_amount_xof": refund_amount,
    }


class FakeProvider:
    """Serves a prepared statement; anything else is not expected here."""

    code = RECON_PROVIDER

    def __init__(self, statement: list[Any]) -> None:
        self._statement = statement
        self.calls = 0

    def statement(self, day: dt.date) -> list[Any]:
        self.calls += 1
        return self._statement


def recon_child(args: dict[str, Any]) -> dict[str, Any]:
    """Runs in its own process (own database, clean memory figures), pinned to one CPU."""
    cpu, allowed = pin_to_one_cpu(args.get("cpu"))
    os.environ.update(args["env"])
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from unittest import mock

    from django.core.management import call_command
    from django.db import connection

    from jamana.payments import ledger, reconciliation, registry
    from jamana.payments.models import (
        IntentStatus,
        JournalLine,
        PaymentIntent,
        ReconciliationDifference,
    )

    label = args["label"]
    print(f"  [{label}] pinned to CPU {cpu}; migrate …", flush=True)
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - t0
    print(
        f"  [{label}] bulk-creating {args['intents']:,} settled intents + journal lines …",
        flush=True,
    )
    data = recon_populate(args["intents"], args["refunds"])
    statement = data.pop("statement")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(
        f"  [{label}] {data['intents']:,} intents, {data['journal_lines']:,} journal lines in "
        f"{data['populate_s']:.0f} s; statement of {len(statement):,} lines",
        flush=True,
    )
    fake = FakeProvider(statement)
    start, end = reconciliation._day_bounds(RECON_DAY)
    qs = PaymentIntent.objects.filter(
        provider=RECON_PROVIDER,
        status=IntentStatus.SUCCEEDED,
        settled_at__gte=start,
        settled_at__lt=end,
    ).values_list("provider_reference", "amount_xof")
    sql, params = qs.query.sql_with_params()
    phases: dict[str, dict[str, Any]] = {}

    def timed(name: str, func: Any) -> Any:
        with Phase(name) as phase:
            value = func()
        phases[name] = phase.result
        print(
            f"  [{label}] {name:<34} {phase.result['wall_s']:8.3f} s  peak +"
            f"{phase.result['peak_extra_mib']:7.1f} MiB",
            flush=True,
        )
        return value

    def raw_read() -> int:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return len(cur.fetchall())

    # qs.all(): a fresh queryset each time (an evaluated one would serve its cache).
    rows = timed("baseline: values_list rows", lambda: len(list(qs.all())))
    raw_rows = timed("baseline: raw cursor fetchall", raw_read)
    timed("baseline: dict of the rows", lambda: len(dict(qs.all())))
    with (
        mock.patch.object(reconciliation, "get_provider", lambda code: fake),
        mock.patch.object(registry, "get_provider", lambda code: fake),
    ):
        run = timed("do_reconcile", lambda: reconciliation.do_reconcile(RECON_PROVIDER, RECON_DAY))
        found = sorted(
            ReconciliationDifference.objects.filter(run=run).values_list(
                "kind", "line_kind", "provider_reference"
            )
        )
        totals = timed("totals_per_administration", reconciliation.totals_per_administration)
        balanced = timed("ledger.is_balanced", ledger.is_balanced)
        rerun = timed(
            "do_reconcile again (same day)",
            lambda: reconciliation.do_reconcile(RECON_PROVIDER, RECON_DAY),
        )
        found_again = ReconciliationDifference.objects.filter(run=rerun).count()
        # Where do_reconcile spends its time: a profiled third run (not timed above).
        trim_memory()
        profiler = cProfile.Profile()
        profiler.enable()
        reconciliation.do_reconcile(RECON_PROVIDER, RECON_DAY)
        profiler.disable()
        books_profile = cProfile.Profile()
        books_profile.enable()
        reconciliation._our_books(RECON_PROVIDER, RECON_DAY)
        books_profile.disable()

    fee_balance = ledger.balance(f"fees:{RECON_PROVIDER}")
    owed = dict(totals)
    checks = {
        "rows_read": rows,
        "raw_rows_read": raw_rows,
        "differences_expected": len(data["expected_differences"]),
        "differences_found": len(found),
        "differences_exactly_injected": [list(x) for x in found]
        == [list(x) for x in data["expected_differences"]],
        "matched": run.matched,
        "matched_as_expected": run.matched == data["expected_matched"],
        "statement_lines": run.statement_lines,
        "fees_posted_once": fee_balance == data["expected_fees"] and run.fees_xof == fee_balance,
        "rerun_same_differences": found_again == len(found),
        "ledger_balanced": balanced,
        "totals_equal_paid_minus_refunded": owed == data["expected_owed"],
        "journal_lines": JournalLine.objects.count(),
        "provider_statement_calls": fake.calls,
    }
    checks["ok"] = all(
        checks[k]
        for k in (
            "differences_exactly_injected",
            "matched_as_expected",
            "fees_posted_once",
            "rerun_same_differences",
            "ledger_balanced",
            "totals_equal_paid_minus_refunded",
        )
    )
    return {
        "label": label,
        "vendor": connection.vendor,
        "db_version": getattr(connection, "pg_version", None) or sqlite3.sqlite_version,
        "pinned_cpu": cpu,
        "allowed_cpus": allowed,
        "migrate_s": migrate_s,
        "data": {k: v for k, v in data.items() if k != "expected_owed"},
        "found_differences": [list(x) for x in found],
        "statement_lines": len(statement),
        "phases": phases,
        "checks": checks,
        "profile": digest_profile(profiler),
        "profile_our_books": digest_profile(books_profile),
        "peak_rss_mib_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def digest_profile(profiler: cProfile.Profile) -> dict[str, Any]:
    raw: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total_own = sum(row[2] for row in raw.values())
    rows = []
    for (filename, line, func), (_, ncalls, tottime, cumtime, _) in raw.items():
        if "/site-packages/" in filename:
            name = filename.split("/site-packages/", 1)[1]
        elif "/jamana/" in filename:
            name = "jamana/" + filename.split("/jamana/", 1)[1]
        else:
            name = Path(filename).name
        rows.append(
            {
                "function": f"{name}:{line}({func})",
                "calls": ncalls,
                "own_s": tottime,
                "cum_s": cumtime,
            }
        )
    by_cum = sorted(rows, key=lambda r: -r["cum_s"])[:PROFILE_TOP]
    by_own = sorted(rows, key=lambda r: -r["own_s"])[:PROFILE_TOP]
    return {"profiled_s": total_own, "by_cumulative": by_cum, "by_own": by_own}


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres") as conn:
        conn.autocommit = True
        conn.execute(sql)  # type: ignore[arg-type]


def pg_available() -> str:
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3
        ) as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"


def run_recon(opts: argparse.Namespace, tmp: Path, label: str) -> dict[str, Any]:
    env = clean_env()
    child_env = {
        "DJANGO_SETTINGS_MODULE": "jamana.config.settings",
        "DEBUG": "false",  # DEBUG keeps every query in memory
        "JAMANA_KEY_DIR": str(tmp / "recon-keys"),
        "MEDIA_ROOT": str(tmp / "recon-media"),
        "LOG_LEVEL": "WARNING",
    }
    db_name = ""
    if label == "sqlite":
        child_env["DATABASE_URL"] = f"sqlite:///{tmp / 'recon.sqlite3'}"
    else:
        db_name = f"jamana_paybench_{os.getpid()}"
        pg_admin(f'DROP DATABASE IF EXISTS "{db_name}"')
        pg_admin(f'CREATE DATABASE "{db_name}"')
        child_env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db_name}"
    args = {
        "label": label,
        "env": child_env,
        "intents": opts.recon_intents,
        "refunds": opts.recon_refunds,
        "cpu": opts.cpu,
    }
    try:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--recon-child", json.dumps(args)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        out_lines = []
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if line.startswith(CHILD_MARKER):
                    out_lines.append(line)
                else:
                    print(line, end="", flush=True)
            proc.wait(timeout=opts.recon_timeout)
        finally:
            stop_group(proc)  # type: ignore[arg-type]
        if proc.returncode != 0 or not out_lines:
            raise BenchError(f"reconciliation child ({label}) failed ({proc.returncode})")
        return json.loads(out_lines[-1].removeprefix(CHILD_MARKER))
    finally:
        if db_name:
            pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


# --------------------------------------------------------------------------- reporting


def fmt(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def e2e_rows(e2e: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = [
        "payers",
        "settled",
        "lost cb",
        "settled/s",
        "p50 ms",
        "p99 ms",
        "initiate p50",
        "receipt p50",
        "receipt p99",
        "CPU ms/pay app",
        "sim",
        "payers",
        "baseline/s",
        "base p50",
        "base p99",
        "ratio",
    ]
    rows = []
    for run, base in zip(e2e["runs"], e2e["baselines"], strict=True):
        cpu = run["cpu_ms_per_payment"]
        rows.append(
            [
                str(run["concurrency"]),
                f"{run['settled']}/{run['payments']}",
                str(run["lost_callbacks"]),
                fmt(run["settled_per_s"]),
                fmt(run["initiate_to_settled_ms"].get("p50", math.nan)),
                fmt(run["initiate_to_settled_ms"].get("p99", math.nan)),
                fmt(run["initiate_ms"].get("p50", math.nan)),
                fmt(run["initiate_to_receipt_ms"].get("p50", math.nan)),
                fmt(run["initiate_to_receipt_ms"].get("p99", math.nan)),
                fmt(cpu["gunicorn"]),
                fmt(cpu["simulator"]),
                fmt(cpu["bench"]),
                fmt(base["per_s"]),
                fmt(base["latency_ms"]["p50"], 2),
                fmt(base["latency_ms"]["p99"], 2),
                f"{base['per_s'] / run['settled_per_s']:,.0f}×"
                if run["settled_per_s"] and not math.isnan(run["settled_per_s"])
                else "—",
            ]
        )
    return header, rows


def recon_rows(recons: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = ["database", "phase", "wall s", "CPU s", "peak +MiB", "RSS before MiB"]
    rows = []
    for r in recons:
        for name, p in r["phases"].items():
            rows.append(
                [
                    r["label"],
                    name,
                    fmt(p["wall_s"], 3),
                    fmt(p["cpu_s"], 3),
                    fmt(p["peak_extra_mib"]),
                    fmt(p["rss_before_mib"]),
                ]
            )
    return header, rows


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def md_table(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    out = ["| " + " | ".join(header) + " |"]
    out.append("| " + " | ".join(["---"] * left + ["---:"] * (len(header) - left)) + " |")
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def recon_findings(r: dict[str, Any]) -> list[str]:
    p = r["phases"]
    c = r["checks"]
    d = r["data"]
    rec = p["do_reconcile"]
    base = p["baseline: values_list rows"]
    prof = r["profile"]
    top = ", ".join(
        f"{row['function'].split(':')[0].rsplit('/', 1)[-1]}({row['function'].split('(')[-1]} "
        f"{row['own_s']:.2f} s"
        for row in prof["by_own"][:4]
    )
    return [
        f"**{r['label']}** ({r['vendor']} {r['db_version']}): {d['intents']:,} intents, "
        f"{c['journal_lines']:,} journal lines, {d['refunds']} refunds; statement of "
        f"{r['statement_lines']:,} lines. `do_reconcile` {rec['wall_s']:.2f} s "
        f"(peak +{rec['peak_extra_mib']:.0f} MiB) against {base['wall_s']:.2f} s "
        f"(+{base['peak_extra_mib']:.0f} MiB) to read the same rows with `values_list` "
        f"({rec['wall_s'] / base['wall_s']:.1f}×); `totals_per_administration` "
        f"{p['totals_per_administration']['wall_s']:.2f} s; `is_balanced` "
        f"{p['ledger.is_balanced']['wall_s']:.2f} s.",
        f"Differences: {c['differences_found']} found, {c['differences_expected']} injected — "
        f"{'exactly' if c['differences_exactly_injected'] else 'NOT'} the injected ones"
        f"; matched {c['matched']:,} ({'as expected' if c['matched_as_expected'] else 'WRONG'}); "
        f"fees posted once: {c['fees_posted_once']}; re-run same differences: "
        f"{c['rerun_same_differences']}; totals = paid − refunded: "
        f"{c['totals_equal_paid_minus_refunded']}; ledger balanced: {c['ledger_balanced']}.",
        f"Profile of a re-run ({prof['profiled_s']:.2f} s under cProfile), heaviest own time: "
        f"{top}.",
    ]


def print_report(result: dict[str, Any]) -> None:
    e2e = result.get("e2e")
    if e2e:
        header, rows = e2e_rows(e2e)
        print(
            "\nEnd to end through the simulator (closed loop; latencies from the start of "
            "do_create_intent):"
        )
        print(text_table(header, rows))
        print(
            "(CPU ms/pay: gunicorn master+workers, simulator, this process (payers + DB "
            "polling); baseline = bare HTTP status queries to the simulator, same count and "
            "concurrency; ratio = baseline/s ÷ settled/s)"
        )
    recons = result.get("reconciliation") or []
    if recons:
        header, rows = recon_rows(recons)
        print("\nReconciliation (child process pinned to one CPU):")
        print(text_table(header, rows))
        for r in recons:
            for line in recon_findings(r):
                print("  " + line.replace("**", "").replace("`", ""))


def markdown(result: dict[str, Any], json_name: str) -> str:
    m = result["machine"]
    out = [
        f"# Payments — {result['started_at']}",
        "",
        f"`bench/payments.py` ({result['mode']} run), raw figures in `{json_name}`. "
        f"{m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Linux {m['kernel']}; "
        f"Python {m['python']}, Django {m['versions']['Django']}, gunicorn "
        f"{m['versions']['gunicorn']}, SQLite {m['sqlite']}, psycopg {m['versions']['psycopg']}"
        f", PostgreSQL {m['postgresql']}. Git {result['git']['commit'][:12]}"
        f"{' (dirty tree)' if result['git']['dirty'] else ''}. Load average "
        f"{m['loadavg_start'][0]:.2f} at start, {m['loadavg_end'][0]:.2f} at end. "
        f"Total {result['total_run_s']:.0f} s.",
        "",
    ]
    e2e = result.get("e2e")
    if e2e:
        header, rows = e2e_rows(e2e)
        out += [
            "## End to end through the simulator",
            "",
            f"gunicorn {e2e['gunicorn']['workers']} sync workers (production settings, SQLite "
            f"WAL in a temp dir), {e2e['simulator']}, provider `{e2e['provider']}`. K payers "
            "in this process, closed loop: `do_create_intent` + `check_initiate`, then wait "
            "until the database says settled. Latencies from the start of `do_create_intent` "
            "to the `settled` event's timestamp (written by the gunicorn worker), and to the "
            "sealed receipt's `issued_at`. CPU ms per payment: gunicorn master + workers, "
            "simulator, this process. Baseline: as many bare HTTP status queries to the "
            "simulator, same concurrency.",
            "",
            *md_table(header, rows, left=1),
            "",
            f"Checks: **{'all passed' if e2e['ok'] else 'FAILED'}** — "
            + ", ".join(
                f"{k} {e2e['checks'][k]}"
                for k in (
                    "all_succeeded",
                    "settled_exactly_once",
                    "one_journal_entry_each",
                    "ledger_balanced",
                    "beneficiary_owed_equals_paid",
                    "receipts_once",
                    "requests_in_review",
                    "no_refunds",
                )
            )
            + f"; callback events recorded {e2e['checks']['callback_events']}; simulator "
            f"deliveries {e2e['checks']['simulator_deliveries']}.",
            "",
        ]
        for run in e2e["runs"]:
            cpu = run["cpu_s"]
            wall = run["wall_s"]
            out.append(
                f"- {run['concurrency']} payer(s): cores busy — gunicorn "
                f"{cpu['gunicorn'] / wall:.2f}, simulator {cpu['simulator'] / wall:.2f}, payers "
                f"{cpu['bench'] / wall:.2f}, rest of the machine {cpu['other'] / wall:.2f}; "
                f"after `check_initiate` returned, settlement took p50 "
                f"{run['after_initiate_to_settled_ms'].get('p50', math.nan):.1f} ms; errors "
                f"{len(run['errors'])}."
            )
        out.append("")
    recons = result.get("reconciliation") or []
    if recons:
        header, rows = recon_rows(recons)
        out += [
            "## Reconciliation of one day",
            "",
            "Child process pinned to one CPU, fresh database; peak = VmHWM reset before each "
            "phase, minus RSS at its start.",
            "",
            *md_table(header, rows, left=2),
            "",
        ]
        for r in recons:
            out += [f"- {line}" for line in recon_findings(r)]
        for r in recons:
            out += [
                "",
                f"Profile of `do_reconcile` ({r['label']}), heaviest cumulative:",
                "",
                "| cum s | own s | calls | function |",
                "| ---: | ---: | ---: | --- |",
            ]
            out += [
                f"| {row['cum_s']:.3f} | {row['own_s']:.3f} | {row['calls']:,} | "
                f"`{row['function']}` |"
                for row in r["profile"]["by_cumulative"][:12]
            ]
    if result.get("skipped"):
        out += ["", "Skipped: " + "; ".join(result["skipped"])]
    return "\n".join(out) + "\n"


def machine_info() -> dict[str, Any]:
    return {
        "hostname": platform.node(),
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_available(),
        "versions": {d: version(d) for d in ("Django", "gunicorn", "psycopg", "pyHanko")},
        "loadavg_start": list(os.getloadavg()),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (~1 minute)")
    parser.add_argument("--payments", type=int, help="payments per concurrency level [300]")
    parser.add_argument("--concurrency", help="comma-separated payer counts [1,4]")
    parser.add_argument("--warmup", type=int, help="warm-up payments, not counted [6]")
    parser.add_argument(
        "--provider",
        default="moov_money",
        choices=["moov_money", "orange_money", "pispi"],
        help="provider the payments go through [moov_money]",
    )
    workers = (os.cpu_count() or 1) + 1
    parser.add_argument(
        "--workers", type=int, default=workers, help=f"gunicorn workers [{workers}]"
    )
    parser.add_argument(
        "--confirm",
        choices=["phone", "auto"],
        default="phone",
        help="phone: each payer confirms on the simulated phone once check_initiate returned "
        "[default]; auto: the simulator confirms at once (--confirm-after 0), which races "
        "the initiate's commit",
    )
    parser.add_argument(
        "--payment-timeout", type=float, help="wait per payment [30 s; 5 s with --confirm auto]"
    )
    parser.add_argument("--recon-intents", type=int, help="intents to reconcile [500000]")
    parser.add_argument("--recon-refunds", type=int, help="refunds among them [200]")
    parser.add_argument("--recon-timeout", type=float, default=1800.0)
    parser.add_argument(
        "--postgres",
        choices=["auto", "yes", "no"],
        default="auto",
        help="reconcile on PostgreSQL at 127.0.0.1:5432 too (auto: if it answers)",
    )
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-recon", action="store_true")
    parser.add_argument("--cpu", type=int, default=None, help="CPU for the reconciliation child")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (logs)")
    parser.add_argument("--recon-child", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    size = SIZES["quick" if opts.quick else "full"]
    for key in ("payments", "concurrency", "warmup", "recon_intents", "recon_refunds"):
        if getattr(opts, key) is None:
            setattr(opts, key, size[key])
    if opts.payment_timeout is None:
        opts.payment_timeout = 5.0 if opts.confirm == "auto" else 30.0
    opts.concurrency_levels = [int(c) for c in str(opts.concurrency).split(",") if c.strip()]
    if (
        not 1 <= opts.payments <= 5000
        or not opts.concurrency_levels
        or not all(1 <= c <= 32 for c in opts.concurrency_levels)
        or not 0 <= opts.warmup <= 100
        or not 1000 <= opts.recon_intents <= 2_000_000
        or not 0 <= opts.recon_refunds <= 10_000
    ):
        parser.error(
            "keep it bounded: 1-5000 payments, 1-32 payers, 0-100 warm-up, "
            "1,000-2,000,000 intents to reconcile, 0-10,000 refunds"
        )
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if opts.recon_child:
        result = recon_child(json.loads(opts.recon_child))
        print(CHILD_MARKER + json.dumps(result, default=str), flush=True)
        return 0

    signal.signal(signal.SIGTERM, raise_system_exit)
    signal.signal(signal.SIGHUP, raise_system_exit)
    started_at = dt.datetime.now().astimezone()
    wall0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="jamana-paybench-"))
    procs = Processes()
    result: dict[str, Any] = {
        "benchmark": "payments",
        "started_at": started_at.isoformat(timespec="seconds"),
        "mode": "quick" if opts.quick else "full",
        "machine": machine_info(),
        "git": git_state(),
        "params": {
            k: getattr(opts, k)
            for k in (
                "payments",
                "concurrency_levels",
                "warmup",
                "provider",
                "confirm",
                "workers",
                "recon_intents",
                "recon_refunds",
                "postgres",
            )
        },
        "skipped": [],
    }
    print(
        f"Scratch dir {tmp}; {result['machine']['nproc']} CPUs, "
        f"{result['machine']['cpu_model']}; load {result['machine']['loadavg_start'][0]:.2f}"
    )
    ok = True
    try:
        if not opts.skip_e2e:
            try:
                result["e2e"] = run_e2e(opts, tmp, procs)
                ok = ok and result["e2e"]["ok"]
            finally:
                procs.stop_all()
        if not opts.skip_recon:
            labels = ["sqlite"]
            pg = result["machine"]["postgresql"]
            if opts.postgres == "yes" or (opts.postgres == "auto" and not pg.startswith("unav")):
                labels.append("postgresql")
            elif opts.postgres == "auto":
                result["skipped"].append(f"PostgreSQL at 127.0.0.1:5432 {pg}")
            result["reconciliation"] = []
            for label in labels:
                print(f"Reconciliation on {label}:")
                recon = run_recon(opts, tmp, label)
                result["reconciliation"].append(recon)
                ok = ok and recon["checks"]["ok"]
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        print_log_tails([child.log_path for child in procs.children])
        return 2
    finally:
        procs.stop_all()
        if opts.keep_tmp:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    result["machine"]["loadavg_end"] = list(os.getloadavg())
    result["total_run_s"] = time.perf_counter() - wall0
    result["ok"] = ok
    print_report(result)
    if not opts.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        json_path = RESULTS / f"payments-{started_at:%Y%m%d-%H%M%S}.json"
        write_atomically(json_path, json.dumps(result, indent=2, default=str) + "\n")
        write_atomically(
            RESULTS / "payments-latest.md",
            markdown(result, json_path.relative_to(REPO).as_posix()),
        )
        print(f"\nWrote {json_path.relative_to(REPO)} and bench/results/payments-latest.md")
    print(f"Total {result['total_run_s']:.0f} s; checks {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
