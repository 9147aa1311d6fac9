"""The exams manage pages lead to proctoring: the policy, the live dashboard and the review queue."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from exams.models import ExamSession
from proctoring.services.actions import policy_set
from tests.conftest import Cast, login_client
from tests.exams.conftest import make_session, session_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions(cast: Cast, exam: dict[str, Any]) -> dict[str, ExamSession]:
    """The EAST exam without proctoring, and a second one with a policy."""
    proctored = make_session(cast.east.provider, exam["paper"], title="东区监考考试")
    policy_set(session=proctored)
    return {"plain": exam["session"], "proctored": proctored}


def _row(page: str, session: ExamSession) -> str:
    start = page.index(f'data-session="{session.pk}"')
    return page[start : page.index("</tr>", start)]


def test_a_training_admin_sets_up_proctoring_from_the_session_list(
    cast: Cast, sessions: dict[str, ExamSession]
) -> None:
    page = login_client(cast.east.training_admin).get(reverse("exams:admin_home")).content.decode()
    plain, proctored = _row(page, sessions["plain"]), _row(page, sessions["proctored"])
    assert reverse("proctoring:policy_edit", args=[sessions["plain"].pk]) in plain
    assert reverse("proctoring:policy_edit", args=[sessions["proctored"].pk]) in proctored
    # A training admin is not a proctor: no live grid, no review queue.
    assert "data-live-link" not in page
    assert "data-review-queue" not in page
    assert (
        login_client(cast.east.training_admin)
        .get(reverse("proctoring:policy_edit", args=[sessions["plain"].pk]))
        .status_code
        == 200
    )


def test_a_platform_admin_also_gets_the_live_dashboard_and_the_review_queue(
    cast: Cast, sessions: dict[str, ExamSession]
) -> None:
    client = login_client(cast.platform_admin)
    page = client.get(reverse("exams:admin_home")).content.decode()
    live = reverse("proctoring:live", args=[sessions["proctored"].pk])
    assert live in _row(page, sessions["proctored"])
    assert "data-live-link" not in _row(page, sessions["plain"])  # nothing to watch without a policy
    assert reverse("proctoring:review_queue") in page
    stats = client.get(reverse("exams:session_stats", args=[sessions["proctored"].pk])).content.decode()
    assert live in stats
    assert reverse("proctoring:policy_edit", args=[sessions["proctored"].pk]) in stats
    assert reverse("proctoring:review_queue") in stats
    for url in (live, reverse("proctoring:review_queue")):
        assert client.get(url).status_code == 200


def test_the_statistics_page_offers_only_what_the_reader_may_open(cast: Cast, sessions: dict[str, ExamSession]) -> None:
    url = reverse("exams:session_stats", args=[sessions["proctored"].pk])
    # The bureau reads the statistics but neither edits the policy nor proctors.
    bureau_page = login_client(cast.east.bureau).get(url).content.decode()
    assert "data-policy-link" not in bureau_page
    assert "data-live-link" not in bureau_page
    assert "data-review-queue" not in bureau_page
    trainer_page = login_client(cast.east.training_admin).get(url).content.decode()
    assert reverse("proctoring:policy_edit", args=[sessions["proctored"].pk]) in trainer_page
    assert "data-live-link" not in trainer_page
    # The WEST training admin sees neither the session nor its links.
    west = login_client(cast.west.training_admin)
    assert west.get(url).status_code == 404
    west_home = west.get(reverse("exams:admin_home")).content.decode()
    assert reverse("proctoring:policy_edit", args=[sessions["proctored"].pk]) not in west_home


def test_scheduling_an_exam_can_go_on_to_its_proctoring_policy(cast: Cast, exam: dict[str, Any]) -> None:
    admin = login_client(cast.east.training_admin)
    form_page = admin.get(reverse("exams:session_new")).content.decode()
    assert re.search(r'<input[^>]*name="setup_proctoring"[^>]*checked', form_page)  # offered, ticked

    response = admin.post(
        reverse("exams:session_new"), session_form_data(exam["paper"], "要监考的考试", setup_proctoring="on")
    )
    session = ExamSession.objects.get(title="要监考的考试")
    assert response["Location"] == reverse("proctoring:policy_edit", args=[session.pk])
    policy_page = admin.get(response["Location"]).content.decode()
    assert reverse("exams:session_stats", args=[session.pk]) in policy_page  # and back

    plain = admin.post(reverse("exams:session_new"), session_form_data(exam["paper"], "不监考的考试"))
    assert plain["Location"] == reverse("exams:session_stats", args=[ExamSession.objects.get(title="不监考的考试").pk])
