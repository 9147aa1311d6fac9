"""The proctor's part of the home page (core.fragments.HOME).

A proctor signs in on exam day to watch. Before, their home showed the counts of
enterprises and people in their jurisdiction and nothing about the exams: the
sessions under way and the review queue were two taps away, behind 监考. Now the
home page lists the proctored sessions open now (each with its live dashboard and
how many are sitting), the next to open when none is, and the review queue.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from exams.models import Attempt
from organizations.models import RoleGrant
from organizations.selectors import jurisdiction_paths_of
from proctoring import selectors

OPEN_SHOWN = 5


def home_proctoring(*, request: Any) -> str:
    """The proctored sessions open now and the review queue, for a user with a proctor grant; "" otherwise.

    Only a proctor grant shows it: a platform admin may open every live dashboard, but their home is not
    an exam-day desk."""
    user = request.user
    if not jurisdiction_paths_of(user, {RoleGrant.Role.PROCTOR}):
        return ""
    now = timezone.now()
    proctored = selectors.sessions_proctored_by(user).filter(proctoring_policy__isnull=False)
    open_now = list(
        proctored.filter(opens_at__lte=now, closes_at__gt=now)
        .annotate(
            sitting=Count("attempts", filter=Q(attempts__status=Attempt.Status.IN_PROGRESS)),
            handed_in=Count(
                "attempts", filter=Q(attempts__status__in=[Attempt.Status.SUBMITTED, Attempt.Status.INVALIDATED])
            ),
        )
        .order_by("closes_at", "pk")[: OPEN_SHOWN + 1]
    )
    context = {
        "open_sessions": open_now[:OPEN_SHOWN],
        "more_open": len(open_now) > OPEN_SHOWN,
        "next_session": None if open_now else proctored.filter(opens_at__gt=now).order_by("opens_at", "pk").first(),
        "queue_count": selectors.review_queue(user).count(),
    }
    return render_to_string("proctoring/_home.html", context, request=request)
