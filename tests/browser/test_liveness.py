"""Action liveness (动作活体) in headless Chromium at 390x844, with a fake camera showing a STILL photo.

The camera (``--use-file-for-fake-video-capture``) streams a Y4M file made of
one photo of Grace Hopper repeated: her face, enrolled as the examinee's
reference, so identity matches in every frame, but nothing in the picture ever
blinks, opens its mouth or turns. Everything after the camera is the
production path: the page starts a check through the API with its session
and CSRF token, shows the server's prompts, takes a burst of frames per step
from the <video>, and the server decides from the landmarks. The still photo
must fail, the page must say so in Chinese, and the identity check must stay
refused. On the exam page a proctor's request opens the same flow in an
opaque overlay that covers the paper.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DEMO_EXAM_SCRIPT, PHONE, SCREENSHOTS, attempt_json, login, shell_json
from tests.support import faces, y4m

pytestmark = pytest.mark.browser

PROMPTS = {"请眨眨眼", "请张张嘴", "请向左转头", "请向右转头"}
CJK = re.compile(r"[\u4e00-\u9fff]")

# demo_machinist (孙机工) is in no other browser test: here Grace Hopper is his enrolled face.
SETUP = (
    DEMO_EXAM_SCRIPT
    + """
from proctoring.models import FaceEnrolment
from proctoring.services.actions import policy_set
from proctoring.services.consent import consent_give
from proctoring.services.identity import enrol
from tests.support import faces
person = Person.objects.get(user__username="demo_machinist")
consent_give(person=person, by=person.user)
if not FaceEnrolment.objects.filter(person=person).exists():
    enrol(person=person, photo=faces.grace_hopper_jpeg(), source=FaceEnrolment.Source.LIVE, by=person.user)
out = {}
for name, identity in (("identity", True), ("on_demand", False)):
    session = demo_session(f"活体检测浏览器测试 {name} {now:%H%M%S%f}", person, duration_minutes=60)
    policy_set(session=session, snapshot_min_seconds=30, snapshot_max_seconds=60, phone_aware=False,
        require_identity_check=identity, require_liveness=True, identity_max_tries=3, allow_non_biometric=True)
    session_prepare(session=session)
    out[name] = session.pk
print(json.dumps(out))
"""
)

STATE = """
from proctoring.models import Flag, IdentityCheck, LivenessCheck
print(json.dumps({{
    "attempt": a.pk if a else None,
    "status": a.status if a else None,
    "flags": sorted(Flag.objects.filter(attempt=a).values_list("kind", flat=True)) if a else [],
    "identity": list(IdentityCheck.objects.filter(session_id={session}).values_list("result", flat=True)),
    "liveness": list(LivenessCheck.objects.filter(session_id={session}).order_by("pk").values_list("purpose", "status")),
}}))
"""


@pytest.fixture(scope="module")
def sessions(run_manage: Callable[..., Any], live_server_url: str) -> dict[str, int]:
    return shell_json(run_manage, SETUP)


@pytest.fixture(scope="module")
def still_camera(tmp_path_factory: Any) -> Path:
    """Grace Hopper's photo, unchanged in every frame: what a printed photo held up to the camera shows."""
    folder = tmp_path_factory.mktemp("y4m-still")
    return y4m.write_y4m(folder / "hopper-still.y4m", [y4m.fit_frame(faces.grace_hopper_bgr())] * 5)


@pytest.fixture(scope="module")
def still_page(fake_camera_page: Callable[[Path], Any], still_camera: Path) -> Callable[[], Any]:
    """A phone-sized page in a Chromium whose camera shows the still photo."""
    return lambda: fake_camera_page(still_camera)


def _shot(page: Any, name: str, *, full_page: bool = False) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def _camera_page(still_page: Callable[[], Any], base_url: str, path: str) -> Any:
    """The still-photo camera's page, signed in as demo_machinist, at ``path``."""
    page = still_page()
    login(page, base_url, "demo_machinist")
    page.goto(f"{base_url}{path}")
    return page


