from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "JAMANA_COUNTRY": settings.JAMANA_COUNTRY,
        "SMS_DEV_INBOX": settings.SMS_DEV_INBOX,
    }
