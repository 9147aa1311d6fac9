"""The trainer's exam wizard on a phone (390×844): from the exams manage home to a created, proctored
certificate exam in fewer than 10 actions, against the demo data of a real server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import SCREENSHOTS, login, shell_json

pytestmark = pytest.mark.browser

BANK = "安全生产知识考试题库"  # the demo's exam bank (demo/question_bank.py), owned by demo_trainer's centre

CREATED = """
import json
from decimal import Decimal
from exams.models import ExamSession, PaperRule
from proctoring.models import ProctoringPolicy
s = ExamSession.objects.filter(created_by__username="demo_trainer").order_by("-pk").first()
rules = PaperRule.objects.filter(paper=s.paper) if s else []
print(json.dumps({
    "count": ExamSession.objects.count(),
    "title": s and s.title,
    "banks": sorted({b.name for r in rules for b in r.banks.all()}),
    "total": str(sum((r.count * r.score for r in rules), Decimal(0))),
    "pass_score": s and str(s.pass_score),
    "attempts": s and s.attempts_allowed,
    "certificate": s and s.certificate_type,
    "policy": bool(s) and ProctoringPolicy.objects.filter(session=s).exists(),
    "policy_named": bool(s) and s.proctoring_policy_id == getattr(ProctoringPolicy.objects.filter(session=s).first(), "pk", -1),
}))
"""


class Actions:
    """What the trainer does: every click and every fill goes through here and is counted."""

    def __init__(self, page: Any) -> None:
        self.page, self.count = page, 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)
        self.page.wait_for_load_state()

    def select(self, selector: str, value: str) -> None:
        self.count += 1
        self.page.select_option(selector, value)


def _shot(page: Any, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _step(page: Any) -> str:
    return page.locator("[data-wizard-form] h2").first.inner_text().strip()


def test_a_trainer_creates_a_proctored_exam_from_a_bank_in_under_ten_actions(
    page: Any, live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    before = shell_json(run_manage, CREATED)["count"]
    login(page, live_server_url, "demo_trainer")
    page.goto(f"{live_server_url}/exams/manage/")
    user = Actions(page)

    user.click("[data-exam-wizard]")
    assert page.locator("h1").inner_text().strip() == "考试向导"
    assert _step(page) == "题库"
    _shot(page, "exam-wizard-step1-phone.png")
    user.click(f"label.wizard-choice:has-text('{BANK}')")
    user.click("[data-wizard-next]")

    assert _step(page) == "试卷"
    assert page.locator("[data-rule]").count() >= 2  # one row per question type the bank holds
    _shot(page, "exam-wizard-step2-phone.png")
    user.click("[data-wizard-next]")

    assert _step(page) == "考试场次"
    assert page.input_value("#id_session-attempts_allowed") == "2"
    assert page.input_value("#id_session-duration_minutes") == "60"
    user.select("#id_session-certificate_type", "new_employee")
    _shot(page, "exam-wizard-step3-phone.png")
    user.click("[data-wizard-next]")

    assert _step(page) == "监考"
    assert page.is_checked("#id_proctoring-enabled")  # a certificate exam is proctored by default
    _shot(page, "exam-wizard-step4-phone.png")
    user.click("[data-wizard-next]")

    assert _step(page) == "核对并创建"
    summary = page.locator("[data-wizard-form]").inner_text()
    assert BANK in summary
    assert "监考（默认策略）" in summary
    assert shell_json(run_manage, CREATED)["count"] == before  # nothing is written before 创建
    _shot(page, "exam-wizard-summary-phone.png")
    user.click("[data-wizard-create]")

    assert user.count < 10, user.count
    assert urlsplit(page.url).path.endswith("/statistics/")
    assert "考试已创建" in page.locator(".messages").inner_text()
    created = shell_json(run_manage, CREATED)
    assert created["count"] == before + 1
    assert created["banks"] == [BANK]
    assert float(created["pass_score"]) == pytest.approx(float(created["total"]) * 0.6, abs=0.05)
    assert (created["attempts"], created["certificate"]) == (2, "new_employee")
    assert created["policy"]
    assert created["policy_named"]


def test_a_banks_page_opens_the_wizard_at_the_paper(page: Any, live_server_url: str) -> None:
    login(page, live_server_url, "demo_trainer")
    page.goto(f"{live_server_url}/qb/")
    page.click(f"a:has-text('{BANK}')")
    page.wait_for_load_state()
    page.click("text=用此题库创建考试")
    page.wait_for_load_state()
    assert _step(page) == "试卷"
    assert page.locator(".wizard-steps li.done").count() == 1  # the bank step is done already
    page.click("text=上一步")
    page.wait_for_load_state()
    assert page.is_checked(f"label.wizard-choice:has-text('{BANK}') input")
