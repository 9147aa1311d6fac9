"""A training admin imports, on a phone, a csv from another exam system whose column titles the
platform has never seen: upload, say which column holds what, preview, import, read the summary.

Uses the live daphne server of tests/browser/conftest.py (seed_demo's demo_trainer); the bank is
created through the page, so the demo banks other tests practise on are left alone. The import
runs in the server's own worker threads (or a Celery worker with REDIS_URL, see
tests/browser/test_question_bank_practice.py's fixture).
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, login
from tests.browser.test_question_bank_practice import import_worker  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.redis_path]

HEADER = ["编号", "种类", "考题", "甲项", "乙项", "丙项", "丁项", "对的", "讲评", "备注"]
ROWS = [
    [
        "1",
        "单选题",
        "生产经营单位的（ ）是本单位安全生产第一责任人。",
        "主要负责人",
        "安全管理人员",
        "分管负责人",
        "班组长",
        "A",
        "安全生产法第五条。",
        "2024版",
    ],
    ["2", "判断题", "发现火灾隐患可以先不报告，等下班后再处理。", "", "", "", "", "错误", "应立即报告。", ""],
    ["3", "多选题", "灭火的基本方法有哪些？", "隔离法", "窒息法", "冷却法", "通风法", "ABC", "", ""],
]
FIELDS = {
    "种类": "type",
    "考题": "stem",
    "甲项": "option_a",
    "乙项": "option_b",
    "丙项": "option_c",
    "丁项": "option_d",
    "对的": "answer",
    "讲评": "explanation",
}


def _csv() -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    return stream.getvalue().encode("utf-8-sig")


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _no_overlap(page: Any, selector: str) -> None:
    """The boxes of ``selector`` are stacked, not drawn over each other."""
    boxes = [b for b in (el.bounding_box() for el in page.locator(selector).all()) if b]
    boxes.sort(key=lambda b: b["y"])
    for upper, lower in zip(boxes, boxes[1:], strict=False):
        assert upper["y"] + upper["height"] <= lower["y"] + 0.5, (upper, lower)


def test_admin_maps_unknown_columns_previews_and_imports_on_a_phone(
    page: Any,
    live_server_url: str,
    import_worker: Any,  # noqa: F811
) -> None:
    assert page.viewport_size == {"width": 390, "height": 844}
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    login(page, live_server_url, "demo_trainer")
    code = f"map-{uuid.uuid4().hex[:6]}"
    page.goto(f"{live_server_url}/qb/banks/new/")
    page.fill('input[name="code"]', code)
    page.fill('input[name="name"]', "外来题库（列对应测试）")
    page.get_by_role("button", name="创建").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="导入试题").click()
    page.wait_for_load_state()

    # 1. Upload: nothing is imported yet.
    page.set_input_files('input[name="file"]', {"name": "其他系统导出.csv", "mimeType": "text/csv", "buffer": _csv()})
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_load_state()

    # 2. The titles were not recognised: the page shows each column with a sample and asks.
    assert page.locator("h1").inner_text().strip() == "每一列是什么？"
    assert page.locator("[data-header-refused]").is_visible()
    columns = page.locator(".map-column")
    assert columns.count() == len(HEADER)
    assert "主要负责人" in columns.nth(3).inner_text()
    _no_sideways_scroll(page)
    _no_overlap(page, ".map-column")
    page.screenshot(path=str(SCREENSHOTS / "import-mapping-1-columns.png"), full_page=True)

    # A wrong choice first: two columns for 题干 is refused with a clear message.
    for index, title in enumerate(HEADER):
        page.select_option(f'select[name="col_{index}"]', FIELDS.get(title, ""))
    page.select_option('select[name="col_8"]', "stem")
    page.get_by_role("button", name="按此对应关系检查").click()
    page.wait_for_load_state()
    errors = page.locator("[data-map-errors]")
    assert "C(2)、I(8) 列都对应到了“题干”" in errors.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "import-mapping-2-refused.png"), full_page=True)

    page.select_option('select[name="col_8"]', "explanation")
    page.get_by_role("button", name="按此对应关系检查").click()
    page.wait_for_load_state()

    # 3. The preview: questions as learners will see them, with their keys; nothing stored yet.
    assert page.locator("h1").inner_text().strip() == "导入预览"
    assert "现在导入将新建 3 道" in page.locator("[data-preview-summary]").inner_text()
    assert "编号、备注" in page.locator("[data-ignored-columns]").inner_text()
    questions = page.locator("[data-preview-question]")
    assert questions.count() == 3
    first = questions.first.inner_text()
    assert "生产经营单位的（ ）是本单位安全生产第一责任人。" in first
    assert "A. 主要负责人" in first
    assert "A. 主要负责人" in questions.first.locator("[data-key]").inner_text()
    assert "错误" in questions.nth(1).locator("[data-key]").inner_text()
    _no_sideways_scroll(page)
    _no_overlap(page, "[data-preview-question]")
    page.screenshot(path=str(SCREENSHOTS / "import-mapping-3-preview.png"), full_page=True)

    # 4. Confirm; the job page polls until the import is done, then says what happened.
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_selector("[data-summary]", timeout=30_000)
    assert page.locator("[data-summary]").inner_text().strip() == "3 道新建 / 0 道更新 / 0 道未变 / 0 个错误"
    assert "编号、备注" in page.locator("[data-ignored-columns]").inner_text()
    assert page.locator("[data-nothing-written]").count() == 0
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "import-mapping-4-summary.png"), full_page=True)

    # The bank now holds the questions with the keys the file gave.
    page.get_by_role("link", name="返回题库").click()
    page.wait_for_load_state()
    body = page.locator("main, .container").first.inner_text()
    assert "灭火的基本方法有哪些？" in body

    # 5. The same titles next time: the mapping page comes back filled in.
    page.get_by_role("link", name="导入试题").click()
    page.wait_for_load_state()
    page.set_input_files('input[name="file"]', {"name": "第二批.csv", "mimeType": "text/csv", "buffer": _csv()})
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_load_state()
    assert page.locator("[data-remembered]").is_visible()
    assert page.locator('select[name="col_2"]').input_value() == "stem"
    assert page.locator('select[name="col_7"]').input_value() == "answer"
    page.get_by_role("button", name="按此对应关系检查").click()
    page.wait_for_load_state()
    assert "现在导入将新建 0 道、更新 0 道、3 道未变" in page.locator("[data-preview-summary]").inner_text()
    # No CSP refusal and no script error on any step; the one 400 is the refused mapping page itself.
    assert console_errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
