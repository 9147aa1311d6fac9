"""Attempts left count the attempt in progress, as starting one uses it up (the notice says so).

The notice page, /api/v1/me/exams/ (its row and its notice) and the my-exams list
agree with ``attempt_start``: a running attempt is used, yet still resumable; a paper
prepared in advance and never delivered uses nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from exams.models import Attempt
from exams.services.attempts import attempt_start, attempt_submit
from exams.services.sessions import session_prepare
from tests.conftest import login_client
from tests.exams.conftest import make_bank, make_paper, make_session

pytestmark = pytest.mark.django_db

ZH = {"Accept-Language": "zh-hans"}


@pytest.fixture
def three_tries(cast: Any) -> Any:
    bank = make_bank(cast.east.provider)
    return make_session(cast.east.provider, make_paper(cast.east.provider, bank), attempts_allowed=3)


def _seen(cast: Any, session: Any) -> dict[str, Any]:
    client = login_client(cast.east.learner.user)
    [row] = [r for r in client.get("/api/v1/me/exams/").json() if r["session_id"] == session.pk]
    notice = client.get(reverse("exams:notice", args=[session.pk]), headers=ZH).content.decode()
    listing = client.get(reverse("exams:my_exams"), headers=ZH).content.decode()
    return {"row": row, "notice": notice, "listing": listing}


def test_a_running_attempt_is_counted_and_stays_resumable(cast: Any, three_tries: Any) -> None:
    person = cast.east.learner
    before = _seen(cast, three_tries)
    assert before["row"]["attempts_left"] == before["row"]["notice"]["attempts_left"] == 3
    assert "剩余 3 / 3 次机会" in before["notice"]

    running = attempt_start(session=three_tries, person=person, notice_confirmed=True)
    seen = _seen(cast, three_tries)
    assert seen["row"]["attempts_left"] == 2
    assert seen["row"]["notice"]["attempts_left"] == 2
    assert seen["row"]["running_attempt_id"] == running.pk
    assert "剩余 2 / 3 次机会" in seen["notice"]
    assert "剩余 3 / 3 次机会" not in seen["notice"]
    assert "剩余 2 / 3 次机会" in seen["listing"]
    assert "data-resume" in seen["listing"]  # the running attempt is offered, not a new start
    # the service agrees: a new start resumes the running attempt, it does not use another
    assert attempt_start(session=three_tries, person=person, notice_confirmed=True).pk == running.pk
    assert Attempt.objects.filter(session=three_tries, person=person).count() == 1


def test_the_last_attempt_running_leaves_none_but_can_be_resumed(cast: Any, three_tries: Any) -> None:
    person = cast.east.learner
    for _ in range(2):
        attempt = attempt_start(session=three_tries, person=person, notice_confirmed=True)
        attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.EXAMINEE)
    last = attempt_start(session=three_tries, person=person, notice_confirmed=True)
    seen = _seen(cast, three_tries)
    assert seen["row"]["attempts_left"] == 0
    assert "data-resume" in seen["listing"]
    assert attempt_start(session=three_tries, person=person, notice_confirmed=True).pk == last.pk


def test_a_prepared_paper_not_yet_delivered_uses_nothing(cast: Any, three_tries: Any) -> None:
    session_prepare(session=three_tries)
    assert Attempt.objects.filter(session=three_tries, status=Attempt.Status.PREPARED).exists()
    assert _seen(cast, three_tries)["row"]["attempts_left"] == 3
