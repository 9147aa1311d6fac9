"""The exam page in headless Chromium, phone and desktop.

An examinee answers, loses the connection, answers more (the banner says they
are not saved), comes back and submits: every answer is recorded. A second
run lets the timer expire with the page offline, so only the server's
deadline job can submit. Screenshots of the exam page, result, statistics and
a certificate (and its public verification page) go to var/screenshots/ (``make screenshots`` copies them to docs/).

A second daphne serves the shared live server's database with the exam job
ticking every 2 s instead of 15 (the shared live server runs no periodic jobs);
everything else is the production path.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DEMO_EXAM_SCRIPT, attempt_json, login, shell_json
from tests.support.servers import ROOT, daphne_server, free_port

pytestmark = [pytest.mark.browser, pytest.mark.redis_path]
SCREENSHOTS = ROOT / "var" / "screenshots"

SETUP = (
    DEMO_EXAM_SCRIPT
    + """
from organizations.services import person_create
from organizations.validators import complete_id_number
out = {}
for index, username in {users}:
    person = Person.objects.filter(user__username=username).first()
    if person is None:
        person, _ = person_create(enterprise=learner.enterprise, name=username, username=username,
            password="demo-pass-2026", id_number=complete_id_number(f"99010119970707{index + 600:03d}"),
            hire_date=timezone.localdate() - dt.timedelta(days=30))
    seconds = {seconds}
    session = demo_session(f"浏览器考试 {username}", person, closes_in=dt.timedelta(seconds=seconds),
        duration_minutes=30, grace_seconds=0, review_answers=True)
    session_prepare(session=session)
    out[username] = session.pk
print(json.dumps(out))
"""
)

STATE = """
print(json.dumps({{"status": a.status, "reason": a.submit_reason,
    "given": {{str(q.pk): q.given for q in a.questions.all()}}}}))
