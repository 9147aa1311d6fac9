"""A subjective question (简答题) practised on a phone in Chromium: write, then see the reference, then
mark yourself. The reference answer is nowhere in the page before the learner submits their text.

Uses the live daphne server and the demo data of tests/browser/conftest.py; the subjective question
is added to the bank demo_learner practises on with ``run_manage`` (the server's own database).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, login

pytestmark = pytest.mark.browser

KP = "主观题练习演示"
REFERENCE = "作业前先通风置换，再检测氧含量和有毒有害气体浓度，合格后方可进入；作业中持续通风、定时检测，并设专人监护。"

ADD_QUESTION = f"""
from django.contrib.auth import get_user_model
from question_bank import selectors, services
from question_bank.models import Question
learner = get_user_model().objects.get(username="demo_learner")
bank = selectors.banks_practisable_by(learner).order_by("pk").first()
if not Question.objects.filter(knowledge_point="{KP}").exists():
    services.question_create(bank=bank, values={{
        "type": "简答题",
        "stem": "简述受限空间作业“先通风、再检测、后作业”的要求。",
        "answer": "{REFERENCE}",
        "explanation": "要点：通风、检测、监护，缺一不可。",
        "knowledge_point": "{KP}",
    }})
"""


def test_learner_writes_sees_the_reference_and_marks_themselves(
    page: Any, live_server_url: str, run_manage: Any
) -> None:
    run_manage("shell", "-c", ADD_QUESTION)
    assert page.viewport_size == {"width": 390, "height": 844}
    login(page, live_server_url, "demo_learner")
    page.goto(f"{live_server_url}/qb/practice/")
    page.select_option("#p-kp", KP)
    page.get_by_label("顺序练习").check()
    page.get_by_role("button", name="开始练习").click()
    page.wait_for_load_state()

    assert "受限空间" in page.locator("[data-stem]").inner_text()
    assert REFERENCE not in page.content()
    assert page.locator("[data-answer]").count() == 0
    box = page.locator("[data-answer-text]")
    assert box.is_visible()
    width = box.bounding_box()
    assert width is not None
    assert width["width"] >= 300
    page.screenshot(path=str(SCREENSHOTS / "practice-subjective-write-390.png"), full_page=True)

    box.fill("先通风，再检测，最后作业。")
    page.get_by_role("button", name="提交答案").click()
    page.wait_for_load_state()
    assert page.locator("[data-given]").inner_text().endswith("先通风，再检测，最后作业。")
    assert REFERENCE in page.locator("[data-answer]").inner_text()
    assert "参考答案" in page.locator("[data-answer]").inner_text()
    mastered = page.get_by_role("button", name="掌握了")
    not_mastered = page.get_by_role("button", name="没掌握")
    for button in (mastered, not_mastered):
        button_box = button.bounding_box()
        assert button_box is not None
        assert button_box["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "practice-subjective-reference-390.png"), full_page=True)

    not_mastered.click()
    page.wait_for_load_state()
    assert page.locator("[data-result]").get_attribute("data-result") == "not-mastered"
    assert "错题本" in page.locator("[data-result]").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "practice-subjective-marked-390.png"), full_page=True)
    page.locator("[data-next]").click()
    page.wait_for_load_state()
    assert page.locator("[data-done-correct]").inner_text().strip() == "0"
