"""The foundation in a real browser: Chinese login, bureau home, phone menu, language switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _off_host(page: Any, base_url: str) -> list[str]:
    host = urlsplit(base_url).netloc
    return [u for u in page.requests_seen if not u.startswith(("data:", "blob:")) and urlsplit(u).netloc != host]


def test_login_page_is_chinese_and_self_hosted(page: Any, live_server_url: str) -> None:
    page.goto(f"{live_server_url}/accounts/login/")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.locator("h1").inner_text().strip() == "登录"
    assert page.locator('input[name="login"]').is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "login-phone.png"), full_page=True)
    assert page.requests_seen, "no requests were recorded"
    assert _off_host(page, live_server_url) == []
    # The stylesheet really loaded (a failed asset would leave default styles).
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") != "inline"


def test_bureau_sees_its_nav_and_count_and_the_phone_menu_works(page: Any, live_server_url: str) -> None:
    login(page, live_server_url, "demo_bureau")
    assert urlsplit(page.url).path == "/"
    nav = page.locator("#site-nav")
    toggle = page.locator("[data-menu-toggle]")
    assert toggle.is_visible()
    assert not nav.is_visible()  # collapsed on a phone
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SCREENSHOTS / "home-bureau-phone.png"), full_page=True)
    toggle.click()
    assert nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav.get_by_role("link", name="企业").is_visible()
    # The district's 4 foundation demo enterprises and the 120 of the analytics demo
    # (demo/analytics.py, seeded) placed in it; the other district's are not counted.
    assert page.locator('[data-stat="enterprises"]').inner_text().strip() == "124"
    toggle.click()
    assert not nav.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows the phone's width
    assert _off_host(page, live_server_url) == []


def test_switching_to_english(page: Any, live_server_url: str) -> None:
    login(page, live_server_url, "demo_learner")
    page.select_option("#lang-select", "en")
    page.wait_for_load_state()
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert page.locator("[data-menu-toggle]").inner_text().strip() == "Menu"
    page.locator("[data-menu-toggle]").click()
    assert page.locator("#site-nav").get_by_role("link", name="My profile").is_visible()
    page.select_option("#lang-select", "zh-hans")
    page.wait_for_function("() => document.documentElement.lang === 'zh-hans'")


def test_desktop_shows_the_nav_without_a_toggle(new_page: Any, live_server_url: str) -> None:
    page = new_page(1280, 800)
    login(page, live_server_url, "demo_enterprise")
    assert not page.locator("[data-menu-toggle]").is_visible()
    assert page.locator("#site-nav").is_visible()
    assert page.locator("#site-nav a[href='/org/roster/']").is_visible()
    assert _off_host(page, live_server_url) == []


def test_wrong_password_shows_a_chinese_error(page: Any, live_server_url: str) -> None:
    login(page, live_server_url, "demo_bureau", "wrong-password")
    assert urlsplit(page.url).path == "/accounts/login/"
    assert "不正确" in page.locator("main form").inner_text()


def test_a_form_s_choices_are_thumb_sized_rows_on_a_phone(new_page: Any, live_server_url: str) -> None:
    """Django's radio and checkbox lists (the roster's 操作, a new bank's 用途) were the browser's 13 px boxes in
    bold labels, and a bank's 用途 sat in the browser's grey fieldset frame."""
    page = new_page(390, 844)
    login(page, live_server_url, "demo_enterprise")
    page.goto(f"{live_server_url}/org/roster/")
    radio = page.locator('input[type=radio][name="mode"]').first
    box = radio.bounding_box()
    assert box is not None
    assert box["width"] >= 18
    assert box["height"] >= 18
    row = page.locator('label:has(> input[type=radio][name="mode"])').first
    assert row.bounding_box()["height"] >= 44
    assert row.evaluate("e => getComputedStyle(e).fontWeight") == "400"
    page = new_page(390, 844)
    login(page, live_server_url, "demo_trainer")
    page.goto(f"{live_server_url}/qb/banks/new/")
    frame = page.locator('fieldset:has(input[name="purpose"])')
    assert frame.evaluate("e => getComputedStyle(e).borderTopStyle") == "none"
    page.locator('input[name="purpose"]').first.click()
    assert page.locator('input[name="purpose"]').first.is_checked()