"""


@pytest.fixture(scope="module")
def exam_url(live_server_url: str, server_env: dict[str, str], server_dir: Path) -> Iterator[str]:
    port = free_port()
    # The one server of the browser tests whose own jobs run (server_env turns them off).
    with daphne_server(
        port=port,
        env={**server_env, "PERIODIC_JOBS": "on", "EXAMS_TICK_SECONDS": "2"},
        log=server_dir / f"daphne-exams-{port}.log",
    ) as url:
        yield url


@pytest.fixture(scope="module")
def sessions(run_manage: Callable[..., Any], live_server_url: str) -> dict[str, int]:
    return _sessions(run_manage, [(1, "ex_phone"), (2, "ex_desktop")], seconds=3600)


def _sessions(run_manage: Callable[..., Any], users: list[tuple[int, str]], *, seconds: int) -> dict[str, int]:
    code = SETUP.replace("{users}", repr(users)).replace("{seconds}", str(seconds))
    return shell_json(run_manage, code)


def _start(page: Any, url: str, username: str, session: int) -> None:
    login(page, url, username)
    page.goto(f"{url}/exams/")
    page.locator(f'[data-session="{session}"] [data-notice]').click()  # the exam notice first
    page.check("[data-confirm-notice]")
    page.click("[data-start]")
    page.wait_for_selector("[data-exam-form]")


def _answer(page: Any, fieldset: Any) -> Any:
    kind = fieldset.get_attribute("data-type")
    if kind == "fill_blank":
        for box in fieldset.locator("input").all():
            box.fill("答案")
        fieldset.locator("input").first.dispatch_event("change")
        return kind
    fieldset.locator("input").first.check()
    return kind


def _wait_saved(page: Any) -> None:
    page.wait_for_function("() => document.body.getAttribute('data-unsaved-count') === '0'")


@pytest.mark.parametrize(("username", "size"), [("ex_phone", (390, 844)), ("ex_desktop", (1280, 900))])
def test_answers_given_offline_are_saved_on_reconnect_and_submitted(
    new_page: Callable[..., Any],
    exam_url: str,
    sessions: dict[str, int],
    run_manage: Callable[..., Any],
    username: str,
    size: tuple[int, int],
) -> None:
    page = new_page(*size)
    _start(page, exam_url, username, sessions[username])
    questions = page.locator("[data-question]").all()
    ids = [fs.get_attribute("data-question") for fs in questions]
    half = len(questions) // 2
    for fieldset in questions[:half]:
        _answer(page, fieldset)
    _wait_saved(page)
    assert page.locator("[data-unsaved]").is_hidden()
    if username == "ex_phone":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "exam-page-phone.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.context.set_offline(True)
    for fieldset in questions[half:]:
        _answer(page, fieldset)
    page.wait_for_selector("[data-unsaved]:not([hidden])")
    assert int(page.get_attribute("body", "data-unsaved-count")) > 0
    if username == "ex_phone":
        page.screenshot(path=str(SCREENSHOTS / "exam-offline-banner-phone.png"))
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait_saved(page)
    assert page.locator("[data-unsaved]").is_hidden()

    # 交卷 asks first (issue 17): everything is answered and nothing flagged, so it only confirms.
    page.click("[data-submit]")
    assert page.locator("[data-confirm-complete]").is_visible()
    page.click("[data-confirm-submit]")
    page.wait_for_selector("[data-result]")
    state = attempt_json(run_manage, STATE, sessions[username])
    assert state["status"] == "submitted"
    assert state["reason"] == "examinee"
    assert all(state["given"][qid] is not None for qid in ids), state["given"]
    assert page.locator("[data-breakdown]").count() == 1
    if username == "ex_phone":
        page.screenshot(path=str(SCREENSHOTS / "exam-result-phone.png"), full_page=True)


def test_the_server_submits_when_the_timer_runs_out_with_the_examinee_gone(
    new_page: Callable[..., Any], exam_url: str, run_manage: Callable[..., Any]
) -> None:
    # The window closes 25 s from now, so the deadline (never later than the close) comes soon.
    sessions = _sessions(run_manage, [(3, "ex_timeout")], seconds=25)
    page = new_page()
    _start(page, exam_url, "ex_timeout", sessions["ex_timeout"])
    first = page.locator("[data-question]").first
    first_id = first.get_attribute("data-question")
    _answer(page, first)
    _wait_saved(page)
    assert attempt_json(run_manage, STATE, sessions["ex_timeout"])["status"] == "in_progress"
    # The examinee vanishes: the page can't reach the server when its timer ends.
    page.context.set_offline(True)
    page.wait_for_function("() => document.querySelector('[data-timer]').textContent === '00:00'", timeout=60_000)
    for _ in range(60):  # the deadline job runs every 2 s on this server; poll, don't time
        if os.environ.get("REDIS_URL"):
            # Scaled out, Celery beat runs the job in its own process; play beat's part.
            run_manage("exams_tick")
        state = attempt_json(run_manage, STATE, sessions["ex_timeout"])
        if state["status"] == "submitted":
            break
        time.sleep(1)
    assert state["status"] == "submitted"
    assert state["reason"] == "deadline_job"
    assert state["given"][first_id] is not None
    page.context.set_offline(False)
    page.wait_for_selector("[data-result]", timeout=30_000)


def test_statistics_and_a_certificate_that_verifies_through_its_qr_page(
    new_page: Callable[..., Any], exam_url: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    admin = new_page(1280, 900)
    login(admin, exam_url, "demo_trainer")
    admin.goto(f"{exam_url}/exams/manage/")
    admin.locator('a[href*="/statistics/"]').last.click()
    admin.wait_for_selector("[data-stats]")
    assert int(admin.locator("[data-examinees]").inner_text()) > 0
    assert admin.locator("svg.chart rect").count() == 10
    admin.screenshot(path=str(SCREENSHOTS / "exam-statistics.png"), full_page=True)

    holder = new_page()
    login(holder, exam_url, "demo_principal")
    holder.goto(f"{exam_url}/exams/")
    # The certificate itself, not the menu's 我的证书 (/exams/certificates/).
    holder.locator('a[href^="/exams/certificates/"]:not([href="/exams/certificates/"])').first.click()
    holder.wait_for_selector("[data-certificate] [data-qr] svg")
    holder.screenshot(path=str(SCREENSHOTS / "exam-certificate-phone.png"), full_page=True)
    verify = holder.get_attribute("[data-verify-link]", "href")

    anonymous = new_page()
    anonymous.goto(verify)
    assert anonymous.get_attribute("[data-verify]", "data-state") == "valid"
    anonymous.screenshot(path=str(SCREENSHOTS / "exam-certificate-verify-phone.png"), full_page=True)
    number = holder.get_attribute("[data-certificate]", "data-certificate")
    assert anonymous.goto(f"{exam_url}/exams/verify/{number}/").status == 404
