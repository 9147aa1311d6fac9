"""学时 as every training page writes them (training.selectors): "30", "1.5", never "1.0" or "0"."""

from __future__ import annotations

from django import template

from training import selectors

register = template.Library()


@register.filter
def credit_hours(minutes: float | None) -> str:
    """Minutes as 学时, one decimal without a needless ".0"."""
    return selectors.credit_hours_text(minutes or 0)


@register.filter
def credit_amount(minutes: float | None) -> str:
    """ "12 学时", or "1 分钟" when that is less than a tenth of a 学时."""
    return selectors.credit_amount_text(minutes or 0)


@register.filter
def under_a_tenth_of_an_hour(minutes: float | None) -> bool:
    return selectors.under_a_tenth_of_an_hour(minutes or 0)
