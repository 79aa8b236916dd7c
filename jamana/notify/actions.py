"""Queue messages in the outbox; delivery starts only after the caller's transaction commits."""

from __future__ import annotations

from django.db import transaction

from jamana.notify.models import Channel, OutboundMessage


def queue_sms(*, to: str, body: str, language: str, sensitive: bool = False) -> OutboundMessage:
    message = OutboundMessage.objects.create(
        channel=Channel.SMS, recipient=to, body=body, language=language, sensitive=sensitive
    )
    _deliver_after_commit(message.pk)
    return message


def queue_email(*, to: str, subject: str, body: str, language: str) -> OutboundMessage:
    message = OutboundMessage.objects.create(
        channel=Channel.EMAIL, recipient=to, subject=subject, body=body, language=language
    )
    _deliver_after_commit(message.pk)
    return message


def _deliver_after_commit(message_id: int) -> None:
    from jamana.notify.tasks import deliver_message

    transaction.on_commit(lambda: deliver_message.enqueue(message_id))
