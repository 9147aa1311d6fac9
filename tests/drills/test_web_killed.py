"""Drill 1, web process killed mid-exam: examinees and their proctor carry on on the other process.

Two daphne processes (A and B: each serves pages, the API and the websockets, so the drill kills
both doors at once) share the test's PostgreSQL database and a Redis channel layer. Four
examinees, two phones (API token) and two browsers (session cookie and CSRF token, as exam.js
sends them), start on A through the API, open their proctoring socket on A and autosave their
answers there; their proctor watches the live grid on A. A is killed with
SIGKILL while the autosaves are in flight. Every client does what the proxy's failover and our
clients' queues do: an answer without a 2xx is resent, to B, with the same ``client_seq``; a
proctoring socket reconnects to B and resends what the server's ``hello`` says it lacks.

Then, on B: every answer acknowledged on A or B is stored and graded, the deadline is the one A
gave at the start, every browser event is stored once, and the proctor's grid on B shows every
examinee as they are now (online, their events and tab switches), then each submission live.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token

from exams.models import Attempt, AttemptQuestion
from proctoring.models import AttemptMonitor, BrowserEvent
from tests import factories
from tests.conftest import Cast, login_client
from tests.drills.conftest import needs_postgresql
from tests.exams.conftest import correct_answer
from tests.support.drill_services import WebProcess, counted_session, drill_env, web_processes_started

EXAMINEES = 4
# Each examinee first answers every question wrongly, then changes half of them to the key. Saves
# after SAVES_BEFORE_KILL wait until A is dead, so that some are always left for B; A is killed once
# KILL_AFTER acknowledgements have come back, while the rest are in flight.
KILL_AFTER = EXAMINEES * 4
SAVES_BEFORE_KILL = 8
TEXT = 1  # aiohttp.WSMsgType.TEXT (aiohttp is imported where it is used: the test skips without it)
WAIT = 30  # seconds: how long a client waits for a frame (a generous poll, never an assertion on time)


def wrong_answer(aq: AttemptQuestion) -> Any:
    right = correct_answer(aq)
    if aq.qtype == "true_false":
        return not right
    if aq.qtype == "fill_blank":
        return ["不知道" for _ in right]
    if aq.qtype == "single":
        return "A" if right != "A" else "B"
    return "AB" if right != "AB" else "CD"


def save_plan(attempt_id: int) -> list[tuple[int, Any, int]]:
    """Every question answered wrongly (seq 1), then every other one changed to the key (seq 2)."""
    questions = list(AttemptQuestion.objects.filter(attempt_id=attempt_id).order_by("position", "pk"))
    return [(aq.pk, wrong_answer(aq), 1) for aq in questions] + [
        (aq.pk, correct_answer(aq), 2) for aq in questions[::2]
    ]


@dataclass
class Examinee:
    """A phone (API token) or a browser (session cookie and CSRF token, as exam.js sends them): its
    attempt, the answers the server acknowledged, its proctoring client."""

    name: str
    token: str = ""
    cookie: str = ""  # the browser's session cookie, "sessionid=…"
    csrf: tuple[str, str] = ("", "")  # the browser's CSRF cookie and the page's token
    attempt_id: int = 0
    deadline: str = ""
    plan: list[tuple[int, Any, int]] = field(default_factory=list)  # (question, answer, client_seq)
    acked: dict[int, tuple[int, Any]] = field(default_factory=dict)  # question → (seq, answer) acknowledged
    replays: int = 0  # saves B acknowledged as already stored: A committed them but died before answering
    resent: int = 0  # saves that got no answer from A and were sent again to B
    acked_by_b: int = 0
    # The proctoring client (static/js/proctor-client.js): numbered events, kept until acknowledged.
    seq: int = 0
    queue: list[dict[str, Any]] = field(default_factory=list)
    tab_switches: int = 0
    socket: Any = None

    @property
    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        cookie, token = self.csrf
        return {
            "Cookie": f"{self.cookie}; {settings.CSRF_COOKIE_NAME}={cookie}",
            "X-CSRFToken": token,
            "Accept": "application/json",
        }


class Failover:
    """The proxy: requests go to A until it is dead, then to B."""

    def __init__(self, a: WebProcess, b: WebProcess) -> None:
        self.a, self.b = a, b
        self.a_dead = asyncio.Event()

    @property
    def base(self) -> str:
        return self.b.url if self.a_dead.is_set() else self.a.url


async def http_json(http: Any, method: str, url: str, headers: dict[str, str], body: Any = None) -> tuple[int, Any]:
    async with http.request(method, url, headers=headers, json=body) as response:
        return response.status, await response.json(content_type=None)


async def save_all(http: Any, proxy: Failover, examinee: Examinee, acks: list[int]) -> None:
    """Autosave the plan; what gets no answer (a dead process) is resent to the survivor, same seq."""
    import aiohttp

    for index, (question, answer, seq) in enumerate(examinee.plan):
        if index == SAVES_BEFORE_KILL:
            await asyncio.wait_for(proxy.a_dead.wait(), timeout=120)
        path = f"/api/v1/attempts/{examinee.attempt_id}/answers/{question}/"
        while True:
            base = proxy.base
            try:
                status, body = await http_json(
                    http, "PUT", base + path, examinee.headers, {"answer": answer, "client_seq": seq}
                )
                break
            except (TimeoutError, aiohttp.ClientError):
                assert base == proxy.a.url, f"the surviving process failed a save: {base}"
                examinee.resent += 1
                await asyncio.wait_for(proxy.a_dead.wait(), timeout=120)
        assert status == 200, body
        assert body["client_seq"] == seq
        examinee.acked[question] = (seq, answer)
        examinee.replays += bool(body["replay"])
        examinee.acked_by_b += base == proxy.b.url
        acks.append(1)


async def frame(ws: Any, *kinds: str) -> dict[str, Any]:
    """The next JSON frame of one of ``kinds`` (others are skipped)."""
    while True:
        message = await asyncio.wait_for(ws.receive(), timeout=WAIT)
        if message.type != TEXT:
            raise ConnectionError(f"socket ended: {message.type}")
        data = json.loads(message.data)
        if data["type"] in kinds:
            return data


async def connect_examinee(http: Any, base: str, examinee: Examinee) -> None:
    """Open the proctoring socket (token or session cookie); after ``hello`` resend what the server lacks."""
    url = f"{base.replace('http', 'ws')}/ws/proctoring/attempts/{examinee.attempt_id}/"
    if examinee.token:
        examinee.socket = await http.ws_connect(url, protocols=("safetrain.token", examinee.token))
    else:
        examinee.socket = await http.ws_connect(url, headers={"Origin": base, "Cookie": examinee.cookie})
    hello = await frame(examinee.socket, "hello")
    assert not hello["finished"]
    examinee.queue = [item for item in examinee.queue if item["seq"] > hello["last_seq"]]
    examinee.seq = max(examinee.seq, hello["last_seq"])
    for item in examinee.queue:
        await examinee.socket.send_json(item)


async def record(examinee: Examinee, event: str, **extra: Any) -> None:
    """An event: queued first, sent when the socket is up (a dead socket's send is lost, the queue is not)."""
    examinee.seq += 1
    examinee.queue.append({"type": "event", "seq": examinee.seq, "event": event, **extra})
    if examinee.socket is not None and not examinee.socket.closed:
        try:
            await examinee.socket.send_json(examinee.queue[-1])
        except ConnectionError:
            pass


async def until_acked(examinee: Examinee) -> None:
    while examinee.queue:
        ack = await frame(examinee.socket, "ack")
        examinee.queue = [item for item in examinee.queue if item["seq"] > ack["seq"]]
        examinee.tab_switches = ack["tab_switches"]


async def until_dropped(ws: Any) -> None:
    """Read until the killed process's socket ends (whatever frames were still on their way)."""
    while True:
        message = await asyncio.wait_for(ws.receive(), timeout=WAIT)
        if message.type != TEXT:
            return


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_web_process_killed_mid_exam_loses_nothing(cast: Cast, tmp_path: Path) -> None:
    needs_postgresql()
    if not settings.REDIS_URL:
        pytest.skip("two web processes share live updates through Redis (REDIS_URL)")
    pytest.importorskip("aiohttp")
    provider = cast.east.provider
    session = counted_session(provider, review_answers=True)
    people = [cast.east.learner] + [factories.make_person(cast.east.enterprises[0]) for _ in range(EXAMINEES - 1)]
    # Half phones (API token), half browsers (the session cookie of a signed-in page).
    examinees = [
        Examinee(name=p.name, token=Token.objects.create(user=p.user).key)
        if i % 2 == 0
        else Examinee(name=p.name, cookie=session_cookie(p.user))
        for i, p in enumerate(people)
    ]
    proctor_cookie = session_cookie(cast.east.proctor)
    env = drill_env(tmp_path, REDIS_PREFIX=f"drill-killed-{session.pk}-{tmp_path.name[-6:]}")

    with web_processes_started(["daphne", "daphne"], env, tmp_path) as (a, b):
        asyncio.run(start_on(a.url, session.pk, examinees))
        for examinee in examinees:
            examinee.plan = save_plan(examinee.attempt_id)
        grid_rows, live_statuses = asyncio.run(exam_with_a_kill(a, b, session.pk, examinees, proctor_cookie))

    print(  # noqa: T201 - the drill's report (pytest -s)
        "saves resent after the kill:",
        sum(e.resent for e in examinees),
        "replays:",
        sum(e.replays for e in examinees),
        "acknowledged by B:",
        sum(e.acked_by_b for e in examinees),
    )
    assert all(e.acked_by_b for e in examinees)  # every examinee went on saving on B
    by_attempt = {e.attempt_id: e for e in examinees}
    for examinee in examinees:
        attempt = Attempt.objects.get(pk=examinee.attempt_id)
        # The deadline A gave at the start is the attempt's deadline still.
        assert attempt.deadline == parse_datetime(examinee.deadline)
        assert attempt.status == Attempt.Status.SUBMITTED
        # Every acknowledged answer is stored, at the sequence acknowledged, and graded.
        stored = {aq.pk: aq for aq in attempt.questions.all()}
        assert set(examinee.acked) == set(stored)
        for question, (seq, answer) in examinee.acked.items():
            assert (stored[question].client_seq, stored[question].given) == (seq, answer)
        expected = sum(
            (aq.score for pk, aq in stored.items() if examinee.acked[pk][1] == correct_answer(aq)), Decimal(0)
        )
        assert attempt.score == expected
        # Every browser event once, in order: the ones stored on A and the ones resent to B.
        events = list(BrowserEvent.objects.filter(attempt=attempt).values_list("client_seq", "type"))
        assert events == [(1, "hidden"), (2, "visible"), (3, "hidden"), (4, "visible")]
        assert AttemptMonitor.objects.get(attempt=attempt).last_seq == 4

    # The proctor's grid on B, after reconnecting, showed every examinee as they were then.
    assert {row["attempt"] for row in grid_rows} == set(by_attempt)
    for row in grid_rows:
        examinee = by_attempt[row["attempt"]]
        assert (row["status"], row["online"], row["events"]) == ("in_progress", True, 4)
        assert row["tab_switches"] == examinee.tab_switches == 2
    # And every submission on B reached it live.
    assert live_statuses == {e.attempt_id: "submitted" for e in examinees}


def session_cookie(user: Any) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={login_client(user).cookies[settings.SESSION_COOKIE_NAME].value}"


def client_session() -> Any:
    """Every client says who it is in its own headers: no cookie jar shared between examinees."""
    import aiohttp

    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60), cookie_jar=aiohttp.DummyCookieJar())


