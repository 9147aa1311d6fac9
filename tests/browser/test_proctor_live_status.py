"""The proctor's live grid at phone size with nobody sitting yet: it says so (not a blank page) and shows
whether its socket is connected, then that the connection dropped while it reconnects."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, login, shell_json

pytestmark = [pytest.mark.browser, pytest.mark.redis_path]

SETUP = """
import json
from tests.support.demo_sessions import proctored_demo_session
session = proctored_demo_session("空场监考测试", require_identity_check=True, require_liveness=False)
print(json.dumps({"session": session.pk}))
"""


def test_an_empty_grid_says_so_and_shows_its_connection(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    session = shell_json(run_manage, SETUP)["session"]
    sockets: list[Any] = []

    def first_through_then_refused(ws: Any) -> None:
        if sockets:
            ws.close()  # the server stays out of reach: the page keeps reconnecting
            return
        ws.connect_to_server()
        sockets.append(ws)

    proctor = new_page()
    proctor.route_web_socket(re.compile(r".*/ws/proctoring/sessions/\d+/$"), first_through_then_refused)
    login(proctor, live_server_url, "demo_proctor")
    proctor.goto(f"{live_server_url}/proctoring/sessions/{session}/live/")
    proctor.wait_for_function("() => document.body.getAttribute('data-live') === '1'")
    state = proctor.locator("[data-live-state]")
    assert state.inner_text() == "已连接"
    empty = proctor.locator("[data-grid-empty]")
    assert empty.is_visible()
    assert "暂无考生在考" in empty.inner_text()
    assert "应考 1 人" in empty.inner_text()  # the demo learner alone
    assert proctor.locator("[data-tile]").count() == 0
    proctor.screenshot(path=str(SCREENSHOTS / "proctor-live-empty-phone.png"), full_page=True)

    sockets[0].close()
    proctor.wait_for_function("() => document.body.getAttribute('data-live') === '0'")
    assert state.inner_text() == "连接中断，正在重连…"
    assert empty.is_visible()
    proctor.screenshot(path=str(SCREENSHOTS / "proctor-live-reconnecting-phone.png"), full_page=True)
