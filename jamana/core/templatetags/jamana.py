from __future__ import annotations

from typing import Any

from django import template

from jamana.core.i18n import localized
from jamana.core.money import format_xof
from jamana.core.references import format_reference

register = template.Library()


@register.filter
def xof(amount: int) -> str:
    return format_xof(amount)


@register.filter
def reference(value: str) -> str:
    return format_reference(value)


@register.filter
def local(obj: Any, field: str) -> str:
    return localized(obj, field)