async def start_on(base: str, session_id: int, examinees: list[Examinee]) -> None:
    """Each examinee starts their attempt on ``base``: the paper and the server's deadline."""
    async with client_session() as http:
        for examinee in examinees:
            if examinee.cookie:
                # The browser reads the exam notice first: its form carries the CSRF token.
                async with http.get(f"{base}/exams/{session_id}/notice/", headers={"Cookie": examinee.cookie}) as page:
                    assert page.status == 200
                    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', await page.text())
                    assert token is not None
                    examinee.csrf = (page.cookies[settings.CSRF_COOKIE_NAME].value, token.group(1))
            status, started = await http_json(
                http, "POST", f"{base}/api/v1/exams/{session_id}/attempts/", examinee.headers, {"confirm_notice": True}
            )
            assert status == 201, started
            examinee.attempt_id, examinee.deadline = started["attempt_id"], started["deadline"]


async def resume_on(http: Any, base: str, session_id: int, examinee: Examinee) -> dict[str, Any]:
    """What the examinee's client is told on ``base``: the phone resumes through the API, the browser
    reloads the exam page (its exam-config block)."""
    if examinee.token:
        status, resumed = await http_json(
            http, "POST", f"{base}/api/v1/exams/{session_id}/attempts/", examinee.headers, {"confirm_notice": True}
        )
        assert status == 201, resumed
        assert resumed["attempt_id"] == examinee.attempt_id
        return resumed
    async with http.get(f"{base}/exams/attempts/{examinee.attempt_id}/", headers={"Cookie": examinee.cookie}) as page:
        assert page.status == 200
        config = re.search(r'<script id="exam-config" type="application/json">(.*?)</script>', await page.text())
        assert config is not None
        return json.loads(config.group(1))


