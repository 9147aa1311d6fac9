"""Real server processes for tests that need more than the test client (browsers, two processes)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = ROOT / ".venv" / "bin" / "daphne"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url``/healthz until it answers 200; the log is raised if the process dies or never gets ready."""
    for _ in range(300):  # readiness poll, not a timed assertion
        if process.poll() is not None:
            raise RuntimeError(f"{Path(process.args[0]).name} exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{Path(process.args[0]).name} did not become ready:\n{log.read_text()}")


def probe(url: str) -> tuple[int, dict[str, Any]]:
    """A load balancer's GET of a health ``url``: its status and JSON body (a 503's too)."""
    try:
        with urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except HTTPError as refused:
        return refused.code, json.loads(refused.read())


@contextmanager
def server(command: list[str], *, port: int, env: dict[str, str], log: Path, stop_seconds: int = 10) -> Iterator[str]:
    """One server process listening on ``port``, ready when its URL is yielded; stopped (or killed) after."""
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_seconds)
        except subprocess.TimeoutExpired:
            process.kill()


def daphne_server(*, port: int, env: dict[str, str], log: Path) -> Any:
    """One daphne process serving config.asgi on ``port`` (see ``server``)."""
    return server(
        [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"], port=port, env=env, log=log
    )


def kill_group(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL, timeout: float = 30) -> None:
    """Send ``sig`` to a process started in a session of its own and all its children; wait for the leader
    (``timeout`` seconds, then SIGKILL)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
