"""The home page's headline figures for whoever reads statistics (core.fragments.HOME).

A bureau official or an enterprise admin signs in and sees, before anything else,
where their scope stands on the plans' 100 % targets: new employees trained,
principals and safety managers certified, special operators certified. Each
figure is the overview's tile for this year, with its links to the people
missing and to the certificates about to run out.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse

from analytics.errors import AnalyticsError
from analytics.indicators import compute, indicator_get
from analytics.queries import may_read_statistics, query_build
from analytics.views import tile

# The plans' headline indicators, in the order a bureau reports them.
HEADLINE = ("new_employee_training_rate", "principal_certified_rate", "special_operator_certified_rate")


def home_figures(*, request: Any) -> str:
    """The headline tiles of the user's scope for this year; "" for someone who reads no statistics."""
    user = request.user
    if not may_read_statistics(user):
        return ""
    tiles = []
    try:
        for code in HEADLINE:
            query = query_build(user=user, code=code, params={})
            tiles.append(tile(indicator_get(code), query, compute(query)))
    except AnalyticsError:
        return ""  # the statistics page says why; the home page stays as it was
    return render_to_string(
        "analytics/_home.html",
        {"tiles": tiles, "overview_url": reverse("analytics:overview"), "as_of": query.as_of},
        request=request,
    )