def _run_check(page: Any, root: str, *, button: str = "start", shot: str | None = None) -> str:
    """Press start (or retry), read the prompt, counter and steps shown, wait for the verdict; return it."""
    page.click(f"{root} [data-liveness-{button}]")
    page.wait_for_function(f"() => document.querySelector('{root} [data-liveness-prompt]').textContent !== ''")
    assert page.locator(f"{root} [data-liveness-prompt]").inner_text() in PROMPTS
    counter = page.locator(f"{root} [data-liveness-counter]").inner_text()
    assert re.fullmatch(r"第 1 步，共 [23] 步", counter), counter
    assert re.fullmatch(r"剩余 \d+ 秒", page.locator(f"{root} [data-liveness-countdown]").inner_text())
    # One line per challenge, each with the server's Chinese prompt.
    steps = [s.split(" ")[0] for s in page.locator(f"{root} [data-liveness-step]").all_inner_texts()]
    assert len(steps) in (2, 3), steps
    assert set(steps) <= PROMPTS, steps
    if shot:
        _shot(page, shot)
    page.wait_for_function(
        f"() => ['failed', 'passed'].includes(document.querySelector('{root}').getAttribute('data-liveness-state'))",
        timeout=90_000,
    )
    return page.locator(root).get_attribute("data-liveness-state")


def test_a_still_photo_fails_liveness_and_the_identity_check_stays_refused(
    still_page: Callable[[], Any], live_server_url: str, sessions: dict[str, int], run_manage: Callable[..., Any]
) -> None:
    session = sessions["identity"]
    page = _camera_page(still_page, live_server_url, f"/proctoring/sessions/{session}/check/")
    page.wait_for_function("() => document.querySelector('[data-video]').videoWidth > 0")
    # The policy asks for liveness: the face photo waits behind it.
    root = "[data-camera] [data-liveness]"
    assert page.locator(root).is_visible()
    assert page.locator("[data-capture]").is_hidden()
    assert page.locator(f"{root} [data-liveness-start]").inner_text() == "开始活体检测"
    assert page.locator("[data-manual]").is_visible()  # the non-biometric fallback stays offered

    assert _run_check(page, root, shot="liveness-prompt-phone.png") == "failed"
    result = page.locator(f"{root} [data-liveness-result]")
    assert result.is_visible()
    # Said in Chinese: the check failed, and why (the server's reason for the step).
    assert result.inner_text().startswith("活体检测未通过。"), result.inner_text()
    assert len(result.inner_text().splitlines()) == 2, result.inner_text()
    assert page.locator(f'{root} [data-liveness-step][data-status="failed"]').count() >= 1
    assert "未通过" in page.locator(f'{root} [data-liveness-step][data-status="failed"]').first.inner_text()
    # Offered next: a new check, or the manual ID check; never the face photo.
    assert page.locator(f"{root} [data-liveness-retry]").is_visible()
    assert page.locator(f"{root} [data-liveness-retry]").inner_text() == "重新进行活体检测"
    assert page.locator("[data-capture]").is_hidden()
    assert page.locator("[data-manual]").is_visible()
    _shot(page, "liveness-failed-phone.png", full_page=True)

    # The server refuses the face photo too, whatever the page shows.
    answer = page.evaluate(
        """async () => {
        const blob = await window.SafetrainCamera.capture(document.querySelector('[data-video]'), 640, 0.85);
        const body = new FormData();
        body.append('action', 'check');
        body.append('photo', blob, 'capture.jpg');
        const r = await window.SafetrainLib.request(location.pathname, {body});
        return {status: r.status, body: await r.json()};
    }"""
    )
    assert answer["body"]["code"] == "liveness_required", answer
    assert CJK.search(answer["body"]["detail"])
    state = attempt_json(run_manage, STATE, session)
    # The failed liveness check used one of the three face tries, as a mismatch would; the photo none.
    assert state["identity"] == ["failed"]
    assert state["liveness"] == [["identity", "failed"]]

    # A retry is a new check, with its own challenges; the still photo fails it again.
    assert _run_check(page, root, button="retry") == "failed"
    assert page.locator("[data-capture]").is_hidden()
    assert attempt_json(run_manage, STATE, session)["liveness"] == [["identity", "failed"], ["identity", "failed"]]
    assert attempt_json(run_manage, STATE, session)["identity"] == ["failed", "failed"]

    # Starting the exam still sends back to the check; no paper was drawn.
    page.goto(f"{live_server_url}/exams/{session}/notice/")
    page.check("[data-confirm-notice]")
    page.click("[data-start]")
    page.wait_for_url(f"**/proctoring/sessions/{session}/check/")
    assert attempt_json(run_manage, STATE, session)["status"] in (None, "prepared")


