"""Proctoring end to end in headless Chromium with a fake camera fed from packaged faces.

Chromium runs with ``--use-file-for-fake-video-capture`` on a Y4M file written
by tests.support.y4m from the astronaut (the demo learner's enrolled face) or
from Grace Hopper (someone else). Everything after the camera is the
production path: getUserMedia, capture and downscale in the page, the
identity-check POST, binary websocket frames, face matching off the event
loop, the policy, the proctor's live grid.

Headless Chromium never hides a page by itself (DESIGN.md), so tab switches
are driven through the page's own handlers: ``document.visibilityState`` is
overridden and ``visibilitychange`` dispatched; the websocket, server and
policy that follow are real.

This module lives in tests/browser/ to share that directory's live server and
its single Playwright instance (a second sync Playwright cannot start in the
same process); it launches its own Chromium processes with the camera flags.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DEMO_EXAM_SCRIPT, ROOT, attempt_json, login, shell_json
from tests.support import faces, y4m

pytestmark = [pytest.mark.browser, pytest.mark.redis_path]

SETUP = (
    DEMO_EXAM_SCRIPT
    + """
from proctoring.services.actions import policy_set
out = {}
for name, identity in (("face", True), ("tabs", False), ("other", False), ("refused", True)):
    session = demo_session(f"监考浏览器测试 {name} {now:%H%M%S%f}", learner, duration_minutes=60)
    policy_set(session=session, snapshot_min_seconds=5, snapshot_max_seconds=6, tab_warn_at=1, tab_submit_at=3,
        tab_ignore_seconds=0, phone_aware=False, face_flag_after=1, require_identity_check=identity, identity_max_tries=3,
        require_liveness=False)
    session_prepare(session=session)
    out[name] = session.pk
print(json.dumps(out))
"""
)

STATE = """
from proctoring.models import Flag, Snapshot, IdentityCheck
print(json.dumps({{"status": a.status, "reason": a.submit_reason,
    "flags": sorted(Flag.objects.filter(attempt=a).values_list("kind", flat=True)),
    "snapshots": list(Snapshot.objects.filter(attempt=a).values_list("status", "outcome")),
    "identity": list(IdentityCheck.objects.filter(session_id={session}).values_list("result", "outcome"))}}))
"""


@pytest.fixture(scope="module")
def sessions(run_manage: Callable[..., Any], live_server_url: str) -> dict[str, int]:
    return shell_json(run_manage, SETUP)


@pytest.fixture(scope="module")
def snapshot_worker(server_env: dict[str, str], live_server_url: str, tmp_path_factory: Any) -> Iterator[None]:
    """Scaled out (REDIS_URL), face matching runs on Celery: start one worker for the server's database."""
    if not os.environ.get("REDIS_URL"):
        yield
        return
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "celery"),
                "-A",
                "config.celery",
                "worker",
                "--pool",
                "solo",
                "-l",
                "warning",
            ],
            cwd=ROOT,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def cameras(tmp_path_factory: Any) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("y4m")
    return {
        "astronaut": y4m.write_y4m(folder / "astronaut.y4m", [y4m.fit_frame(faces.astronaut_bgr())] * 5),
        "hopper": y4m.write_y4m(folder / "hopper.y4m", [y4m.fit_frame(faces.grace_hopper_bgr())] * 5),
    }


@pytest.fixture(scope="module")
def camera_page(
    fake_camera_page: Callable[[Path], Any], cameras: dict[str, Path], snapshot_worker: None
) -> Callable[[str], Any]:
    """A phone-sized page in a Chromium whose camera shows the given face."""
    return lambda face: fake_camera_page(cameras[face])


def _switch_tab(page: Any) -> None:
    """Leave the page and come back, through the page's own visibility handlers."""
    page.evaluate(
        """() => {
        const set = (state) => {
            Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
            Object.defineProperty(document, "hidden", {configurable: true, get: () => state === "hidden"});
            document.dispatchEvent(new Event("visibilitychange"));
        };
        window.dispatchEvent(new Event("blur"));
        set("hidden");
        set("visible");
        window.dispatchEvent(new Event("focus"));
    }"""
    )


def _confirm_and_start(page: Any, base_url: str, session: int) -> None:
    """The exam notice: tick the confirmation, then 开始考试."""
    page.goto(f"{base_url}/exams/{session}/notice/")
    page.check("[data-confirm-notice]")
    page.click("[data-start]")


