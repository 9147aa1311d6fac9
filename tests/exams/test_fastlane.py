"""exams.fastlane: a token client's start, autosave and submit give what Django gives, without Django.

Two examinees sit the same fixed paper. Every step runs for the first through
the server's HTTP stack (the fast lane in front of Django) and for the second
through Django alone. After each step the two responses (status, headers and
JSON body, with ids, device tokens and times replaced by placeholders) and the
two attempts' rows must be equal. The lane counts what it served itself, so
the comparison cannot pass by handing every request to Django.
"""

from __future__ import annotations

import asyncio
import gc
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from rest_framework.authtoken.models import Token

from config.concurrency import HttpConcurrencyLimit
from exams import events
from exams.fastlane import ExamFastLane, lane_threads
from exams.models import Attempt, AttemptAnswer, AttemptQuestion
from exams.services.papers import paper_create_fixed
from question_bank.models import Question, QuestionType
from tests import factories
from tests.exams.conftest import FILL_KEYS, make_bank, make_session

# Transactional: the lane's threads and Django's use connections of their own.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TIMES = {"deadline", "server_time", "saved_at", "submitted_at", "release_at"}


def _in_own_thread(coroutine: Any) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)


async def call(
    app: Any, method: str, path: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request through an ASGI app: (status, headers by lower-case name, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers or []],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    done = asyncio.Event()
    sent = False
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await asyncio.wait_for(app(scope, receive, send), timeout=60)
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    names = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], names, content


