"""Drill 4, PostgreSQL restarted mid-exam: saves fail briefly with 503, the client retries, nothing is lost.

A PostgreSQL cluster of the drill's own (tests/support/drill_pg.py) holds a copy of the test
database (migrated, with the exam and the examinee); a gunicorn process (config.gunicorn, one
worker, two threads, persistent connections as configured) serves it. The examinee's phone
saves every answer of its exam; then PostgreSQL is stopped (fast shutdown: connections cut)
while the phone keeps saving. Every save is answered: 2xx, or 503 with Retry-After and the
``database_unavailable`` code (never 500), and the phone retries it, as exam.js does. Once
PostgreSQL is back, every pending save goes through on the same web process (same worker pid:
its connections recovered), and the database holds the last acknowledged save of every answer.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from exams.services.attempts import attempt_start
from tests.conftest import Cast
from tests.drills.conftest import GUNICORN, needs_postgresql
from tests.exams.conftest import correct_answer, make_bank, make_paper, make_session
from tests.support.drill_pg import copy_database, own_postgres, server_env, start_group
from tests.support.servers import free_port, kill_group, probe, wait_until_healthy


class Phone:
    """The exam app: saves with a token, retries until the save is acknowledged (2xx)."""

    def __init__(self, base: str, token: str, attempt_id: int, device: str) -> None:
        self.parts = urlsplit(base)
        self.token, self.attempt_id, self.device = token, attempt_id, device
        self.answers: list[tuple[int, dict[str, str], dict[str, Any]]] = []  # every (status, headers, body)
        self.acknowledged: dict[int, int] = {}  # question id -> highest client_seq answered 2xx

    def put(self, question_id: int, answer: Any, seq: int) -> int:
        conn = http.client.HTTPConnection(self.parts.hostname, self.parts.port, timeout=60)
        try:
            body = json.dumps({"answer": answer, "client_seq": seq, "device": self.device}).encode()
            conn.request(
                "PUT",
                f"/api/v1/attempts/{self.attempt_id}/answers/{question_id}/",
                body=body,
                headers={
                    "Authorization": f"Token {self.token}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
            )
            response = conn.getresponse()
            content = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        self.answers.append((response.status, headers, json.loads(content) if content else {}))
        if 200 <= response.status < 300:
            self.acknowledged[question_id] = max(seq, self.acknowledged.get(question_id, 0))
        return response.status

    def save(self, question_id: int, answer: Any, seq: int, *, give_up_after: float = 45) -> None:
        """Until acknowledged: a 503 is retried (sooner than its Retry-After, for the drill's time)."""
        deadline = time.monotonic() + give_up_after
        while not 200 <= self.put(question_id, answer, seq) < 300:  # a retry loop, not a timed assertion
            assert self.answers[-1][0] == 503, self.answers[-1]
            assert time.monotonic() < deadline, "the save was never acknowledged"
            time.sleep(0.2)

    def failures(self) -> int:
        return sum(1 for status, _h, _b in self.answers if status == 503)


def answer_for(aq: Any, seq: int) -> Any:
    """Odd saves give the right answer, even ones clear it: the stored value tells which save won."""
    return correct_answer(aq) if seq % 2 else None


def worker_pids(master: int) -> set[int]:
    return {int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_answers_survive_a_postgresql_restart_with_503_and_retries(cast: Cast, tmp_path: Path) -> None:
    needs_postgresql()
    import psycopg

    learner = cast.east.learner
    provider = cast.east.provider
    attempt = attempt_start(
        notice_confirmed=True, session=make_session(provider, make_paper(provider, make_bank(provider))), person=learner
    )
    token = Token.objects.create(user=learner.user).key
    questions = list(attempt.questions.order_by("pk"))
    test_database = urlunsplit(
        urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}")
    )

    with own_postgres() as pg:
        database = copy_database(test_database, pg, "drill")
        port = free_port()
        tag = f"drill-pg-{uuid.uuid4().hex[:8]}"
        env = server_env(
            database_url=database,
            redis_url=settings.REDIS_URL,
            private_root=tmp_path / "private",
            REDIS_PREFIX=tag,
            CELERY_QUEUE=tag,
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS="2",
        )
        log = tmp_path / "gunicorn.log"
        web = start_group(
            [str(GUNICORN), "-c", "python:config.gunicorn", "--bind", f"127.0.0.1:{port}"], env=env, log=log
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, web, log)
            workers = worker_pids(web.pid)
            phone = Phone(base, token, attempt.pk, attempt.device_token)

            for aq in questions:
                assert phone.put(aq.pk, answer_for(aq, 1), 1) == 200, phone.answers[-1]

            pg.stop()
            saving = threading.Thread(
                target=lambda: [phone.save(aq.pk, answer_for(aq, 2), 2) for aq in questions], daemon=True
            )
            saving.start()
            for _ in range(600):  # wait until the phone has been refused a few times (a condition, no sleep-and-hope)
                if phone.failures() >= 3 or not saving.is_alive():
                    break
                time.sleep(0.05)
            assert phone.failures() >= 3, phone.answers
            # The load balancer's probe takes the process out while the database is away.
            assert probe(f"{base}/readyz") == (503, {"db": "error: OperationalError"})
            pg.start()
            saving.join(timeout=60)
            assert not saving.is_alive(), "saves pending after PostgreSQL came back"

            for aq in questions:
                phone.save(aq.pk, answer_for(aq, 3), 3)
            assert probe(f"{base}/readyz") == (200, {"db": "ok"})
            assert worker_pids(web.pid) == workers  # the same process recovered its connections
        finally:
            kill_group(web, signal.SIGTERM)

        statuses = {status for status, _h, _b in phone.answers}
        assert statuses == {200, 503}, phone.answers
        for status, headers, body in phone.answers:
            if status == 503:
                assert body["code"] == "database_unavailable"
                assert int(headers["retry-after"]) > 0
        assert phone.acknowledged == {aq.pk: 3 for aq in questions}
        with psycopg.connect(database) as conn:
            stored = dict(
                conn.execute(
                    "SELECT id, client_seq FROM exams_attemptquestion WHERE attempt_id = %s AND given IS NOT NULL",
                    [attempt.pk],
                ).fetchall()
            )
    # Nothing acknowledged is lost: every answer holds its last acknowledged save (3: the right answer).
    assert stored == {aq.pk: 3 for aq in questions}
