"""Training admins build a paper by rules, preview it and schedule a session."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from exams.models import ExamSession, PaperTemplate
from tests.conftest import login_client
from tests.exams.conftest import make_bank, session_form_data


def _rule_form(bank: Any, count: int) -> dict[str, Any]:
    return {
        "name": "危化品试卷",
        "r0_banks": [bank.pk],
        "r0_qtype": "single",
        "r0_count": count,
        "r0_score": "2",
        "r0_difficulty_min": 2,
        "r0_difficulty_max": 4,
    }


@pytest.mark.django_db
def test_building_a_paper_refuses_a_too_small_pool_then_previews(cast: Any) -> None:
    bank = make_bank(cast.east.provider, per_type=6)
    admin = login_client(cast.east.training_admin)
    refused = admin.post("/exams/manage/papers/new/", _rule_form(bank, 7))
    assert refused.status_code == 200
    assert "data-form-errors" in refused.content.decode()
    assert "6" in refused.content.decode()
    assert not PaperTemplate.objects.exists()
    saved = admin.post("/exams/manage/papers/new/", _rule_form(bank, 5))
    paper = PaperTemplate.objects.get()
    assert saved["Location"] == f"/exams/manage/papers/{paper.pk}/"
    preview = admin.get(saved["Location"]).content.decode()
    assert preview.count("data-preview-question") == 5
    # the west training admin can't use the east bank nor see the paper
    west = login_client(cast.west.training_admin)
    assert west.get(f"/exams/manage/papers/{paper.pk}/").status_code == 404
    assert west.post("/exams/manage/papers/new/", _rule_form(bank, 5)).status_code == 200
    assert PaperTemplate.objects.count() == 1
    for user in (cast.outsider, cast.east.learner.user, cast.east.bureau):
        assert login_client(user).get("/exams/manage/papers/new/").status_code == 403


@pytest.mark.django_db
def test_scheduling_a_session_for_principals_and_safety_managers(cast: Any, exam: dict[str, Any]) -> None:
    admin = login_client(cast.east.training_admin)
    now = timezone.localtime()
    response = admin.post(
        "/exams/manage/sessions/new/",
        {
            "title": "主要负责人考核",
            "paper": exam["paper"].pk,
            "opens_at": (now + timezone.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timezone.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": 90,
            "attempts_allowed": 2,
            "pass_score": "80",
            "eligible_posts": ["principal", "safety_manager"],
            "eligible_jurisdictions": [cast.east.jurisdiction.pk],
            "result_release": "after_close",
            "certificate_type": "principal",
            "certificate_validity_years": 3,
            "grace_seconds": 30,
            "shuffle_options": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    session = ExamSession.objects.get(title="主要负责人考核")
    assert session.eligible_posts == ["principal", "safety_manager"]
    from exams.selectors import session_population
    from tests import factories

    principal = factories.make_person(cast.east.enterprises[1], post="principal")
    assert list(session_population(session)) == [principal]  # the learner is an employee
    bad = admin.post(
        "/exams/manage/sessions/new/",
        session_form_data(exam["paper"], "x", opens_at="2026-01-02T10:00", closes_at="2026-01-01T10:00"),
    )
    assert bad.status_code == 200
    assert ExamSession.objects.filter(title="x").count() == 0
