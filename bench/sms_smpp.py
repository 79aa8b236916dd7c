"""Notifications delivered per second to an SMSC (the simulator, a separate process), end to end
through the outbox, beside raw submit_sm/s with the same SMPP client in the same run.

    .venv/bin/python bench/sms_smpp.py             # ~1 minute (what `make bench` runs)
    .venv/bin/python bench/sms_smpp.py --quick     # ~15 seconds
    .venv/bin/python bench/sms_smpp.py --help

A benchmark, not a test. Only 127.0.0.1 is contacted; every child process is stopped in a
`finally`, the temp dir removed. See bench/SMS.md for what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import free_port, raise_system_exit, stop_group, write_atomically  # noqa: E402

RESULTS = ROOT / "bench" / "results"
FRENCH = "Jamana : votre demande {ref} est acceptée. Retirez le document au centre. ({i})"
BAMBARA = (
    "Jamana: i ka ɲinini {ref} sɔnna. I bɛ se ka i ka sɛbɛn ta Bamako kɔmini 3 la ni i ye "
    "i ka jamanadenya sɛbɛn ta. Ŋaniya ɲuman! ({i})"
)


def texts(n: int, bambara_share: float) -> list[str]:
    every = round(1 / bambara_share) if bambara_share > 0 else 0
    return [
        (BAMBARA if every and i % every == 0 else FRENCH).format(ref="TXW-9WV-14N", i=i)
        for i in range(n)
    ]


def scratch_env(tmp: Path, smpp_port: int, conn_max_age: int) -> dict[str, str]:
    return {
        "JAMANA_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JAMANA_KEY_PASSPHRASE": secrets.token_urlsafe(24),
        "JAMANA_KEY_DIR": str(tmp / "keys"),
        "MEDIA_ROOT": str(tmp / "media"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "jamana.config.settings",
        "SMS_GATEWAY": "smpp",
        "SMS_SMPP_HOST": "127.0.0.1",
        "SMS_SMPP_PORT": str(smpp_port),
        "SMS_SMPP_PASSWORD": "jamana",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": str(conn_max_age),
    }


def wait_for(predicate: Any, timeout: float) -> float:
    """Poll until true; returns the monotonic time it became true (raises on timeout)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("not reached in time")
        time.sleep(0.005)
    return time.monotonic()


def cpu_seconds() -> float:
    usage = os.times()
    return usage.user + usage.system


def run_baseline(gateway: Any, bodies: list[str]) -> dict[str, Any]:
    """The same SMPP client (SmppGateway on smpplib), no database: submit_sm and wait for its
    response, one message after the other; receipts are acknowledged and dropped."""
    segments = 0
    cpu0, t0 = cpu_seconds(), time.monotonic()
    for i, body in enumerate(bodies):
        result = gateway.send(to="+22376000001", body=body, sender="JAMANA", client_ref=f"b{i}")
        segments += len(result.references)
    elapsed = time.monotonic() - t0
    return {
        "messages": len(bodies),
        "submit_sm": segments,
        "seconds": elapsed,
        "messages_per_s": len(bodies) / elapsed,
        "submit_sm_per_s": segments / elapsed,
        "cpu_ms_per_message": (cpu_seconds() - cpu0) * 1000 / len(bodies),
    }


def run_outbox_inline(bodies: list[str]) -> dict[str, Any]:
    """queue_sms (one transaction each, as callers do), then the outbox's deliver() for each
    message in this one thread: claim, submit_sm, record. Receipts are applied meanwhile by the
    SMPP session's own thread."""
    from django.db import transaction

    from jamana.notify import actions
    from jamana.notify.delivery import deliver
    from jamana.notify.models import OutboundMessage

    original = actions._deliver_after_commit
    actions._deliver_after_commit = lambda pk: None  # this thread is the worker
    try:
        t_queue = time.monotonic()
        ids = []
        for body in bodies:
            with transaction.atomic():
                ids.append(actions.queue_sms(to="+22376000001", body=body, language="fr").pk)
        queue_s = time.monotonic() - t_queue
        cpu0, t0 = cpu_seconds(), time.monotonic()
        outcomes = [deliver(pk) for pk in ids]
        sent_at = time.monotonic()
        cpu = cpu_seconds() - cpu0
        delivered_at = wait_for(
            lambda: (
                OutboundMessage.objects.filter(pk__in=ids, status="delivered").count() == len(ids)
            ),
            timeout=120,
        )
    finally:
        actions._deliver_after_commit = original
    segments = sum(OutboundMessage.objects.filter(pk__in=ids).values_list("segments", flat=True))
    return {
        "messages": len(ids),
        "submit_sm": segments,
        "queue_seconds": queue_s,
        "seconds_to_sent": sent_at - t0,
        "seconds_to_delivered": delivered_at - t0,
        "messages_per_s": len(ids) / (sent_at - t0),
        "delivered_per_s": len(ids) / (delivered_at - t0),
        "cpu_ms_per_message": cpu * 1000 / len(ids),
        "outcomes": {o: outcomes.count(o) for o in set(outcomes)},
    }


