"""The player in headless Chromium, on a phone and on a desktop: a learner
opens the assigned course, plays a generated video, sees credit rise, cannot
seek ahead, is locked when idle (and credit stops), and finishing the course
unlocks its exam. Screenshots of both dashboards go to var/screenshots/ (``make screenshots`` copies them to docs/).

A second daphne serves the same database as the shared live server, with the
credit timings shortened (heartbeat every 2 s, idle lock after 8 s) so the
test runs in about a minute; every rule is the production code path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import login
from tests.support.servers import ROOT, daphne_server, free_port

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "var" / "screenshots"
FAST = {
    "TRAINING_HEARTBEAT_SECONDS": "2",
    "TRAINING_HEARTBEAT_MIN_INTERVAL_SECONDS": "1",
    "TRAINING_HEARTBEAT_MAX_GAP_SECONDS": "5",
    "TRAINING_IDLE_LOCK_SECONDS": "8",
}

SETUP = """
import datetime as dt, json
from django.utils import timezone
from organizations.models import Enterprise, Person, TrainingProvider
from organizations.services import person_create
from organizations.validators import complete_id_number
from training.services.assignments import assignment_create
from training.services.content import lesson_create
from demo.training import make_demo_video
from training.models import Chapter, Course, Lesson
provider = TrainingProvider.objects.get(code="demo-center")
enterprise = Person.objects.get(user__username="demo_learner").enterprise
course, created = Course.objects.get_or_create(
    title="浏览器测试：安全帽佩戴", owner_provider=provider, defaults={"shared_with": provider.jurisdiction})
if created:
    chapter = Chapter.objects.create(course=course, title="第一章")
    lesson_create(actor=None, chapter=chapter, title="安全帽佩戴（视频）", kind=Lesson.Kind.VIDEO, credit_minutes=1,
                           data=make_demo_video(seconds=40), duration_seconds=40)
out = {"course": course.pk, "lesson": Lesson.objects.get(chapter__course=course).pk}
for index, username in enumerate(["bt_phone", "bt_desktop"], start=1):
    if not Person.objects.filter(user__username=username).exists():
        person, _ = person_create(enterprise=enterprise, name=username, username=username, password="demo-pass-2026",
            id_number=complete_id_number(f"99010119960606{index + 500:03d}"), hire_date=timezone.localdate() - dt.timedelta(days=400))
        assignment_create(learner=person.user, course=course, due_date=timezone.localdate() + dt.timedelta(days=7))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def training_url(live_server_url: str, server_env: dict[str, str], server_dir: Path) -> Iterator[str]:
    port = free_port()
    with daphne_server(port=port, env={**server_env, **FAST}, log=server_dir / f"daphne-training-{port}.log") as url:
        yield url


@pytest.fixture(scope="module")
def course_ids(run_manage: Callable[..., Any], live_server_url: str) -> dict[str, int]:
    result = run_manage("shell", "-c", SETUP)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _credited(page: Any) -> int:
    return int(page.get_attribute("#player", "data-credited-seconds") or 0)


def _open_lesson(page: Any, url: str, username: str, ids: dict[str, int]) -> None:
    login(page, url, username)
    page.goto(f"{url}/training/")
    page.locator(f'a[href="/training/lessons/{ids["lesson"]}/"]').first.click()
    page.wait_for_selector('#player[data-ready="1"]')
    page.evaluate("document.getElementById('lesson-video').muted = true")
    page.evaluate("document.getElementById('lesson-video').play()")


def test_phone_learner_earns_credit_and_cannot_seek_ahead(
    new_page: Callable[..., Any], training_url: str, course_ids: dict[str, int]
) -> None:
    page = new_page()
    _open_lesson(page, training_url, "bt_phone", course_ids)
    page.wait_for_function("() => Number(document.getElementById('player').dataset.creditedSeconds || 0) > 0")
    assert _credited(page) > 0
    # Offered only when the lesson plays in another window: [hidden] beats button{display:inline-block}.
    assert not page.locator("[data-takeover]").is_visible()
    page.evaluate("document.getElementById('lesson-video').currentTime = 35")
    page.wait_for_function("() => document.getElementById('player').dataset.seekRefused === '1'")
    assert page.evaluate("document.getElementById('lesson-video').currentTime") < 20
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_desktop_learner_is_locked_when_idle_and_completion_unlocks_the_exam(
    new_page: Callable[..., Any], training_url: str, course_ids: dict[str, int]
) -> None:
    page = new_page(1280, 900)
    _open_lesson(page, training_url, "bt_desktop", course_ids)
    page.wait_for_function("() => Number(document.getElementById('player').dataset.creditedSeconds || 0) > 0")
    # Nobody touches the page: after the idle limit the lesson locks and credit stops.
    page.wait_for_selector("[data-idle-lock]:not([hidden])")
    assert page.evaluate("document.getElementById('lesson-video').paused")
    frozen = _credited(page)
    seq = page.evaluate("window.safetrainPlayer.state().seq")
    page.wait_for_function(f"() => window.safetrainPlayer.state().seq >= {seq + 2}")  # two more heartbeats
    assert _credited(page) == frozen
    page.click("[data-still-here]")
    page.wait_for_selector("[data-idle-lock]", state="hidden")
    # Study on, touching the page now and then, watching again after the end.
    for _ in range(120):
        if page.get_attribute("#player", "data-completed") == "1":
            break
        page.keyboard.press("Shift")
        page.evaluate(
            "(() => { const v = document.getElementById('lesson-video');"
            " if (v.ended || v.paused) { if (v.ended) v.currentTime = 0; v.play(); } })()"
        )
        page.wait_for_timeout(1000)
    assert page.get_attribute("#player", "data-completed") == "1"
    assert _credited(page) >= 60
    page.goto(f"{training_url}/training/courses/{course_ids['course']}/")
    assert page.get_attribute("[data-exam-eligibility]", "data-exam-eligibility") == "yes"


def test_dashboard_screenshots(new_page: Callable[..., Any], training_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone = new_page()
    login(phone, training_url, "demo_learner")
    phone.goto(f"{training_url}/training/")
    assert phone.locator("[data-assignment]").count() >= 2
    assert phone.locator('[data-status="completed"]').count() >= 1
    phone.screenshot(path=str(SCREENSHOTS / "training-learner-dashboard-phone.png"), full_page=True)
    desktop = new_page(1280, 900)
    login(desktop, training_url, "demo_enterprise")
    desktop.goto(f"{training_url}/training/enterprise/")
    assert desktop.locator('tr[data-status="overdue"]').count() >= 1
    assert desktop.locator('tr[data-status="completed"]').count() >= 1
    desktop.screenshot(path=str(SCREENSHOTS / "training-enterprise-dashboard.png"), full_page=True)
