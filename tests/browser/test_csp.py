"""The Content-Security-Policy in a real browser: no page of any role trips it.

Every page of the demo is loaded at 390×844 with the demo accounts; a
``securitypolicyviolation`` listener (installed before any page script) and
the console both report violations. The proctor's live grid must connect its
websocket under ``connect-src 'self'``. Screenshots go to the pytest temp
folder (not the tracked docs/screenshots/).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DEMO_EXAM_SCRIPT, login, shell_json

pytestmark = pytest.mark.browser

RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""

SETUP = (
    DEMO_EXAM_SCRIPT
    + """
from django.urls import reverse
from exams.services.attempts import attempt_start
from organizations.services import person_create
from organizations.validators import complete_id_number
from proctoring.models import ProctoringPolicy
from question_bank.models import Bank
from training.models import Lesson
person = Person.objects.filter(user__username="csp_examinee").first()
if person is None:
    person, _ = person_create(enterprise=learner.enterprise, name="内容策略考生", username="csp_examinee",
        password="demo-pass-2026", id_number=complete_id_number("99010119970707777"),
        hire_date=timezone.localdate() - dt.timedelta(days=30))
session = demo_session("内容安全策略考试", person, duration_minutes=30)
session_prepare(session=session)
attempt = attempt_start(session=session, person=person, notice_confirmed=True)
from training.selectors import lessons_visible_to
visible = lessons_visible_to(learner.user).order_by("pk")
lessons = Lesson.objects.filter(pk__in=[visible.filter(kind=k).values_list("pk", flat=True).first() for k in Lesson.Kind.values])
policy = ProctoringPolicy.objects.order_by("session_id").first()
print(json.dumps({
    "attempt": reverse("exams:attempt", args=[attempt.pk]),
    "session": session.pk,
    "lessons": sorted({reverse("training:lesson_player", args=[pk]) for pk in lessons.values_list("pk", flat=True)}),
    "course": visible.first().chapter.course_id,
    "proctored": policy.session_id,
    "bank": Bank.objects.order_by("pk").first().pk,
}))
"""
)


@pytest.fixture(scope="module")
def demo(run_manage: Callable[..., Any], live_server_url: str) -> dict[str, Any]:
    return shell_json(run_manage, SETUP)


def _watch(page: Any) -> list[str]:
    console: list[str] = []
    page.add_init_script(RECORD)
    page.on(
        "console",
        lambda message: console.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return console


def _visit(page: Any, url: str, console: list[str], shots: Path, name: str) -> list[str]:
    response = page.goto(url)
    assert response is not None
    assert response.status < 400, (url, response.status)
    assert "content-security-policy" in response.headers, url
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    found = [f"{url}: {v}" for v in page.evaluate("window.__csp || []")]
    found += [f"{url}: {m}" for m in console]
    console.clear()
    return found


ROLES: dict[str, list[str]] = {
    "demo_learner": [
        "/",
        "/training/",
        "/training/courses/{course}/",
        "{lessons}",
        "/qb/practice/",
        "/exams/",
        "/proctoring/face/",
        "/proctoring/sessions/{proctored}/check/",
        "/org/me/",
    ],
    "demo_enterprise": ["/", "/org/roster/", "/training/enterprise/", "/training/assign/", "/stats/"],
    "demo_bureau": [
        "/",
        "/training/enterprise/",
        "/stats/",
        "/stats/indicator/?indicator=principal_certified_rate",
        "/stats/people/?indicator=principal_certified_rate&status=missing",
        "/stats/reports/",
        "/stats/reports/new/",
    ],
    "demo_trainer": [
        "/",
        "/exams/manage/",
        "/exams/manage/sessions/{session}/statistics/",
        "/qb/",
        "/qb/banks/{bank}/",
        "/training/manage/",
        "/training/manage/courses/{course}/",
    ],
    "demo_proctor": ["/proctoring/", "/proctoring/review/"],
    "demo_admin": [
        "/admin/",
        "/admin/organizations/person/",
        "/admin/organizations/person/add/",
        "/admin/exams/examsession/{session}/change/",
    ],
}


def _urls(paths: list[str], demo: dict[str, Any]) -> list[str]:
    urls: list[str] = []
    for path in paths:
        if path == "{lessons}":
            urls += demo["lessons"]
        else:
            urls.append(path.format(**demo))
    return urls


@pytest.mark.parametrize("username", list(ROLES))
def test_no_page_of_the_role_violates_the_policy(
    new_page: Callable[..., Any], live_server_url: str, demo: dict[str, Any], username: str, tmp_path: Path
) -> None:
    page = new_page()
    console = _watch(page)
    login(page, live_server_url, username)
    violations: list[str] = []
    for i, url in enumerate(_urls(ROLES[username], demo)):
        violations += _visit(page, f"{live_server_url}{url}", console, tmp_path, f"{username}-{i}")
    assert violations == [], "\n".join(violations)


def test_the_exam_page_and_practice_run_under_the_policy(
    new_page: Callable[..., Any], live_server_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    page = new_page()
    console = _watch(page)
    login(page, live_server_url, "csp_examinee")
    violations = _visit(page, f"{live_server_url}{demo['attempt']}", console, tmp_path, "exam")
    page.wait_for_selector("[data-exam-form]")
    page.locator("[data-exam-form] input[type=radio], [data-exam-form] input[type=checkbox]").first.check()
    page.wait_for_load_state("networkidle")
    violations += [f"exam after answering: {v}" for v in page.evaluate("window.__csp")] + console
    assert violations == []

    learner = new_page()
    console = _watch(learner)
    login(learner, live_server_url, "demo_learner")
    learner.goto(f"{live_server_url}/qb/practice/")
    start = learner.locator("main form button[type=submit]").first
    if start.count():
        start.click()
        learner.wait_for_load_state("networkidle")
    learner.screenshot(path=str(tmp_path / "practice.png"), full_page=True)
    assert learner.evaluate("window.__csp") == []
    assert console == []


def test_the_live_grid_connects_its_websocket_under_connect_src_self(
    new_page: Callable[..., Any], live_server_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    page = new_page()
    console = _watch(page)
    login(page, live_server_url, "demo_proctor")
    page.goto(f"{live_server_url}/proctoring/sessions/{demo['proctored']}/live/")
    page.wait_for_function("() => document.body.getAttribute('data-live') === '1'")
    page.screenshot(path=str(tmp_path / "live.png"), full_page=True)
    assert page.evaluate("window.__csp") == []
    assert console == []


def test_the_api_docs_render_under_the_policy(
    new_page: Callable[..., Any], live_server_url: str, tmp_path: Path
) -> None:
    page = new_page()
    console = _watch(page)
    login(page, live_server_url, "demo_admin")
    violations = _visit(page, f"{live_server_url}/api/docs/", console, tmp_path, "api-docs")
    page.wait_for_selector(".swagger-ui .opblock")  # Swagger UI drew the operations from the schema
    violations += page.evaluate("window.__csp") + console
    assert violations == [], "\n".join(violations)
