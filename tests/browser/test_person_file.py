"""一人一档 and the staff list on a phone (390×844), as the demo's enterprise admin.

From the roster: the staff list, a search, the person's file (every section a card of
labelled lines, nothing wider than the screen), the PDF archive, and the edit form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import PHONE, SCREENSHOTS, login

pytestmark = pytest.mark.browser

PICK = """
import json
from organizations.models import Person
p = Person.objects.select_related("enterprise").get(user__username="demo_learner")
print(json.dumps({"name": p.name, "enterprise": p.enterprise.name, "id_number": p.id_number, "pk": p.pk}))
"""

SECTIONS = ["任职与岗位记录", "培训任务与进度", "学时台账", "考试记录与成绩", "证书", "监考复核决定", "身份核验"]


@pytest.fixture(scope="module")
def learner(live_server_url: str, run_manage: Callable[..., Any]) -> dict[str, Any]:
    return json.loads(run_manage("shell", "-c", PICK).stdout.strip().splitlines()[-1])


def _fits_the_screen(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


def test_enterprise_admin_finds_a_person_and_opens_their_file(
    page: Any, live_server_url: str, learner: dict[str, Any]
) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, live_server_url, "demo_enterprise")
    page.goto(f"{live_server_url}/org/roster/")
    staff = page.get_by_role("link", name="员工名单：查询编辑、离职、一人一档").first
    # One line on a phone: a two-line label broke the word 编辑 in two ("…查询、编" / "辑、…").
    box = staff.bounding_box()
    assert box is not None
    assert box["height"] < 50
    staff.click()
    page.wait_for_load_state()
    page.fill("#staff-q", learner["name"])
    page.click("form.staff-search button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("tr[data-person]")
    assert rows.count() >= 1
    assert learner["id_number"] not in page.content()
    assert page.locator("tr[data-person] [data-id-number]").first.inner_text().count("*") >= 8
    _fits_the_screen(page)
    page.evaluate("window.scrollTo(0, 0)")  # the roster's link lands on #staff; the picture starts at the top
    page.screenshot(path=str(SCREENSHOTS / "staff-list-phone.png"), full_page=True)

    page.locator("tr[data-person] td a", has_text=learner["name"]).first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().strip() == learner["name"]
    headings = [h.strip() for h in page.locator("section.person-file-section h2").all_inner_texts()]
    assert headings == SECTIONS
    assert learner["id_number"] not in page.content()
    _fits_the_screen(page)
    page.screenshot(path=str(SCREENSHOTS / "person-file-phone.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 PDF 档案").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    assert learner["name"] in download.suggested_filename
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.get_by_role("link", name="编辑").first.click()
    page.wait_for_load_state()
    # The one place the full ID number is shown: the admin's edit form.
    assert page.input_value("#id_id_number") == learner["id_number"]
    _fits_the_screen(page)
    page.screenshot(path=str(SCREENSHOTS / "person-edit-phone.png"), full_page=True)
    assert errors == []


def test_the_menu_leads_to_the_staff_list_and_the_status_filter_applies_on_change(
    page: Any, live_server_url: str
) -> None:
    login(page, live_server_url, "demo_enterprise")
    page.goto(f"{live_server_url}/")
    page.click("[data-menu-toggle]")
    page.get_by_role("link", name="员工档案", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("h2#staff").inner_text().strip() == "员工名单"
    # Choosing 已离职 lists those who left at once: no press on 搜索.
    with page.expect_navigation():
        page.select_option("#staff-status", "left")
    assert "status=left" in page.url
    assert page.input_value("#staff-status") == "left"
    rows = page.locator("tr[data-person]")
    if rows.count():
        assert rows.locator(".badge.left").count() == rows.count()
    else:
        assert page.locator(".staff-table tbody").inner_text().strip() == "没有已离职人员。"
    _fits_the_screen(page)
    page.screenshot(path=str(SCREENSHOTS / "staff-list-left-phone.png"), full_page=True)
