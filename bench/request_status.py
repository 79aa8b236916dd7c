"""Benchmark: the citizen's request-status page (GET /requests/<reference>/) under load.

Builds a throw-away production-configured instance (SQLite in a temp dir, demo data), opens
an authenticated session for the demo citizen, serves the app with gunicorn on 127.0.0.1 next
to a trivial Django view under the same settings and gunicorn configuration, and measures both
at several concurrencies: requests per second, p50/p90/p99 latency, errors. Every response is
checked (status 200 and, for the page, the request's reference in the body) during the runs.

    .venv/bin/python bench/request_status.py            # what `make bench` runs
    .venv/bin/python bench/request_status.py --help     # durations, concurrency, workers

Figures go to bench/results/request_status-<timestamp>.json and bench/results/latest.md.
Only 127.0.0.1 is ever contacted; every process started here is stopped on exit.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.client
import json
import math
import os
import platform
import resource
import shutil
import signal
import sqlite3
import statistics
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
    free_port,
    gunicorn_args,
    http_request,
    manage,
    print_log_tails,
    proc_ticks,
    raise_system_exit,
    scratch_env,
    stop_group,
    write_atomically,
)
from _support import wait_ready as _wait_ready

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
LUA_SCRIPT = BENCH / "wrk_report.lua"
HOST = "127.0.0.1"  # the only address this script ever talks to
CITIZEN_PHONE = "+22370000001"
SESSION_COOKIE = "sessionid"

# Run inside `manage.py shell`: a session for the demo citizen, as the login view would leave
# it after both factors, and the citizen's request with the longest timeline.
SESSION_SNIPPET = """
import json
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count
from django.shortcuts import resolve_url
from jamana.core.references import format_reference
from jamana.identity.models import Account
from jamana.procedures.models import ServiceRequest

account = Account.objects.get(phone=%(phone)r)
req = (
    ServiceRequest.objects.filter(submitted_by=account)
    .annotate(n_events=Count("events"))
    .order_by("-n_events", "reference")
    .first()
)
session = SessionStore()
session[SESSION_KEY] = str(account.pk)
session[BACKEND_SESSION_KEY] = "jamana.identity.backends.AccountBackend"
session[HASH_SESSION_KEY] = account.get_session_auth_hash()
session.create()

# One render in-process, to record which queries the page makes (not timed).
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(SERVER_NAME="127.0.0.1")
client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
with CaptureQueriesContext(connection) as queries:
    status = client.get(f"/requests/{req.reference}/").status_code