class Examinee:
    def __init__(self, person: Any, session: Any) -> None:
        self.person = person
        self.session = session
        self.token = Token.objects.create(user=person.user).key
        self.attempt_id = 0
        self.questions: list[int] = []
        self.device = ""

    def fill(self, template: str) -> str:
        values = {f"q{i}": qid for i, qid in enumerate(self.questions)}
        return template.format(session=self.session.pk, attempt=self.attempt_id, device=self.device, **values)

    def normalise(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {self._id(k): self.normalise(v, k) for k, v in value.items()}
        if isinstance(value, list):
            items = [self.normalise(v) for v in value]
            return sorted(items, key=lambda q: q["id"]) if key == "questions" else items
        if key in TIMES and value is not None:
            return "<time>"
        if key == "device":
            return "<device>"
        if key == "attempt_id" and value == self.attempt_id:
            return "<attempt>"
        if key in ("id", "question_id"):
            return self._id(str(value))
        return value

    def _id(self, text: str) -> str:
        ids = [str(q) for q in self.questions]
        return f"<q{ids.index(text)}>" if text in ids else text

    def snapshot(self) -> list[Any]:
        if not self.attempt_id:
            return []
        attempt = Attempt.objects.get(pk=self.attempt_id)
        rows = list(
            AttemptQuestion.objects.filter(attempt=attempt)
            .order_by("qtype")
            .values_list("qtype", "given", "client_seq", "is_correct", "awarded")
        )
        audit = list(
            AttemptAnswer.objects.filter(attempt=attempt)
            .order_by("pk")
            .values_list("attempt_question__qtype", "client_seq", "given")
        )
        return [attempt.status, attempt.score, attempt.passed, attempt.submit_reason, rows, audit]


@pytest.fixture
def sitting(cast: Any) -> dict[str, Any]:
    bank = make_bank(cast.east.provider)
    questions = [Question.objects.filter(bank=bank, type=qtype).order_by("pk").first() for qtype in QuestionType.values]
    paper = paper_create_fixed(
        provider=cast.east.provider, name="固定卷", questions=[(q, Decimal(5)) for q in questions]
    )
    session = make_session(cast.east.provider, paper, pass_score=Decimal(10), shuffle_options=False, attempts_allowed=1)
    colleague = factories.make_person(cast.east.enterprises[0], username="east_twin")
    return {"session": session, "a": Examinee(cast.east.learner, session), "b": Examinee(colleague, session)}


@pytest.fixture
def lane() -> Any:
    from config.asgi import django_asgi_app

    lane = ExamFastLane(HttpConcurrencyLimit(django_asgi_app, 12), 2, django_app=django_asgi_app)
    yield lane
    lane.close()
    # Django's request threads ended, but their connections (CONN_MAX_AGE) are closed
    # only when collected; the test database cannot be dropped while they are open.
    gc.collect()


# (what, method, path, body, extra headers, served by the lane itself)
STEPS: list[tuple[str, str, str, Any, list[tuple[str, str]], bool]] = [
    ("start without confirm_notice", "POST", "/api/v1/exams/{session}/attempts/", None, [], True),
    ("start, notice not confirmed", "POST", "/api/v1/exams/{session}/attempts/", {"confirm_notice": False}, [], True),
    (
        "start, confirm_notice not a boolean",
        "POST",
        "/api/v1/exams/{session}/attempts/",
        {"confirm_notice": "maybe"},
        [],
        False,
    ),
    ("start, body is a list", "POST", "/api/v1/exams/{session}/attempts/", [1], [], False),
    ("start", "POST", "/api/v1/exams/{session}/attempts/", {"confirm_notice": True}, [], True),
    ("resume on another device", "POST", "/api/v1/exams/{session}/attempts/", None, [], True),
    (
        "save",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "B", "client_seq": 1, "device": "{device}"},
        [],
        True,
    ),
    (
        "replay",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "B", "client_seq": 1, "device": "{device}"},
        [],
        True,
    ),
    ("older seq", "PUT", "/api/v1/attempts/{attempt}/answers/{q0}/", {"answer": "A", "client_seq": 1}, [], True),
    (
        "older seq, English",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "A", "client_seq": 1},
        [("Accept-Language", "en")],
        True,
    ),
    ("bad letter", "PUT", "/api/v1/attempts/{attempt}/answers/{q1}/", {"answer": "Z", "client_seq": 1}, [], True),
    (
        "json answer list",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q1}/",
        {"answer": ["A", "C"], "client_seq": 2},
        [],
        True,
    ),
    ("no client_seq", "PUT", "/api/v1/attempts/{attempt}/answers/{q1}/", {"answer": "A"}, [], False),
    ("body is a list", "PUT", "/api/v1/attempts/{attempt}/answers/{q1}/", [1, 2], [], False),
    ("body is not JSON", "PUT", "/api/v1/attempts/{attempt}/answers/{q1}/", b"answer=A", [], False),
    ("NaN", "PUT", "/api/v1/attempts/{attempt}/answers/{q1}/", b'{"answer": NaN, "client_seq": 5}', [], False),
    (
        "form body",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q1}/",
        b"answer=A&client_seq=7",
        [("Content-Type", "application/x-www-form-urlencoded")],
        False,
    ),
    (
        "question of no attempt",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/999999999/",
        {"answer": "A", "client_seq": 1},
        [],
        True,
    ),
    (
        "old device",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q2}/",
        {"answer": True, "client_seq": 1, "device": "0123456789abcdef"},
        [],
        True,
    ),
    (
        "fill blanks",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q3}/",
        {"answer": [" 钥匙甲0 ", "别名0"], "client_seq": 4},
        [],
        True,
    ),
    ("no such attempt", "PUT", "/api/v1/attempts/999999999/answers/{q0}/", {"answer": "A", "client_seq": 9}, [], True),
    (
        "asks for HTML",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "A", "client_seq": 9},
        [("Accept", "text/html")],
        False,
    ),
    (
        "session cookie",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "A", "client_seq": 9},
        [("Cookie", "sessionid=abc")],
        False,
    ),
    (
        "bad token",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "A", "client_seq": 9},
        [("Authorization", "Token nope")],
        False,
    ),
    (
        "unknown charset",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "C", "client_seq": 10},
        [("Content-Type", "application/json; charset=no-such-charset")],
        True,  # Django ignores a charset it does not know, and so does the lane
    ),
    (
        "two Authorization headers",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "C", "client_seq": 10},
        [("Authorization", "Token {token}"), ("Authorization", "Token {token}")],
        False,
    ),
    (
        "body over 64 KiB",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "C" * 70_000, "client_seq": 10},
        [],
        False,
    ),
    ("early time_up", "POST", "/api/v1/attempts/{attempt}/submit/", {"reason": "time_up"}, [], True),
    ("unknown reason", "POST", "/api/v1/attempts/{attempt}/submit/", {"reason": "bored"}, [], False),
    ("submit", "POST", "/api/v1/attempts/{attempt}/submit/", {}, [], True),
    ("submit again", "POST", "/api/v1/attempts/{attempt}/submit/", b"", [], True),
    (
        "save after submit",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "C", "client_seq": 10},
        [],
        True,
    ),
    ("start after the last attempt", "POST", "/api/v1/exams/{session}/attempts/", None, [], True),
    ("no such session", "POST", "/api/v1/exams/999999999/attempts/", None, [], False),
]


START = next(step for step in STEPS if step[0] == "start")