def test_enrolled_face_passes_the_check_and_the_snapshots(
    camera_page: Callable[[str], Any],
    new_page: Callable[..., Any],
    live_server_url: str,
    sessions: dict[str, int],
    run_manage: Callable[..., Any],
) -> None:
    session = sessions["face"]
    page = camera_page("astronaut")
    login(page, live_server_url, "demo_learner")
    # The notice says the exam is proctored and what is recorded; starting sends to the identity check.
    page.goto(f"{live_server_url}/exams/{session}/notice/")
    assert page.locator('[data-requirement="identity_check_required"][data-satisfied="no"]').count() == 1
    page.screenshot(path=str(ROOT / "var" / "screenshots" / "exam-notice-phone.png"), full_page=True)
    page.click("[data-start]")  # not ticked: the browser itself keeps the form from being sent
    assert page.url.endswith(f"/exams/{session}/notice/")
    _confirm_and_start(page, live_server_url, session)
    page.wait_for_url(f"**/proctoring/sessions/{session}/check/")
    page.wait_for_function("() => document.querySelector('[data-video]').videoWidth > 0")
    # No question reached the browser: the paper is drawn only after the check.
    assert page.locator("[data-exam-form], [data-question]").count() == 0
    assert attempt_json(run_manage, STATE, session)["status"] == "prepared"
    page.screenshot(path=str(ROOT / "var" / "screenshots" / "exam-identity-redirect-phone.png"), full_page=True)
    page.click("[data-capture]")
    page.wait_for_selector("[data-back-to-notice]")  # the page reloads once the identity is confirmed
    assert attempt_json(run_manage, STATE, session)["identity"][0] == ["passed", "match"]
    assert (
        attempt_json(run_manage, STATE, session)["status"] == "prepared"
    )  # the clock has not started during the check

    # The proctor watches the live grid from another browser.
    proctor = new_page(1280, 900)
    login(proctor, live_server_url, "demo_proctor")
    proctor.goto(f"{live_server_url}/proctoring/sessions/{session}/live/")
    proctor.wait_for_function("() => document.body.getAttribute('data-live') === '1'")

    page.click("[data-back-to-notice]")
    page.check("[data-confirm-notice]")
    page.click("[data-start]")
    page.wait_for_selector("[data-exam-form]")
    assert page.locator("[data-identity-required]").count() == 0
    page.wait_for_function("() => document.body.getAttribute('data-proctor-connected') === '1'")
    page.wait_for_function("() => document.body.getAttribute('data-proctor-face') === 'match'", timeout=30_000)
    assert page.locator("[data-face-prompt]").is_hidden()
    tile = proctor.locator("[data-tile]").first
    tile.locator("[data-thumb]").wait_for(state="visible", timeout=30_000)
    assert tile.get_attribute("data-face-value") == "match"
    # The thumbnail is served by the authorised image view, never cached.
    src = tile.locator("[data-thumb]").get_attribute("src")
    assert src.startswith("/proctoring/media/snapshots/")
    image = proctor.request.get(f"{live_server_url}{src}")
    assert image.status == 200
    assert "no-store" in image.headers["cache-control"]
    state = attempt_json(run_manage, STATE, session)
    assert ["processed", "match"] in state["snapshots"]
    assert state["flags"] == []
    proctor.screenshot(path=str(ROOT / "var" / "screenshots" / "proctoring-live-grid.png"))
    page.screenshot(path=str(ROOT / "var" / "screenshots" / "proctoring-exam-phone.png"))


def test_another_face_is_refused_at_the_check_and_flagged_in_the_exam(
    camera_page: Callable[[str], Any], live_server_url: str, sessions: dict[str, int], run_manage: Callable[..., Any]
) -> None:
    page = camera_page("hopper")
    login(page, live_server_url, "demo_learner")
    page.goto(f"{live_server_url}/proctoring/sessions/{sessions['refused']}/check/")
    page.wait_for_function("() => document.querySelector('[data-video]').videoWidth > 0")
    page.click("[data-capture]")
    page.wait_for_function("() => !document.querySelector('[data-capture]').disabled")
    assert page.locator("[data-back-to-notice]").count() == 0
    assert attempt_json(run_manage, STATE, sessions["refused"])["identity"] == [["failed", "mismatch"]]
    _confirm_and_start(page, live_server_url, sessions["refused"])
    page.wait_for_url(f"**/proctoring/sessions/{sessions['refused']}/check/")  # still refused
    assert attempt_json(run_manage, STATE, sessions["refused"])["status"] == "prepared"

    # An exam without the pre-exam check: the in-exam snapshots catch the other face.
    session = sessions["other"]
    _confirm_and_start(page, live_server_url, session)
    page.wait_for_selector("[data-exam-form]")
    page.wait_for_function("() => document.body.getAttribute('data-proctor-face') === 'mismatch'", timeout=30_000)
    state = attempt_json(run_manage, STATE, session)
    assert "face" in state["flags"]
    assert state["status"] == "in_progress"  # face results alone don't end the exam unless the policy says so