sql = [q["sql"] for q in queries.captured_queries]
print("BENCH_JSON " + json.dumps({
    "session_key": session.session_key,
    "reference": req.reference,
    "formatted_reference": format_reference(req.reference),
    "status": req.status,
    "timeline_events": req.n_events,
    "requests_of_citizen": ServiceRequest.objects.filter(submitted_by=account).count(),
    "login_url": resolve_url(settings.LOGIN_URL),
    "page_queries": {
        "status": status,
        "count": len(sql),
        "selects": sum(q.startswith("SELECT") for q in sql),
        "writes": [q[:40] for q in sql if not q.startswith("SELECT")],
    },
}))
"""


# --------------------------------------------------------------------------- processes


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"


@dataclass
class Processes:
    """Every long-running child, each in its own process group, so that stopping one stops
    its workers too. Only these ids are ever signalled."""

    servers: list[Server] = field(default_factory=list)

    def stop_all(self) -> None:
        for server in self.servers:
            stop_group(server.proc)
        self.servers.clear()


def start_server(
    procs: Processes,
    name: str,
    settings_module: str,
    env: dict[str, str],
    opts: argparse.Namespace,
    tmp: Path,
) -> Server:
    port = free_port()
    log_path = tmp / f"gunicorn-{name}.log"
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "jamana.config.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--chdir",
        str(REPO),
        *gunicorn_args(opts),
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env={**env, "DJANGO_SETTINGS_MODULE": settings_module},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, port, proc, log_path)
    procs.servers.append(server)
    return server


def wait_ready(server: Server, path: str, timeout: float = 60.0) -> None:
    _wait_ready(
        f"gunicorn ({server.name})", server.port, server.proc, server.log_path, path, timeout
    )


def fetch(port: int, path: str, cookie: str | None = None) -> tuple[int, dict[str, str], bytes]:
    return http_request(port, "GET", path, {"Cookie": cookie} if cookie else None, timeout=10)


# --------------------------------------------------------------------------- CPU accounting


CLK_TCK = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(root: int) -> float:
    """CPU time of a process and its direct children (gunicorn master and workers)."""
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


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine since boot: busy is every process on
    every core; stolen is time the hypervisor gave to other guests."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (
            int(x) for x in stat.readline().split()[1:9]
        )
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- load generators


@dataclass
class Target:
    name: str
    server: Server
    path: str
    cookie: str | None
    marker: str


def run_wrk(target: Target, concurrency: int, duration: float) -> dict[str, Any]:
    threads = max(1, min(os.cpu_count() or 1, concurrency))
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",
        f"{duration:g}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
    ]
    if target.cookie:
        cmd += ["-H", f"Cookie: {target.cookie}"]
    cmd += [target.server.url(target.path), "--", target.marker]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    seconds = raw["duration_us"] / 1e6
    socket_errors = sum(
        raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "rps": raw["requests"] / seconds,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": socket_errors + raw["non200"] + raw["missing_marker"],
        "error_detail": {
            "socket": socket_errors,
            "non_200": raw["non200"],
            "missing_marker": raw["missing_marker"],
        },
        "loadgen_threads": threads,
    }


def _py_load_process(
    port: int, path: str, cookie: str | None, marker: str, threads: int, duration: float
) -> dict[str, Any]:
    """One load-generator process: `threads` keep-alive connections in closed loops."""
    headers = {"Cookie": cookie} if cookie else {}
    marker_bytes = marker.encode()
    deadline = time.monotonic() + duration
    lock = threading.Lock()
    result: dict[str, Any] = {"latencies_us": [], "non200": 0, "missing": 0, "socket": 0}

    def loop() -> None:
        lat: list[int] = []
        non200 = missing = errors = 0
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.monotonic() < deadline:
            start = time.perf_counter_ns()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            lat.append((time.perf_counter_ns() - start) // 1000)
            if resp.status != 200:
                non200 += 1
            elif marker_bytes not in body:
                missing += 1
            if resp.will_close:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
        conn.close()
        with lock:
            result["latencies_us"].extend(lat)
            result["non200"] += non200
            result["missing"] += missing
            result["socket"] += errors

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return result


def _percentile(sorted_values: list[int], pct: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def run_python(target: Target, concurrency: int, duration: float) -> dict[str, Any]:
    n_procs = max(1, min(os.cpu_count() or 1, concurrency))
    per_proc = [concurrency // n_procs + (i < concurrency % n_procs) for i in range(n_procs)]
    started = time.monotonic()
    with concurrent.futures.ProcessPoolExecutor(max_workers=n_procs) as pool:
        futures = [
            pool.submit(
                _py_load_process,
                target.server.port,
                target.path,
                target.cookie,
                target.marker,
                threads,
                duration,
            )
            for threads in per_proc
        ]
        parts = [f.result() for f in futures]
    seconds = time.monotonic() - started
    latencies = sorted(x for p in parts for x in p["latencies_us"])
    non200 = sum(p["non200"] for p in parts)
    missing = sum(p["missing"] for p in parts)
    socket_errors = sum(p["socket"] for p in parts)
    return {
        "requests": len(latencies),
        "seconds": round(seconds, 3),
        "rps": len(latencies) / duration,
        "p50_ms": _percentile(latencies, 50) / 1000,
        "p90_ms": _percentile(latencies, 90) / 1000,
        "p99_ms": _percentile(latencies, 99) / 1000,
        "mean_ms": (sum(latencies) / len(latencies) / 1000) if latencies else math.nan,
        "max_ms": (latencies[-1] / 1000) if latencies else math.nan,
        "errors": socket_errors + non200 + missing,
        "error_detail": {"socket": socket_errors, "non_200": non200, "missing_marker": missing},
        "loadgen_threads": concurrency,
        "loadgen_processes": n_procs,
    }


def measure(
    target: Target, concurrency: int, opts: argparse.Namespace, loadgen: str, warmup: float
) -> dict[str, Any]:
    runner = run_wrk if loadgen == "wrk" else run_python
    if warmup > 0:
        runner(target, concurrency, warmup)
    server_cpu = group_cpu_seconds(target.server.proc.pid)
    loadgen_cpu = children_cpu_seconds()
    machine_busy, machine_steal = machine_cpu_seconds()
    wall = time.monotonic()
    figures = runner(target, concurrency, opts.duration)
    wall = time.monotonic() - wall
    server = (group_cpu_seconds(target.server.proc.pid) - server_cpu) / wall
    loadgen_cores = (children_cpu_seconds() - loadgen_cpu) / wall
    busy_after, steal_after = machine_cpu_seconds()
    machine = (busy_after - machine_busy) / wall
    figures["server_cpu_cores"] = server
    figures["loadgen_cpu_cores"] = loadgen_cores
    # Whatever else ran on the machine meanwhile (other people's tests, browsers...).
    figures["other_cpu_cores"] = max(0.0, machine - server - loadgen_cores)
    figures["steal_cpu_cores"] = (steal_after - machine_steal) / wall
    # Server CPU time per answered request: barely moved by other load, unlike req/s.
    figures["server_cpu_ms_per_req"] = (
        server * wall / figures["requests"] * 1000 if figures["requests"] else math.nan
    )
    return {"target": target.name, "concurrency": concurrency, **figures}


def disturbance(run: dict[str, Any]) -> float:
    return float(run["other_cpu_cores"] + run["steal_cpu_cores"])


def wait_for_quiet(max_other: float, limit: float = 30.0) -> float:
    """Wait (at most `limit` seconds) until the machine, idle on our side, stays under
    `max_other` busy cores for a second; return the seconds waited."""
    start = time.monotonic()
    while True:
        busy, steal = machine_cpu_seconds()
        time.sleep(1.0)
        busy_after, steal_after = machine_cpu_seconds()
        waited = time.monotonic() - start
        if busy_after - busy + steal_after - steal <= max_other or waited >= limit:
            return waited


def measure_cell(
    target: Target, conc: int, rep: int, opts: argparse.Namespace, loadgen: str
) -> list[dict[str, Any]]:
    """One timed run, run again (at most opts.retries times) while other processes took more
    than opts.max_other cores; the least disturbed attempt is kept, the others discarded."""
    attempts: list[dict[str, Any]] = []
    for attempt in range(opts.retries + 1):
        waited = wait_for_quiet(opts.max_other)
        warmup = opts.warmup if rep == 0 and attempt == 0 else 0.0
        result = measure(target, conc, opts, loadgen, warmup)
        result["repetition"] = rep + 1
        result["waited_for_quiet_s"] = round(waited, 1)
        attempts.append(result)
        calm = disturbance(result) <= opts.max_other
        print(
            f"  #{rep + 1} c={conc:<4} {target.name:<17} "
            f"{result['rps']:7.0f} req/s  p50 {result['p50_ms']:7.2f} ms  "
            f"p99 {result['p99_ms']:7.2f} ms  err {result['errors']}  "
            f"CPU cores: server {result['server_cpu_cores']:.2f}, "
            f"loadgen {result['loadgen_cpu_cores']:.2f}, other {disturbance(result):.2f}"
            + ("" if calm else "  (disturbed)")
        )
        if calm:
            break
    kept = min(attempts, key=disturbance)
    for result in attempts:
        result["discarded"] = result is not kept
    return attempts


def aggregate(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One figure per (target, concurrency): the median over the kept repetitions. Errors
    count in every run, discarded (disturbed) ones included."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["target"], run["concurrency"]), []).append(run)
    out = []
    for (target, conc), group in groups.items():
        kept = [r for r in group if not r["discarded"]]
        row: dict[str, Any] = {
            "target": target,
            "concurrency": conc,
            "repetitions": len(kept),
            "discarded_runs": len(group) - len(kept),
        }
        for key in (
            "rps",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "mean_ms",
            "server_cpu_cores",
            "loadgen_cpu_cores",
            "other_cpu_cores",
            "steal_cpu_cores",
            "server_cpu_ms_per_req",
        ):
            row[key] = statistics.median(r[key] for r in kept)
        row["rps_min"] = min(r["rps"] for r in kept)
        row["rps_max"] = max(r["rps"] for r in kept)
        row["max_ms"] = max(r["max_ms"] for r in kept)
        row["requests"] = sum(r["requests"] for r in kept)
        row["errors"] = sum(r["errors"] for r in group)
        out.append(row)
    return out


# --------------------------------------------------------------------------- reporting


def machine_info(opts: argparse.Namespace, loadgen: str) -> dict[str, Any]:
    import django
    import gunicorn

    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    wrk_version = None
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        wrk_version = (out.stdout or out.stderr).splitlines()[0].split("Copyright")[0].strip()
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "memory_gib": mem_gib,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "sqlite": sqlite3.sqlite_version,
        "load_generator": wrk_version if loadgen == "wrk" else "python (threads + http.client)",
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def gunicorn_description(opts: argparse.Namespace) -> str:
    if opts.worker_class == "gthread":
        return f"gthread, {opts.workers} workers x {opts.threads} threads, keep-alive 5 s"
    return f"sync, {opts.workers} workers (no keep-alive: one connection per request)"


def fmt(value: float, digits: int = 1) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def summary_rows(runs: list[dict[str, Any]], targets: list[str]) -> list[list[str]]:
    by_key = {(r["target"], r["concurrency"]): r for r in runs}
    rows = []
    for conc in sorted({r["concurrency"] for r in runs}):
        page, base = by_key[("page", conc)], by_key[("baseline", conc)]
        extra = [by_key[(t, conc)] for t in targets if t not in ("page", "baseline")]
        for label, key, digits in [
            ("req/s", "rps", 0),
            ("p50 ms", "p50_ms", 2),
            ("p99 ms", "p99_ms", 2),
            ("CPU ms/req", "server_cpu_ms_per_req", 2),
            ("errors", "errors", 0),
        ]:
            ratio = ""
            if key != "errors":
                ratio = f"{page[key] / base[key]:.2f}x" if base[key] else "—"
            rows.append(
                [
                    str(conc),
                    label,
                    fmt(page[key], digits),
                    fmt(base[key], digits),
                    ratio,
                    *[fmt(r[key], digits) for r in extra],
                ]
            )
    return rows


def table_header(targets: list[str]) -> list[str]:
    names = {"baseline_session": "baseline+session"}
    extra = [names.get(t, t) for t in targets if t not in ("page", "baseline")]
    return ["conc", "metric", "page", "baseline", "page/baseline", *extra]


def render_text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    previous = None
    for row in rows:
        if previous is not None and row[0] != previous:
            lines.append("")
        previous = row[0]
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def render_markdown(report: dict[str, Any], header: list[str], rows: list[list[str]]) -> str:
    m, p, d = report["machine"], report["params"], report["data"]
    md = [
        "# Benchmark: request-status page",
        "",
        f"Run {report['started_at']} with `bench/request_status.py` "
        f"(raw figures: `{report['json_file']}`).",
        "",
        f"`GET /requests/{d['reference']}/` as the signed-in demo citizen (request "
        f"{d['formatted_reference']}, status `{d['status']}`, {d['timeline_events']} timeline "
        f"events; demo data from `seed_demo --persons {p['persons']}`), against a Django view "
        'returning `HttpResponse("ok")` through the same settings, middleware and gunicorn '
        "configuration (`baseline`, no cookie). `baseline+session` is that same view with the "
        "citizen's session cookie: loading the session and the account and saving the session "
        "again (SESSION_SAVE_EVERY_REQUEST), without any page work.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        f"Each cell is the median of {p['repeat']} timed runs of {p['duration_s']:g} s "
        f"(targets interleaved, a {p['warmup_s']:g} s warm-up before the first); `conc` "
        "connections each send the next request as soon as the last answer arrived (closed "
        "loop; sync workers close the connection after each answer, so each request also pays "
        "a new loopback TCP connection). Errors (summed over all runs) = socket errors + non-200 "
        "responses + 200 responses without the expected content (the formatted reference, or "
        "`ok`); every response is checked. `CPU ms/req` = CPU time of the gunicorn master and "
        "workers ÷ answered requests: other load on the machine hardly moves it, so it is the "
        "steadiest figure to compare runs with. Before each run the script waits (at most 30 "
        "s) for the rest of the machine to be quiet.",
        "",
        "## Setup",
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
        f"Linux {m['kernel']}; load average at start {m['loadavg_at_start']}",
        f"- Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']}, "
        f"SQLite {m['sqlite']}",
        f"- gunicorn: {report['server']['description']} "
        f"(`{' '.join(report['server']['args'])}`), app `{report['server']['app']}`; "
        "page and baseline servers both on 127.0.0.1",
        "- Settings: JAMANA_ENV=production, DEBUG=false, SQLite (WAL) in a temp dir, "
        "DB_CONN_MAX_AGE=0 (default), whitenoise manifest static files, "
        "SECURE_SSL_REDIRECT=false (plain HTTP on loopback; the cookie is sent by hand)",
        f"- Load generator: {m['load_generator']}, on the same machine",
        *([f"- Environment overrides: `{p['env_overrides']}`"] if p["env_overrides"] else []),
        "",
        "## Spread and CPU (cores busy during the timed runs, medians)",
        "",
        "`other` is CPU taken on the machine by anything but the server under test and the "
        "load generator (other people's tests and browsers, hypervisor steal). A run during "
        f"which it exceeded {p['max_other_cpu_cores']:g} cores was discarded and run again "
        f"(at most {p['retries']} times per run); `discarded` counts those.",
        "",
        "| conc | target | req/s min-max | server | load gen | other | discarded |",
        "|---:|---|---:|---:|---:|---:|---:|",
        *(
            f"| {r['concurrency']} | {r['target']} | {r['rps_min']:,.0f}-{r['rps_max']:,.0f} "
            f"| {r['server_cpu_cores']:.2f} | {r['loadgen_cpu_cores']:.2f} "
            f"| {r['other_cpu_cores'] + r['steal_cpu_cores']:.2f} | {r['discarded_runs']} |"
            for r in report["summary"]
        ),
        "",
    ]
    return "\n".join(md)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per timed run [10]")
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="warm-up seconds before the first run of each cell [2]",
    )
    parser.add_argument(
        "--concurrency", default="8,32", help="comma-separated connection counts [8,32]"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs per cell; the median is reported [3]"
    )
    workers = (os.cpu_count() or 1) + 1
    parser.add_argument(
        "--workers", type=int, default=workers, help=f"gunicorn workers [CPUs + 1 = {workers}]"
    )
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker [4]")
    parser.add_argument(
        "--max-other",
        type=float,
        default=0.3,
        help="a run during which other processes (or the hypervisor) took more CPU cores "
        "than this is run again [0.3]",
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="extra runs per disturbed cell, at most [2]"
    )
    parser.add_argument("--persons", type=int, default=300, help="seed_demo --persons [300]")
    parser.add_argument(
        "--loadgen",
        default="auto",
        choices=["auto", "wrk", "python"],
        help="wrk if installed (apt-get install wrk), else a Python generator",
    )
    parser.add_argument(
        "--no-session-baseline",
        action="store_true",
        help="skip the baseline run with the session cookie",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the instance, e.g. DB_CONN_MAX_AGE=60 (recorded)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (logs, db)")
    opts = parser.parse_args(argv)
    opts.concurrency_levels = [int(c) for c in opts.concurrency.split(",") if c.strip()]
    opts.env_overrides = {}
    for item in opts.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--set wants KEY=VALUE, not {item!r}")
        opts.env_overrides[key] = value
    if (
        opts.duration <= 0
        or opts.repeat < 1
        or not opts.concurrency_levels
        or min(opts.concurrency_levels) < 1
    ):
        parser.error("duration and concurrency must be positive")
    if (
        opts.duration > 120
        or opts.repeat > 10
        or not 0 <= opts.retries <= 5
        or max(opts.concurrency_levels) > 512
    ):
        parser.error(
            "keep runs bounded: --duration <= 120, --repeat <= 10, --retries <= 5, "
            "concurrency <= 512"
        )
    return opts


def bench_env(tmp: Path) -> dict[str, str]:
    return scratch_env(tmp, f"sqlite:///{tmp / 'bench.sqlite3'}")


def preflight(page: Target, baseline: Target, session_base: Target | None, login_url: str) -> None:
    """Refuse to time anything but real, authenticated page renders."""
    status, headers, body = fetch(page.server.port, page.path, page.cookie)
    if status != 200:
        raise BenchError(
            f"page with session cookie: HTTP {status} (location {headers.get('location')!r})"
        )
    if page.marker.encode() not in body:
        raise BenchError(f"page lacks the reference {page.marker!r}:\n{body[:2000]!r}")
    status, headers, _ = fetch(page.server.port, page.path)
    if status != 302 or not headers.get("location", "").startswith(login_url):
        raise BenchError(
            f"page without cookie: expected a 302 to {login_url}, got HTTP {status} "
            f"(location {headers.get('location')!r})"
        )
    for target in [baseline, session_base]:
        if target is None:
            continue
        status, _, body = fetch(target.server.port, target.path, target.cookie)
        if status != 200 or body != b"ok":
            raise BenchError(f"{target.name}: HTTP {status} {body[:200]!r}")


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    loadgen = opts.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
        if loadgen == "python":
            print("wrk not found (apt-get install wrk): using the Python load generator.")
    elif loadgen == "wrk" and not shutil.which("wrk"):
        raise BenchError("wrk not found: apt-get install wrk, or --loadgen python")

    signal.signal(signal.SIGTERM, raise_system_exit)
    signal.signal(signal.SIGHUP, raise_system_exit)
    started_at = dt.datetime.now().astimezone()
    tmp = Path(tempfile.mkdtemp(prefix="jamana-bench-"))
    setup_log = tmp / "setup.log"
    procs = Processes()
    env = {**bench_env(tmp), **opts.env_overrides}
    try:
        print(f"Scratch instance in {tmp}")
        t0 = time.monotonic()
        manage(env, "migrate", "--noinput", log=setup_log)
        manage(env, "compile_translations", log=setup_log)
        manage(env, "collectstatic", "--noinput", log=setup_log)
        manage(env, "seed_demo", "--persons", str(opts.persons), log=setup_log)
        out = manage(
            env,
            "shell",
            "--no-imports",
            "-c",
            SESSION_SNIPPET % {"phone": CITIZEN_PHONE},
            log=setup_log,
        )
        line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
        if line is None:
            raise BenchError(f"session snippet printed nothing usable:\n{out}")
        data = json.loads(line.removeprefix("BENCH_JSON "))
        if data["page_queries"]["status"] != 200:
            raise BenchError(f"in-process render of the page: {data['page_queries']}")
        print(
            f"Prepared in {time.monotonic() - t0:.1f} s: citizen session, request "
            f"{data['formatted_reference']} ({data['status']}, {data['timeline_events']} events); "
            f"the page makes {data['page_queries']['count']} queries, "
            f"{data['page_queries']['selects']} of them SELECTs"
        )

        page_server = start_server(procs, "page", "bench.settings", env, opts, tmp)
        base_server = start_server(procs, "baseline", "bench.baseline_settings", env, opts, tmp)
        wait_ready(page_server, "/healthz")
        wait_ready(base_server, "/baseline/")
        cookie = f"{SESSION_COOKIE}={data['session_key']}"
        page = Target(
            "page",
            page_server,
            f"/requests/{data['reference']}/",
            cookie,
            data["formatted_reference"],
        )
        baseline = Target("baseline", base_server, "/baseline/", None, "ok")
        session_base = (
            None
            if opts.no_session_baseline
            else Target("baseline_session", base_server, "/baseline/", cookie, "ok")
        )
        preflight(page, baseline, session_base, data["login_url"])
        targets = [t for t in (page, baseline, session_base) if t is not None]
        print(
            f"gunicorn {gunicorn_description(opts)} — page on :{page_server.port}, "
            f"baseline on :{base_server.port}; load generator: {loadgen}"
        )

        runs: list[dict[str, Any]] = []
        for rep in range(opts.repeat):
            for conc in opts.concurrency_levels:
                for target in [baseline, session_base, page]:
                    if target is None:
                        continue
                    runs += measure_cell(target, conc, rep, opts, loadgen)
        # The session is still good after the runs.
        preflight(page, baseline, session_base, data["login_url"])
        summary = aggregate(runs)

        names = [t.name for t in targets]
        header, rows = table_header(names), summary_rows(summary, names)
        print()
        print(render_text_table(header, rows))

        stamp = started_at.strftime("%Y%m%d-%H%M%S")
        json_path = RESULTS / f"request_status-{stamp}.json"
        report = {
            "benchmark": "request_status",
            "started_at": started_at.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "json_file": str(json_path.relative_to(REPO)),
            "machine": machine_info(opts, loadgen),
            "server": {
                "description": gunicorn_description(opts),
                "app": "jamana.config.wsgi:application",
                "args": gunicorn_args(opts),
                "page_settings": "bench.settings (jamana.config.settings, STATIC_ROOT in tmp)",
                "baseline_settings": "bench.baseline_settings (ROOT_URLCONF=bench.baseline_urls)",
            },
            "params": {
                "repeat": opts.repeat,
                "max_other_cpu_cores": opts.max_other,
                "retries": opts.retries,
                "duration_s": opts.duration,
                "warmup_s": opts.warmup,
                "concurrency": opts.concurrency_levels,
                "persons": opts.persons,
                "loadgen": loadgen,
                "env_overrides": opts.env_overrides,
            },
            "data": {k: v for k, v in data.items() if k != "session_key"},
            "summary": summary,
            "runs": runs,
            "table": {"header": header, "rows": rows},
        }
        if not opts.no_write:
            RESULTS.mkdir(parents=True, exist_ok=True)
            write_atomically(json_path, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
            write_atomically(RESULTS / "latest.md", render_markdown(report, header, rows))
            print(f"\nWrote {json_path.relative_to(REPO)} and bench/results/latest.md")
        busy = max(r["other_cpu_cores"] + r["steal_cpu_cores"] for r in summary)
        if busy > opts.max_other:
            print(
                f"\nNote: other processes took up to {busy:.2f} CPU cores during the kept runs "
                "(median of a cell): those figures are lower and noisier than on a quiet machine."
            )
        bad = sum(r["errors"] for r in runs)
        if bad:
            print(f"\n{bad} error(s) during the runs: see error_detail in the JSON.")
        return 1 if bad else 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        print_log_tails([server.log_path for server in procs.servers])
        return 2
    finally:
        procs.stop_all()
        if opts.keep_tmp:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