def _request(who: Examinee, method: str, path: str, body: Any, extra: list[tuple[str, str]]) -> tuple[Any, ...]:
    headers = [("Authorization", f"Token {who.token}"), ("Accept", "application/json")]
    names = {k.lower() for k, _ in extra}
    headers = [h for h in headers if h[0].lower() not in names] + [(k, v.format(token=who.token)) for k, v in extra]
    if isinstance(body, bytes):
        raw = body
    elif body is None:
        raw = b""
    else:
        raw = json.dumps(body).replace('"{device}"', json.dumps(who.device)).encode()
    if raw and "content-type" not in names:
        headers.append(("Content-Type", "application/json"))
    return method, who.fill(path), raw, headers


def test_every_step_gives_the_same_response_and_rows_through_either_door(sitting: dict[str, Any], lane: Any) -> None:
    a, b = sitting["a"], sitting["b"]
    _compare(STEPS, a, b, lane)

    # The sitting really happened: answers saved and graded, the same way for both.
    final = a.snapshot()
    assert final[0] == Attempt.Status.SUBMITTED
    # The blanks right, the multiple choice half right (no partial credit), the single choice last
    # changed to a wrong "C"; the form-encoded body was refused by both doors.
    assert final[1] == Decimal(5)
    assert [row[:3] for row in final[4]] == [
        (QuestionType.FILL_BLANK, ["钥匙甲0", "别名0"], 4),
        (QuestionType.MULTIPLE, "AC", 2),
        (QuestionType.SINGLE, "C", 10),
        (QuestionType.TRUE_FALSE, None, 0),
    ]
    assert lane.served == sum(step[-1] for step in STEPS)


PROCTORED_STEPS: list[tuple[str, str, str, Any, list[tuple[str, str]], bool]] = [
    (
        "start before the identity check",
        "POST",
        "/api/v1/exams/{session}/attempts/",
        {"confirm_notice": True},
        [],
        True,
    ),
    (
        "start before the identity check, English",
        "POST",
        "/api/v1/exams/{session}/attempts/",
        {"confirm_notice": True},
        [("Accept-Language", "en")],
        True,
    ),
    ("start without confirm_notice", "POST", "/api/v1/exams/{session}/attempts/", {}, [], True),
    ("identity check passed", "", "", None, [], False),  # not a request: a proctor approves both
    ("start without confirm_notice, check passed", "POST", "/api/v1/exams/{session}/attempts/", {}, [], True),
    ("start after the check", "POST", "/api/v1/exams/{session}/attempts/", {"confirm_notice": True}, [], True),
    ("resume", "POST", "/api/v1/exams/{session}/attempts/", None, [], True),
]


def test_a_proctored_start_is_refused_alike_by_either_door_until_the_check_passes(
    sitting: dict[str, Any], lane: Any, cast: Any
) -> None:
    from proctoring.services.actions import policy_set
    from tests.proctoring.conftest import pass_identity_check

    a, b = sitting["a"], sitting["b"]
    policy_set(session=sitting["session"])
    refusals: list[Any] = []

    def between(what: str) -> None:
        if what == "identity check passed":
            for who in (a, b):
                pass_identity_check(sitting["session"], who.person, cast.east.proctor)

    _compare(PROCTORED_STEPS, a, b, lane, between=between, seen=refusals)
    # Refused: no attempt drawn or started, no question in the body, and the client is told where to go.
    first = refusals[0]
    assert first[0] == 403
    assert first[2]["code"] == "identity_check_required"
    assert "questions" not in first[2]
    assert first[2]["requirement"]["details"]["url"] == f"/proctoring/sessions/{sitting['session'].pk}/check/"
    assert refusals[1][2]["detail"] != first[2]["detail"]  # English, then Chinese
    assert refusals[2][0] == 400
    assert (refusals[2][2]["code"], refusals[2][2]["field"]) == ("notice_not_confirmed", "confirm_notice")
    started = refusals[4]
    assert started[0] == 201
    assert len(started[2]["questions"]) == 4
    assert Attempt.objects.filter(session=sitting["session"], status=Attempt.Status.IN_PROGRESS).count() == 2
    assert lane.served == sum(step[-1] for step in PROCTORED_STEPS)


