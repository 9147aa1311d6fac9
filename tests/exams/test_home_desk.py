"""The training admin's exam desk on the home page (exams.home.home_exam_desk): their exams under way or
opening within 14 days, soonest first, with who is sitting and who has handed in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt
from exams.services.attempts import attempt_start, attempt_submit
from tests.conftest import Cast, english_client
from tests.exams.conftest import make_bank, make_paper, make_session
from tests.support.home_todo import Desk, home_desk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _desk(user: object) -> Desk | None:
    return home_desk(english_client(user), "exam_desk")


def test_the_training_admin_sees_the_exams_under_way_and_coming_up(cast: Cast) -> None:
    provider = cast.east.provider
    paper = make_paper(provider, make_bank(provider))
    now = timezone.now()
    days = dt.timedelta(days=1)
    under_way = make_session(provider, paper, title="进行中的考试")
    make_session(provider, paper, title="十天后的考试", opens_at=now + 10 * days, closes_at=now + 10 * days + days)
    make_session(provider, paper, title="二十天后的考试", opens_at=now + 20 * days, closes_at=now + 21 * days)
    make_session(provider, paper, title="已结束的考试", opens_at=now - 3 * days, closes_at=now - 2 * days)
    attempt_start(notice_confirmed=True, session=under_way, person=cast.east.learner)

    desk = _desk(cast.east.training_admin)
    assert desk is not None
    assert desk.link == reverse("exams:admin_home")
    assert [(item.title, item.badge) for item in desk.items] == [
        ("进行中的考试", "Under way"),
        ("十天后的考试", "Not started"),
    ]
    first = desk.items[0]
    assert "1 sitting now · 0 handed in" in first.lines
    assert "30 minutes" in desk.items[1].lines
    assert (first.action, first.href) == ("Session statistics", reverse("exams:session_stats", args=[under_way.pk]))

    attempt_submit(attempt=under_way.attempts.get(), reason=Attempt.SubmitReason.EXAMINEE)
    desk = _desk(cast.east.training_admin)
    assert desk is not None
    assert "0 sitting now · 1 handed in" in desk.items[0].lines


def test_with_nothing_coming_up_the_desk_says_so(cast: Cast) -> None:
    desk = _desk(cast.east.training_admin)
    assert desk is not None
    assert desk.items == []
    assert desk.empty == "No exam of yours is under way or opens in the next 14 days."


def test_only_the_provider_s_admins_see_its_exams(cast: Cast) -> None:
    provider = cast.east.provider
    make_session(provider, make_paper(provider, make_bank(provider)), title="东区的考试")
    west = _desk(cast.west.training_admin)
    assert west is not None
    assert west.items == []
    # A learner, a bureau official, a proctor and the platform admin have no exam desk on their home.
    for user in (cast.east.learner.user, cast.east.bureau, cast.east.proctor, cast.platform_admin):
        assert _desk(user) is None
