"""Proctoring figures as people read them: durations in seconds (12 秒, 0.4 秒), never raw milliseconds."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _

from core.templatetags.typography import decimal_of, plain_number

register = template.Library()

_TENTH = Decimal("0.1")


@register.filter
def seconds_from_ms(value: Any) -> str:
    """12000 -> "12 秒", 400 -> "0.4 秒", 1250 -> "1.3 秒": to a tenth, at least 0.1 for any time at all."""
    ms = decimal_of(value)
    if ms is None:
        return str(value)
    seconds = (ms / 1000).quantize(_TENTH, rounding=ROUND_HALF_UP)
    if ms > 0 and seconds < _TENTH:
        seconds = _TENTH
    return _("%(seconds)s s") % {"seconds": plain_number(seconds)}


@register.filter
def liveness_step_status(value: Any) -> str:
    """A liveness step's stored status (pending / passed / failed) as the check's own status reads."""
    from proctoring.models import LivenessCheck

    return str(dict(LivenessCheck.Status.choices).get(str(value), value))


@register.filter
def liveness_reason(value: Any) -> str:
    """A liveness step's stored reason code (no_blink, wrong_direction, …) in words."""
    from proctoring.services.errors import image_reason_text

    return image_reason_text(str(value))
