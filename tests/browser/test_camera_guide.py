"""The live guide over the camera preview on the enrolment and identity-check pages, at 390x844 (issue 16).

While the camera is open (Chromium's fake camera fed from a Y4M of the astronaut), a guide frame and
"请正对摄像头，保持光线充足" show over the preview; the screenshots land in var/screenshots/.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, login
from tests.browser.test_proctoring import camera_page, cameras, sessions, snapshot_worker  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

GUIDE = "请正对摄像头，保持光线充足"


def _guide_shows(page: Any) -> None:
    page.wait_for_function("() => document.querySelector('[data-video]').videoWidth > 0")
    guide = page.locator("[data-camera-guide]")
    guide.wait_for(state="visible")
    assert guide.inner_text().strip() == GUIDE
    # The frame sits over the preview, inside it.
    video = page.locator("[data-video]").bounding_box()
    frame = page.locator(".camera-guide-frame").bounding_box()
    assert video
    assert frame
    assert video["x"] < frame["x"]
    assert frame["x"] + frame["width"] < video["x"] + video["width"]
    assert video["y"] < frame["y"]
    assert frame["y"] + frame["height"] < video["y"] + video["height"]


def test_the_guide_shows_while_the_camera_is_open(
    camera_page: Callable[[str], Any],  # noqa: F811
    live_server_url: str,
    sessions: dict[str, int],  # noqa: F811
) -> None:
    session = sessions["refused"]  # an identity check the demo learner has not taken
    page = camera_page("astronaut")
    login(page, live_server_url, "demo_learner")
    page.goto(f"{live_server_url}/proctoring/face/")
    if page.locator("[data-give-consent]").count():
        page.check('input[name="agree"]')
        page.click("[data-give-consent]")
        page.wait_for_load_state()
    _guide_shows(page)
    page.screenshot(path=str(SCREENSHOTS / "enrolment-guide-phone.png"), full_page=True)

    page.goto(f"{live_server_url}/proctoring/sessions/{session}/check/")
    _guide_shows(page)
    page.screenshot(path=str(SCREENSHOTS / "identity-check-guide-phone.png"), full_page=True)
