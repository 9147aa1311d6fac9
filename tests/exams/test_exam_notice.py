"""The exam notice (考试须知) reads as people write scores, and its start button never invites a refused start:
on an exam whose identity check is still to do, it says it leads to the check and goes there; with a
precondition that has nowhere to go, it is disabled and says why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import lxml.html
import pytest
from django.urls import reverse

from core import preconditions
from core.preconditions import Requirement
from exams.models import Attempt, ExamSession
from proctoring.services.actions import policy_set
from proctoring.services.identity import identity_decide, identity_request_manual
from tests.conftest import Cast, login_client
from tests.exams.conftest import make_bank, make_paper, make_session

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _notice(cast: Cast, session: ExamSession) -> Any:
    response = login_client(cast.east.learner.user).get(reverse("exams:notice", args=[session.pk]), **ZH)
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def _text(tree: Any, xpath: str) -> str:
    [node] = tree.xpath(xpath)
    return " ".join(node.text_content().split())


def test_scores_show_no_needless_decimal(cast: Cast, exam: dict[str, Any]) -> None:
    tree = _notice(cast, exam["session"])  # 8 questions of 5 points, pass mark 20
    assert _text(tree, "//*[@data-notice-questions]") == "共 8 题，总分 40 分"
    assert _text(tree, "//*[@data-notice-pass]") == "20 分"
    # A decimal stays when there is one.
    paper = make_paper(cast.east.provider, make_bank(cast.east.provider, code="half"), score="2.5")
    half = make_session(cast.east.provider, paper, pass_score=Decimal("12.5"))
    tree = _notice(cast, half)
    assert _text(tree, "//*[@data-notice-questions]") == "共 8 题，总分 20 分"
    assert _text(tree, "//*[@data-notice-pass]") == "12.5 分"


def test_an_identity_check_exam_leads_to_the_check_and_then_starts(cast: Cast, exam: dict[str, Any]) -> None:
    session, person = exam["session"], cast.east.learner
    policy_set(session=session, require_identity_check=True, allow_non_biometric=True)
    check_url = reverse("proctoring:identity_check", args=[session.pk])
    tree = _notice(cast, session)
    [button] = tree.xpath("//button[@data-start]")
    # Not a red 开始考试 that will be refused: it says where it goes, and it goes there.
    assert " ".join(button.text_content().split()) == "前往身份核验"
    assert button.get("disabled") is None
    assert button.get("data-start-next") == "identity_check_required"
    assert "完成这一步后才会发卷" in _text(tree, "//*[@data-start-hint]")
    client = login_client(person.user)
    response = client.post(reverse("exams:start", args=[session.pk]), {"confirm_notice": "yes"})
    assert response.status_code == 302
    assert response["Location"] == check_url
    assert not Attempt.objects.filter(session=session, person=person).exists()  # nothing used up

    # Once a proctor has confirmed the identity, the same button starts the exam.
    identity_decide(check=identity_request_manual(session=session, person=person), by=cast.east.proctor, passed=True)
    tree = _notice(cast, session)
    [button] = tree.xpath("//button[@data-start]")
    assert " ".join(button.text_content().split()) == "开始考试"
    assert button.get("disabled") is None
    assert button.get("data-start-next") is None
    assert not tree.xpath("//*[@data-start-hint]")
    started = client.post(reverse("exams:start", args=[session.pk]), {"confirm_notice": "yes"})
    attempt = Attempt.objects.get(session=session, person=person)
    assert started["Location"] == reverse("exams:attempt", args=[attempt.pk])
    assert attempt.status == Attempt.Status.IN_PROGRESS


def test_a_precondition_with_nowhere_to_go_disables_start_and_says_why(cast: Cast, exam: dict[str, Any]) -> None:
    def waiting(*, session: Any, person: Any, full: bool) -> Requirement:
        return Requirement("test_waiting", False, "等待现场负责人确认。")

    preconditions.register("tests.waiting", waiting)
    try:
        tree = _notice(cast, exam["session"])
    finally:
        preconditions.unregister("tests.waiting")
    [button] = tree.xpath("//button[@data-start]")
    assert button.get("disabled") is not None  # really inert, not only grey
    assert " ".join(button.text_content().split()) == "开始考试"
    assert _text(tree, "//*[@data-start-reason]") == "等待现场负责人确认。"


def test_a_plain_exam_offers_start_as_before(cast: Cast, exam: dict[str, Any]) -> None:
    tree = _notice(cast, exam["session"])
    [button] = tree.xpath("//button[@data-start]")
    assert " ".join(button.text_content().split()) == "开始考试"
    assert button.get("disabled") is None
    assert not tree.xpath("//*[@data-start-hint or @data-start-reason]")
