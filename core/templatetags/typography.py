"""Small typographic filters for prose in templates."""

from __future__ import annotations

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