def test_a_proctors_request_covers_the_paper_with_the_liveness_overlay(
    still_page: Callable[[], Any],
    new_page: Callable[..., Any],
    live_server_url: str,
    sessions: dict[str, int],
    run_manage: Callable[..., Any],
) -> None:
    session = sessions["on_demand"]
    page = _camera_page(still_page, live_server_url, f"/exams/{session}/notice/")
    page.check("[data-confirm-notice]")
    page.click("[data-start]")
    page.wait_for_selector("[data-exam-form]")
    page.wait_for_function("() => document.body.getAttribute('data-proctor-connected') === '1'")
    overlay = page.locator("[data-liveness-overlay]")
    assert overlay.is_hidden()

    # The proctor asks from the live grid.
    proctor = new_page(1280, 900)
    login(proctor, live_server_url, "demo_proctor")
    proctor.goto(f"{live_server_url}/proctoring/sessions/{session}/live/")
    proctor.wait_for_function("() => document.body.getAttribute('data-live') === '1'")
    proctor.locator("[data-tile] [data-liveness]").first.click()
    overlay.wait_for(state="visible", timeout=30_000)
    assert overlay.locator("h2").inner_text() == "监考员要求进行活体检测"
    # The overlay fills the screen, is opaque, and is what sits over the questions: nothing of the paper shows
    # and nothing of it can be clicked or focused.
    cover = page.evaluate(
        """() => {
        const o = document.querySelector('[data-liveness-overlay]');
        const r = o.getBoundingClientRect();
        const q = document.querySelector('[data-question]').getBoundingClientRect();
        const x = Math.min(q.left + 20, innerWidth - 1), y = Math.min(Math.max(q.top + 10, 0), innerHeight - 1);
        return {left: r.left, top: r.top, width: r.width, height: r.height, bg: getComputedStyle(o).backgroundColor,
                onTop: o.contains(document.elementFromPoint(x, y)),
                inert: document.querySelector('[data-exam-form]').closest('[inert]') !== null};
    }"""
    )
    assert (cover["left"], cover["top"], cover["width"], cover["height"]) == (0, 0, PHONE["width"], PHONE["height"])
    assert cover["bg"].startswith("rgb("), cover["bg"]  # no alpha channel: fully opaque
    assert cover["onTop"], cover
    assert cover["inert"], cover
    page.wait_for_function("() => document.querySelector('[data-liveness-video]').videoWidth > 0")
    _shot(page, "liveness-on-demand-phone.png")

    assert _run_check(page, "[data-liveness-overlay] [data-liveness]") == "failed"
    assert overlay.locator("[data-liveness-result]").inner_text().startswith("活体检测未通过。")
    _shot(page, "liveness-on-demand-failed-phone.png")
    state = attempt_json(run_manage, STATE, session)
    assert state["liveness"] == [["on_demand", "failed"]]
    assert "liveness" in state["flags"], state["flags"]  # a failure goes to review like a face mismatch
    assert state["status"] == "in_progress"

    # Back to the exam: the paper is usable again.
    overlay.locator("[data-liveness-close]").click()
    assert overlay.is_hidden()
    assert page.evaluate("() => document.querySelector('[data-exam-form]').closest('[inert]') === null")
    page.locator("[data-question] input").first.click()


def test_the_consent_text_says_liveness_is_checked_and_enrolment_still_works(
    still_page: Callable[[], Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    # demo_welder (钱焊工) has never consented nor enrolled, and is in no other browser test.
    page = still_page()
    login(page, live_server_url, "demo_welder")
    page.goto(f"{live_server_url}/proctoring/face/")
    consent = page.locator("[data-consent-text]").inner_text()
    assert "活体检测" in consent
    assert "眨眼、张嘴、转头" in consent
    _shot(page, "liveness-consent-phone.png", full_page=True)
    page.check('input[name="agree"]')
    page.click("[data-give-consent]")
    page.wait_for_selector("[data-camera]")
    page.wait_for_function("() => document.querySelector('[data-video]').videoWidth > 0")
    page.click("[data-capture]")
    page.wait_for_selector("[data-enrolled]")  # the page reloads once the reference photo is kept
    enrolled = run_manage(
        "shell",
        "-c",
        "from proctoring.models import FaceEnrolment; "
        "print(FaceEnrolment.objects.filter(person__user__username='demo_welder').count())",
    )
    assert enrolled.stdout.strip().splitlines()[-1] == "1"
