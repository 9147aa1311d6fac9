"""Phone (390×844) checks of the exam pages the QA walk found wanting, against the demo data of a real server:
the gated exam says what to finish before the learner ticks anything, with the start button disabled and looking
it; the trainer's exam list and the proctor's sessions fit the screen, each session's time window wrapped inside its
card, with its phase and its 统计 / 实时监考 link in view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from demo.exams import GATED_TITLE
from tests.browser.conftest import PHONE, SCREENSHOTS, login

pytestmark = pytest.mark.browser

GATED = GATED_TITLE  # the learner has not done its course
DISABLED_GREY = "rgb(201, 206, 214)"  # app.css button:disabled


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _cells_overflowing(page: Any) -> list[str]:
    """The texts of the session cards' lines wider than their card (a time window that does not wrap)."""
    return page.eval_on_selector_all(
        "tr[data-session] td", "cells => cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText)"
    )


def test_a_gated_exam_names_its_course_and_cannot_be_started(
    new_page: Callable[..., Any], live_server_url: str
) -> None:
    page = new_page()
    login(page, live_server_url, "demo_learner")
    page.goto(f"{live_server_url}/exams/")
    card = page.locator(".exam-card", has_text=GATED)
    block = card.locator("[data-prerequisite-unmet]")
    assert block.is_visible()
    assert "已完成" in block.inner_text()
    assert card.locator("[data-prerequisite-course]").is_visible()
    blocked = card.locator("[data-start-blocked]")
    assert blocked.is_disabled()
    assert blocked.evaluate("b => getComputedStyle(b).backgroundColor") == DISABLED_GREY
    _fits(page)
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "exam-gated-my-exams-phone.png"))

    card.locator("[data-notice]").click()
    assert page.locator("[data-prerequisite-unmet]").is_visible()
    start = page.locator("[data-start]")
    page.check("[data-confirm-notice]")  # ticking the agreement does not make it startable
    assert start.is_disabled()
    assert start.evaluate("b => getComputedStyle(b).backgroundColor") == DISABLED_GREY
    _fits(page)
    page.screenshot(path=str(SCREENSHOTS / "exam-gated-notice-phone.png"), full_page=True)

    page.locator("[data-prerequisite-course]").click()
    assert "/training/courses/" in page.url


def test_the_exam_list_fits_a_phone_with_phases_and_links(new_page: Callable[..., Any], live_server_url: str) -> None:
    page = new_page()
    login(page, live_server_url, "demo_trainer")
    page.goto(f"{live_server_url}/exams/manage/")
    rows = page.locator("tr[data-session]")
    assert rows.count() > 0
    _fits(page)
    assert _cells_overflowing(page) == []
    phases = {p.inner_text() for p in page.locator("[data-session-phase]").all()}
    assert phases <= {"未开始", "进行中", "已结束"}
    assert "进行中" in phases
    for link in page.locator("[data-stats-link]").all():
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "exam-manage-phone.png"), full_page=True)


def test_the_proctors_sessions_fit_a_phone_with_their_windows_wrapped(
    new_page: Callable[..., Any], live_server_url: str
) -> None:
    page = new_page()
    login(page, live_server_url, "demo_proctor")
    page.goto(f"{live_server_url}/proctoring/")
    assert page.locator("tr[data-session]").count() > 0
    _fits(page)
    assert _cells_overflowing(page) == []
    for link in page.locator("[data-live-link]").all():
        box = link.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "proctor-sessions-phone.png"), full_page=True)


def test_the_enterprise_picker_s_group_counts_follow_the_search(
    new_page: Callable[..., Any], live_server_url: str
) -> None:
    """安排考试: while a name is searched, each jurisdiction's count reads matches/all (it kept saying all)."""
    page = new_page()
    login(page, live_server_url, "demo_trainer")
    page.goto(f"{live_server_url}/exams/manage/sessions/new/")
    search = page.locator("[data-picker-filter]")
    search.fill("化工")
    counts = page.evaluate(
        """() => [...document.querySelectorAll('[data-picker-group]:not([hidden])')].map(g => ({
            text: g.querySelector('[data-group-count]').textContent,
            shown: g.querySelectorAll('li:not([hidden])').length,
            all: g.querySelectorAll('li').length}))"""
    )
    assert counts
    assert [c["text"] for c in counts] == [f"({c['shown']}/{c['all']})" for c in counts]
    assert all(0 < c["shown"] for c in counts)
    search.fill("")
    texts = page.eval_on_selector_all("[data-group-count]", "els => els.map(e => e.textContent)")
    totals = page.eval_on_selector_all("[data-picker-group]", "gs => gs.map(g => g.querySelectorAll('li').length)")
    assert texts == [f"({n})" for n in totals]
