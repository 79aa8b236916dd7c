"""Phone numbers, always stored in E.164 (+22370000001)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


class InvalidPhoneNumber(ValueError):
    pass


def normalize_phone(text: str, region: str | None = None) -> str:
    """Parse a national or international number; national numbers take the instance's country."""
    try:
        number = phonenumbers.parse(text, region or settings.JAMANA_DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(text) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text: str) -> bool:
    stripped = text.strip().replace(" ", "")
    return stripped.startswith("+") or (stripped.isdigit() and len(stripped) <= 12)


def mask_phone(e164: str) -> str:
    """+223 •• •• 00 01: enough for a person to recognise their own number."""
    return f"{e164[:4]} •• •• {e164[-4:-2]} {e164[-2:]}"
