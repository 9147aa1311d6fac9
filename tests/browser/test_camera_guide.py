"""The live guide over the camera preview on the enrolment and identity-check pages, at 390x844 (issue 16).

While the camera is open (Chromium's fake camera fed from a Y4M of the astronaut), a guide frame and
"请正对摄像头，保持光线充足" show over the preview; the screenshots land in var/screenshots/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, login
from tests.browser.test_proctoring import camera_page, cameras, snapshot_worker  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

GUIDE = "请正对摄像头，保持光线充足"

SETUP = """
import datetime as dt, json
from decimal import Decimal
from django.utils import timezone
from exams.services.sessions import session_create, session_prepare
from exams.models import PaperTemplate
from organizations.models import Person
from proctoring.services.actions import policy_set
learner = Person.objects.get(user__username="demo_learner")
paper = PaperTemplate.objects.filter(provider__code="demo-center", kind="rules").order_by("pk").first()
now = timezone.now()
session = session_create(provider=paper.provider, paper=paper, title=f"取景引导 {now:%H%M%S%f}",
    opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(hours=2), duration_minutes=60,
    pass_score=Decimal("10"), eligible_people=[learner])
policy_set(session=session, require_identity_check=True, identity_max_tries=3)
session_prepare(session=session)
print(json.dumps(session.pk))
"""


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
    run_manage: Callable[..., Any],
) -> None:
    session = json.loads(run_manage("shell", "-c", SETUP).stdout.strip().splitlines()[-1])
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