def test_tab_switches_warn_then_submit_at_the_limit(
    camera_page: Callable[[str], Any], live_server_url: str, sessions: dict[str, int], run_manage: Callable[..., Any]
) -> None:
    session = sessions["tabs"]
    page = camera_page("astronaut")
    login(page, live_server_url, "demo_learner")
    _confirm_and_start(page, live_server_url, session)
    page.wait_for_selector("[data-exam-form]")
    page.wait_for_function("() => document.body.getAttribute('data-proctor-connected') === '1'")

    _switch_tab(page)
    page.wait_for_selector("[data-proctor-warning]:not([hidden])")
    assert "3" in page.locator("[data-proctor-warning]").inner_text()
    page.wait_for_function("() => document.body.getAttribute('data-proctor-switches') === '1'")

    # Drop the connection: events recorded while it is down are resent after the reconnect.
    page.evaluate("window.SafetrainProctor.reconnect()")
    _switch_tab(page)
    page.wait_for_function("() => document.body.getAttribute('data-proctor-switches') === '2'", timeout=30_000)
    assert attempt_json(run_manage, STATE, session)["status"] == "in_progress"

    _switch_tab(page)
    page.wait_for_function("() => document.body.getAttribute('data-proctor-finished') === '1'", timeout=30_000)
    page.wait_for_url("**/exams/attempts/*/result/", timeout=30_000)
    state = attempt_json(run_manage, STATE, session)
    assert (state["status"], state["reason"]) == ("submitted", "auto_policy")
    assert set(state["flags"]) >= {"tab_switches", "auto_submitted"}


GAP_SETUP = (
    DEMO_EXAM_SCRIPT
    + """
from exams.services.attempts import attempt_start
from exams.models import Attempt
from proctoring.services.actions import policy_set
session = demo_session(f"监考抓拍缺失 {now:%H%M%S%f}", learner, opens_ago=dt.timedelta(minutes=30), duration_minutes=60)
policy_set(session=session, snapshot_min_seconds=5, snapshot_max_seconds=10, missing_flag_after=1,
    missing_grace_seconds=0, require_identity_check=False, require_liveness=False)
attempt = attempt_start(session=session, person=learner, notice_confirmed=True)
# Started ten minutes ago and no camera socket ever opened: no snapshot at all.
Attempt.objects.filter(pk=attempt.pk).update(started_at=now - dt.timedelta(minutes=10))
# The face was enrolled before that delivery, so the attempt owes snapshots (proctoring.selectors.snapshots_required_q).
from proctoring.models import FaceEnrolment
assert FaceEnrolment.objects.filter(person=learner).update(created_at=now - dt.timedelta(hours=1)) == 1
print(json.dumps({"session": session.pk}))
"""
)


def test_the_live_grid_shows_an_examinee_whose_snapshots_stopped(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    session = shell_json(run_manage, GAP_SETUP)["session"]
    proctor = new_page(1280, 900)
    login(proctor, live_server_url, "demo_proctor")
    proctor.goto(f"{live_server_url}/proctoring/sessions/{session}/live/")
    proctor.wait_for_function("() => document.body.getAttribute('data-live') === '1'")
    tile = proctor.locator("[data-tile]").first
    tile.wait_for()
    assert tile.locator("[data-snapshots-missing]").is_hidden()

    # The tick flags every attempt in a gap: other tests' attempts on the shared server may be too.
    # That this one is among them, the tile below says.
    flagged = re.search(r"flagged=(\d+)", run_manage("proctoring_tick").stdout)
    assert flagged is not None
    assert int(flagged.group(1)) >= 1
    # Pushed live where the channel layer is shared (Redis); the resync rows carry it in any case.
    proctor.reload()
    proctor.wait_for_function("() => document.body.getAttribute('data-live') === '1'")
    badge = proctor.locator("[data-tile]").first.locator("[data-snapshots-missing]")
    badge.wait_for(state="visible", timeout=15_000)
    assert badge.inner_text() == "未收到抓拍"
    assert proctor.locator("[data-tile]").first.locator("[data-flags]").inner_text() == "1"
