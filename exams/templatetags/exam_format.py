"""Exam figures as people read them: scores without a needless ".0", ID numbers only masked."""

from __future__ import annotations

from typing import Any

from django import template

from core.templatetags.typography import plain_number
from organizations.validators import mask_id_number

register = template.Library()


# Scores: 100.0 -> "100", 62.5 -> "62.5" (core's plain number, under the name the exam pages use).
points = register.filter("points", plain_number)


@register.filter
def masked_id(value: Any) -> str:
    """An ID number as the app shows it anywhere: region and last four only (110105********123X)."""
    return mask_id_number(str(value or ""))
