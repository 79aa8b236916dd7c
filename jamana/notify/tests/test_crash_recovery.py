"""A worker that dies between the gateway accepting a message and our commit: the message is
neither lost nor sent twice. The gateway is asked by the message's uid where it can be (HTTP);
where it cannot (SMPP 3.4), the message waits for an agent instead of being sent again."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import urllib.parse

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from jamana.notify import delivery
from jamana.notify.actions import queue_sms
from jamana.notify.delivery import deliver, deliver_due, recover_stuck
from jamana.notify.models import MessageStatus, OutboundMessage
from jamana.notify.testing import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
NOW_AND_LATER = dt.timedelta(0)


class WorkerKilled(BaseException):
    """What a crash looks like from inside: nothing after it runs."""


def _queued(monkeypatch, body: str = "Jamana: votre demande TXW-9WV-14N est acceptée.") -> int:
    # The worker is down: the message waits in the outbox.
    monkeypatch.setattr("jamana.notify.actions._deliver_after_commit", lambda pk: None)
    return queue_sms(to="+22376000001", body=body, language="fr").pk


def _crash_after_send(monkeypatch):
    def killed(*args, **kwargs):
        raise WorkerKilled()

    monkeypatch.setattr(delivery, "_record_sent", killed)


def test_http_crash_after_the_gateway_accepted_is_recovered_as_sent_once(http_gateway, monkeypatch):
    message_id = _queued(monkeypatch)
    _crash_after_send(monkeypatch)
    with pytest.raises(WorkerKilled):
        deliver(message_id)
    monkeypatch.undo()
    assert OutboundMessage.objects.get(pk=message_id).status == MessageStatus.SENDING
    assert deliver(message_id) == "skipped"  # a retry of the task does not send again
    assert recover_stuck(older_than=NOW_AND_LATER) == 1
    message = OutboundMessage.objects.get(pk=message_id)
    assert message.status == MessageStatus.SENT and message.gateway_ref == "gw-1"
    assert deliver_due(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert http_gateway.posts == 1 and len(http_gateway.accepted) == 1


def test_http_crash_before_the_gateway_got_it_is_sent_after_recovery(http_gateway, monkeypatch):
    message_id = _queued(monkeypatch)

    def killed(message):
        raise WorkerKilled()

    monkeypatch.setattr(delivery, "_send", killed)
    with pytest.raises(WorkerKilled):
        deliver(message_id)
    monkeypatch.undo()
    assert recover_stuck(older_than=NOW_AND_LATER) == 1
    assert OutboundMessage.objects.get(pk=message_id).status == MessageStatus.QUEUED
    deliver_due(now=timezone.now() + dt.timedelta(minutes=1))
    message = OutboundMessage.objects.get(pk=message_id)
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert len(http_gateway.accepted) == 1


def test_a_stuck_message_is_left_alone_until_the_timeout(http_gateway, monkeypatch):
    message_id = _queued(monkeypatch)
    _crash_after_send(monkeypatch)
    with pytest.raises(WorkerKilled):
        deliver(message_id)
    assert recover_stuck() == 0  # a slow gateway call is not a crash
    assert OutboundMessage.objects.get(pk=message_id).status == MessageStatus.SENDING


def test_smpp_crash_after_submit_is_never_resent_blindly(smpp, monkeypatch):
    message_id = _queued(monkeypatch)
    _crash_after_send(monkeypatch)
    with pytest.raises(WorkerKilled):
        deliver(message_id)
    monkeypatch.undo()
    wait_until(lambda: len(smpp.messages()) == 1)
    assert recover_stuck(older_than=NOW_AND_LATER) == 1
    message = OutboundMessage.objects.get(pk=message_id)
    assert message.status == MessageStatus.UNKNOWN
    assert deliver_due(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert len(smpp.messages()) == 1


# A real process killed at the worst moment --------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    quote = urllib.parse.quote
    return (
        f"postgres://{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}"
        f"@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def _worker(code: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A worker process on the test database running ``code`` after Django's setup."""
    script = "import django; django.setup()\n" + code
    return subprocess.Popen(  # noqa: S603 (the test's own script)
        [sys.executable, "-c", script],
        cwd=str(django_settings.BASE_DIR),
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "jamana.config.settings",
            "JAMANA_ENV": "test",
            "DATABASE_URL": _database_url(),
            **env,
        },
    )


def _http_env(fake) -> dict[str, str]:
    return {
        "SMS_GATEWAY": "http",
        "SMS_HTTP_URL": fake.url,
        "SMS_HTTP_TOKEN": fake.token,
        "SMS_HTTP_CALLBACK_SECRET": "x",
    }


KILL_RIGHT_AFTER_SEND = """
import os, signal
from jamana.notify import delivery
# The gateway has accepted the message; the process dies before writing it down.
delivery._record_sent = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
delivery.deliver({message_id})
"""


def test_worker_killed_after_the_http_gateway_accepted(http_gateway, monkeypatch):
    message_id = _queued(monkeypatch)
    worker = _worker(KILL_RIGHT_AFTER_SEND.format(message_id=message_id), _http_env(http_gateway))
    assert worker.wait(timeout=60) == -signal.SIGKILL
    assert OutboundMessage.objects.get(pk=message_id).status == MessageStatus.SENDING
    recover_stuck(older_than=NOW_AND_LATER)
    deliver_due(now=timezone.now() + dt.timedelta(hours=1))
    message = OutboundMessage.objects.get(pk=message_id)
    assert message.status == MessageStatus.SENT and message.gateway_ref == "gw-1"
    assert http_gateway.posts == 1 and len(http_gateway.accepted) == 1


def test_worker_killed_while_waiting_for_the_http_gateway_answer(http_gateway, monkeypatch):
    import threading

    message_id = _queued(monkeypatch)
    http_gateway.hold = threading.Event()
    worker = _worker(
        f"from jamana.notify.delivery import deliver; deliver({message_id})",
        _http_env(http_gateway),
    )
    try:
        assert http_gateway.arrived.wait(60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        http_gateway.hold.set()
        if worker.poll() is None:
            worker.kill()
    recover_stuck(older_than=NOW_AND_LATER)
    deliver_due(now=timezone.now() + dt.timedelta(hours=1))
    message = OutboundMessage.objects.get(pk=message_id)
    assert message.status == MessageStatus.SENT
    assert http_gateway.posts == 1 and len(http_gateway.accepted) == 1


def test_worker_killed_after_the_smsc_accepted(smpp, monkeypatch):
    message_id = _queued(monkeypatch, body="Jamana: i ka ɲinini TXW-9WV-14N sɔnna. " * 3)
    env = {"SMS_GATEWAY": "smpp", "SMS_SMPP_PORT": str(smpp.port)}
    worker = _worker(KILL_RIGHT_AFTER_SEND.format(message_id=message_id), env)
    assert worker.wait(timeout=60) == -signal.SIGKILL
    assert [m["parts"] for m in smpp.messages()] == [2]
    recover_stuck(older_than=NOW_AND_LATER)
    deliver_due(now=timezone.now() + dt.timedelta(hours=1))
    message = OutboundMessage.objects.get(pk=message_id)
    assert message.status == MessageStatus.UNKNOWN  # for an agent: never sent twice by us
    assert len(smpp.messages()) == 1
