"""Exam figures as people read them: scores without a needless ".0", ID numbers only masked."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from organizations.validators import mask_id_number

register = template.Library()


@register.filter
def points(value: Any) -> str:
    """100.0 -> "100", 62.5 -> "62.5": a decimal only when there is one. Anything else is shown as it is."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    # normalize() turns 100 into 1E+2; "f" writes it out again.
    return format(number.normalize(), "f")


@register.filter
def masked_id(value: Any) -> str:
    """An ID number as the app shows it anywhere: region and last four only (110105********123X)."""
    return mask_id_number(str(value or ""))
