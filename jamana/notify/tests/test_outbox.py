"""The outbox: written with the change that causes it, delivered once after commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from jamana.notify.actions import queue_sms
from jamana.notify.delivery import deliver
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
    assert "123456" not in message.body  # sensitive bodies are wiped after delivery
    assert deliver(message.pk) == "skipped"
    message.refresh_from_db()
    assert message.attempts == 1


def test_nothing_is_sent_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_sms(to="+22376000001", body="hello", language="fr")
        raise RuntimeError("the change failed")
    assert not OutboundMessage.objects.exists()
