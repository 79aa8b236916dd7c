"""Process and file helpers shared by the benchmarks (imported as a sibling module: the
benchmarks are run as scripts, `python bench/<name>.py`)."""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # the only address the benchmarks ever talk to
REPO = Path(__file__).resolve().parent.parent


def stop_group(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop a child started in its own process group (gunicorn: master and workers)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        proc.wait(timeout=5)


def raise_system_exit(signum: int, frame: Any) -> None:
    """Turn SIGTERM into SystemExit so that `finally` blocks stop the children."""
    raise SystemExit(128 + signum)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def proc_ticks(pid: int) -> tuple[int, int]:
    """(parent pid, utime + stime in clock ticks) of one process."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def version(dist: str) -> str:
    """The installed version of a distribution, for the results' record."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_state() -> dict[str, Any]:
    """The commit measured, and whether the working tree had uncommitted changes."""

    def run(*args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        return done.stdout.strip()

    return {"commit": run("rev-parse", "HEAD"), "dirty": bool(run("status", "--porcelain"))}


def percentile(sorted_values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return math.nan
    rank = (len(sorted_values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def print_log_tails(paths: list[Path], chars: int = 3000) -> None:
    """After a failed run, the end of each child process's log on stderr."""
    import sys

    for path in paths:
        if path.exists():
            print(f"--- {path.name} (tail)", file=sys.stderr)
            print(path.read_text()[-chars:], file=sys.stderr)


class BenchError(RuntimeError):
    """A benchmark cannot go on (a command failed, a server did not start, a check failed)."""


def manage(env: dict[str, str], *args: str, log: Path, timeout: float = 900) -> str:
    """Run a manage.py command of the repository with ``env``; append its output to ``log``;
    return its stdout, or raise BenchError with it."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    with log.open("a") as out:
        out.write(f"$ manage.py {' '.join(args)}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        raise BenchError(
            f"manage.py {args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def gunicorn_args(opts: argparse.Namespace) -> list[str]:
    """gunicorn's options for ``opts.workers``, ``opts.worker_class`` (and ``opts.threads``
    for gthread)."""
    args = [
        "--workers",
        str(opts.workers),
        "--worker-class",
        opts.worker_class,
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--no-control-socket",  # two masters at once must not share ~/.gunicorn/gunicorn.ctl
    ]
    if opts.worker_class == "gthread":
        args += ["--threads", str(opts.threads), "--keep-alive", "5"]
    return args


def scratch_env(tmp: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The production environment a deployment sets, on a scratch database, key store and
    media under ``tmp`` (never the repository's var/); this machine's own Django, database,
    Jamana, task and payment settings are left out."""
    env = {
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
                "TASKS_",
                "PAYMENT_",
            )
        )
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            "JAMANA_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(45),  # 60 characters
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            "DEBUG": "false",
            "BENCH_STATIC_ROOT": str(tmp / "static"),
            "JAMANA_KEY_PASSPHRASE": secrets.token_urlsafe(24),
            "JAMANA_KEY_DIR": str(tmp / "keys"),
            "MEDIA_ROOT": str(tmp / "media"),
            "PYTHONPATH": str(REPO),
            **extra,
        }
    )
    return env


def http_request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One request to 127.0.0.1:``port`` on a fresh connection: (status, headers, body)."""
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def wait_ready(
    name: str, port: int, proc: subprocess.Popen[bytes], log: Path, path: str, timeout: float = 60
) -> None:
    """Wait until the server ``proc`` answers ``path`` below 500; BenchError with the end of
    its log if it exits or is not ready in ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited:\n{log.read_text()[-3000:]}")
        try:
            status, _, _ = http_request(port, "GET", path, timeout=10)
        except OSError:
            time.sleep(0.2)
            continue
        if status < 500:
            return
        time.sleep(0.2)
    raise BenchError(f"{name} not ready:\n{log.read_text()[-3000:]}")
