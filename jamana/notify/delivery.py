"""Deliver one outbox message through its gateway, at most once."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from jamana.notify.gateways import PermanentGatewayError, TransientGatewayError, get_sms_gateway
from jamana.notify.models import Channel, MessageStatus, OutboundMessage

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class RetryLater(Exception):
    pass


def deliver(message_id: int) -> str:
    """Send a queued message; a message already sent or failed is left alone (idempotent)."""
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(pk=message_id, status=MessageStatus.QUEUED)
            .first()
        )
        if message is None:
            return "skipped"
        message.attempts += 1
        try:
            if message.channel == Channel.SMS:
                result = get_sms_gateway().send(
                    to=message.recipient, body=message.body, sender=settings.SMS_SENDER_ID
                )
                message.gateway, message.gateway_ref = result.gateway, result.reference
            else:
                send_mail(message.subject, message.body, None, [message.recipient])
                message.gateway = "email"
        except TransientGatewayError as exc:
            message.last_error = str(exc)[:255]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = MessageStatus.FAILED
            message.save()
            if message.status == MessageStatus.QUEUED:
                raise RetryLater(str(exc)) from exc
            return "failed"
        except PermanentGatewayError as exc:
            message.last_error = str(exc)[:255]
            message.status = MessageStatus.FAILED
            message.save()
            return "failed"
        message.status = MessageStatus.SENT
        message.sent_at = timezone.now()
        if message.sensitive and not settings.SMS_DEV_INBOX:
            message.body = "[redacted after delivery]"
        message.save()
        return "sent"
