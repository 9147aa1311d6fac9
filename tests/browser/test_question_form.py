"""The add/edit question form on a phone in Chromium: it shows only what the chosen type needs
(正确/错误 for a true/false question, ticks beside the options of a choice question, one input per
blank) and, once saved, lands on the question with a message naming it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, login

pytestmark = pytest.mark.browser


def open_form(page: Any, live_server_url: str) -> None:
    page.goto(f"{live_server_url}/qb/")
    page.get_by_role("link", name="安全生产基础知识题库").first.click()
    page.wait_for_load_state()
    page.locator("[data-add-question]").click()
    page.wait_for_load_state()


def test_the_question_form_shows_what_the_type_needs_on_a_phone(page: Any, live_server_url: str) -> None:
    login(page, live_server_url, "demo_trainer")
    open_form(page, live_server_url)
    option_a, answer = page.locator("[name=option_a]"), page.locator("[name=answer]")
    truth, blanks = page.locator("[data-answer-truth]"), page.locator("[data-answer-blanks]")

    page.select_option("[name=type]", "true_false")
    assert not option_a.is_visible()
    assert not page.locator("[name=option_h]").is_visible()
    assert not answer.is_visible()
    assert truth.is_visible()
    assert truth.locator("label").all_inner_texts() == ["正确", "错误"]
    page.fill("[name=stem]", "动火作业前必须办理动火作业许可证。")
    truth.get_by_label("错误").check()
    assert answer.input_value() == "错误"
    truth.get_by_label("正确").check()
    assert answer.input_value() == "正确"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "question-form-true-false-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state()
    match = re.search(r"#q-(\d+)$", page.url)
    assert match, page.url
    number = match.group(1)
    assert f"#{number}「动火作业前必须办理动火作业许可证。」" in page.locator(".message").first.inner_text()
    card = page.locator(f"#q-{number}")
    assert card.is_visible()
    assert "正确" in card.inner_text()

    # Its edit page starts with 正确 chosen and no options.
    card.get_by_role("link", name="编辑").click()
    page.wait_for_load_state()
    assert page.locator("[data-answer-truth]").get_by_label("正确").is_checked()
    assert not page.locator("[name=option_a]").is_visible()

    # A single choice question: options with a tick for the correct one; eight only on demand.
    open_form(page, live_server_url)
    page.select_option("[name=type]", "single")
    assert option_a.is_visible()
    assert not truth.is_visible()
    assert not answer.is_visible()
    assert page.locator("[name=option_d]").is_visible()
    assert not page.locator("[name=option_f]").is_visible()
    for letter, text in zip("abcd", ["氧气", "乙炔", "氮气", "氩气"], strict=True):
        page.fill(f"[name=option_{letter}]", text)
    assert page.locator("[name=option_e]").is_visible()  # room for one more
    picks = page.locator("[name=answer_pick]")
    picks.nth(1).check()
    picks.nth(2).check()
    assert answer.input_value() == "C"  # one answer for a single choice
    page.select_option("[name=type]", "multiple")
    picks.nth(0).check()
    assert answer.input_value() == "AC"
    page.screenshot(path=str(SCREENSHOTS / "question-form-choice-phone.png"), full_page=True)

    # A fill-in-the-blank question: one input per blank.
    page.select_option("[name=type]", "fill_blank")
    assert not option_a.is_visible()
    assert blanks.is_visible()
    blanks.locator("input").first.fill("预防为主")
    blanks.get_by_role("button", name="添加一空").click()
    blanks.locator("input").nth(1).fill("综合治理/综合整治")
    assert answer.input_value() == "预防为主|综合治理/综合整治"
    page.fill("[name=stem]", "安全生产方针是安全第一、____、____。")
    page.screenshot(path=str(SCREENSHOTS / "question-form-blanks-phone.png"), full_page=True)
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state()
    assert re.search(r"#q-\d+$", page.url), page.url
    assert "安全生产方针是安全第一" in page.locator(".message").first.inner_text()
