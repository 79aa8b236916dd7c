"""Forms of the identifiers a person may hold. The NINA's check-letter rule is not public,
so only its form (14 digits then a letter) is validated."""

from __future__ import annotations

import re

from jamana.identity.models import IdentifierKind

_PATTERNS = {
    IdentifierKind.NINA: re.compile(r"^\d{14}[A-Z]$"),
    IdentifierKind.TEMPORARY_NINA: re.compile(r"^T\d{13}[A-Z]$"),
    IdentifierKind.BIOMETRIC_CARD: re.compile(r"^[A-Z0-9]{8,20}$"),
    IdentifierKind.AES_PASSPORT: re.compile(r"^[A-Z]{1,2}\d{6,9}$"),
}


def normalize_identifier(value: str) -> str:
    return re.sub(r"[\s.-]", "", value).upper()


def is_valid_identifier(kind: str, value: str) -> bool:
    return bool(_PATTERNS[IdentifierKind(kind)].match(normalize_identifier(value)))


def looks_like_nina(value: str) -> bool:
    """A NINA-shaped string (maybe with a wrong letter), to pick the right error to show."""
    cleaned = normalize_identifier(value)
    return len(cleaned) >= 10 and cleaned[:10].isdigit()
