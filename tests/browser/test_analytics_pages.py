"""The statistics pages in a real browser: a bureau official goes from the tile to the
missing people in three clicks, at 390×844 and at 1280×800, in Chinese, without
horizontal scrolling on the phone and without a Content-Security-Policy violation."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, login

pytestmark = pytest.mark.browser

# The demo's enterprises and people as the analytics foundation expects them (one status row
# per enterprise, one open employment per person: what migration 0004 does for older data),
# plus a safety manager without a certificate, who must appear among the missing.
SETUP = """
import datetime as dt, json
from django.utils import timezone
from organizations.models import BEGINNING, Employment, Enterprise, EnterpriseStatus, Person
from organizations.services import person_create
from organizations.validators import complete_id_number
for e in Enterprise.objects.all():
    if not e.statuses.exists():
        EnterpriseStatus.objects.create(enterprise=e, valid_from=BEGINNING, industry=e.industry,
            above_scale=e.above_scale, jurisdiction=e.jurisdiction)
machine = Enterprise.objects.get(name="安泰机械制造有限公司")
if not Person.objects.filter(user__username="stats_safety").exists():
    person_create(enterprise=machine, name="周未持证", username="stats_safety", password="demo-pass-2026",
        id_number=complete_id_number("99010119880808088"), post=Person.Post.SAFETY_MANAGER,
        hire_date=timezone.localdate() - dt.timedelta(days=300))
for p in Person.objects.filter(employments__isnull=True):
    Employment.objects.create(person=p, enterprise=p.enterprise, post=p.post, start_date=p.hire_date)
