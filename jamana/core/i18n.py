"""Helpers for content stored in the three languages (fr default, bm, en)."""

from __future__ import annotations

from typing import Any

from django.utils import translation

LANGUAGE_CODES = ("fr", "bm", "en")


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """The value of ``<field>_<lang>`` for the active language, falling back to French."""
    lang = (language or translation.get_language() or "fr")[:2]
    if lang not in LANGUAGE_CODES:
        lang = "fr"
    value = getattr(obj, f"{field}_{lang}", "") or ""
    return value or getattr(obj, f"{field}_fr", "")


def record_text(message: Any, **params: Any) -> str:
    """Text the platform writes into a record (a timeline reason, an access purpose) is kept in
    the official language, whatever language the person who caused it was using."""
    from django.conf import settings

    with translation.override(settings.LANGUAGE_CODE):
        return str(message % params) if params else str(message)
