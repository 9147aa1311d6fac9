"""The proctor's live grid page before its socket answers: an empty state instead of a blank page,
and the connection status in Chinese for the script to show."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from exams.selectors import session_population
from exams.services.attempts import attempt_start
from tests.conftest import Cast, login_client
from tests.proctoring.conftest import make_proctored

pytestmark = pytest.mark.django_db


def _empty_state(html: str) -> str | None:
    """The empty state's text, or None when the page hides it."""
    match = re.search(r"<p [^>]*data-grid-empty([^>]*)>(.*?)</p>", html, re.S)
    assert match, "the live page has no empty state"
    return None if "hidden" in match.group(1) else " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def test_nobody_sitting_says_so_with_how_many_may_sit(cast: Cast) -> None:
    data = make_proctored(cast, start=False, require_identity_check=False)
    session = data["session"]
    url = reverse("proctoring:live", args=[session.pk])
    proctor = login_client(cast.east.proctor)

    expected = session_population(session).count()
    assert expected > 0
    assert _empty_state(proctor.get(url).content.decode()) == f"暂无考生在考 应考 {expected} 人"

    attempt_start(notice_confirmed=True, session=session, person=cast.east.learner)
    assert _empty_state(proctor.get(url).content.decode()) is None  # the tiles come on the socket


def test_the_connection_status_reads_as_one(cast: Cast) -> None:
    data = make_proctored(cast, start=False)
    html = login_client(cast.east.proctor).get(reverse("proctoring:live", args=[data["session"].pk])).content.decode()
    assert "连接中…" in html  # before the script connects
    strings = json.loads(re.search(r'<script id="live-text" type="application/json">(.*?)</script>', html).group(1))
    assert (strings["connected"], strings["reconnecting"]) == ("已连接", "连接中断，正在重连…")
