"""The learner's way from home to a submitted exam on a phone (390×844): one question per
screen, the answer card (答题卡), flags that survive a reload, and the confirmation that lists
what is unanswered or flagged before 交卷.

Everything is the production path: the shared live server, the real login form, the menu.
Screenshots go to var/screenshots/ (``make screenshots`` copies them to docs/).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import PHONE, SCREENSHOTS, attempt_json, login
from tests.browser.test_exam_page import STATE, _answer, _sessions, _wait_saved

pytestmark = pytest.mark.browser

# Seen: inside the window and inside the track that clips the questions beside the one on screen.
ON_SCREEN = """() => {
    const t = document.querySelector('[data-track]').getBoundingClientRect();
    const left = Math.max(0, t.left), right = Math.min(innerWidth, t.right);
    return Array.from(document.querySelectorAll('[data-question]'))
        .filter(q => { const r = q.getBoundingClientRect(); return r.right > left + 1 && r.left < right - 1; })
        .map(q => Number(q.dataset.index) + 1);
}"""


def _on_screen(page: Any) -> list[int]:
    """The numbers of the questions the examinee can see (any part of them, horizontally)."""
    return page.evaluate(ON_SCREEN)


def _question(page: Any, number: int) -> Any:
    return page.locator(f'[data-question][data-index="{number - 1}"]')


def _card_item(page: Any, number: int) -> Any:
    return page.locator(f'[data-card-item="{number - 1}"]')


def _numbers(page: Any, section: str) -> list[int]:
    return [int(n) for n in page.locator(f"[data-confirm] {section} [data-goto]").all_inner_texts()]


def test_a_learner_goes_from_home_to_a_submitted_exam_with_the_answer_card(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    session = _sessions(run_manage, [(4, "ex_card")], seconds=3600)["ex_card"]
    page = new_page(PHONE["width"], PHONE["height"])
    page.emulate_media(reduced_motion="reduce")  # jumps land at once: screenshots show where they land

    # Home → the menu's 我的考试 → the exam's notice → start.
    login(page, live_server_url, "ex_card")
    page.click("[data-menu-toggle]")
    page.locator("#site-nav a", has_text="我的考试").click()
    page.locator(f'[data-session="{session}"] [data-notice]').click()
    page.check("[data-confirm-notice]")
    page.click("[data-start]")
    page.wait_for_selector("[data-exam-form]")
    ids = [fs.get_attribute("data-question") for fs in page.locator("[data-question]").all()]
    total = len(ids)
    assert total >= 6
    # Nothing in the header invites leaving: no site menu, only the exam's title, timer and a small 交卷
    # (outlined, in the exam bar, not a full-width red button under the question).
    assert page.locator("[data-menu-toggle], #site-nav").count() == 0
    submit = page.locator("[data-exam-bar] [data-submit]")
    assert page.locator("[data-submit]:visible").count() == 1
    assert submit.inner_text() == "交卷"
    assert submit.bounding_box()["width"] < PHONE["width"] / 3
    assert submit.bounding_box()["y"] < _question(page, 1).bounding_box()["y"]
    assert submit.evaluate("b => getComputedStyle(b).backgroundColor") == "rgba(0, 0, 0, 0)"

    # One question per screen, with its place in the paper; 上一题 is disabled on the first.
    assert _on_screen(page) == [1]
    assert page.locator("[data-position]").inner_text() == f"第 1 / {total} 题"
    assert page.locator("[data-prev]").is_disabled()
    assert page.locator("[data-prev]").inner_text() == "上一题"
    _answer(page, _question(page, 1))
    page.click("[data-next]")
    assert _on_screen(page) == [2]
    assert page.locator("[data-position]").inner_text() == f"第 2 / {total} 题"
    _answer(page, _question(page, 2))
    page.click("[data-next]")
    # Question 3 is left for later: flagged, not answered.
    flag = _question(page, 3).locator("[data-flag]")
    assert flag.inner_text() == "标记"
    flag.click()
    assert flag.inner_text() == "取消标记"
    assert flag.get_attribute("aria-pressed") == "true"
    page.click("[data-next]")
    _answer(page, _question(page, 4))
    page.click("[data-prev]")
    assert _on_screen(page) == [3]
    _wait_saved(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "exam-one-question-phone.png"))

    # The answer card: answered, unanswered and flagged numbers, each told apart by more than colour.
    assert page.locator("[data-answer-card]").is_hidden()
    page.click("[data-card-open]")
    assert page.locator("[data-answer-card]").is_visible()
    states = [_card_item(page, n).get_attribute("data-state") for n in range(1, 6)]
    assert states == ["answered", "answered", "unanswered", "answered", "unanswered"]
    assert _card_item(page, 3).get_attribute("data-flagged") is not None
    assert _card_item(page, 2).get_attribute("data-flagged") is None
    assert _card_item(page, 3).get_attribute("aria-label") == "第 3 题 · 未答 · 已标记"
    assert _card_item(page, 3).get_attribute("aria-current") == "step"
    shapes = page.evaluate(
        """() => ['answered', 'unanswered'].map(s =>
            getComputedStyle(document.querySelector(`[data-card-item][data-state="${s}"]:not([data-flagged])`)).borderStyle)"""
    )
    assert shapes == ["solid", "dashed"]
    page.screenshot(path=str(SCREENSHOTS / "exam-answer-card-phone.png"))

    # Tapping a number jumps there and closes the card.
    _card_item(page, 5).click()
    assert page.locator("[data-answer-card]").is_hidden()
    assert _on_screen(page) == [5]
    assert page.locator("[data-position]").inner_text() == f"第 5 / {total} 题"
    _answer(page, _question(page, 5))
    _wait_saved(page)

    # A reload keeps the flag (and the question on screen); the answers come back from the server.
    page.reload()
    page.wait_for_selector("[data-exam-form]")
    assert _on_screen(page) == [5]
    assert _card_item(page, 3).get_attribute("data-flagged") is not None
    assert _question(page, 3).locator("[data-flag]").inner_text() == "取消标记"
    assert page.locator("[data-answered]").inner_text() == "4"

    # 交卷 first lists the unanswered and the flagged numbers; each leads back to its question.
    page.click("[data-card-open]")
    page.click("[data-card-submit]")
    confirm = page.locator("[data-confirm]")
    assert confirm.is_visible()
    assert _numbers(page, "[data-confirm-unanswered]") == [3, *range(6, total + 1)]
    assert _numbers(page, "[data-confirm-flagged]") == [3]
    assert page.locator("[data-confirm-unanswered] [data-confirm-count]").inner_text() == f"（{total - 4} 题）"
    assert page.locator("[data-confirm-complete]").is_hidden()
    assert page.locator("[data-confirm-submit]").inner_text() == "仍然交卷"
    assert page.locator("[data-confirm-back]").inner_text() == "返回检查"
    page.screenshot(path=str(SCREENSHOTS / "exam-submit-confirm-phone.png"))
    page.locator("[data-confirm-flagged] [data-goto]", has_text="3").click()
    assert confirm.is_hidden()
    assert _on_screen(page) == [3]
    assert attempt_json(run_manage, STATE, session)["status"] == "in_progress"

    # 返回检查 closes the confirmation and submits nothing; 仍然交卷 submits.
    page.click("[data-card-open]")
    page.click("[data-card-submit]")
    page.click("[data-confirm-back]")
    assert confirm.is_hidden()
    page.click("[data-card-open]")
    page.click("[data-card-submit]")
    page.click("[data-confirm-submit]")
    page.wait_for_selector("[data-result]")
    state = attempt_json(run_manage, STATE, session)
    assert (state["status"], state["reason"]) == ("submitted", "examinee")
    assert [state["given"][qid] is not None for qid in ids[:5]] == [True, True, False, True, True]


def test_on_a_wide_screen_every_question_is_listed_beside_the_answer_card(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    session = _sessions(run_manage, [(5, "ex_card_wide")], seconds=3600)["ex_card_wide"]
    page = new_page(1280, 900)
    page.emulate_media(reduced_motion="reduce")
    login(page, live_server_url, "ex_card_wide")
    page.goto(f"{live_server_url}/exams/{session}/notice/")
    page.check("[data-confirm-notice]")
    page.click("[data-start]")
    page.wait_for_selector("[data-exam-form]")
    total = page.locator("[data-question]").count()
    # No paging here: the questions are one list, the card a panel beside it, the phone's bar gone.
    assert page.locator("[data-exam-nav]").is_hidden()
    assert page.locator("[data-answer-card]").is_visible()
    assert page.locator("[data-card-close]").is_hidden()
    card = page.locator("[data-answer-card]").bounding_box()
    first = _question(page, 1).bounding_box()
    assert card["x"] > first["x"] + first["width"]
    _answer(page, _question(page, 1))
    _card_item(page, total).click()
    # The jump brings the whole question into view (the last one cannot scroll to the top: the page ends).
    jumped = _question(page, total).bounding_box()
    assert jumped["y"] >= 0
    assert jumped["y"] + jumped["height"] <= 900
    assert page.locator("[data-answer-card]").is_visible()  # still in view: it stays beside the list
    _question(page, total).locator("[data-flag]").click()
    _wait_saved(page)
    assert _card_item(page, 1).get_attribute("data-state") == "answered"
    assert _card_item(page, total).get_attribute("data-flagged") is not None
    page.screenshot(path=str(SCREENSHOTS / "exam-answer-card-desktop.png"))
    page.click("[data-submit]")
    assert _numbers(page, "[data-confirm-flagged]") == [total]
    assert _numbers(page, "[data-confirm-unanswered]") == list(range(2, total + 1))
