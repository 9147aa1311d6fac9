"""`deploy/run-scaled.sh` (what `make run-scaled` runs) as a test fixture: start it, wait for it, stop it.

Each run gets free ports, its own Redis key prefix and Celery queue (so nothing of the suite's or another
run's mixes in) and its own private storage; ``stop`` sends one SIGINT to the process group (the terminal's
Ctrl-C) and removes the keys the run left in Redis.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

from django.conf import settings

from tests.support.servers import ROOT, free_port


@dataclass(frozen=True)
class ScaledRun:
    process: subprocess.Popen[bytes]
    web_ports: list[int]
    ws_ports: list[int]
    output: Path  # the script's own output
    run_dir: Path  # one log per process

    @property
    def ws_port(self) -> int:
        return self.ws_ports[0]

    @property
    def web_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.web_ports]


def health(port: int) -> tuple[int, dict[str, object]]:
    with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:  # noqa: S310 - loopback
        return response.status, json.loads(response.read())


def _forget_keys(tag: str) -> None:
    """The keys a run left in the suite's Redis: its queue, kombu's bindings, channel inboxes."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"*run-scaled-{tag}*"))
    if keys:
        client.delete(*keys)


@contextmanager
def run_scaled(database_url: str, tmp_path: Path, *, ws_processes: int = 1, **extra_env: str) -> Iterator[ScaledRun]:
    """The scaled topology on ``database_url`` (``ws_processes`` daphne for /ws/), healthy on every port,
    stopped (and its keys removed) afterwards."""
    tag = uuid.uuid4().hex[:8]
    web, ws = [free_port(), free_port()], [free_port() for _ in range(ws_processes)]
    run_dir = tmp_path / "run"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        "DATABASE_URL": database_url,
        "REDIS_PREFIX": f"run-scaled-{tag}",
        "CELERY_QUEUE": f"run-scaled-{tag}",
        "WORKER_QUEUE_MAX_WAIT_SECONDS": "300",
        "WEB_PORTS": " ".join(map(str, web)),
        "WS_PORTS": " ".join(map(str, ws)),
        "PROXY_PORT": str(free_port()),
        "SEED": "0",
        "RUN_DIR": str(run_dir),
        "PRIVATE_STORAGE_ROOT": str(tmp_path / "private"),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "CELERY_CONCURRENCY": "1",
        **extra_env,
    }
    env.pop("EXAMS_SCHEDULER", None)
    output = tmp_path / "run-scaled.out"
    log = open(output, "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        ["deploy/run-scaled.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        for port in [*web, *ws]:
            for _ in range(900):  # readiness poll (migrations first), not a timed assertion
                if process.poll() is not None:
                    raise RuntimeError(f"run-scaled ended early:\n{output.read_text()}")
                try:
                    health(port)
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                raise RuntimeError(f"run-scaled: port {port} never answered:\n{output.read_text()}")
        yield ScaledRun(process=process, web_ports=web, ws_ports=ws, output=output, run_dir=run_dir)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole group
        try:
            process.wait(timeout=60)
        finally:
            log.close()
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            _forget_keys(tag)
