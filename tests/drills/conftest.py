"""The drills of issue 19: the scaled topology, on real server processes, under faults and races.

``web_processes`` starts the two HTTP doors a district runs, against the pytest-django
test database (PostgreSQL only: the processes must share it with the test):

- gunicorn (``config.gunicorn``: gthread workers, the scaled-out pages and API), and
- daphne (``config.asgi``: the embedded default, and the websocket server when scaled).

Each gets a free port and its own Redis key prefix (when ``REDIS_URL`` is set); both
are stopped when the test ends. Drills that kill or restart a service start their own
instance of it on a spare port; none touches the shared PostgreSQL or Redis.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.support.drill_services import drill_env
from tests.support.servers import DAPHNE, ROOT, free_port, wait_until_healthy

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


@dataclass(frozen=True)
class WebProcesses:
    gunicorn: str  # base URL, e.g. http://127.0.0.1:40001
    daphne: str
    redis_prefix: str  # the processes' channel-layer and cache prefix ("" without Redis)

    @property
    def urls(self) -> list[str]:
        return [self.gunicorn, self.daphne]


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("drill needs PostgreSQL (DATABASE_URL): server processes share the test database and row locks")


@pytest.fixture
def web_processes(transactional_db: None, tmp_path: Path) -> Iterator[WebProcesses]:
    needs_postgresql()
    prefix = f"drill-{uuid.uuid4().hex[:8]}" if settings.REDIS_URL else ""
    env = drill_env(tmp_path, **({"REDIS_PREFIX": prefix} if prefix else {}))
    ports = free_port(), free_port()
    commands = [
        (
            [str(GUNICORN), "-c", "python:config.gunicorn", "--bind", f"127.0.0.1:{ports[0]}"],
            {"GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4"},
        ),
        ([str(DAPHNE), "-b", "127.0.0.1", "-p", str(ports[1]), "config.asgi:application"], {}),
    ]
    processes: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / "gunicorn.log", tmp_path / "daphne.log"]
    try:
        for (command, extra), log in zip(commands, logs, strict=True):
            with open(log, "w") as out:
                processes.append(
                    subprocess.Popen(command, cwd=ROOT, env={**env, **extra}, stdout=out, stderr=subprocess.STDOUT)
                )
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process, log in zip(urls, processes, logs, strict=True):
            wait_until_healthy(url, process, log)
        yield WebProcesses(gunicorn=urls[0], daphne=urls[1], redis_prefix=prefix)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
