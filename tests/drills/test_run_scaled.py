"""`make run-scaled` starts the district topology with one command, and Ctrl-C stops all of it.

Runs deploy/run-scaled.sh (what the make target runs) against a database of its own on the
suite's PostgreSQL, its own Redis key prefix and Celery queue, and free ports; checks that
both web processes and the websocket process answer /healthz with the worker queue watched,
and that one SIGINT (the terminal's Ctrl-C, sent to the process group) leaves nothing running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from urllib.request import urlopen

import pytest
from django.conf import settings

from tests.support.servers import ROOT, free_port


def _psql(url: str, sql: str) -> None:
    """Run ``sql`` on the server of ``url``, connected to its maintenance database (``postgres``)."""
    import psycopg

    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def _forget_keys(tag: str) -> None:
    """The keys this run left in the suite's Redis: its queue, kombu's bindings, channel inboxes."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"*run-scaled-{tag}*"))
    if keys:
        client.delete(*keys)


def _health(port: int) -> tuple[int, dict[str, object]]:
    with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:  # noqa: S310 - loopback
        return response.status, json.loads(response.read())


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_run_scaled_starts_two_web_processes_a_worker_and_beat_and_stops_them(tmp_path: Path) -> None:
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith("postgres") or not settings.REDIS_URL:
        pytest.skip("make run-scaled needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL)")
    database = f"safetrain_run_scaled_{os.getpid()}"
    _psql(admin_url, f'DROP DATABASE IF EXISTS "{database}"')
    _psql(admin_url, f'CREATE DATABASE "{database}"')
    tag = uuid.uuid4().hex[:8]
    web, ws = [free_port(), free_port()], free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        "DATABASE_URL": urlunsplit(urlsplit(admin_url)._replace(path=f"/{database}")),
        "REDIS_PREFIX": f"run-scaled-{tag}",
        "CELERY_QUEUE": f"run-scaled-{tag}",
        "WORKER_QUEUE_MAX_WAIT_SECONDS": "300",
        "WEB_PORTS": " ".join(map(str, web)),
        "WS_PORT": str(ws),
        "PROXY_PORT": str(free_port()),
        "SEED": "0",
        "RUN_DIR": str(tmp_path / "run"),
        "PRIVATE_STORAGE_ROOT": str(tmp_path / "private"),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "CELERY_CONCURRENCY": "1",
    }
    log = open(tmp_path / "run-scaled.out", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        ["deploy/run-scaled.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        answers = {}
        for port in [*web, ws]:
            for _ in range(900):  # readiness poll (migrations first), not a timed assertion
                assert process.poll() is None, (tmp_path / "run-scaled.out").read_text()
                try:
                    answers[port] = _health(port)
                    break
                except OSError:
                    time.sleep(0.2)
        assert set(answers) == {*web, ws}, (tmp_path / "run-scaled.out").read_text()
        for status, body in answers.values():
            assert status == 200
            assert body["worker_queue"] == "ok"
            assert body["db"] == "ok"
        worker_log = tmp_path / "run" / "worker.log"
        assert worker_log.exists()
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole group
        try:
            process.wait(timeout=60)
        finally:
            log.close()
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            _psql(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            _forget_keys(tag)
    assert not any(_listening(port) for port in [*web, ws])
    assert "stopping" in (tmp_path / "run-scaled.out").read_text()