print(json.dumps({"missing": "周未持证"}))
"""

RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture(scope="module")
def demo(run_manage: Callable[..., Any], live_server_url: str) -> dict[str, Any]:
    return json.loads(run_manage("shell", "-c", SETUP).stdout.strip().splitlines()[-1])


def _no_overflow(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


@pytest.mark.parametrize(("width", "height", "label"), [(390, 844, "phone"), (1280, 800, "desktop")])
def test_from_the_tile_to_the_missing_people_in_three_clicks(
    new_page: Callable[..., Any], live_server_url: str, demo: dict[str, Any], width: int, height: int, label: str
) -> None:
    page = new_page(width, height)
    page.add_init_script(RECORD)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, live_server_url, "demo_bureau")

    # Click 1: the menu entry (behind the menu button on a phone).
    if width < 760:
        page.click("[data-menu-toggle]")
    page.get_by_role("link", name="统计分析").click()
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert "统计分析" in page.locator("h1").inner_text()
    tile = page.locator('[data-tile="principal_certified_rate"]')
    assert tile.is_visible()
    value = tile.locator("[data-value]").inner_text().strip()
    assert value.endswith("%")
    assert value != "100%"
    _no_overflow(page, width)
    page.screenshot(path=str(SCREENSHOTS / f"stats-overview-{label}.png"), full_page=True)

    # Click 2: the tile opens the indicator, its charts drawn by the vendored ECharts.
    tile.locator(".kpi-link").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_selector('[data-chart="trend"] canvas')
    page.wait_for_selector('[data-chart="bars"] canvas')
    assert page.locator("h1").inner_text().strip() == "主要负责人和安全管理人员持证率"
    assert page.locator("#stats-table tbody tr").count() >= 1
    # The definition, opened, in plain Chinese: never the English docstring on a Chinese page.
    page.locator("details.definition summary").click()
    definition = page.locator("details.definition").inner_text()
    assert "分母" in definition
    assert "Denominator" not in definition
    _no_overflow(page, width)
    page.screenshot(path=str(SCREENSHOTS / f"stats-indicator-{label}.png"), full_page=True)

    # The table sorts and filters in the page.
    page.locator("#stats-table thead th").nth(1).locator("button").click()
    assert page.locator("#stats-table thead th").nth(1).get_attribute("aria-sort") == "ascending"
    page.fill("#table-filter", "不存在的名字")
    assert page.locator("#stats-table tbody tr:visible").count() == 0
    page.fill("#table-filter", "")

    # Click 3: 未达标人员.
    page.locator("[data-missing-link]").click()
    page.wait_for_load_state("networkidle")
    assert "未达标人员" in page.locator("h1").inner_text()
    person = page.locator(".person-line", has_text=demo["missing"])
    assert person.is_visible()
    assert person.locator("[data-reason]").inner_text().strip() == "无证书"
    _no_overflow(page, width)
    page.screenshot(path=str(SCREENSHOTS / f"stats-missing-{label}.png"), full_page=True)

    # The missing people to Excel, for the monthly report (a short list is sent at once).
    with page.expect_download() as download:
        page.locator("form[data-export]", has=page.locator('input[name="format"][value="xlsx"]')).locator(
            "button"
        ).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"  # a zip container: a real xlsx

    assert page.evaluate("window.__csp") == []
    assert console == []
    host = live_server_url.split("//", 1)[1]
    assert all(u.startswith(("data:", "blob:")) or host in u for u in page.requests_seen)  # no CDN


def test_a_bureau_publishes_a_report_and_reads_it_on_a_phone(
    new_page: Callable[..., Any], live_server_url: str, demo: dict[str, Any]
) -> None:
    page = new_page()
    page.add_init_script(RECORD)
    login(page, live_server_url, "demo_bureau")
    page.goto(f"{live_server_url}/stats/reports/new/")
    page.fill("#r-title", "示范区月报（浏览器测试）")
    page.click("form[data-publish] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().strip() == "示范区月报（浏览器测试）"
    assert page.locator('[data-figure="principal_certified_rate"] [data-then]').inner_text().strip()
    _no_overflow(page, 390)
    page.screenshot(path=str(SCREENSHOTS / "stats-report-phone.png"), full_page=True)
    assert page.evaluate("window.__csp") == []


def test_choosing_a_street_offers_only_the_enterprises_registered_there(
    new_page: Callable[..., Any], live_server_url: str, demo: dict[str, Any]
) -> None:
    page = new_page(390, 844)
    login(page, live_server_url, "demo_bureau")
    page.goto(f"{live_server_url}/stats/")
    street = page.locator("[data-scope-jurisdiction] option", has_text="↳").first
    street_path = street.get_attribute("data-path")
    page.select_option("[data-scope-jurisdiction]", street.get_attribute("value"))
    options = page.evaluate(
        """Array.from(document.querySelectorAll("[data-scope-enterprise] option[data-path]"))
           .map(o => [o.value, o.getAttribute("data-path"), o.disabled, o.hidden])"""
    )
    offered = [o for o in options if not o[2]]
    assert offered, "no enterprise of the street is offered"
    assert len(offered) < len(options), "enterprises of other streets are still offered"
    assert all(path.startswith(street_path) for _code, path, _off, _hid in offered)
    assert all(hidden for _code, path, off, hidden in options if off)
    # The pair the page now offers is a question with an answer.
    page.select_option("[data-scope-enterprise]", offered[0][0])
    page.locator("form[data-stats-filters] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-refused]").count() == 0
    assert page.locator('[data-tile="principal_certified_rate"]').is_visible()
    _no_overflow(page, 390)


def test_a_breakdown_too_long_to_draw_says_what_it_draws(
    new_page: Callable[..., Any], live_server_url: str, demo: dict[str, Any]
) -> None:
    page = new_page(390, 844)
    login(page, live_server_url, "demo_bureau")
    page.goto(f"{live_server_url}/stats/indicator/?indicator=principal_certified_rate&group_by=enterprise")
    page.wait_for_selector('[data-chart="bars"] canvas')
    rows = page.locator("#stats-table tbody tr").count()
    if rows <= 30:
        pytest.skip(f"the demo has {rows} enterprises with principals: too few to need a note")
    note = page.locator("[data-chart-note]")
    assert note.is_visible()
    assert "最低的 30 项" in note.inner_text()
    total = re.search(r"共 (\d+) 项", note.inner_text())
    assert total, note.inner_text()
    assert int(total.group(1)) >= rows
    _no_overflow(page, 390)
    page.screenshot(path=str(SCREENSHOTS / "stats-bars-note-phone.png"), full_page=True)
    page.goto(f"{live_server_url}/stats/indicator/?indicator=public_first_aid_coverage")
    page.wait_for_selector('[data-chart="trend"] canvas')
    page.screenshot(path=str(SCREENSHOTS / "stats-first-aid-phone.png"), full_page=True)


def test_who_must_renew_their_certificate_on_a_phone(
    new_page: Callable[..., Any], live_server_url: str, demo: dict[str, Any]
) -> None:
    """From the certificate rate to the holders whose certificate runs out within 90 days, soonest first."""
    page = new_page(390, 844)
    login(page, live_server_url, "demo_bureau")
    page.goto(f"{live_server_url}/stats/indicator/?indicator=special_operator_certified_rate")
    link = page.locator("[data-expiring-link]")
    if link.count() == 0:
        pytest.skip("no demo certificate runs out within 90 days of today")
    expected = int(re.search(r"\((\d+)\)", link.inner_text()).group(1))  # type: ignore[union-attr]
    assert link.inner_text().startswith("即将到期")
    link.click()
    page.wait_for_load_state("networkidle")
    assert "证书即将到期人员" in page.locator("h1").inner_text()
    assert page.locator("[data-expiring-note]").is_visible()
    reasons = page.locator(".person-line [data-reason]").all_inner_texts()
    assert len(reasons) == min(expected, 50)
    days = [re.search(r"\d{4}-\d{2}-\d{2}", r).group(0) for r in reasons]  # type: ignore[union-attr]
    assert days == sorted(days)
    assert all(r.startswith("证书将于") for r in reasons)
    _no_overflow(page, 390)
    page.screenshot(path=str(SCREENSHOTS / "stats-expiring-phone.png"), full_page=True)


def test_a_changed_counting_parameter_is_set_in_the_form_and_kept_to_the_people(
    new_page: Callable[..., Any], live_server_url: str, demo: dict[str, Any]
) -> None:
    """统计口径 on a phone: folded by default; set to 7 days it changes the figure, the form says
    it is not the default, and the missing people's list answers the same question."""
    page = new_page()
    login(page, live_server_url, "demo_bureau")
    page.goto(f"{live_server_url}/stats/indicator/?indicator=new_employee_training_rate")
    params = page.locator("[data-stats-params]")
    assert params.get_attribute("open") is None
    default = page.locator("[data-total] [data-value]").inner_text()
    params.locator("summary").click()
    field = page.locator("#f-pretraining_days")
    assert field.input_value() == "30"
    field.fill("7")
    page.locator("form[data-stats-filters] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "pretraining_days=7" in page.url
    assert page.locator("[data-stats-params]").get_attribute("open") is not None
    assert page.locator("[data-params-changed]").inner_text() == "已调整"
    changed = page.locator("[data-total] [data-value]").inner_text()
    assert changed != default  # a week of pre-training counts less than a month in the demo
    _no_overflow(page, 390)
    page.locator("[data-stats-params]").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "stats-params-phone.png"))
    page.locator("[data-missing-link]").click()
    page.wait_for_load_state("networkidle")
    assert "pretraining_days=7" in page.url
    assert "培训计入起点（入职前天数） = 7" in page.locator("[data-params-note]").inner_text()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_indicator_table_fits_a_phone_in_either_language(
    new_page: Callable[..., Any], live_server_url: str, language: str
) -> None:
    """The five columns (属地 / 比率 / 达标 / 未达标 / 总人数) fit 390 px; in English the last one was off-screen."""
    page = new_page()
    login(page, live_server_url, "demo_bureau")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server_url}])
    page.goto(f"{live_server_url}/stats/indicator/?indicator=new_employee_training_rate&group_by=jurisdiction")
    wrap = page.locator(".table-wrap:has(#stats-table)")
    assert wrap.locator("tbody tr").count() > 1
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth")