def _compare(
    steps: list[tuple[str, str, str, Any, list[tuple[str, str]], bool]],
    a: Examinee,
    b: Examinee,
    lane: Any,
    *,
    between: Any = None,
    seen: list[Any] | None = None,
) -> None:
    """Send each step through the lane for ``a`` and through Django for ``b``; both doors must answer alike."""
    from config.asgi import django_asgi_app

    submitted = False
    for what, method, path, body, extra, served in steps:
        if not method:
            between(what)
            continue
        before = lane.served
        submitted = submitted or what == "submit"
        got: dict[str, Any] = {}
        for who, app in ((a, lane), (b, django_asgi_app)):
            status, headers, content = _in_own_thread(call(app, *_request(who, method, path, body, extra)))
            if not submitted:  # no answer key leaves the server before the submit (conftest's key texts)
                assert not any(key.format(0).encode() in content for key in FILL_KEYS), what
            assert headers.pop("content-length") == str(len(content)), what
            if "set-cookie" in headers:  # the browsable API's fresh CSRF token
                headers["set-cookie"] = headers["set-cookie"].split("=")[0]
            if headers.get("content-type") == "application/json":
                data = json.loads(content)
                if what.startswith(("start", "resume")) and status == 201:
                    who.attempt_id = data["attempt_id"]
                    # Each examinee gets the paper in an order of their own: number by type.
                    order = list(QuestionType.values)
                    ranked = sorted(data["questions"], key=lambda q: order.index(q["type"]))
                    who.questions = [q["id"] for q in ranked]
                    who.device = data["device"]
                shown: Any = who.normalise(data)
            else:
                shown = headers.get("content-type")
            got[app is lane] = (status, headers, shown)
        assert got[True] == got[False], (what, got)
        assert (lane.served - before == 1) is served, what
        assert a.snapshot() == b.snapshot(), what
        if seen is not None:
            seen.append(got[True])


def test_the_lane_stays_shut_when_the_middleware_changes(sitting: dict[str, Any]) -> None:
    from config.asgi import django_asgi_app

    middleware = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        lane = ExamFastLane(django_asgi_app, 2, django_app=django_asgi_app)
    a = sitting["a"]
    status, _headers, content = _in_own_thread(call(lane, *_request(a, *START[1:5])))
    lane.close()
    assert status == 201, content
    assert lane.open is False
    assert lane.served == 0


def test_a_submit_through_the_lane_reaches_the_attempts_socket_group(sitting: dict[str, Any], lane: Any) -> None:
    from channels.layers import get_channel_layer

    a = sitting["a"]
    layer = get_channel_layer()

    async def run() -> dict[str, Any]:
        status, _h, content = await call(lane, *_request(a, *START[1:5]))
        assert status == 201
        a.attempt_id = json.loads(content)["attempt_id"]
        channel = await layer.new_channel()
        await layer.group_add(events.group_name(a.attempt_id), channel)
        status, _h, content = await call(lane, *_request(a, "POST", "/api/v1/attempts/{attempt}/submit/", {}, []))
        assert status == 200, content
        return await asyncio.wait_for(layer.receive(channel), timeout=10)

    message = _in_own_thread(run())
    assert lane.served == 2
    assert message["type"] == "exam.event"
    assert message["event"] == "submitted"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections (PostgreSQL)")
def test_simultaneous_submits_through_the_lane_grade_once(sitting: dict[str, Any], lane: Any) -> None:
    a = sitting["a"]
    graded: list[str] = []

    def count(name: str, attempt_id: int, data: dict[str, Any]) -> None:
        if name == "submitted":
            graded.append(name)

    events.register(count)

    async def run() -> list[tuple[int, dict[str, str], bytes]]:
        status, _h, content = await call(lane, *_request(a, *START[1:5]))
        assert status == 201
        a.attempt_id = json.loads(content)["attempt_id"]
        submit = _request(a, "POST", "/api/v1/attempts/{attempt}/submit/", {}, [])
        return await asyncio.gather(*(call(lane, *submit) for _ in range(20)))

    try:
        results = _in_own_thread(run())
    finally:
        events.unregister(count)
    assert {status for status, _h, _c in results} == {200}
    assert len({json.loads(content)["score"] for _s, _h, content in results}) == 1
    assert graded == ["submitted"]
    assert lane.served == 21


def test_the_lane_holds_at_most_half_of_a_connection_pool() -> None:
    postgres = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {}}
    assert lane_threads(4, postgres) == 4  # no pool: each thread keeps a connection of its own
    assert lane_threads(4, {**postgres, "OPTIONS": {"pool": {"min_size": 1, "max_size": 8}}}) == 4
    assert lane_threads(4, {**postgres, "OPTIONS": {"pool": {"min_size": 1, "max_size": 4}}}) == 2
    assert lane_threads(4, {**postgres, "OPTIONS": {"pool": {"max_size": 3}}}) == 1
    assert lane_threads(4, {**postgres, "OPTIONS": {"pool": {"max_size": 1}}}) == 0  # Django keeps the one
    assert lane_threads(4, {**postgres, "OPTIONS": {"pool": True}}) == 2  # psycopg's default pool of 4
    assert lane_threads(0, {**postgres, "OPTIONS": {"pool": True}}) == 0
