"""Autosave, submit and the bad-input rules, through the API an examinee's phone uses."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from exams import events
from exams.models import Attempt, AttemptAnswer, AttemptQuestion
from exams.services.attempts import attempt_save_answer, attempt_start, attempt_submit, attempts_submit_overdue
from exams.services.errors import AttemptClosed
from question_bank.models import QuestionType
from tests import factories
from tests.conftest import login_client
from tests.exams.conftest import CONFIRM, correct_answer, make_bank, make_paper, make_session
from tests.support.concurrency import at_once


def start(client: Client, session_id: int) -> dict[str, Any]:
    response = client.post(f"/api/v1/exams/{session_id}/attempts/", CONFIRM, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def put(client: Client, attempt_id: int, qid: int, body: Any) -> Any:
    return client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{qid}/", data=json.dumps(body), content_type="application/json"
    )


def snapshot(attempt_id: int) -> list[tuple[Any, ...]]:
    attempt = Attempt.objects.get(pk=attempt_id)
    rows = list(AttemptQuestion.objects.filter(attempt_id=attempt_id).values_list("pk", "given", "client_seq"))
    return [(attempt.status, attempt.score), *rows, AttemptAnswer.objects.filter(attempt_id=attempt_id).count()]


@pytest.mark.django_db
def test_start_returns_the_paper_without_answers_and_the_server_time(cast: Any, exam: dict[str, Any]) -> None:
    data = start(login_client(cast.east.learner.user), exam["session"].pk)
    assert set(data) >= {"attempt_id", "deadline", "server_time", "questions", "device"}
    assert len(data["questions"]) == 8
    assert all(set(q) <= {"id", "type", "stem", "options", "blanks", "score"} for q in data["questions"])


@pytest.mark.django_db
def test_autosave_is_idempotent_and_the_latest_client_seq_wins(cast: Any, exam: dict[str, Any]) -> None:
    client = login_client(cast.east.learner.user)
    data = start(client, exam["session"].pk)
    single = next(q for q in data["questions"] if q["type"] == QuestionType.SINGLE)
    url_args = (client, data["attempt_id"], single["id"])
    assert put(*url_args, {"answer": "A", "client_seq": 1, "device": data["device"]}).status_code == 200
    assert put(*url_args, {"answer": "C", "client_seq": 3, "device": data["device"]}).status_code == 200
    replay = put(*url_args, {"answer": "C", "client_seq": 3, "device": data["device"]})
    assert replay.status_code == 200
    assert replay.json()["replay"] is True
    before = snapshot(data["attempt_id"])
    older = put(*url_args, {"answer": "D", "client_seq": 2, "device": data["device"]})
    assert older.status_code == 409
    assert older.json()["code"] == "stale_client_seq"
    same_seq_other_answer = put(*url_args, {"answer": "D", "client_seq": 3, "device": data["device"]})
    assert same_seq_other_answer.status_code == 409
    assert snapshot(data["attempt_id"]) == before
    aq = AttemptQuestion.objects.get(pk=single["id"])
    assert (aq.given, aq.client_seq) == ("C", 3)
    assert list(AttemptAnswer.objects.filter(attempt_question=aq).values_list("client_seq", flat=True)) == [1, 3]


@pytest.mark.django_db
def test_bad_input_is_refused_with_clear_json_and_leaves_the_attempt_unchanged(cast: Any, exam: dict[str, Any]) -> None:
    client = login_client(cast.east.learner.user)
    data = start(client, exam["session"].pk)
    attempt_id, device = data["attempt_id"], data["device"]
    q = next(q for q in data["questions"] if q["type"] == QuestionType.SINGLE)
    assert put(client, attempt_id, q["id"], {"answer": "A", "client_seq": 1, "device": device}).status_code == 200
    before = snapshot(attempt_id)

    # a question of another attempt
    other_person = factories.make_person(cast.east.enterprises[0])
    other = attempt_start(notice_confirmed=True, session=exam["session"], person=other_person)
    foreign_q = other.questions.first().pk
    cases = {
        "question not in attempt": put(client, attempt_id, foreign_q, {"answer": "A", "client_seq": 5}),
        "malformed: no client_seq": put(client, attempt_id, q["id"], {"answer": "A"}),
        "malformed: bad letter": put(client, attempt_id, q["id"], {"answer": "Z", "client_seq": 6}),
        "malformed: not JSON": client.put(
            f"/api/v1/attempts/{attempt_id}/answers/{q['id']}/", data="{oops", content_type="application/json"
        ),
        "malformed: negative seq": put(client, attempt_id, q["id"], {"answer": "A", "client_seq": -1}),
        "forged early time up": client.post(
            f"/api/v1/attempts/{attempt_id}/submit/", data={"reason": "time_up"}, content_type="application/json"
        ),
        "unknown submit reason": client.post(
            f"/api/v1/attempts/{attempt_id}/submit/", data={"reason": "proctor"}, content_type="application/json"
        ),
        "old device": put(client, attempt_id, q["id"], {"answer": "B", "client_seq": 7, "device": "0" * 16}),
    }
    for label, response in cases.items():
        assert response.status_code in (400, 404, 409), label
        assert response["Content-Type"].startswith("application/json"), label
        assert response.json()["detail"], label
    assert cases["question not in attempt"].status_code == 404
    assert cases["forged early time up"].json()["code"] == "time_not_up"
    assert cases["old device"].json()["code"] == "other_device"

    # another person's attempt: not even found
    west = login_client(cast.west.learner.user)
    assert put(west, attempt_id, q["id"], {"answer": "B", "client_seq": 9}).status_code == 404
    assert west.post(f"/api/v1/attempts/{attempt_id}/submit/").status_code == 404
    assert snapshot(attempt_id) == before

    # after the deadline (and its grace)
    Attempt.objects.filter(pk=attempt_id).update(deadline=timezone.now() - dt.timedelta(minutes=5))
    late = put(client, attempt_id, q["id"], {"answer": "B", "client_seq": 10, "device": device})
    assert late.status_code == 409
    assert late.json()["code"] == "time_up"
    assert snapshot(attempt_id)[1:] == before[1:]


@pytest.mark.django_db
def test_resume_on_another_device_takes_over(cast: Any, exam: dict[str, Any]) -> None:
    phone, laptop = login_client(cast.east.learner.user), login_client(cast.east.learner.user)
    first = start(phone, exam["session"].pk)
    q = first["questions"][0]
    answer = (
        "A"
        if q["type"] in (QuestionType.SINGLE, QuestionType.MULTIPLE)
        else (True if q["type"] == QuestionType.TRUE_FALSE else ["a", "b"])
    )
    assert (
        put(
            phone, first["attempt_id"], q["id"], {"answer": answer, "client_seq": 1, "device": first["device"]}
        ).status_code
        == 200
    )
    second = start(laptop, exam["session"].pk)
    assert second["attempt_id"] == first["attempt_id"]
    assert second["questions"] == first["questions"]
    assert second["saved"][str(q["id"])]["client_seq"] == 1
    stale = put(phone, first["attempt_id"], q["id"], {"answer": answer, "client_seq": 2, "device": first["device"]})
    assert stale.status_code == 409
    assert stale.json()["code"] == "other_device"
    assert (
        put(
            laptop, first["attempt_id"], q["id"], {"answer": answer, "client_seq": 2, "device": second["device"]}
        ).status_code
        == 200
    )


@pytest.mark.django_db
def test_two_tabs_submitting_get_one_grading_and_the_same_result(
    cast: Any, exam: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    graded: list[int] = []
    hook = lambda name, attempt_id, data: graded.append(attempt_id) if name == "submitted" else None  # noqa: E731
    events.register(hook)
    try:
        tab1, tab2 = login_client(cast.east.learner.user), login_client(cast.east.learner.user)
        data = start(tab1, exam["session"].pk)
        for aq in AttemptQuestion.objects.filter(attempt_id=data["attempt_id"]):
            put(tab1, data["attempt_id"], aq.pk, {"answer": correct_answer(aq), "client_seq": 1})
        with django_capture_on_commit_callbacks(execute=True):
            r1 = tab1.post(f"/api/v1/attempts/{data['attempt_id']}/submit/")
            r2 = tab2.post(f"/api/v1/attempts/{data['attempt_id']}/submit/")
    finally:
        events.unregister(hook)
    assert r1.status_code == r2.status_code == 200
    assert r1.json() == r2.json()
    assert r1.json()["score"] == "40.0"
    assert r1.json()["passed"] is True
    assert graded == [data["attempt_id"]]
    after = put(tab1, data["attempt_id"], data["questions"][0]["id"], {"answer": "A", "client_seq": 99})
    assert after.status_code == 409
    assert after.json()["code"] == "attempt_closed"


@pytest.mark.django_db
def test_attempts_allowed_is_enforced(cast: Any, exam: dict[str, Any]) -> None:
    client = login_client(cast.east.learner.user)
    data = start(client, exam["session"].pk)
    client.post(f"/api/v1/attempts/{data['attempt_id']}/submit/")
    refused = client.post(f"/api/v1/exams/{exam['session'].pk}/attempts/", CONFIRM, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_attempts_left"


@pytest.mark.django_db
def test_a_closed_window_and_an_unfinished_prerequisite_refuse_start(cast: Any, exam: dict[str, Any]) -> None:
    from training.models import Course

    client = login_client(cast.east.learner.user)
    session = exam["session"]
    session.opens_at = timezone.now() + dt.timedelta(hours=1)
    session.save()
    assert (
        client.post(f"/api/v1/exams/{session.pk}/attempts/", CONFIRM, content_type="application/json").json()["code"]
        == "not_open"
    )
    course = Course.objects.create(title="危化品安全", owner_provider=cast.east.provider)
    session.opens_at = timezone.now() - dt.timedelta(hours=1)
    session.required_course = course
    session.save()
    refused = client.post(f"/api/v1/exams/{session.pk}/attempts/", CONFIRM, content_type="application/json")
    assert refused.status_code == 403
    assert "危化品安全" in refused.json()["detail"]


@pytest.mark.django_db
def test_the_deadline_job_submits_and_grades_the_saved_answers(cast: Any, exam: dict[str, Any]) -> None:
    attempt = attempt_start(notice_confirmed=True, session=exam["session"], person=cast.east.learner)
    aq = attempt.questions.first()
    attempt_save_answer(attempt=attempt, question_id=aq.pk, answer=correct_answer(aq), client_seq=1)
    now = timezone.now()
    assert attempts_submit_overdue(now=now) == 0
    grace = exam["session"].grace_seconds
    # inside the grace period: still open
    assert attempts_submit_overdue(now=attempt.deadline + dt.timedelta(seconds=grace - 1)) == 0
    assert attempts_submit_overdue(now=attempt.deadline + dt.timedelta(seconds=grace + 1)) == 1
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.submit_reason == Attempt.SubmitReason.DEADLINE_JOB
    assert attempt.score == aq.score
    assert attempts_submit_overdue(now=attempt.deadline + dt.timedelta(hours=1)) == 0


@pytest.mark.django_db
def test_a_save_racing_a_submit_is_either_graded_or_refused(cast: Any, exam: dict[str, Any]) -> None:
    attempt = attempt_start(notice_confirmed=True, session=exam["session"], person=cast.east.learner)
    aq = attempt.questions.first()
    attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.EXAMINEE)
    with pytest.raises(AttemptClosed):
        attempt_save_answer(attempt=attempt, question_id=aq.pk, answer=correct_answer(aq), client_seq=1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections (PostgreSQL)")
# serialized_rollback like every transactional test here: mixing flushed and
# serialized tests makes the next serialized one reload duplicate content types.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_simultaneous_submits_grade_exactly_once(cast: Any) -> None:
    bank = make_bank(cast.east.provider)
    session = make_session(cast.east.provider, make_paper(cast.east.provider, bank))
    attempt = attempt_start(notice_confirmed=True, session=session, person=cast.east.learner)
    for aq in attempt.questions.all():
        attempt_save_answer(attempt=attempt, question_id=aq.pk, answer=correct_answer(aq), client_seq=1)
    graded: list[str] = []

    def count_grading(name: str, attempt_id: int, data: dict[str, Any]) -> None:
        if name == "submitted":
            graded.append(name)

    events.register(count_grading)
    results, errors = at_once(50, lambda: attempt_submit(attempt=Attempt(pk=attempt.pk), reason="examinee"))
    events.unregister(count_grading)  # only this test's listener: the apps' own stay registered
    assert not errors
    assert sum(r.graded_now for r in results) == 1
    assert graded == ["submitted"]
    assert {(r.attempt.score, r.attempt.passed, r.attempt.submitted_at) for r in results} == {
        (Attempt.objects.get(pk=attempt.pk).score, True, Attempt.objects.get(pk=attempt.pk).submitted_at)
    }
