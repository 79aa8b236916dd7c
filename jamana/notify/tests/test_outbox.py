"""The outbox: written with the change that causes it, delivered once after commit, retried
with back-off, and never sent twice by two workers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from jamana.notify.actions import queue_email, queue_sms
from jamana.notify.delivery import _claim, backoff, deliver, deliver_due
from jamana.notify.models import MessageStatus, OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)


def test_message_is_delivered_after_commit_and_only_once(settings):
    settings.SMS_DEV_INBOX = False
    with transaction.atomic():
        message = queue_sms(to="+22376000001", body="code 123456", language="fr", sensitive=True)
        assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.QUEUED
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.gateway == "console" and message.gateway_ref
    assert message.parts.count() == 1
    assert "123456" not in message.body  # sensitive bodies are wiped after delivery
    assert deliver(message.pk) == "skipped"
    message.refresh_from_db()
    assert message.attempts == 1


def test_nothing_is_sent_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_sms(to="+22376000001", body="hello", language="fr")
        raise RuntimeError("the change failed")
    assert not OutboundMessage.objects.exists()


def test_encoding_and_segments_are_stored_with_the_message():
    bambara = queue_sms(to="+22376000001", body="Jamana: i ka ɲinini sɔnna. " * 4, language="bm")
    french = queue_sms(to="+22376000001", body="Jamana: demande acceptée.", language="fr")
    assert (bambara.encoding, bambara.segments) == ("ucs2", 2)
    assert (french.encoding, french.segments) == ("gsm7", 1)


def test_only_one_worker_claims_a_message(monkeypatch):
    monkeypatch.setattr("jamana.notify.actions._deliver_after_commit", lambda pk: None)
    message = queue_sms(to="+22376000001", body="hello", language="fr")
    assert _claim(message.pk) is True
    assert _claim(message.pk) is False
    assert deliver(message.pk) == "skipped"


def test_a_transient_failure_is_retried_after_a_backoff(http_gateway, settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    http_gateway.fail_with = [503]
    message = queue_sms(to="+22376000001", body="hello", language="fr")
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.attempts == 1
    assert "http_503" in message.last_error
    wait = message.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=25) < wait <= dt.timedelta(seconds=33)
    assert deliver(message.pk) == "skipped"  # not due yet
    assert deliver_due() == 0
    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1)):
        assert deliver_due() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert len(http_gateway.accepted) == 1


def test_backoff_doubles_up_to_the_cap(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 10
    settings.NOTIFY_RETRY_MAX_SECONDS = 60
    seconds = [backoff(n).total_seconds() for n in (1, 2, 3, 4, 9)]
    for got, expected in zip(seconds, (10, 20, 40, 60, 60), strict=True):
        assert expected * 0.9 <= got <= expected * 1.1


def test_a_message_that_keeps_failing_ends_failed(http_gateway, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    http_gateway.fail_with = [503, 503]
    message = queue_sms(to="+22376000001", body="hello", language="fr")
    message.refresh_from_db()
    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1)):
        deliver_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.attempts == 2
    assert not http_gateway.accepted


def test_a_refused_message_fails_at_once(http_gateway):
    http_gateway.fail_with = [400]
    message = queue_sms(to="+22376000001", body="hello", language="fr")
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.attempts == 1
    assert "http_400" in message.last_error


def test_email_goes_through_django_mail_with_the_message_uid(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = queue_email(
        to="aminata@example.org", subject="Jamana", body="Votre acte est prêt.", language="fr"
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.gateway == "email"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["aminata@example.org"]
    assert str(message.uid) in mail.outbox[0].extra_headers["Message-ID"]
    assert message.encoding == "" and message.segments == 0


def test_the_poller_command_delivers_what_the_worker_missed(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setattr("jamana.notify.actions._deliver_after_commit", lambda pk: None)
    message = queue_sms(to="+22376000001", body="hello", language="fr")
    call_command("deliver_messages")  # too fresh: the on-commit task's, not the poller's
    assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.QUEUED
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30)):
        call_command("deliver_messages")
    assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.SENT


@pytest.mark.parametrize(("code", "status"), [(550, "failed"), (451, "queued")])
def test_an_smtp_refusal_fails_and_a_deferral_is_retried(monkeypatch, code, status):
    import smtplib

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPResponseException(code, b"no")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    message = queue_email(to="a@example.org", subject="s", body="b", language="fr")
    message.refresh_from_db()
    assert message.status == status and f"smtp_{code}" in message.last_error


def test_amounts_written_with_typographic_spaces_stay_in_the_gsm_alphabet():
    """format_xof writes "2 500 FCFA" with narrow and no-break spaces; the SMS carries plain
    ones, so a French text without accents still costs GSM-7 segments."""
    message = queue_sms(to="+22376000001", body="Payez 2\u202f500\u00a0FCFA.", language="fr")
    assert message.body == "Payez 2 500 FCFA." and message.encoding == "gsm7"
