"""Drill 2, Redis restarted mid-exam: answers keep being saved, browser events wait and are resent.

The drill runs its own redis-server (never the shared one) and points a gunicorn process (pages
and API, the phone app's autosaves) and a daphne process (the exam page and its websocket, as a
browser without a proxy uses it) at it. A real exam page in Chromium (static/js/exam.js and
proctor-client.js) and a phone (API token) are mid-exam when Redis stops:

- autosave keeps working over HTTP, from the phone (token, gunicorn) and from the page (session
  cookie, daphne): every save is answered 2xx and stored;
- the page's proctoring socket needs the channel layer (Redis): while Redis is down the page's
  browser events wait in its queue (localStorage) instead of being acknowledged;
- Redis comes back on the same port, empty: the page reconnects, the server's ``hello`` says
  which events it holds, the page resends the rest, and every event is stored exactly once;
- the live path works again: the proctor's grid hears the page's next events, and a submit made
  through gunicorn reaches the page's socket in daphne.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.request import Request, urlopen

import pytest
from django.conf import settings
from django.db import connections
from rest_framework.authtoken.models import Token

from exams.models import Attempt, AttemptQuestion
from exams.services.attempts import attempt_start
from proctoring.models import BrowserEvent
from tests.browser.conftest import CHROMIUM
from tests.conftest import Cast, login_client
from tests.drills.conftest import needs_postgresql
from tests.exams.conftest import correct_answer
from tests.support.drill_services import counted_session, drill_env, redis_instance, web_processes_started
from tests.support.servers import probe

T = TypeVar("T")
WAIT_MS = 45_000  # how long the page may take to reach a state (a generous poll, not a timed assertion)


def api(method: str, url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = Request(  # noqa: S310 - loopback
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except OSError as exc:  # HTTPError: the status and body of a refusal
        return getattr(exc, "code", 0), json.loads(getattr(exc, "read", lambda: b"{}")() or b"{}")


def read_db(query: Callable[[], T]) -> T:
    """Run an ORM read on a thread of its own: sync Playwright keeps an event loop running on this one."""

    def run() -> T:
        try:
            return query()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=60)


def events_of(attempt_id: int) -> list[tuple[int, str]]:
    return read_db(lambda: list(BrowserEvent.objects.filter(attempt_id=attempt_id).values_list("client_seq", "type")))


def switch_tab(page: Any) -> None:
    """Leave the page and come back, through the page's own handlers (two events: blur, focus)."""
    page.evaluate("() => { window.dispatchEvent(new Event('blur')); window.dispatchEvent(new Event('focus')); }")


def body_is(page: Any, attribute: str, value: str) -> None:
    page.wait_for_function(
        "([name, value]) => document.body.getAttribute(name) === value", arg=[attribute, value], timeout=WAIT_MS
    )


