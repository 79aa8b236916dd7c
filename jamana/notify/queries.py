"""Reads of the outbox, for the dev inbox and the agents' messages page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from jamana.core.phones import mask_phone
from jamana.notify.models import Channel, InboundMessage, MessageStatus, OutboundMessage


def list_recent_sms(limit: int = 50) -> QuerySet[OutboundMessage]:
    """For the dev-only inbox page."""
    return OutboundMessage.objects.filter(channel=Channel.SMS).order_by("-created_at", "-pk")[
        :limit
    ]


def list_recent_inbound(limit: int = 20) -> QuerySet[InboundMessage]:
    """For the dev-only inbox page: what people texted us, and the answer."""
    return InboundMessage.objects.select_related("reply").order_by("-received_at", "-pk")[:limit]


@dataclass(frozen=True)
class MessageRow:
    """One message as an agent sees it: the number masked, never the text."""

    pk: int
    uid: str
    channel: str
    recipient: str
    status: str
    status_label: str
    encoding: str
    segments: int
    attempts: int
    gateway: str
    report_stat: str
    last_error: str
    created_at: object
    sent_at: object
    delivered_at: object
    status_changed_at: object


def mask_recipient(channel: str, recipient: str) -> str:
    if channel == Channel.SMS and recipient.startswith("+") and len(recipient) > 8:
        return mask_phone(recipient)
    name, _, domain = recipient.partition("@")
    return f"{name[:1]}…@{domain}" if domain else "…"


def list_messages_for_agents(*, status: str = "", limit: int = 100) -> list[MessageRow]:
    messages = OutboundMessage.objects.order_by("-created_at", "-pk")
    if status:
        messages = messages.filter(status=status)
    labels = dict(MessageStatus.choices)
    return [
        MessageRow(
            pk=m.pk,
            uid=str(m.uid),
            channel=m.channel,
            recipient=mask_recipient(m.channel, m.recipient),
            status=m.status,
            status_label=str(labels.get(m.status, m.status)),
            encoding=m.encoding,
            segments=m.segments,
            attempts=m.attempts,
            gateway=m.gateway,
            report_stat=m.report_stat,
            last_error=m.last_error,
            created_at=m.created_at,
            sent_at=m.sent_at,
            delivered_at=m.delivered_at,
            status_changed_at=m.status_changed_at,
        )
        for m in messages.defer("body", "subject")[:limit]
    ]


def count_by_status() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, zero included."""
    counts = dict(OutboundMessage.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return [(value, str(label), counts.get(value, 0)) for value, label in MessageStatus.choices]
