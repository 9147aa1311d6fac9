"""考试练习 on a phone in Chromium: pick a bank, answer, see the answer and explanation only afterwards.

Lives in tests/browser/ so that it shares that folder's one live daphne
server and one Chromium (a second sync Playwright in the same session fails).
Uses the live daphne server of tests/browser/conftest.py (seed_demo loads the
demo bank that demo_learner practises on).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.redis_path]


@pytest.fixture
def import_worker(server_env: dict[str, str]) -> Any:
    """With REDIS_URL the server hands imports to Celery: run one worker for the test."""
    import subprocess
    from pathlib import Path

    if server_env.get("REDIS_URL") is None:
        yield None  # the embedded default imports in the server's own threads
        return
    root = Path(__file__).resolve().parents[2]
    worker = subprocess.Popen(
        [str(root / ".venv" / "bin" / "celery"), "-A", "config.celery", "worker", "-P", "solo", "-l", "warning"],
        cwd=root,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def test_learner_practises_on_a_phone(page: Any, live_server_url: str) -> None:
    assert page.viewport_size == {"width": 390, "height": 844}
    login(page, live_server_url, "demo_learner")
    page.locator("[data-menu-toggle]").click()
    page.locator("#site-nav").get_by_role("link", name="考试练习").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().strip() == "考试练习"
    page.select_option("#p-kp", "消防器材")
    page.get_by_label("顺序练习").check()
    page.get_by_role("button", name="开始练习").click()
    page.wait_for_load_state()

    answered = 0
    for _ in range(3):
        stem = page.locator("[data-stem]").inner_text()
        assert stem
        # Before answering: no answer, no explanation anywhere on the page.
        assert page.locator("[data-answer]").count() == 0
        assert page.locator("[data-explanation]").count() == 0
        choices = page.locator("label.choice")
        if choices.count():
            choices.first.click()
            box = choices.first.bounding_box()
            assert box is not None
            assert box["height"] >= 44
        else:
            page.locator('input[name^="blank"]').first.fill("不知道")
        page.get_by_role("button", name="提交答案").click()
        page.wait_for_load_state()
        result = page.locator("[data-result]")
        assert result.get_attribute("data-result") in ("correct", "wrong")
        assert page.locator("[data-answer]").is_visible()
        assert "答案" in page.locator("[data-answer]").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        answered += 1
        page.locator("[data-next]").click()
        page.wait_for_load_state()

    page.get_by_role("link", name="结束并重新选择").click()
    page.wait_for_load_state()
    table = page.locator("table[data-accuracy]")
    assert table.is_visible()
    row = table.locator("tr", has_text="消防器材")
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "消防器材"
    assert int(cells[1]) == answered
    assert cells[3].endswith("%")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_trainer_uploads_and_the_page_follows_the_import(
    new_page: Any,
    live_server_url: str,
    tmp_path: Any,
    import_worker: Any,
) -> None:
    from tests.question_bank.conftest import ROWS, xlsx_bytes

    rows = [*ROWS, [5, "单选题", "坏题：选项不存在", "a", "b", "", "", "E"]]
    path = tmp_path / "新题库.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    tab = new_page()
    login(tab, live_server_url, "demo_trainer")
    tab.goto(f"{live_server_url}/qb/")
    tab.get_by_role("link", name="安全生产基础知识题库").click()
    tab.get_by_role("link", name="导入试题").click()
    tab.set_input_files('input[type="file"]', str(path))
    tab.get_by_role("button", name="上传并检查").click()
    # The preview shows the questions as a learner sees them and the row in error; nothing is written yet.
    tab.wait_for_selector("[data-preview-errors]")
    assert "坏题：选项不存在" not in tab.locator("[data-preview-errors]").inner_text()
    tab.get_by_label("即使部分行有错误，也导入其余正确的行").check()
    tab.get_by_role("button", name="确认导入").click()
    # The job page polls its status and reloads itself with the result.
    tab.wait_for_selector(".stat", timeout=120_000)
    count = {
        k: int(tab.locator(f'[data-count="{k}"] b').inner_text()) for k in ("created", "updated", "unchanged", "error")
    }
    assert count["error"] == 1
    assert count["created"] + count["updated"] + count["unchanged"] == 4
    assert "坏题" not in tab.content()  # the table names the row, not the question
    row = tab.locator("tr.error").first.locator("td").all_inner_texts()
    assert row[:2] == ["6", "答案"]
    assert tab.get_by_role("link", name="下载错误报告（xlsx）").is_visible()