def answer_on_page(page: Any, aq: AttemptQuestion) -> None:
    page.check(f'[data-question="{aq.pk}"] input[value="{correct_answer(aq)}"]')
    body_is(page, "data-unsaved-count", "0")  # exam.js's queue is empty: the server acknowledged the save
    assert read_db(lambda: AttemptQuestion.objects.get(pk=aq.pk).given) == correct_answer(aq)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redis_restarted_mid_exam_loses_nothing(cast: Cast, tmp_path: Path) -> None:
    needs_postgresql()
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    provider = cast.east.provider
    session = counted_session(provider)
    learner = cast.east.learner
    attempt = attempt_start(notice_confirmed=True, session=session, person=learner)
    singles = list(attempt.questions.filter(qtype="single").order_by("position", "pk"))
    judged = list(attempt.questions.filter(qtype="true_false").order_by("position", "pk"))
    phone = Token.objects.create(user=learner.user).key
    learner_cookie = login_client(learner.user).cookies[settings.SESSION_COOKIE_NAME].value
    proctor_cookie = login_client(cast.east.proctor).cookies[settings.SESSION_COOKIE_NAME].value

    def phone_saves(base: str, aq: AttemptQuestion, seq: int) -> None:
        status, body = api(
            "PUT",
            f"{base}/api/v1/attempts/{attempt.pk}/answers/{aq.pk}/",
            phone,
            {"answer": correct_answer(aq), "client_seq": seq},
        )
        assert status == 200, body
        assert read_db(lambda: AttemptQuestion.objects.get(pk=aq.pk).given) == correct_answer(aq)

    with redis_instance(tmp_path) as redis:
        env = drill_env(tmp_path, REDIS_URL=redis.url, REDIS_PREFIX="drill-redis", CELERY_QUEUE="drill-redis")
        with (
            web_processes_started(["gunicorn", "daphne"], env, tmp_path) as (gunicorn, daphne),
            playwright_api.sync_playwright() as p,
        ):
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            )
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            context.add_cookies(
                [
                    {"name": settings.SESSION_COOKIE_NAME, "value": learner_cookie, "url": daphne.url},
                ]
            )
            page = context.new_page()
            page.goto(f"{daphne.url}/exams/attempts/{attempt.pk}/")
            body_is(page, "data-proctor-connected", "1")

            # Before: a save from the page and from the phone, and a tab switch acknowledged.
            answer_on_page(page, singles[0])
            phone_saves(gunicorn.url, judged[0], 1)
            switch_tab(page)
            body_is(page, "data-proctor-acked", "2")

            redis.stop()
            # Autosave keeps working over HTTP: the phone through gunicorn, the page through daphne.
            phone_saves(gunicorn.url, judged[1], 1)
            # So the load balancer keeps both processes in rotation (/readyz: the database alone),
            # while the operator's full report names what is down.
            for web in (gunicorn, daphne):
                assert probe(f"{web.url}/readyz") == (200, {"db": "ok"})
                status, report = probe(f"{web.url}/healthz")
                assert status == 503, report
                assert report["channel_layer"].startswith("error"), report
            answer_on_page(page, singles[1])
            # The socket lives on the channel layer: it drops, and the page's events wait in its queue.
            body_is(page, "data-proctor-connected", "0")
            switch_tab(page)
            body_is(page, "data-proctor-pending", "2")
            assert events_of(attempt.pk) == [(1, "blur"), (2, "focus")]

            redis.start()
            # Back: the page reconnects and resends; the server holds every event once.
            body_is(page, "data-proctor-connected", "1")
            body_is(page, "data-proctor-pending", "0")
            body_is(page, "data-proctor-acked", "4")
            assert events_of(attempt.pk) == [
                (1, "blur"),
                (2, "focus"),
                (3, "blur"),
                (4, "focus"),
            ]

            # The live path: the proctor's grid on daphne hears the page's next tab switch...
            proctor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            proctor.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": proctor_cookie, "url": daphne.url}])
            grid = proctor.new_page()
            grid.goto(f"{daphne.url}/proctoring/sessions/{session.pk}/live/")
            body_is(grid, "data-live", "1")
            tile_events = f"[data-attempt='{attempt.pk}'] [data-events]"
            grid.wait_for_function(
                "selector => document.querySelector(selector)?.textContent.trim() === '4'", arg=tile_events
            )
            switch_tab(page)
            body_is(page, "data-proctor-acked", "6")
            grid.wait_for_function(
                "selector => document.querySelector(selector)?.textContent.trim() === '6'",
                arg=tile_events,
                timeout=WAIT_MS,
            )
            # ...and a submit through gunicorn reaches the page's socket in daphne (Redis channel layer).
            status, result = api("POST", f"{gunicorn.url}/api/v1/attempts/{attempt.pk}/submit/", phone, {})
            assert status == 200, result
            body_is(page, "data-proctor-finished", "1")
            browser.close()

    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    stored = {aq.pk: aq.given for aq in attempt.questions.all()}
    for aq in [*singles[:2], *judged[:2]]:
        assert stored[aq.pk] == correct_answer(aq)
