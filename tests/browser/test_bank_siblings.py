"""相似题 on a phone in Chromium: the trainer opens the demo bank's sibling groups (found when
seed_demo imported it), reads the texts side by side, confirms one group and splits a question
out of another (issue 17, Trainer)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, login

pytestmark = pytest.mark.browser


def test_trainer_confirms_and_splits_sibling_questions_on_a_phone(page: Any, live_server_url: str) -> None:
    login(page, live_server_url, "demo_trainer")
    page.goto(f"{live_server_url}/qb/")
    page.get_by_role("link", name="安全生产基础知识题库").first.click()
    page.wait_for_load_state()
    page.locator("[data-siblings-link]").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().strip() == "相似题"
    groups = page.locator("[data-sibling-group]")
    assert groups.count() > 0
    first = groups.first
    # Texts of one group side by side (stacked on a phone), each with its own split button.
    assert first.locator("[data-sibling-question]").count() >= 2
    assert first.locator("[data-sibling-split]").first.inner_text().strip() == "拆分"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    confirm = first.locator("[data-sibling-confirm]")
    box = confirm.bounding_box()
    assert box is not None
    assert box["height"] >= 40
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "bank-siblings-phone.png"))

    confirmed_id = first.get_attribute("data-sibling-group")
    confirm.click()
    page.wait_for_load_state()
    assert "试卷和随机抽考最多只抽其中一道" in page.locator(".message").first.inner_text()
    page.locator(".siblings-filter a", has_text="已确认").click()
    page.wait_for_load_state()
    confirmed = page.locator(f'[data-sibling-group="{confirmed_id}"]')
    assert confirmed.locator(".badge", has_text="已确认").count() == 1
    assert confirmed.locator("[data-sibling-confirm]").count() == 0

    page.locator(".siblings-filter a", has_text="待确认").click()
    page.wait_for_load_state()
    group = page.locator("[data-sibling-group]").first
    question = group.locator("[data-sibling-question]").last
    question_id = question.get_attribute("data-sibling-question")
    # Split asks first: cancelling changes nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    question.locator("[data-sibling-split]").click()
    assert page.locator(f'[data-sibling-question="{question_id}"]').count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    question.locator("[data-sibling-split]").click()
    page.wait_for_load_state()
    message = page.locator(".message").first.inner_text()
    assert "已拆分" in message
    assert f"#{question_id}「" in message  # names the question
    assert page.locator(f'[data-sibling-question="{question_id}"]').count() == 0
    # The split pair is listed under 已拆分 with 恢复; the scan link stays at the bottom, after it.
    split = page.locator("[data-split-entry]", has_text=f"#{question_id}").first
    assert page.locator("[data-split-entry]").count() == 1  # one line per split, however many pairs
    assert split.locator("[data-sibling-restore]").inner_text().strip() == "恢复"
    page.locator("[data-sibling-splits]").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "bank-siblings-split-phone.png"), full_page=True)
    split.locator("[data-sibling-restore]").click()
    page.wait_for_load_state()
    assert "已恢复" in page.locator(".message").first.inner_text()
    page.locator("[data-siblings-scan]").click()
    page.wait_for_load_state()
    assert "已扫描" in page.locator(".message").first.inner_text()
