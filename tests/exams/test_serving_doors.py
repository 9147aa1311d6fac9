"""A token client's start, autosave and submit answer alike through either serving door.

The embedded default serves the API from the ASGI app (``config.asgi``, under
daphne); the scaled-out topology serves it from the WSGI app (``config.wsgi``,
under gunicorn's gthread worker) and keeps only websockets on daphne. Two
examinees sit the same fixed paper. Every step runs for the first through the
ASGI app and for the second through the WSGI app. After each step the two
responses (status, headers and JSON body, with ids, device tokens and times
replaced by placeholders) and the two attempts' rows must be equal; no answer
key leaves either door before the submit.

(Until issue 13 the ASGI side had a second request path for these three routes,
``exams/fastlane.py``, and these tests compared it with Django's. gunicorn, going
through Django's own handling, measured within the host's noise of the lane, so
the lane was removed: docs/PERFORMANCE.md, "Serving topology".)
"""

from __future__ import annotations

import asyncio
import gc
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from exams import events
from exams.models import Attempt, AttemptAnswer, AttemptQuestion
from exams.services.papers import paper_create_fixed
from question_bank.models import AUTO_GRADED_TYPES, Question, QuestionType
from tests import factories
from tests.doors import call, call_asgi, call_wsgi, call_wsgi_together, in_own_thread
from tests.exams.conftest import FILL_KEYS, make_bank, make_session

# Transactional: each door's request threads use connections of their own.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TIMES = {"deadline", "server_time", "saved_at", "submitted_at", "release_at"}


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
    questions = [Question.objects.filter(bank=bank, type=qtype).order_by("pk").first() for qtype in AUTO_GRADED_TYPES]
    paper = paper_create_fixed(
        provider=cast.east.provider, name="固定卷", questions=[(q, Decimal(5)) for q in questions]
    )
    session = make_session(cast.east.provider, paper, pass_score=Decimal(10), shuffle_options=False, attempts_allowed=1)
    colleague = factories.make_person(cast.east.enterprises[0], username="east_twin")
    return {"session": session, "a": Examinee(cast.east.learner, session), "b": Examinee(colleague, session)}


@pytest.fixture
def doors() -> Any:
    """The two HTTP doors: ``asgi`` (daphne's app, the embedded default) and ``wsgi`` (gunicorn's)."""
    from config.asgi import application as asgi_app
    from config.wsgi import application as wsgi_app

    yield {"asgi": asgi_app, "wsgi": wsgi_app}
    # Django's ASGI request threads ended, but their connections (CONN_MAX_AGE) are closed
    # only when collected; the test database cannot be dropped while they are open.
    gc.collect()


