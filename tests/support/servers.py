"""Real server processes for tests that need more than the test client (browsers, two processes)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = ROOT / ".venv" / "bin" / "daphne"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url``/healthz until it answers 200; the log is raised if the process dies first."""
    for _ in range(300):  # readiness poll, not a timed assertion
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            with urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)


@contextmanager
def daphne_server(*, port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    """One daphne process serving config.asgi on ``port``, ready when the URL is yielded; stopped after."""
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
