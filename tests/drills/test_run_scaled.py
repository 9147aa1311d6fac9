"""`make run-scaled` starts the district topology with one command, and Ctrl-C stops all of it.

Runs deploy/run-scaled.sh (what the make target runs) against a database of its own on the
suite's PostgreSQL, its own Redis key prefix and Celery queue, and free ports; checks that
both web processes and the websocket process answer /healthz with the worker queue watched,
and that one SIGINT (the terminal's Ctrl-C, sent to the process group) leaves nothing running.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from tests.support.run_scaled import health, run_scaled


def _psql(url: str, sql: str) -> None:
    """Run ``sql`` on the server of ``url``, connected to its maintenance database (``postgres``)."""
    import psycopg

    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


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
    try:
        with run_scaled(urlunsplit(urlsplit(admin_url)._replace(path=f"/{database}")), tmp_path) as run:
            web, ws = run.web_ports, run.ws_port
            answers = {port: health(port) for port in [*web, ws]}
            for status, body in answers.values():
                assert status == 200
                assert body["worker_queue"] == "ok"
                assert body["db"] == "ok"
            assert (run.run_dir / "worker.log").exists()
    finally:
        _psql(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert not any(_listening(port) for port in [*web, ws])
    assert "stopping" in run.output.read_text()
