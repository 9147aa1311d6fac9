"""A proctor's manual ID check at phone size (issue 17): the examinee waits on the identity-check page,
the proctor (another browser context) opens the check, sees both photos, decides, and the examinee's
page moves on by itself: over the socket, or by asking the server while the socket is down."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, login, shell_json

pytestmark = pytest.mark.browser

# The demo learner (enrolled with the astronaut) fails the one face try with Grace Hopper's face:
# the check goes to a proctor with a reference photo and a photo at the check to compare.
SETUP = """
import json
from proctoring.services.identity import identity_check_face
from tests.support import faces
from tests.support.demo_sessions import demo_learner, proctored_demo_session
session = proctored_demo_session("人工核验测试", require_identity_check=True, identity_max_tries=1,
    require_liveness=False, allow_non_biometric={manual})
if not {manual}:
    frame = faces.snapshot_jpeg(faces.grace_hopper_bgr())
    identity_check_face(session=session, person=demo_learner(), frame=frame)
print(json.dumps({{"session": session.pk}}))
"""

PENDING = """
import json
from proctoring.models import IdentityCheck
check = IdentityCheck.objects.get(session_id={session}, kind="manual", result="pending")
print(json.dumps({{"check": check.pk}}))
"""


def _loaded(page: Any, selector: str) -> bool:
    return page.evaluate(
        f"() => {{ const i = document.querySelector('{selector}'); return !!i && i.naturalWidth > 0; }}"
    )


def test_the_proctor_compares_the_photos_and_the_waiting_page_goes_on_by_itself(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    session = shell_json(run_manage, SETUP.format(manual=False))["session"]
    check = shell_json(run_manage, PENDING.format(session=session))["check"]

    learner = new_page()
    login(learner, live_server_url, "demo_learner")
    learner.goto(f"{live_server_url}/proctoring/sessions/{session}/check/")
    learner.wait_for_selector('[data-identity-wait][data-socket="open"]')
    assert learner.locator("[data-pending]").is_visible()
    assert "无需刷新" not in learner.locator("[data-pending]").inner_text()
    assert learner.locator("[data-refresh]").is_hidden()  # the socket carries the decision: nothing to refresh
    learner.screenshot(path=str(SCREENSHOTS / "identity-pending-phone.png"), full_page=True)

    proctor = new_page()
    login(proctor, live_server_url, "demo_proctor")
    proctor.goto(f"{live_server_url}/proctoring/sessions/{session}/live/")
    proctor.locator(f'[data-pending-check="{check}"]').wait_for()
    proctor.screenshot(path=str(SCREENSHOTS / "proctor-live-pending-phone.png"))
    proctor.locator(f'[data-pending-check="{check}"] [data-open-check]').click()
    proctor.wait_for_url(f"**/proctoring/identity/{check}/")
    proctor.wait_for_function(
        "() => [...document.querySelectorAll('[data-reference-photo] img, [data-live-photo] img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length === 2"
    )
    assert _loaded(proctor, "[data-reference-photo] img")
    assert _loaded(proctor, "[data-live-photo] img")
    assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", proctor.locator("[data-masked-id]").inner_text())
    assert proctor.locator("[data-enterprise]").inner_text().strip()
    assert proctor.locator("[data-tries] li").count() == 1
    proctor.screenshot(path=str(SCREENSHOTS / "proctor-manual-check-phone.png"), full_page=True)

    proctor.click("[data-admit]")
    proctor.wait_for_url(f"**/proctoring/sessions/{session}/live/")
    # Nobody touches the examinee's page: it hears the decision and goes on to the exam notice.
    learner.wait_for_url(f"**/exams/{session}/notice/", timeout=15_000)
    assert learner.locator('[data-requirement="identity_check_required"][data-satisfied="yes"]').count() == 1


def test_a_refusal_reaches_the_waiting_page_while_its_socket_is_down(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    session = shell_json(run_manage, SETUP.format(manual=True))["session"]
    learner = new_page()
    # Every socket of this page is refused: the page falls back to asking the server.
    learner.route_web_socket(re.compile(r".*/identity/$"), lambda ws: ws.close())
    login(learner, live_server_url, "demo_learner")
    learner.goto(f"{live_server_url}/proctoring/sessions/{session}/check/")
    learner.click("[data-manual]")
    learner.wait_for_selector("[data-identity-wait]")
    check = shell_json(run_manage, PENDING.format(session=session))["check"]
    # The socket is down: the manual refresh is offered, as a last resort.
    learner.wait_for_selector('[data-identity-wait][data-socket="closed"]')
    assert learner.locator("[data-refresh]").is_visible()
    assert learner.locator("[data-refresh]").inner_text().strip() == "没有变化？手动刷新"
    learner.screenshot(path=str(SCREENSHOTS / "identity-pending-socket-down-phone.png"), full_page=True)

    proctor = new_page()
    login(proctor, live_server_url, "demo_proctor")
    proctor.goto(f"{live_server_url}/proctoring/identity/{check}/")
    assert proctor.locator("[data-live-photo] .id-photo-none").is_visible()  # nothing to compare but the ID card
    proctor.click("[data-refuse]")  # no reason: refused by the server, the check stays open
    proctor.wait_for_selector(".message.error")
    proctor.fill("#id-note", "未出示身份证件")
    proctor.click("[data-refuse]")
    proctor.wait_for_url(f"**/proctoring/sessions/{session}/live/")

    learner.wait_for_selector("[data-refused]:not([hidden])", timeout=30_000)
    assert learner.locator("[data-refusal-reason]").inner_text() == "未出示身份证件"
    assert learner.locator("[data-pending]").is_hidden()
    assert learner.get_attribute("[data-identity-wait]", "data-socket") != "open"
    learner.screenshot(path=str(SCREENSHOTS / "identity-refused-phone.png"), full_page=True)
