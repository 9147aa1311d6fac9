"""The trainer's class desk on the home page (classroom.home.home_class_desk): the classes they run that are
under way or start within 7 days, soonest first, with how many of the invited have signed in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from classroom.services.attendance import sign_manual
from classroom.services.schedule import class_cancel
from tests.conftest import Cast, english_client
from tests.support.classroom import make_class
from tests.support.home_todo import Desk, home_desk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _desk(user: object) -> Desk | None:
    return home_desk(english_client(user), "class_desk")


def test_the_trainer_sees_the_class_under_way_with_who_has_signed_in(cast: Cast) -> None:
    now = timezone.now()
    minutes = dt.timedelta(minutes=1)
    under_way = make_class(cast, topic="有限空间作业安全", starts_at=now - 30 * minutes, ends_at=now + 90 * minutes)
    make_class(
        cast, topic="三天后的课堂", starts_at=now + dt.timedelta(days=3), ends_at=now + dt.timedelta(days=3, hours=2)
    )
    make_class(
        cast, topic="十天后的课堂", starts_at=now + dt.timedelta(days=10), ends_at=now + dt.timedelta(days=10, hours=2)
    )
    cancelled = make_class(
        cast, topic="取消的课堂", starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1, hours=2)
    )
    class_cancel(training_class=cancelled, by=cast.east.enterprise_admin, reason="场地检修")

    desk = _desk(cast.east.enterprise_admin)
    assert desk is not None
    assert desk.link == reverse("classroom:list")
    assert [item.title for item in desk.items] == ["有限空间作业安全", "三天后的课堂"]
    first = desk.items[0]
    assert first.href == reverse("classroom:detail", args=[under_way.pk])
    assert "0 of 1 invited signed in" in first.lines

    sign_manual(
        training_class=under_way, person=cast.east.learner, kind="in", reason="手机没电", by=cast.east.enterprise_admin
    )
    desk = _desk(cast.east.enterprise_admin)
    assert desk is not None
    assert "1 of 1 invited signed in" in desk.items[0].lines


def test_with_no_class_coming_up_a_training_admin_s_desk_says_so(cast: Cast) -> None:
    desk = _desk(cast.east.training_admin)
    assert desk is not None
    assert desk.items == []
    assert desk.empty == "No class of yours is under way or starts in the next 7 days."


def test_others_have_no_class_desk(cast: Cast) -> None:
    now = timezone.now()
    make_class(cast, starts_at=now + dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3))
    # The invited learner, a bureau official, a proctor and the platform admin: no trainer's desk.
    for user in (cast.east.learner.user, cast.east.bureau, cast.east.proctor, cast.platform_admin):
        assert _desk(user) is None
    # The west training admin runs none of the east enterprise's classes.
    west = _desk(cast.west.training_admin)
    assert west is not None
    assert west.items == []
