"""The course builder on a phone (390×844): the demo training admin creates a
course, a chapter and an article lesson written in the rich-text editor, and
the learner's preview shows the sanitised article."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import ROOT, login

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "var" / "screenshots"


def test_training_admin_builds_a_course_with_an_article_on_a_phone(page: Any, live_server_url: str) -> None:
    title = f"受限空间作业安全 {uuid.uuid4().hex[:6]}"
    login(page, live_server_url, "demo_trainer")
    page.click("[data-menu-toggle]")
    page.click("#site-nav a[href='/training/manage/']")
    page.click("[data-new-course]")
    page.fill("input[name=title]", title)
    page.select_option("select[name=shared_with]", index=1)
    page.check("input[name=posts][value=employee]")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky header lands mid-page in a full-page shot
    page.screenshot(path=str(SCREENSHOTS / "course-builder-course-phone.png"), full_page=True)
    page.click("form.builder-form button[type=submit]")
    page.wait_for_selector("[data-add-chapter]")

    page.fill("#new-chapter", "第一章 作业前检测")
    page.click("[data-add-chapter] button[type=submit]")
    page.click("[data-add-lesson='article']")
    page.fill("input[name=title]", "先通风、再检测、后作业")
    page.fill("input[name=credit_minutes]", "5")
    editor = page.locator("[data-rich-editor]")
    editor.click()
    page.keyboard.type("进入受限空间前必须检测氧含量")
    page.click(".rich-toolbar button[data-command=bold]")
    page.keyboard.type("严禁盲目施救")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "course-builder-article-phone.png"), full_page=True)
    page.click("[data-lesson-form] button[type=submit]")

    lesson = page.locator(".builder-lessons li[data-lesson]")
    assert lesson.count() == 1
    assert "先通风、再检测、后作业" in lesson.inner_text()
    page.click("text=以学员身份预览")
    page.click("text=先通风、再检测、后作业")
    article = page.locator("#lesson-article")
    assert "进入受限空间前必须检测氧含量" in article.inner_text()
    assert article.locator("b, strong").count() >= 1
