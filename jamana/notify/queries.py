from __future__ import annotations

from django.db.models import QuerySet

from jamana.notify.models import Channel, OutboundMessage


def list_recent_sms(limit: int = 50) -> QuerySet[OutboundMessage]:
    """For the dev-only inbox page."""
    return OutboundMessage.objects.filter(channel=Channel.SMS).order_by("-created_at", "-pk")[
        :limit
    ]
