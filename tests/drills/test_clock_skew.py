"""Drill 6, client clock skew (the API doors): a phone whose clock is two hours fast or slow.

Whatever time a client claims, in its payloads or by when it calls, the server's clock decides
when an exam may start, when it ends, what the client is told about time, and when it is
submitted. The exam page itself, with Chromium's clock shifted, is tests/browser/test_clock_skew.py
(it shares the browser tests' one Chromium and live server).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token

from exams.models import Attempt
from exams.services.attempts import attempts_submit_overdue
from tests.conftest import Cast
from tests.exams.conftest import correct_answer, make_bank, make_paper, make_session
from tests.training.conftest import World, make_world
from tests.training.test_credit import Learner, at, credited

SKEWS = [pytest.param(dt.timedelta(hours=2), id="fast"), pytest.param(-dt.timedelta(hours=2), id="slow")]


def phone(user: Any) -> Client:
    """The mobile app: a token, JSON both ways."""
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}", HTTP_ACCEPT="application/json")


def post(client: Client, path: str, body: dict[str, Any], method: str = "post") -> tuple[int, dict[str, Any]]:
    response = getattr(client, method)(path, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def within(value: str, before: dt.datetime, after: dt.datetime) -> bool:
    parsed = parse_datetime(value)
    return parsed is not None and before <= parsed <= after


@pytest.mark.django_db
@pytest.mark.parametrize("skew", SKEWS)
def test_a_skewed_phone_starts_saves_and_is_refused_an_early_time_up(cast: Cast, skew: dt.timedelta) -> None:
    session = make_session(cast.east.provider, make_paper(cast.east.provider, make_bank(cast.east.provider)))
    client = phone(cast.east.learner.user)

    def client_clock() -> str:
        return (timezone.now() + skew).isoformat()

    before = timezone.now()
    status, started = post(
        client, f"/api/v1/exams/{session.pk}/attempts/", {"confirm_notice": True, "client_time": client_clock()}
    )
    after = timezone.now()
    assert status == 201, started
    attempt = Attempt.objects.get(pk=started["attempt_id"])
    # Started, and timed, on the server's clock: 30 minutes from the moment the paper went out.
    assert before <= attempt.started_at <= after
    assert attempt.deadline == attempt.started_at + dt.timedelta(minutes=session.duration_minutes)
    assert parse_datetime(started["deadline"]) == attempt.deadline
    assert within(started["server_time"], before, after)

    question = attempt.questions.first()
    before = timezone.now()
    status, saved = post(
        client,
        f"/api/v1/attempts/{attempt.pk}/answers/{question.pk}/",
        {
            "answer": correct_answer(question),
            "client_seq": 1,
            "client_time": client_clock(),
            "saved_at": client_clock(),
        },
        method="put",
    )
    after = timezone.now()
    assert status == 200, saved
    assert within(saved["saved_at"], before, after)
    assert within(saved["server_time"], before, after)

    # The phone that runs fast believes the 30 minutes are over; the server's clock says they are not.
    status, refused = post(client, f"/api/v1/attempts/{attempt.pk}/submit/", {"reason": "time_up"})
    assert status == 400
    assert refused["code"] == "time_not_up"
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert attempt.deadline == attempt.started_at + dt.timedelta(minutes=session.duration_minutes)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("opens_in", "closes_in"),
    [
        # The phone two hours fast sees an exam opening in an hour as open.
        pytest.param(dt.timedelta(hours=1), dt.timedelta(hours=3), id="not-open-yet"),
        # The phone two hours slow sees an exam closed an hour ago as still open.
        pytest.param(-dt.timedelta(hours=3), -dt.timedelta(hours=1), id="closed"),
    ],
)
def test_the_exam_window_is_the_servers(cast: Cast, opens_in: dt.timedelta, closes_in: dt.timedelta) -> None:
    now = timezone.now()
    session = make_session(
        cast.east.provider,
        make_paper(cast.east.provider, make_bank(cast.east.provider)),
        opens_at=now + opens_in,
        closes_at=now + closes_in,
    )
    skewed = (now + (dt.timedelta(hours=2) if opens_in > dt.timedelta(0) else -dt.timedelta(hours=2))).isoformat()
    status, refused = post(
        phone(cast.east.learner.user),
        f"/api/v1/exams/{session.pk}/attempts/",
        {"confirm_notice": True, "client_time": skewed},
    )
    assert status == 409
    assert refused["code"] == "not_open"
    assert not Attempt.objects.filter(session=session).exclude(status=Attempt.Status.PREPARED).exists()


@pytest.mark.django_db
def test_the_server_submits_at_its_deadline_and_a_slow_phone_cannot_save_after(cast: Cast) -> None:
    session = make_session(
        cast.east.provider, make_paper(cast.east.provider, make_bank(cast.east.provider)), grace_seconds=0
    )
    client = phone(cast.east.learner.user)
    status, started = post(client, f"/api/v1/exams/{session.pk}/attempts/", {"confirm_notice": True})
    assert status == 201
    attempt = Attempt.objects.get(pk=started["attempt_id"])
    question = attempt.questions.first()
    # The 30 minutes pass on the server: its deadline is now behind it.
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=31), deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    assert attempts_submit_overdue() == 1
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.submit_reason == Attempt.SubmitReason.DEADLINE_JOB
    # The slow phone still shows two hours and a half; its save, stamped before the deadline, is refused.
    early = (attempt.deadline - dt.timedelta(hours=2)).isoformat()
    status, refused = post(
        client,
        f"/api/v1/attempts/{attempt.pk}/answers/{question.pk}/",
        {"answer": correct_answer(question), "client_seq": 1, "client_time": early, "saved_at": early},
        method="put",
    )
    assert status == 409
    assert refused["code"] in {"attempt_closed", "time_up"}
    assert attempt.questions.get(pk=question.pk).given is None


@pytest.mark.django_db
def test_a_study_heartbeat_from_a_slow_device_is_credited_by_the_servers_clock(cast: Cast) -> None:
    world: World = make_world(cast, due_date=timezone.localdate() + dt.timedelta(days=10))
    learner = Learner(world)
    learner.beat(0, 0, client_time=at(0) - dt.timedelta(hours=2))
    result = learner.beat(15, 15, client_time=at(15) - dt.timedelta(hours=2))
    # 15 s passed on the server; the device's clock, two hours behind, neither adds nor takes away.
    assert (result.accepted, result.credited) == (True, 15)
    assert credited(world) == 15
