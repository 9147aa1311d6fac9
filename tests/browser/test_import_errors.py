"""import_data on a phone: a bad file's errors are cards that fit the screen, the page lists the
first 1,000, and the download holds every error (Chinese, 390×844, no sideways scrolling)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import SCREENSHOTS, login

pytestmark = pytest.mark.browser

TITLES = ("身份证号", "统一社会信用代码", "培训类别", "学时", "培训日期", "考核结果")


def _bad_training_csv(path: Path, rows: int) -> None:
    """Rows whose 学时 is not a positive number and whose 培训日期 is no date: two errors a row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TITLES)
    for _ in range(rows):
        writer.writerow(["", "", "岗前", "-2", "昨天", "合格"])
    path.write_bytes(out.getvalue().encode("utf-8-sig"))


def test_a_bad_file_on_a_phone_lists_its_errors_and_downloads_them_all(
    page: Any, live_server_url: str, tmp_path: Path
) -> None:
    source = tmp_path / "课堂培训记录.csv"
    _bad_training_csv(source, 600)
    login(page, live_server_url, "demo_enterprise")
    page.goto(f"{live_server_url}/import/?kind=training")
    # The file input in the page's words, not the browser's "Choose File / No file chosen".
    assert page.locator(".file-pick-button").inner_text() == "选择文件"
    assert page.locator("[data-file-name]").inner_text() == "未选择文件"
    page.set_input_files("input[type=file]", str(source))
    assert page.locator("[data-file-name]").inner_text() == "课堂培训记录.csv"
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state("networkidle")

    assert "未导入任何数据" in page.locator("#result-heading").inner_text()
    total = int(page.locator('[data-count="errors"]').inner_text())
    assert total > 1000
    assert page.locator(".roster-errors tbody tr").count() == 1000
    cut = page.locator("[data-errors-cut]").inner_text()
    assert f"全部 {total} 个" in cut
    card = page.locator(".roster-errors tbody tr").first
    assert "“昨天”不是有效的日期" in card.inner_text()
    assert card.locator(".problem").bounding_box()["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    page.locator("#result-heading").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "import-errors-phone.png"))

    button = page.locator("[data-errors-report]")
    assert button.is_visible()
    assert button.inner_text().strip() == "下载全部错误（.xlsx）"
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "课堂培训记录 错误清单.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行号", "列", "问题")
    assert len(rows) - 1 == total
    assert {r[1] for r in rows[1:]} >= {"学时", "培训日期"}
