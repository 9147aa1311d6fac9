"""An exam session can be the onboarding assessment (岗前培训考核) of new employees:
set on the scheduling page and in the admin, and shown on the session's page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from exams.models import ExamSession
from tests.conftest import Cast, login_client, make_staff
from tests.exams.conftest import session_form_data

pytestmark = pytest.mark.django_db


def test_the_scheduling_page_offers_and_records_the_onboarding_flag(cast: Cast, exam: dict[str, Any]) -> None:
    admin = login_client(cast.east.training_admin)
    form_page = admin.get(reverse("exams:session_new"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'name="is_onboarding"' in form_page
    assert "岗前培训考核" in form_page
    admin.post(reverse("exams:session_new"), session_form_data(exam["paper"], "新员工岗前考核", is_onboarding="on"))
    admin.post(reverse("exams:session_new"), session_form_data(exam["paper"], "月度考试"))
    onboarding = ExamSession.objects.get(title="新员工岗前考核")
    assert onboarding.is_onboarding is True
    assert ExamSession.objects.get(title="月度考试").is_onboarding is False
    stats = admin.get(reverse("exams:session_stats", args=[onboarding.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "data-onboarding" in stats.content.decode()
    assert "岗前培训考核" in stats.content.decode()
    other = admin.get(reverse("exams:session_stats", args=[ExamSession.objects.get(title="月度考试").pk]))
    assert "data-onboarding" not in other.content.decode()


def test_the_admin_edits_the_onboarding_flag(cast: Cast, exam: dict[str, Any]) -> None:
    trainer = make_staff(cast.east.training_admin, "view_examsession", "change_examsession", apps=["exams"])
    page = login_client(trainer).get(reverse("admin:exams_examsession_change", args=[exam["session"].pk]))
    assert 'name="is_onboarding"' in page.content.decode()


def test_scheduling_from_a_paper_has_that_paper_chosen(cast: Cast, exam: dict[str, Any]) -> None:
    paper = exam["paper"]
    admin = login_client(cast.east.training_admin)
    page = admin.get(f"{reverse('exams:session_new')}?paper={paper.pk}").content.decode()
    assert f'<option value="{paper.pk}" selected>' in page
    assert f'value="{paper.name}"' in page  # the title starts as the paper's name
    # A paper the trainer does not manage, or nonsense, chooses nothing.
    outsider = login_client(cast.west.training_admin)
    other = outsider.get(f"{reverse('exams:session_new')}?paper={paper.pk}").content.decode()
    assert f'<option value="{paper.pk}"' not in other
    assert f'value="{paper.name}"' not in other
    assert admin.get(f"{reverse('exams:session_new')}?paper=abc").status_code == 200
