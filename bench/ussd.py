"""Benchmark: USSD callback latency under 200 concurrent sessions.

Builds a throw-away production-configured instance (as bench/request_status.py does, and with
its helpers), creates callers with an account, a USSD PIN and two requests each, serves the app
with gunicorn on 127.0.0.1 beside a trivial Django view under the same settings and gunicorn
configuration, and plays 200 concurrent USSD sessions against each. A session is the walk a
gateway relays: dial (main menu) → "2" (my latest requests: the PIN is asked) → the PIN (the
caller's last requests, END). Gateways drop a call not answered within about 2 s.

    .venv/bin/python bench/ussd.py            # what `make bench` runs (~5 minutes)
    .venv/bin/python bench/ussd.py --quick    # ~1.5 minutes
    .venv/bin/python bench/ussd.py --help

Figures go to bench/results/ussd-<timestamp>.json and bench/results/ussd-latest.md.
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
import random
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _support import print_log_tails, raise_system_exit, write_atomically
from payments import pg_admin, pg_available
from request_status import (
    HOST,
    BenchError,
    Processes,
    bench_env,
    children_cpu_seconds,
    group_cpu_seconds,
    gunicorn_args,
    gunicorn_description,
    machine_cpu_seconds,
    machine_info,
    manage,
    render_text_table,
    start_server,
    wait_ready,
)

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DEADLINE_S = 2.0  # what USSD gateways commonly allow for an answer
PIN = "2580"
CALLER_PASSWORD = "Bench-Ussd-Caller-42"  # noqa: S105 (a throw-away instance's callers)
STEPS = ("dial", "menu", "pin")

# Run inside `manage.py shell`: callers made through the real actions (account, PIN set on
# the "web" with the password, two requests awaiting payment), and what the PIN costs.
SETUP_SNIPPET = """
import datetime as dt, json, time
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from jamana.core.references import format_reference
from jamana.identity import actions as identity
from jamana.procedures.actions import check_submit_request
from jamana.procedures.queries import list_services
from jamana.ussd import pins
from jamana.ussd.actions import check_set_pin

paid = [s.code for s in list_services() if s.fee_xof > 0][:2]
callers = []
languages = ["fr", "bm", "en"]
for i in range(%(callers)d):
    person = identity.do_register_person(
        given_names=f"Appelant {i}", family_name="Banc", sex="F" if i %% 2 else "M",
        birth_date=dt.date(1990, 1, 1),
    )
    phone = f"+2237610{i:04d}"
    account = identity.do_create_account(
        phone=phone, password=%(password)r, person=person, language=languages[i %% 3]
    )
    check_set_pin(account=account, password=%(password)r, pin=%(pin)r, pin_again=%(pin)r)
    refs = [check_submit_request(account=account, service_code=code).reference for code in paid]
    callers.append({"phone": phone, "refs": [format_reference(r) for r in refs]})

encoded = pins.hash_pin(1, %(pin)r)
start = time.perf_counter()
for _ in range(20):
    pins.pin_matches(1, %(pin)r, encoded)
pin_ms = (time.perf_counter() - start) / 20 * 1000
password = make_password("x")  # the instance's password hasher (Argon2, Django's default cost)
start = time.perf_counter()
for _ in range(5):
    check_password("x", password)
password_ms = (time.perf_counter() - start) / 5 * 1000
print("BENCH_JSON " + json.dumps({
    "callers": callers, "services": paid,
    "pin_verify_ms": round(pin_ms, 1), "password_verify_ms": round(password_ms, 1),
    "password_hasher": settings.PASSWORD_HASHERS[0],
}))
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    think: tuple[float, float]  # seconds a person takes to read and type, between calls
    duration: float


# --------------------------------------------------------------------------- load generator


def _post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _check(target: str, step: int, body: bytes, refs: list[str]) -> bool:
    """Each answer must be the expected screen, not merely a 200."""
    if target == "baseline":
        return body == b"ok"
    text = body.decode(errors="replace")
    if step == 0:
        return text.startswith("CON ") and "\n1 " in text
    if step == 1:
        return text.startswith("CON ")
    return text.startswith("END ") and any(ref in text for ref in refs)


