"""Drill 5, double submit: 50 submits of one attempt at once, from two sessions, through two processes.

The examinee's browser (session cookie + CSRF token, as exam.js sends) and their phone app
(API token) both press 提交 25 times at the same instant, split over a gunicorn process and a
daphne process sharing one PostgreSQL database. The attempt is graded exactly once: one
submission time, one grading, one certificate, one ``submitted`` broadcast; every answer is
the result (200) or a clear refusal with a code (409), never a server error.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import threading
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from exams import events
from exams.models import Attempt, AttemptQuestion, Certificate, CertificateType
from exams.services.attempts import attempt_save_answer, attempt_start
from tests.conftest import Cast, login_client
from tests.doors import in_own_thread
from tests.drills.conftest import WebProcesses
from tests.exams.conftest import correct_answer, make_bank, make_paper, make_session

SUBMITS = 50


def request(
    base: str, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        conn.request(method, path, body=body, headers={"Content-Length": str(len(body)), **headers})
        response = conn.getresponse()
        cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _eq, rest = value.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, cookies, response.read()
    finally:
        conn.close()


def browser_credentials(base: str, user: Any, attempt_id: int) -> dict[str, str]:
    """What the exam page gives a signed-in browser: its session cookie, the CSRF cookie and token."""
    session = login_client(user).cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}"
    status, cookies, page = request(base, "GET", f"/exams/attempts/{attempt_id}/", {"Cookie": cookie})
    assert status == 200, page[:500]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    assert settings.CSRF_COOKIE_NAME in cookies
    return {
        "Cookie": f"{cookie}; {settings.CSRF_COOKIE_NAME}={cookies[settings.CSRF_COOKIE_NAME]}",
        "X-CSRFToken": token.group(1).decode(),
    }


async def count_submitted(prefix: str, attempt_id: int, ready: threading.Event, done: threading.Event) -> list[str]:
    """The ``submitted`` messages the processes broadcast to the exam page's group (their channel layer)."""
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix=prefix)
    channel = await layer.new_channel()
    await layer.group_add(events.group_name(attempt_id), channel)
    ready.set()
    seen: list[str] = []
    while True:
        try:
            message = await asyncio.wait_for(layer.receive(channel), timeout=3)
        except TimeoutError:
            if done.is_set():
                break
            continue
        seen.append(message.get("event", ""))
    return seen


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_submits_from_a_browser_and_a_phone_grade_once(cast: Cast, web_processes: WebProcesses) -> None:
    learner = cast.east.learner
    bank = make_bank(cast.east.provider)
    session = make_session(
        cast.east.provider,
        make_paper(cast.east.provider, bank),
        certificate_type=CertificateType.NEW_EMPLOYEE,
    )
    attempt = attempt_start(notice_confirmed=True, session=session, person=learner)
    for aq in attempt.questions.all():
        attempt_save_answer(attempt=attempt, question_id=aq.pk, answer=correct_answer(aq), client_seq=1)

    browser = browser_credentials(web_processes.gunicorn, learner.user, attempt.pk)
    phone = {"Authorization": f"Token {Token.objects.create(user=learner.user).key}"}
    path = f"/api/v1/attempts/{attempt.pk}/submit/"
    body = json.dumps({"reason": "examinee"}).encode()
    base_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    plan = [
        (web_processes.urls[i % 2], {**base_headers, **(browser if (i // 2) % 2 == 0 else phone)})
        for i in range(SUBMITS)
    ]

    listener_ready, submits_done = threading.Event(), threading.Event()
    broadcasts: list[list[str]] = []
    listener = None
    if web_processes.redis_prefix:

        def listen() -> None:
            broadcasts.append(
                in_own_thread(count_submitted(web_processes.redis_prefix, attempt.pk, listener_ready, submits_done))
            )

        listener = threading.Thread(target=listen)
        listener.start()
        assert listener_ready.wait(timeout=30)

    barrier = threading.Barrier(SUBMITS)
    answers: list[tuple[int, dict[str, Any]]] = []
    failures: list[BaseException] = []

    def submit(base: str, headers: dict[str, str]) -> None:
        try:
            barrier.wait(timeout=60)
            status, _cookies, content = request(base, "POST", path, headers, body)
            answers.append((status, json.loads(content) if content else {}))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=submit, args=step) for step in plan]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    submits_done.set()
    if listener is not None:
        listener.join(timeout=60)

    assert not failures
    assert len(answers) == SUBMITS
    statuses = sorted({status for status, _ in answers})
    assert set(statuses) <= {200, 409}, [a for a in answers if a[0] not in (200, 409)][:3]
    assert all(data.get("code") for status, data in answers if status == 409)
    ok = [data for status, data in answers if status == 200]
    assert ok, "no submit was answered with the result"

    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    # One grading: the winner's instant is both the submission and the grading time.
    assert attempt.graded_at == attempt.submitted_at
    assert attempt.score == attempt.max_score
    assert attempt.passed is True
    certificates = list(Certificate.objects.filter(attempt=attempt))
    assert len(certificates) == 1
    assert not AttemptQuestion.objects.filter(attempt=attempt, awarded__isnull=True).exists()
    assert sum((aq.awarded for aq in AttemptQuestion.objects.filter(attempt=attempt)), Decimal(0)) == attempt.score
    # Every result answered is the same one result.
    assert {(d["status"], d["submitted_at"], d["score"], d["passed"], d["certificate"]) for d in ok} == {
        (
            "submitted",
            ok[0]["submitted_at"],
            str(attempt.score),
            True,
            certificates[0].number,
        )
    }
    if web_processes.redis_prefix:
        assert broadcasts
        assert broadcasts[0].count("submitted") == 1
