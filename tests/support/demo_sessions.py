"""Exam sessions on the demo data (seed_demo), for browser tests that set up through ``manage.py shell``.

Run inside the browser server's database (``run_manage("shell", "-c", ...)``): the demo learner is
admitted, the paper is the demo centre's first rule-drawn one, the session opened a minute ago.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from exams.models import ExamSession, PaperTemplate
from exams.services.sessions import session_create, session_prepare
from organizations.models import Person
from proctoring.services.actions import policy_set


def demo_learner() -> Person:
    return Person.objects.get(user__username="demo_learner")


def proctored_demo_session(title: str, **policy: Any) -> ExamSession:
    """An open two-hour session for the demo learner with the proctoring ``policy``, prepared."""
    paper = PaperTemplate.objects.filter(provider__code="demo-center", kind="rules").order_by("pk").first()
    now = timezone.now()
    session = session_create(
        provider=paper.provider,
        paper=paper,
        title=f"{title} {now:%H%M%S%f}",
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(hours=2),
        duration_minutes=60,
        pass_score=Decimal("10"),
        eligible_people=[demo_learner()],
    )
    policy_set(session=session, **policy)
    session_prepare(session=session)
    return session