def run_outbox_workers(bodies: list[str], env: dict[str, str], workers: int) -> dict[str, Any]:
    """The production path: queue_sms in transactions here, `manage.py db_worker` processes run
    the delivery tasks (each holds its own SMPP transceiver bind, which also receives the
    receipts). Timed from the first queue_sms to the last message sent / delivered."""
    from django.db import transaction

    from jamana.notify.actions import queue_sms
    from jamana.notify.models import OutboundMessage

    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.05", "--no-startup-delay"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(workers)
    ]
    try:
        time.sleep(2.0)  # workers up and polling
        first = OutboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        t0 = time.monotonic()
        for body in bodies:
            with transaction.atomic():
                queue_sms(to="+22376000001", body=body, language="fr")
        queued_at = time.monotonic()
        mine = OutboundMessage.objects.filter(pk__gt=first)
        sent_at = wait_for(
            lambda: mine.filter(status__in=["sent", "delivered"]).count() == len(bodies), 300
        )
        delivered_at = wait_for(lambda: mine.filter(status="delivered").count() == len(bodies), 120)
    finally:
        for proc in procs:
            stop_group(proc)  # type: ignore[arg-type]
    segments = sum(mine.values_list("segments", flat=True))
    return {
        "workers": workers,
        "messages": len(bodies),
        "submit_sm": segments,
        "queue_seconds": queued_at - t0,
        "seconds_to_sent": sent_at - t0,
        "seconds_to_delivered": delivered_at - t0,
        "messages_per_s": len(bodies) / (sent_at - t0),
        "delivered_per_s": len(bodies) / (delivered_at - t0),
        "max_attempts": max(mine.values_list("attempts", flat=True)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--bambara-share", type=float, default=0.5, help="share of UCS-2 texts")
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="DB_CONN_MAX_AGE of the instance (0, the default, reconnects for every task)",
    )
    parser.add_argument("--quick", action="store_true", help="400 messages")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    opts = parser.parse_args()
    n = 400 if opts.quick else opts.messages
    signal.signal(signal.SIGTERM, raise_system_exit)

    from jamana.notify.testing import SmscProcess

    tmp = Path(tempfile.mkdtemp(prefix="jamana-smsbench-"))
    smsc = SmscProcess(port=free_port(), extra_args=("--dlr-delay", "0.05"))
    smsc.start()
    try:
        env = scratch_env(tmp, smsc.port, opts.conn_max_age)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
        )
        os.environ.update(env)
        import django

        django.setup()
        from django_tasks_db.models import DBTaskResult

        from jamana.notify.gateways import close_sms_gateways, get_sms_gateway
        from jamana.notify.segments import sms_layout

        bodies = texts(n, opts.bambara_share)
        # The same client, with receipts acknowledged and dropped: the protocol's own cost.
        from django.conf import settings

        from jamana.notify.gateways.smpp import SmppConfig, SmppGateway

        bare = SmppGateway(SmppConfig(**settings.SMS_SMPP))
        bare.send(to="+22376000001", body="warm-up", sender="JAMANA", client_ref="w")
        baseline = run_baseline(bare, bodies)
        bare.close()
        get_sms_gateway().send(to="+22376000001", body="warm-up", sender="JAMANA", client_ref="w")
        inline = run_outbox_inline(bodies)
        close_sms_gateways()  # the workers' binds take the receipts from here on
        DBTaskResult.objects.all().delete()
        workers = run_outbox_workers(bodies, env, opts.workers)
        stats = smsc.stats()
    finally:
        smsc.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    layouts = [sms_layout(body) for body in bodies]
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": {name: metadata.version(name) for name in ("smpplib", "Django")},
        "db_conn_max_age": opts.conn_max_age,
        "messages": n,
        "segments_per_message": sum(len(lay.parts) for lay in layouts) / n,
        "ucs2_share": sum(lay.encoding == "ucs2" for lay in layouts) / n,
        "baseline_raw_submit": baseline,
        "outbox_inline": inline,
        "outbox_db_workers": workers,
        "smsc_stats": stats,
    }
    table = render(result)
    print(table)
    if not opts.no_write:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        RESULTS.mkdir(exist_ok=True)
        write_atomically(RESULTS / f"sms_smpp-{stamp}.json", json.dumps(result, indent=2) + "\n")
        write_atomically(RESULTS / "sms_smpp-latest.md", table + "\n")


def render(r: dict[str, Any]) -> str:
    b, i, w = r["baseline_raw_submit"], r["outbox_inline"], r["outbox_db_workers"]
    rows = [
        (
            "raw submit_sm (SmppGateway.send, no DB), 1 thread",
            b["messages_per_s"],
            b["submit_sm_per_s"],
            None,
            b["cpu_ms_per_message"],
        ),
        (
            "outbox deliver() (claim, submit, record), 1 thread",
            i["messages_per_s"],
            i["submit_sm"] / i["seconds_to_sent"],
            i["delivered_per_s"],
            i["cpu_ms_per_message"],
        ),
        (
            f"outbox via {w['workers']} db_worker processes",
            w["messages_per_s"],
            w["submit_sm"] / w["seconds_to_sent"],
            w["delivered_per_s"],
            None,
        ),
    ]
    lines = [
        f"# sms_smpp: {r['messages']} messages ({r['ucs2_share']:.0%} UCS-2, "
        f"{r['segments_per_message']:.2f} segments each) to the SMSC simulator — {r['when']}",
        "",
        "| path | messages/s sent | submit_sm/s | messages/s delivered (receipt applied) "
        "| CPU ms/message (this process) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, sent, submits, delivered, cpu in rows:
        lines.append(
            f"| {name} | {sent:,.0f} | {submits:,.0f} | "
            f"{'—' if delivered is None else f'{delivered:,.0f}'} | "
            f"{'—' if cpu is None else f'{cpu:.2f}'} |"
        )
    lines.append("")
    lines.append(
        f"outbox/raw: {i['messages_per_s'] / b['messages_per_s']:.2f}x in one thread; "
        f"workers/raw: {w['messages_per_s'] / b['messages_per_s']:.2f}x. "
        f"SMSC: {r['smsc_stats']['submit_sm']} submit_sm, "
        f"{r['smsc_stats']['deliver_sm']} receipts sent."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
