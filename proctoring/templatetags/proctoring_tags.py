from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def proctoring_for_attempt(context: dict[str, Any], attempt: Any) -> dict[str, Any] | None:
    """The proctoring client's settings for this exam page, or None when the session is not proctored."""
    from proctoring.views import exam_client_context

    return exam_client_context(attempt, context["request"].user)
