"""Process and file helpers shared by the benchmarks (imported as a sibling module: the
benchmarks are run as scripts, `python bench/<name>.py`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # the only address the benchmarks ever talk to


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