async def exam_with_a_kill(
    a: WebProcess, b: WebProcess, session_id: int, examinees: list[Examinee], proctor_cookie: str
) -> tuple[list[dict[str, Any]], dict[int, str]]:

    proxy = Failover(a, b)
    async with client_session() as http:
        # On A: the proctor's grid, the examinees' proctoring sockets, a first tab switch each.
        grid_url = f"{proxy.a.url.replace('http', 'ws')}/ws/proctoring/sessions/{session_id}/"
        grid = await http.ws_connect(grid_url, headers={"Origin": proxy.a.url, "Cookie": proctor_cookie})
        assert {row["attempt"] for row in (await frame(grid, "rows"))["rows"]} == {e.attempt_id for e in examinees}
        for examinee in examinees:
            await connect_examinee(http, proxy.a.url, examinee)
            await record(examinee, "hidden")
            await record(examinee, "visible", duration_ms=4000)
            await until_acked(examinee)

        # Autosaves in flight on A; A is killed once some have been acknowledged.
        acks: list[int] = []
        savers = [asyncio.create_task(save_all(http, proxy, e, acks)) for e in examinees]
        while len(acks) < KILL_AFTER:
            done = [task for task in savers if task.done()]
            for task in done:
                task.result()  # a failed saver fails the drill here
            await asyncio.sleep(0.01)
        for examinee in examinees:
            await record(examinee, "hidden")  # sent to A as it dies: acknowledged there or not at all
        await asyncio.to_thread(proxy.a.kill)
        proxy.a_dead.set()
        await asyncio.gather(*savers)

        # The sockets on A are gone; what happens meanwhile waits in the clients' queues.
        await until_dropped(grid)
        for examinee in examinees:
            await until_dropped(examinee.socket)
            await record(examinee, "visible", duration_ms=4000)
        # Everyone reconnects to B: the proctor first, then the examinees (resending what B lacks).
        grid = await http.ws_connect(
            f"{b.url.replace('http', 'ws')}/ws/proctoring/sessions/{session_id}/",
            headers={"Origin": b.url, "Cookie": proctor_cookie},
        )
        await frame(grid, "rows")
        for examinee in examinees:
            await connect_examinee(http, proxy.b.url, examinee)
            await until_acked(examinee)
        await grid.send_json({"type": "resync"})
        rows = (await frame(grid, "rows"))["rows"]

        # Resuming on B gives the same deadline and every acknowledged answer; then each submits.
        for examinee in examinees:
            resumed = await resume_on(http, b.url, session_id, examinee)
            assert parse_datetime(resumed["deadline"]) == parse_datetime(examinee.deadline)
            assert {int(k): (v["client_seq"], v["answer"]) for k, v in resumed["saved"].items()} == examinee.acked
            status, result = await http_json(
                http,
                "POST",
                f"{proxy.b.url}/api/v1/attempts/{examinee.attempt_id}/submit/",
                examinee.headers,
                {"reason": "examinee"},
            )
            assert status == 200, result
            assert {r["id"]: r["given"] for r in result["review"]} == {q: a for q, (_s, a) in examinee.acked.items()}
        statuses: dict[int, str] = {}
        while len(statuses) < len(examinees) or set(statuses.values()) != {"submitted"}:
            update = await frame(grid, "status")
            statuses[update["attempt"]] = update["status"]
        for examinee in examinees:
            await examinee.socket.close()
        await grid.close()
        return rows, statuses