def _session_process(
    port: int,
    target: str,
    secret: str,
    callers: list[dict[str, Any]],
    first_slot: int,
    threads: int,
    scenario: Scenario,
    seed: int,
    max_sessions: int = 0,
) -> dict[str, Any]:
    """One load-generator process: ``threads`` callers, each walking session after session
    (a new session id each time) until the duration is over (or ``max_sessions`` each)."""
    deadline = time.monotonic() + (scenario.duration if not max_sessions else 3600.0)
    lock = threading.Lock()
    out: dict[str, Any] = {
        "latencies_us": {step: [] for step in STEPS},
        "errors": {"socket": 0, "status": 0, "content": 0},
        "sessions": 0,
    }
    if target == "baseline":
        # The trivial view is not CSRF-exempt: send a matching cookie and header, as a form
        # would (the check costs microseconds; the callback is exempt).
        token = secrets.token_hex(16)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={token}",
            "X-CSRFToken": token,
        }
        path = "/baseline/"
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-USSD-Secret": secret}
        path = "/ussd/callback"

    def caller_loop(slot: int) -> None:
        rng = random.Random(seed * 10_000 + slot)
        caller = callers[slot % len(callers)]
        lat: dict[str, list[int]] = {step: [] for step in STEPS}
        errors = {"socket": 0, "status": 0, "content": 0}
        sessions = 0
        lo, hi = scenario.think
        if hi > 0:  # callers dial at different moments, not all in the same millisecond
            time.sleep(rng.uniform(0, hi))
        n = 0
        while time.monotonic() < deadline and not (max_sessions and n >= max_sessions):
            n += 1
            session_id = f"ATUid_bench_{seed}_{slot}_{n}"
            text = ""
            for step, value in enumerate(("", "2", PIN)):
                if step:
                    if hi > 0:
                        time.sleep(rng.uniform(lo, hi))
                    if time.monotonic() >= deadline:
                        break
                    text = value if text == "" else f"{text}*{value}"
                form = urllib.parse.urlencode(
                    {
                        "sessionId": session_id,
                        "serviceCode": "*123#",
                        "phoneNumber": caller["phone"],
                        "text": text,
                    }
                ).encode()
                start = time.perf_counter_ns()
                try:
                    status, body = _post(port, path, form, headers)
                except (OSError, http.client.HTTPException):
                    errors["socket"] += 1
                    break
                lat[STEPS[step]].append((time.perf_counter_ns() - start) // 1000)
                if status != 200:
                    errors["status"] += 1
                    break
                if not _check(target, step, body, caller["refs"]):
                    errors["content"] += 1
                    break
            else:
                sessions += 1
        with lock:
            for step in STEPS:
                out["latencies_us"][step].extend(lat[step])
            for key in errors:
                out["errors"][key] += errors[key]
            out["sessions"] += sessions

    workers = [threading.Thread(target=caller_loop, args=(first_slot + i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return out


def _percentile(sorted_values: list[int], pct: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1] / 1000


def _latency(values: list[int]) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        "calls": len(ordered),
        "p50_ms": _percentile(ordered, 50),
        "p90_ms": _percentile(ordered, 90),
        "p99_ms": _percentile(ordered, 99),
        "max_ms": ordered[-1] / 1000 if ordered else math.nan,
        "over_deadline": sum(v > DEADLINE_S * 1e6 for v in ordered),
    }


def run_sessions(
    port: int,
    server_pid: int,
    target: str,
    secret: str,
    callers: list[dict[str, Any]],
    concurrency: int,
    scenario: Scenario,
    seed: int,
) -> dict[str, Any]:
    n_procs = max(1, min(os.cpu_count() or 1, concurrency))
    per_proc = [concurrency // n_procs + (i < concurrency % n_procs) for i in range(n_procs)]
    firsts = [sum(per_proc[:i]) for i in range(n_procs)]
    server_cpu, loadgen_cpu = group_cpu_seconds(server_pid), children_cpu_seconds()
    busy, steal = machine_cpu_seconds()
    wall = time.monotonic()
    with concurrent.futures.ProcessPoolExecutor(max_workers=n_procs) as pool:
        futures = [
            pool.submit(
                _session_process,
                port,
                target,
                secret,
                callers,
                first,
                threads,
                scenario,
                seed * 100 + i,
            )
            for i, (first, threads) in enumerate(zip(firsts, per_proc, strict=True))
        ]
        parts = [f.result() for f in futures]
    wall = time.monotonic() - wall
    server = (group_cpu_seconds(server_pid) - server_cpu) / wall
    loadgen = (children_cpu_seconds() - loadgen_cpu) / wall
    busy_after, steal_after = machine_cpu_seconds()
    by_step = {step: [x for p in parts for x in p["latencies_us"][step]] for step in STEPS}
    every = [x for values in by_step.values() for x in values]
    errors = {k: sum(p["errors"][k] for p in parts) for k in ("socket", "status", "content")}
    calls = len(every)
    return {
        "target": target,
        "scenario": scenario.name,
        "think_s": list(scenario.think),
        "concurrency": concurrency,
        "seconds": round(wall, 2),
        "sessions": sum(p["sessions"] for p in parts),
        "calls_per_s": calls / wall,
        "all": _latency(every),
        "steps": {step: _latency(values) for step, values in by_step.items()},
        "errors": sum(errors.values()),
        "error_detail": errors,
        "server_cpu_cores": server,
        "loadgen_cpu_cores": loadgen,
        "other_cpu_cores": max(0.0, (busy_after - busy) / wall - server - loadgen)
        + (steal_after - steal) / wall,
        "server_cpu_ms_per_call": server * wall / calls * 1000 if calls else math.nan,
        "loadgen_processes": n_procs,
    }


# --------------------------------------------------------------------------- reporting


def fmt(value: float, digits: int = 1) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def table(runs: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = [
        "scenario",
        "target",
        "database",
        "calls/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "> 2 s",
        "PIN p50",
        "PIN p99",
        "CPU ms/call",
        "errors",
    ]
    rows = []
    for run in runs:
        pin = run["steps"]["pin"]
        rows.append(
            [
                run["scenario"],
                run["target"],
                run.get("database", "—"),
                fmt(run["calls_per_s"], 0),
                fmt(run["all"]["p50_ms"], 1),
                fmt(run["all"]["p99_ms"], 1),
                fmt(run["all"]["max_ms"], 0),
                f"{run['all']['over_deadline']}/{run['all']['calls']}",
                fmt(pin["p50_ms"], 1),
                fmt(pin["p99_ms"], 1),
                fmt(run["server_cpu_ms_per_call"], 2),
                str(run["errors"]),
            ]
        )
    return header, rows


def render_markdown(report: dict[str, Any], header: list[str], rows: list[list[str]]) -> str:
    m, d = report["machine"], report["data"]["sqlite"]
    lines = [
        f"# USSD callback — {report['started_at']}",
        "",
        f"`bench/ussd.py`, raw figures in `{report['json_file']}`. {m['nproc']} CPUs "
        f"({m['cpu_model']}), {m['memory_gib']} GiB; Python {m['python']}, Django "
        f"{m['django']}, gunicorn {m['gunicorn']}, SQLite {m['sqlite']}, PostgreSQL "
        f"{m['postgresql']}; load average at start {m['loadavg_at_start']}. gunicorn: "
        f"{report['server']['description']}.",
        "",
        f"{report['params']['concurrency']} concurrent sessions, each: dial → `2` → PIN "
        f"(END with the caller's latest requests); {len(d['callers'])} callers with an "
        "account, a USSD PIN and 2 requests; the baseline is a trivial Django view taking the "
        "same POSTs. `> 2 s`: calls slower than a gateway's usual deadline.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i < 3 else "---:" for i in range(len(header))) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        "Per step (USSD target):",
        "",
        "| database | scenario | step | p50 ms | p90 ms | p99 ms | max ms |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for run in report["runs"]:
        if run["target"] != "ussd":
            continue
        for step in STEPS:
            s = run["steps"][step]
            lines.append(
                f"| {run['database']} | {run['scenario']} | {step} | {fmt(s['p50_ms'])} "
                f"| {fmt(s['p90_ms'])} "
                f"| {fmt(s['p99_ms'])} | {fmt(s['max_ms'], 0)} |"
            )
    lines += [
        "",
        f"PIN check (Argon2id, 19 MiB, t=2, p=1, over an HMAC pepper): {d['pin_verify_ms']} ms "
        f"per verification in one process; a password check with the instance's hasher "
        f"({d['password_hasher'].rsplit('.', 1)[-1]}): {d['password_verify_ms']} ms.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=200, help="sessions at once [200]")
    parser.add_argument("--callers", type=int, default=200, help="distinct callers [200]")
    parser.add_argument(
        "--think",
        default="2,6",
        help="seconds between a reply and the next input, uniform in MIN,MAX [2,6]",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="paced run seconds [60]")
    parser.add_argument(
        "--saturated-duration",
        type=float,
        default=30.0,
        help="seconds of the run without think time (0 skips it) [30]",
    )
    parser.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds [5]")
    parser.add_argument("--quick", action="store_true", help="20 s runs, 60 callers")
    workers = (os.cpu_count() or 1) + 1
    parser.add_argument("--workers", type=int, default=workers, help=f"gunicorn [{workers}]")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker [4]")
    parser.add_argument(
        "--postgres",
        default="auto",
        choices=["auto", "yes", "no"],
        help="also on PostgreSQL at 127.0.0.1:5432 (a database made and dropped here) [auto]",
    )
    parser.add_argument(
        "--pg-conn-max-age",
        type=int,
        default=60,
        help="DB_CONN_MAX_AGE on PostgreSQL: persistent connections, as a production "
        "instance keeps them (SQLite keeps the default, 0) [60]",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (logs, db)")
    opts = parser.parse_args(argv)
    lo, _, hi = opts.think.partition(",")
    opts.think_range = (float(lo), float(hi or lo))
    if opts.quick:
        opts.duration, opts.saturated_duration, opts.callers = 20.0, 15.0, 60
    if not (1 <= opts.concurrency <= 1000 and 1 <= opts.callers <= 2000):
        parser.error("keep it bounded: concurrency 1-1000, callers 1-2000")
    if not (0 < opts.duration <= 600 and 0 <= opts.saturated_duration <= 600):
        parser.error("durations: (0, 600] seconds")
    if not 0 <= opts.think_range[0] <= opts.think_range[1] <= 60:
        parser.error("--think MIN,MAX with 0 <= MIN <= MAX <= 60")
    return opts


def preflight(port: int, target: str, secret: str, caller: dict[str, Any]) -> None:
    """One walk, checked screen by screen, before anything is timed."""
    scenario = Scenario("preflight", (0.0, 0.0), 0.0)
    out = _session_process(port, target, secret, [caller], 0, 1, scenario, seed=0, max_sessions=1)
    if out["sessions"] != 1 or any(out["errors"].values()):
        raise BenchError(f"{target}: a checked walk failed: {out['errors']}")


def prepare(env: dict[str, str], opts: argparse.Namespace, log: Path) -> dict[str, Any]:
    """Migrate, seed, and make the callers; returns what the setup snippet printed."""
    t0 = time.monotonic()
    manage(env, "migrate", "--noinput", log=log)
    manage(env, "compile_translations", log=log)
    manage(env, "collectstatic", "--noinput", log=log)
    manage(env, "seed_demo", "--persons", "10", log=log)
    print(f"  creating {opts.callers} callers (account, USSD PIN, 2 requests each)…")
    snippet = SETUP_SNIPPET % {"callers": opts.callers, "password": CALLER_PASSWORD, "pin": PIN}
    out = manage(env, "shell", "--no-imports", "-c", snippet, log=log)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise BenchError(f"setup printed nothing usable:\n{out}")
    data: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    print(
        f"  prepared in {time.monotonic() - t0:.0f} s; PIN check {data['pin_verify_ms']} ms, "
        f"password check {data['password_verify_ms']} ms"
    )
    return data


def measure_database(
    database: str,
    env: dict[str, str],
    opts: argparse.Namespace,
    tmp: Path,
    procs: Processes,
    secret: str,
    with_baseline: bool,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = prepare(env, opts, tmp / f"setup-{database}.log")
    servers = {"ussd": start_server(procs, f"ussd-{database}", "bench.settings", env, opts, tmp)}
    if with_baseline:
        servers["baseline"] = start_server(
            procs, "baseline", "bench.baseline_settings", env, opts, tmp
        )
    for name, server in servers.items():
        wait_ready(server, "/healthz" if name == "ussd" else "/baseline/")
        preflight(server.port, name, secret, data["callers"][0])
    print(f"  gunicorn {gunicorn_description(opts)}")
    scenarios = [Scenario("paced", opts.think_range, opts.duration)]
    if opts.saturated_duration > 0:
        scenarios.append(Scenario("saturated", (0.0, 0.0), opts.saturated_duration))
    runs = []
    for number, scenario in enumerate(scenarios, start=1):
        for name, server in servers.items():
            if opts.warmup > 0 and number == 1:
                warm = Scenario("warm-up", (0.0, 0.0), opts.warmup)
                run_sessions(
                    server.port, server.proc.pid, name, secret, data["callers"], 20, warm, 99
                )
            run = run_sessions(
                server.port,
                server.proc.pid,
                name,
                secret,
                data["callers"],
                opts.concurrency,
                scenario,
                seed=number,
            )
            run["database"] = database if name == "ussd" else "—"
            runs.append(run)
            print(
                f"  {scenario.name:<9} {name:<8} {run['calls_per_s']:6.0f} calls/s  "
                f"p50 {run['all']['p50_ms']:8.1f} ms  p99 {run['all']['p99_ms']:8.1f} ms  "
                f"> 2 s: {run['all']['over_deadline']}  err {run['errors']}  "
                f"CPU: server {run['server_cpu_cores']:.2f}, loadgen "
                f"{run['loadgen_cpu_cores']:.2f}, other {run['other_cpu_cores']:.2f}"
            )
    procs.stop_all()
    return data, runs


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, raise_system_exit)
    signal.signal(signal.SIGHUP, raise_system_exit)
    started_at = dt.datetime.now().astimezone()
    tmp = Path(tempfile.mkdtemp(prefix="jamana-bench-ussd-"))
    procs = Processes()
    secret = secrets.token_urlsafe(24)
    pg_version = pg_available() if opts.postgres != "no" else "not asked"
    databases = ["sqlite"]
    if opts.postgres == "yes" or (opts.postgres == "auto" and not pg_version.startswith("unav")):
        databases.append("postgresql")
    elif opts.postgres == "auto":
        print(f"PostgreSQL at 127.0.0.1:5432 {pg_version}: SQLite only.")
    pg_db = f"jamana_ussdbench_{os.getpid()}"
    try:
        print(f"Scratch instances in {tmp}")
        runs: list[dict[str, Any]] = []
        data: dict[str, Any] = {}
        for database in databases:
            env = {**bench_env(tmp), "USSD_GATEWAY_SECRET": secret}
            if database == "postgresql":
                pg_admin(f'DROP DATABASE IF EXISTS "{pg_db}"')
                pg_admin(f'CREATE DATABASE "{pg_db}"')
                env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_db}"
                env["DB_CONN_MAX_AGE"] = str(opts.pg_conn_max_age)
                env["BENCH_STATIC_ROOT"] = str(tmp / "static-pg")
                env["JAMANA_KEY_DIR"] = str(tmp / "keys-pg")
            print(f"{database}:")
            data[database], more = measure_database(
                database, env, opts, tmp, procs, secret, with_baseline=database == "sqlite"
            )
            runs += more
        header, rows = table(runs)
        print()
        print(render_text_table(header, rows))

        stamp = started_at.strftime("%Y%m%d-%H%M%S")
        json_path = RESULTS / f"ussd-{stamp}.json"
        machine = machine_info(opts, "python")
        machine["postgresql"] = pg_version
        report = {
            "benchmark": "ussd",
            "started_at": started_at.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "json_file": str(json_path.relative_to(REPO)),
            "machine": machine,
            "server": {
                "description": gunicorn_description(opts),
                "args": gunicorn_args(opts),
                "ussd_settings": "bench.settings (production, USSD_GATEWAY_SECRET set)",
                "baseline_settings": "bench.baseline_settings (ROOT_URLCONF=bench.baseline_urls)",
            },
            "params": {
                "concurrency": opts.concurrency,
                "callers": opts.callers,
                "think_s": list(opts.think_range),
                "durations_s": {"paced": opts.duration, "saturated": opts.saturated_duration},
                "warmup_s": opts.warmup,
                "deadline_s": DEADLINE_S,
                "databases": databases,
                "pg_conn_max_age": opts.pg_conn_max_age,
            },
            "data": data,
            "runs": runs,
            "table": {"header": header, "rows": rows},
        }
        if not opts.no_write:
            RESULTS.mkdir(parents=True, exist_ok=True)
            write_atomically(json_path, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
            write_atomically(RESULTS / "ussd-latest.md", render_markdown(report, header, rows))
            print(f"\nWrote {json_path.relative_to(REPO)} and bench/results/ussd-latest.md")
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
        if "postgresql" in databases:
            try:
                pg_admin(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
            except Exception as exc:  # report it, and go on cleaning up
                print(f"could not drop {pg_db}: {exc}", file=sys.stderr)
        if opts.keep_tmp:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
