"""逢查必考: an inspector opens a short random quiz for a named worker, who answers on the inspector's phone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from exams.models import Attempt, ExamSession
from tests.conftest import login_client
from tests.exams.conftest import correct_answer


@pytest.mark.django_db
def test_an_inspector_runs_a_spot_test_recorded_against_the_worker(cast: Any, exam: dict[str, Any]) -> None:
    inspector = login_client(cast.east.bureau)
    worker = cast.east.learner
    page = inspector.get(f"/exams/spot/people/{worker.pk}/")
    assert page.status_code == 200
    assert worker.name in page.content.decode()
    assert "<svg" in page.content.decode()
    opened = inspector.post(f"/exams/spot/people/{worker.pk}/")
    assert opened.status_code == 302
    attempt = Attempt.objects.get(session__kind=ExamSession.Kind.SPOT, person=worker)
    assert opened["Location"] == f"/exams/attempts/{attempt.pk}/"
    assert attempt.opened_by == cast.east.bureau
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert attempt.questions.count() == 5
    # the worker answers on the inspector's phone (the inspector's login)
    assert inspector.get(f"/exams/attempts/{attempt.pk}/").status_code == 200
    for aq in attempt.questions.all():
        saved = inspector.put(
            f"/api/v1/attempts/{attempt.pk}/answers/{aq.pk}/",
            data=json.dumps({"answer": correct_answer(aq), "client_seq": 1}),
            content_type="application/json",
        )
        assert saved.status_code == 200
    result = inspector.post(f"/api/v1/attempts/{attempt.pk}/submit/").json()
    assert result["passed"] is True
    assert result["score"] == "100.0"
    attempt.refresh_from_db()
    assert attempt.person.enterprise == cast.east.enterprises[0]
    # the worker sees the result among their own; the spot test is not an exam they can start
    assert login_client(worker.user).get(f"/api/v1/attempts/{attempt.pk}/result/").status_code == 200
    assert login_client(worker.user).get("/api/v1/me/exams/").json()[0]["session_id"] == exam["session"].pk


@pytest.mark.django_db
def test_spot_tests_stay_within_the_inspectors_jurisdiction(cast: Any, exam: dict[str, Any]) -> None:
    worker = cast.east.learner
    for user in (cast.west.bureau, cast.west.proctor):
        assert login_client(user).post(f"/exams/spot/people/{worker.pk}/").status_code == 404
    for user in (cast.outsider, cast.east.learner.user, cast.east.enterprise_admin, cast.east.training_admin):
        assert login_client(user).get(f"/exams/spot/people/{worker.pk}/").status_code == 403
    assert not Attempt.objects.filter(session__kind=ExamSession.Kind.SPOT).exists()
    # the inspector's own choice list holds only people of their jurisdiction
    body = login_client(cast.west.bureau).get("/exams/spot/").content.decode()
    assert worker.name not in body
    assert cast.west.learner.name in body
