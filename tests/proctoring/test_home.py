"""The proctor's home page: the proctored sessions open now, the next one, and the review queue (proctoring.home)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from proctoring.services.actions import proctor_terminate
from tests.conftest import Cast, english_client
from tests.proctoring.conftest import make_proctored, proctored_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _home(user: object) -> str:
    return english_client(user).get(reverse("home")).content.decode()


def _section(html: str) -> str:
    match = re.search(r"<section class=\"todo-section\" data-home-proctoring>(.*?)</section>", html, re.S)
    assert match, "no proctoring section on the home page"
    return match.group(1)


def test_a_proctor_s_home_lists_the_session_under_way_with_who_is_sitting_and_the_live_dashboard(cast: Cast) -> None:
    started = make_proctored(cast)
    session = started["session"]
    section = _section(_home(cast.east.proctor))
    assert session.title in section
    assert reverse("proctoring:live", args=[session.pk]) in section
    assert "1 sitting now · 0 handed in" in section
    assert "Review queue (0)" in section

    proctor_terminate(attempt=started["attempt"], by=cast.east.proctor, reason="疑似旁人提示")
    section = _section(_home(cast.east.proctor))
    assert "0 sitting now · 1 handed in" in section
    # Ended by a proctor: flagged and waiting for a decision.
    assert "Review queue (1)" in section


def test_with_nothing_under_way_it_names_the_next_session(cast: Cast) -> None:
    session = proctored_session(cast)
    session.title = "下周的持证考试"
    session.opens_at = timezone.now() + dt.timedelta(days=2)
    session.closes_at = session.opens_at + dt.timedelta(hours=2)
    session.save(update_fields=["title", "opens_at", "closes_at"])
    section = _section(_home(cast.east.proctor))
    assert "No proctored exam is under way." in section
    assert "Next: 下周的持证考试" in section
    assert "data-live-link" not in section


def test_only_the_jurisdiction_s_proctors_see_it(cast: Cast) -> None:
    session = make_proctored(cast)["session"]
    # A proctor of another district sees the section, without this session.
    assert session.title not in _section(_home(cast.west.proctor))
    # Neither the examinee nor the bureau official nor the platform admin get a proctoring desk on their home.
    for user in (cast.east.learner.user, cast.east.bureau, cast.platform_admin):
        assert "data-home-proctoring" not in _home(user)
