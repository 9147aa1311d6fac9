"""Drill 6, client clock skew, on the real pages at 390×844 (issue 19).

Chromium's clock is set two hours fast or slow (``page.clock.set_system_time``: the wall
clock moves, timers run as usual). The exam page still shows the time the server has left,
autosaves, and submits when the server's deadline passes, not the device's; the lesson
player's heartbeats are still credited. The API doors under the same skew are
tests/drills/test_clock_skew.py; this part lives with the browser tests to share their one
Chromium and live server.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import attempt_json, shell_json
from tests.browser.test_exam_page import STATE, _answer, _sessions, _start, _wait_saved
from tests.browser.test_training_player import FAST, SETUP, _credited, _open_lesson
from tests.support.servers import ROOT

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "var" / "screenshots"
SKEWS = [pytest.param(2, id="fast"), pytest.param(-2, id="slow")]
WINDOW_SECONDS = 40  # the session closes this long after it is made, so the deadline comes soon


def shifted(page: Any, hours: int) -> Any:
    page.clock.set_system_time(dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours))
    return page


def seconds_shown(page: Any) -> int:
    # The page shows "--:--" until its deferred script has run; the form can be there before that.
    page.wait_for_function("() => /\\d\\d:\\d\\d$/.test(document.querySelector('[data-timer]').textContent)")
    text = page.inner_text("[data-timer]")
    match = re.fullmatch(r"(?:(\d+):)?(\d\d):(\d\d)", text.strip())
    assert match, text
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


@pytest.mark.parametrize("hours", SKEWS)
def test_the_exam_page_keeps_the_servers_time_on_a_skewed_phone(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any], hours: int
) -> None:
    username = f"skew_{'fast' if hours > 0 else 'slow'}"
    session = _sessions(run_manage, [(40 + hours, username)], seconds=WINDOW_SECONDS)[username]
    page = shifted(new_page(), hours)
    assert abs(page.evaluate("Date.now()") / 1000 - dt.datetime.now(dt.UTC).timestamp() - hours * 3600) < 60
    _start(page, live_server_url, username, session)
    # What the server has left (under WINDOW_SECONDS), not 0 (fast) nor two hours more (slow).
    left = seconds_shown(page)
    assert 0 < left <= WINDOW_SECONDS
    first = page.locator("[data-question]").first
    first_id = first.get_attribute("data-question")
    _answer(page, first)
    _wait_saved(page)
    if hours > 0:
        page.screenshot(path=str(SCREENSHOTS / "exam-clock-skew-phone.png"))
    assert attempt_json(run_manage, STATE, session)["status"] == "in_progress"
    # This server runs no deadline job: only the page's own time-up can submit, and the server takes
    # it only once its clock has passed the deadline.
    page.wait_for_selector("[data-result]", timeout=(WINDOW_SECONDS + 30) * 1000)
    state = attempt_json(run_manage, STATE, session)
    assert state["status"] == "submitted"
    assert state["reason"] == "time_up"
    assert state["given"][first_id] is not None


@pytest.fixture(scope="module")
def skew_training_url(live_server_url: str, server_env: dict[str, str], server_dir: Any) -> Any:
    from tests.support.servers import daphne_server, free_port

    port = free_port()
    with daphne_server(port=port, env={**server_env, **FAST}, log=server_dir / f"daphne-skew-{port}.log") as url:
        yield url


def test_a_phone_two_hours_fast_is_credited_for_study(
    new_page: Callable[..., Any], skew_training_url: str, run_manage: Callable[..., Any]
) -> None:
    setup = SETUP.replace('enumerate(["bt_phone", "bt_desktop"], start=1)', 'enumerate(["skew_player"], start=40)')
    ids = shell_json(run_manage, setup)
    page = shifted(new_page(), 2)
    _open_lesson(page, skew_training_url, "skew_player", ids)
    page.wait_for_function("() => Number(document.getElementById('player').dataset.creditedSeconds || 0) > 0")
    assert _credited(page) > 0
    assert page.get_attribute("#player", "data-last-reason") != "future_timestamp"