# (what, method, path, body, extra headers)
STEPS: list[tuple[str, str, str, Any, list[tuple[str, str]]]] = [
    ("start without confirm_notice", "POST", "/api/v1/exams/{session}/attempts/", None, []),
    ("start, notice not confirmed", "POST", "/api/v1/exams/{session}/attempts/", {"confirm_notice": False}, []),
    (
        "start, confirm_notice not a boolean",
        "POST",
        "/api/v1/exams/{session}/attempts/",
        {"confirm_notice": "maybe"},
        [],
    ),
    ("start, body is a list", "POST", "/api/v1/exams/{session}/attempts/", [1], []),
    ("start", "POST", "/api/v1/exams/{session}/attempts/", {"confirm_notice": True}, []),
    ("resume on another device", "POST", "/api/v1/exams/{session}/attempts/", None, []),
    (
        "save",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "B", "client_seq": 1, "device": "{device}"},
        [],
    ),
    (
        "replay",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "B", "client_seq": 1, "device": "{device}"},
        [],
    ),
    ("older seq", "PUT", "/api/v1/attempts/{attempt}/answers/{q0}/", {"answer": "A", "client_seq": 1}, []),
    (
        "older seq, English",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "A", "client_seq": 1},
        [("Accept-Language", "en")],
    ),
    ("bad letter", "PUT", "/api/v1/attempts/{attempt}/answers/{q1}/", {"answer": "Z", "client_seq": 1}, []),
    (
        "json answer list",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q1}/",
        {"answer": ["A", "C"], "client_seq": 2},
        [],
    ),
    ("no client_seq", "PUT", "/api/v1/attempts/{attempt}/answers/{q1}/", {"answer": "A"}, []),
    ("body is a list", "PUT", "/api/v1/attempts/{attempt}/answers/{q1}/", [1, 2], []),
    ("body is not JSON", "PUT", "/api/v1/attempts/{attempt}/answers/{q1}/", b"answer=A", []),
    ("NaN", "PUT", "/api/v1/attempts/{attempt}/answers/{q1}/", b'{"answer": NaN, "client_seq": 5}', []),
    (
        "form body",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q1}/",
        b"answer=A&client_seq=7",
        [("Content-Type", "application/x-www-form-urlencoded")],
    ),
    (
        "question of no attempt",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/999999999/",
        {"answer": "A", "client_seq": 1},
        [],
    ),
    (
        "old device",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q2}/",
        {"answer": True, "client_seq": 1, "device": "0123456789abcdef"},
        [],
    ),
    (
        "fill blanks",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q3}/",
        {"answer": [" 钥匙甲0 ", "别名0"], "client_seq": 4},
        [],
    ),
    ("no such attempt", "PUT", "/api/v1/attempts/999999999/answers/{q0}/", {"answer": "A", "client_seq": 9}, []),
    (
        "asks for HTML",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "A", "client_seq": 9},
        [("Accept", "text/html")],
    ),
    (
        "session cookie",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "A", "client_seq": 9},
        [("Cookie", "sessionid=abc")],
    ),
    (
        "bad token",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "A", "client_seq": 9},
        [("Authorization", "Token nope")],
    ),
    (
        "unknown charset",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "C", "client_seq": 10},
        [("Content-Type", "application/json; charset=no-such-charset")],
    ),
    (
        "two Authorization headers",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "C", "client_seq": 10},
        [("Authorization", "Token {token}"), ("Authorization", "Token {token}")],
    ),
    (
        "body over 64 KiB",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "C" * 70_000, "client_seq": 10},
        [],
    ),
    ("early time_up", "POST", "/api/v1/attempts/{attempt}/submit/", {"reason": "time_up"}, []),
    ("unknown reason", "POST", "/api/v1/attempts/{attempt}/submit/", {"reason": "bored"}, []),
    ("submit", "POST", "/api/v1/attempts/{attempt}/submit/", {}, []),
    ("submit again", "POST", "/api/v1/attempts/{attempt}/submit/", b"", []),
    (
        "save after submit",
        "PUT",
        "/api/v1/attempts/{attempt}/answers/{q0}/",
        {"answer": "C", "client_seq": 10},
        [],
    ),
    ("start after the last attempt", "POST", "/api/v1/exams/{session}/attempts/", None, []),
    ("no such session", "POST", "/api/v1/exams/999999999/attempts/", None, []),
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


def test_every_step_gives_the_same_response_and_rows_through_either_door(sitting: dict[str, Any], doors: Any) -> None:
    a, b = sitting["a"], sitting["b"]
    _compare(STEPS, a, b, doors)

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


PROCTORED_STEPS: list[tuple[str, str, str, Any, list[tuple[str, str]]]] = [
    (
        "start before the identity check",
        "POST",
        "/api/v1/exams/{session}/attempts/",
        {"confirm_notice": True},
        [],
    ),
    (
        "start before the identity check, English",
        "POST",
        "/api/v1/exams/{session}/attempts/",
        {"confirm_notice": True},
        [("Accept-Language", "en")],
    ),
    ("start without confirm_notice", "POST", "/api/v1/exams/{session}/attempts/", {}, []),
    ("identity check passed", "", "", None, []),  # not a request: a proctor approves both
    ("start without confirm_notice, check passed", "POST", "/api/v1/exams/{session}/attempts/", {}, []),
    ("start after the check", "POST", "/api/v1/exams/{session}/attempts/", {"confirm_notice": True}, []),
    ("resume", "POST", "/api/v1/exams/{session}/attempts/", None, []),
]


