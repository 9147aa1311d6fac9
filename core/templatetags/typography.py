"""Small typographic filters for prose in templates: dates kept whole, numbers without a needless ".0"."""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def nowrap(value: Any) -> SafeString:
    """The value kept on one line (escaped): a date such as 2026-12-07 in a sentence, which a
    phone would otherwise break at its hyphen ("2026-" / "12-07")."""
    return format_html('<span class="nowrap">{}</span>', value)


def decimal_of(value: Any) -> Decimal | None:
    """``value`` as a finite Decimal, or None for anything that is not a number."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


@register.filter
def plain_number(value: Any) -> str:
    """100.0 -> "100", 62.5 -> "62.5": a decimal only when there is one. Anything else is shown as it is."""
    number = decimal_of(value)
    if number is None:
        return str(value)
    # normalize() turns 100 into 1E+2; "f" writes it out again.
    return format(number.normalize(), "f")


def _columns(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


@register.filter
def fit_width(value: Any, width: int) -> str:
    """``value`` cut to ``width`` columns, "…" included, a Chinese character counting two columns and a
    Latin letter one: a chart label fits as "生产二车间" and "On track" alike (a cut by characters made
    English labels "Comple…" where Chinese ones just fitted)."""
    text = str(value)
    if sum(_columns(c) for c in text) <= width:
        return text
    used, kept = 0, []
    for char in text:
        if used + _columns(char) > width - 1:
            break
        used += _columns(char)
        kept.append(char)
    return "".join(kept).rstrip() + "…"
