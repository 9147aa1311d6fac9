"""Service instances of the drills' own: a Redis server and web processes that a test may stop or kill.

The drills of issue 19 stop, kill and restart services mid-exam. They never touch the shared
PostgreSQL or Redis (../shared/SERVICES.md): each starts its own instance on a spare port.

``redis_instance(tmp_path)``
    A context manager: a ``redis-server`` on a free loopback port, its files in ``tmp_path``,
    nothing kept on disk (as the shared one). Yields a ``RedisServer``: ``.url`` for
    ``REDIS_URL``, ``.stop()`` (the server shuts down; its port refuses connections) and
    ``.start()`` (a fresh server on the same port, as a restarted service comes back).
    Skips the test when ``redis-server`` is not installed.

``drill_env(tmp_path, **extra)``
    The environment of a server process sharing the pytest-django test database (PostgreSQL):
    the test's ``SECRET_KEY`` (its session cookies verify there), no periodic jobs, private
    files in ``tmp_path``. ``extra`` adds or overrides variables (``REDIS_URL``, ``REDIS_PREFIX``…).

``web_process(kind, env, tmp_path)``
    A context manager: one web process, ``"gunicorn"`` (config.gunicorn: pages and API, as
    scaled out) or ``"daphne"`` (config.asgi: pages, API and websockets), on a free port,
    ready (``/healthz`` answers 200) when it is yielded as a ``WebProcess``: ``.url``,
    ``.kill()`` (SIGKILL: no shutdown, no disconnect handlers, connections dropped), ``.log``.
    Stopped when the block ends, whatever the test did to it. ``web_processes_started(kinds, env,
    tmp_path)`` starts several at once (they load Django side by side) and yields the list.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.drill_pg import server_env
from tests.support.servers import DAPHNE, ROOT, free_port, kill_group, wait_until_healthy

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
READY_POLLS = 300  # tenths of a second: a readiness poll, not a timed assertion


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class RedisServer:
    """One redis-server of a drill's own (see ``redis_instance``)."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    starts: int = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server on its port (again, after ``stop``) and return once it answers PING."""
        assert self.process is None or self.process.poll() is not None, "redis-server is already running"
        self.starts += 1
        log = self.directory / f"redis-{self.starts}.log"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        for _ in range(READY_POLLS):
            if self.process.poll() is not None:
                text = log.read_text() if log.exists() else ""
                raise RuntimeError(f"redis-server exited with {self.process.returncode}:\n{text}")
            if self._ping():
                return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server on port {self.port} did not answer PING")

    def stop(self) -> None:
        """Shut the server down (its data is gone, as with the shared one) and wait until the port refuses."""
        if self.process is not None:
            _stop(self.process)
        for _ in range(READY_POLLS):
            if not _listening(self.port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"port {self.port} still accepts connections after redis-server stopped")

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def redis_instance(tmp_path: Path) -> Iterator[RedisServer]:
    """A running redis-server of this test's own (see the module docstring); stopped afterwards."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: the drill starts a Redis of its own")
    directory = tmp_path / "redis"
    directory.mkdir(exist_ok=True)
    server = RedisServer(port=free_port(), directory=directory)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            _stop(server.process)


def drill_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a server process on the pytest-django test database (call inside a django_db test):
    the suite's Redis (if any), private storage under ``tmp_path``, no periodic jobs."""
    from django.db import connection

    database = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}"))
    return server_env(
        database_url=database, redis_url=os.environ.get("REDIS_URL"), private_root=tmp_path / "private", **extra
    )


@dataclass
class WebProcess:
    """One web process of a drill's own (see ``web_process``)."""

    kind: str
    url: str
    process: subprocess.Popen[bytes] = field(repr=False)
    log: Path

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a crashed host does it; returns once the process is gone."""
        if self.process.poll() is None:
            # gunicorn's workers are its children: a killed arbiter leaves them serving. Kill the group.
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        port = urlsplit(self.url).port
        assert port is not None
        for _ in range(READY_POLLS):
            if not _listening(port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.url} still accepts connections after SIGKILL")


def _command(kind: str, port: int) -> tuple[list[str], dict[str, str]]:
    if kind == "gunicorn":
        return [str(GUNICORN), "-c", "python:config.gunicorn", "--bind", f"127.0.0.1:{port}"], {
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "4",
        }
    if kind == "daphne":
        return [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"], {}
    raise ValueError(f"unknown web process kind: {kind!r}")


@contextmanager
def web_processes_started(kinds: list[str], env: dict[str, str], tmp_path: Path) -> Iterator[list[WebProcess]]:
    """Several web processes started together (they load Django at the same time), each as ``web_process``."""
    started: list[WebProcess] = []
    with ExitStack() as stack:
        for index, kind in enumerate(kinds):
            port = free_port()
            command, extra = _command(kind, port)
            log = tmp_path / f"{kind}-{index}-{port}.log"
            with open(log, "w") as out:
                process = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env={**extra, **env},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: kill() reaches gunicorn's workers
                )
            stack.callback(_stop_group, process)
            started.append(WebProcess(kind=kind, url=f"http://127.0.0.1:{port}", process=process, log=log))
        for web in started:
            wait_until_healthy(web.url, web.process, web.log)
        yield started


@contextmanager
def web_process(kind: str, env: dict[str, str], tmp_path: Path) -> Iterator[WebProcess]:
    """One web process (see the module docstring)."""
    with web_processes_started([kind], env, tmp_path) as (web,):
        yield web


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    kill_group(process, signal.SIGTERM, timeout=15)
    try:  # workers a killed arbiter left behind
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def counted_session(provider: Any, **session_fields: Any) -> Any:
    """A proctored exam session of ``provider`` whose policy only counts: no identity or liveness check at the
    start, every tab switch counted at once, a warning at the tenth, never an automatic submit — so that a
    drill's events and answers are what its examinees sent, whatever the order the faults put them in."""
    from proctoring.services.actions import policy_set
    from tests.exams.conftest import make_bank, make_paper, make_session

    session = make_session(provider, make_paper(provider, make_bank(provider)), **session_fields)
    policy_set(
        session=session,
        require_identity_check=False,
        require_liveness=False,
        tab_ignore_seconds=0,
        tab_warn_at=10,
        tab_submit_at=None,
        phone_aware=False,
    )
    return session