def test_a_proctored_start_is_refused_alike_by_either_door_until_the_check_passes(
    sitting: dict[str, Any], doors: Any, cast: Any
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

    _compare(PROCTORED_STEPS, a, b, doors, between=between, seen=refusals)
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


def _compare(
    steps: list[tuple[str, str, str, Any, list[tuple[str, str]]]],
    a: Examinee,
    b: Examinee,
    doors: dict[str, Any],
    *,
    between: Any = None,
    seen: list[Any] | None = None,
) -> None:
    """Send each step through the ASGI door for ``a`` and through the WSGI door for ``b``; both must answer alike."""
    submitted = False
    for what, method, path, body, extra in steps:
        if not method:
            between(what)
            continue
        submitted = submitted or what == "submit"
        got: dict[str, Any] = {}
        for who, door, send in ((a, "asgi", call_asgi), (b, "wsgi", call_wsgi)):
            status, headers, content = send(doors[door], *_request(who, method, path, body, extra))
            if not submitted:  # no answer key leaves the server before the submit (conftest's key texts)
                assert not any(key.format(0).encode() in content for key in FILL_KEYS), (what, door)
            assert headers.pop("content-length") == str(len(content)), (what, door)
            # Each request's own id (core.request_log): present on both doors, equal on neither.
            assert len(headers.pop("x-request-id")) == 32, (what, door)
            if "set-cookie" in headers:  # the browsable API's fresh CSRF token
                headers["set-cookie"] = headers["set-cookie"].split("=")[0]
            if "content-security-policy" in headers:  # the policy's directives, in whatever order they come
                headers["content-security-policy"] = sorted(headers["content-security-policy"].split("; "))
            if headers.get("content-type") == "application/json":
                data = json.loads(content)
                if what.startswith(("start", "resume")) and status == 201:
                    who.attempt_id = data["attempt_id"]
                    # Each examinee gets the paper in an order of their own: number by type.
                    order = list(AUTO_GRADED_TYPES)
                    ranked = sorted(data["questions"], key=lambda q: order.index(q["type"]))
                    who.questions = [q["id"] for q in ranked]
                    who.device = data["device"]
                shown: Any = who.normalise(data)
            else:
                shown = headers.get("content-type")
            got[door] = (status, headers, shown)
        assert got["asgi"] == got["wsgi"], (what, got)
        assert a.snapshot() == b.snapshot(), what
        if seen is not None:
            seen.append(got["asgi"])


@pytest.mark.parametrize("door", ["asgi", "wsgi"])
def test_a_submit_reaches_the_attempts_socket_group(sitting: dict[str, Any], doors: Any, door: str) -> None:
    """The page's websocket lives in daphne; a submit served by either door is broadcast to it."""
    from channels.layers import get_channel_layer

    a = sitting["a"]
    layer = get_channel_layer()
    app = doors[door]

    async def through(*request: Any) -> tuple[int, dict[str, str], bytes]:
        if door == "asgi":
            return await call(app, *request)
        return await asyncio.to_thread(call_wsgi, app, *request)

    async def run() -> dict[str, Any]:
        status, _h, content = await through(*_request(a, *START[1:5]))
        assert status == 201
        a.attempt_id = json.loads(content)["attempt_id"]
        channel = await layer.new_channel()
        await layer.group_add(events.group_name(a.attempt_id), channel)
        status, _h, content = await through(*_request(a, "POST", "/api/v1/attempts/{attempt}/submit/", {}, []))
        assert status == 200, content
        return await asyncio.wait_for(layer.receive(channel), timeout=10)

    message = in_own_thread(run())
    assert message["type"] == "exam.event"
    assert message["event"] == "submitted"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections (PostgreSQL)")
def test_simultaneous_submits_through_the_wsgi_threads_grade_once(sitting: dict[str, Any], doors: Any) -> None:
    """20 submits of one attempt at once, each on a thread and connection of its own (gunicorn's gthread)."""
    a = sitting["a"]
    graded: list[str] = []

    def count(name: str, attempt_id: int, data: dict[str, Any]) -> None:
        if name == "submitted":
            graded.append(name)

    events.register(count)
    try:
        status, _h, content = call_wsgi(doors["wsgi"], *_request(a, *START[1:5]))
        assert status == 201
        a.attempt_id = json.loads(content)["attempt_id"]
        submit = _request(a, "POST", "/api/v1/attempts/{attempt}/submit/", {}, [])
        results = call_wsgi_together(doors["wsgi"], [submit] * 20)  # type: ignore[list-item]
    finally:
        events.unregister(count)
    assert {status for status, _h, _c in results} == {200}
    assert len({json.loads(content)["score"] for _s, _h, content in results}) == 1
    assert graded == ["submitted"]
