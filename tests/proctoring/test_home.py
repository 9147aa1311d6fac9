"""The proctor's desk on the home page: the proctored sessions open now, the next one, and the review queue
(proctoring.home)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from proctoring.services.actions import proctor_terminate
from tests.conftest import Cast, english_client
from tests.proctoring.conftest import make_proctored, proctored_session
from tests.support.home_todo import Desk, home_desk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _desk(user: object) -> Desk | None:
    return home_desk(english_client(user), "proctoring")


def test_a_proctor_sees_the_session_under_way_with_who_is_sitting_and_the_live_dashboard(cast: Cast) -> None:
    started = make_proctored(cast)
    session = started["session"]
    desk = _desk(cast.east.proctor)
    assert desk is not None
    assert desk.link == reverse("proctoring:home")
    [item] = desk.items
    assert (item.title, item.badge, item.action) == (session.title, "Under way", "Live dashboard")
    assert item.href == reverse("proctoring:live", args=[session.pk])
    assert "1 sitting now · 0 handed in" in item.lines

    # Ended by a proctor: handed in, flagged, and waiting for a decision in the review queue.
    proctor_terminate(attempt=started["attempt"], by=cast.east.proctor, reason="疑似旁人提示")
    desk = _desk(cast.east.proctor)
    assert desk is not None
    session_item, queue = desk.items
    assert "0 sitting now · 1 handed in" in session_item.lines
    assert (queue.title, queue.badge, queue.href) == ("Review queue", "1", reverse("proctoring:review_queue"))


def test_with_nothing_under_way_it_names_the_next_session(cast: Cast) -> None:
    session = proctored_session(cast)
    session.title = "下周的持证考试"
    session.opens_at = timezone.now() + dt.timedelta(days=2)
    session.closes_at = session.opens_at + dt.timedelta(hours=2)
    session.save(update_fields=["title", "opens_at", "closes_at"])
    desk = _desk(cast.east.proctor)
    assert desk is not None
    [item] = desk.items
    assert (item.title, item.badge) == ("下周的持证考试", "Not started")
    assert item.lines[0].startswith("Opens at ")


def test_an_empty_desk_says_so(cast: Cast) -> None:
    desk = _desk(cast.east.proctor)
    assert desk is not None
    assert desk.items == []
    assert desk.empty == "No proctored exam is under way, and no attempt waits for review."


def test_only_the_jurisdiction_s_proctors_see_it(cast: Cast) -> None:
    session = make_proctored(cast)["session"]
    # A proctor of another district has the desk, without this session.
    west = _desk(cast.west.proctor)
    assert west is not None
    assert session.title not in [item.title for item in west.items]
    # Neither the examinee nor the bureau official nor the platform admin get a proctoring desk on their home.
    for user in (cast.east.learner.user, cast.east.bureau, cast.platform_admin):
        assert _desk(user) is None
