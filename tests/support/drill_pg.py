"""Services of the drills' own, for drills that kill or restart them (tests/drills, SERVICES.md).

- ``own_postgres``: a PostgreSQL cluster of its own (``initdb`` + ``pg_ctl``) on a spare port in
  a temporary directory, stopped and started at will, removed afterwards. The shared cluster is
  never touched.
- ``own_redis``: a ``redis-server`` of its own on a spare port, nothing kept on disk.
- ``copy_database``: a database's schema and rows into another server (``pg_dump | psql``).
- ``server_env``: the environment of a web process or Celery worker of the drill.

Each skips the test, with the reason, when the binaries it needs are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.servers import ROOT, free_port


def postgres_bin() -> Path:
    """The directory of ``initdb``/``pg_ctl`` (the newest installed major version)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    pytest.skip("drill needs the PostgreSQL server binaries (initdb, pg_ctl) to run a cluster of its own")


def _as_owner(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("drill runs as root and needs runuser to start PostgreSQL as the postgres user")
    return [runuser, "-u", "postgres", "--", *command]


@dataclass
class OwnPostgres:
    bin: Path
    directory: Path
    port: int

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_owner([str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), *args]),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        """Start and wait until it accepts connections (``pg_ctl -w``)."""
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._ctl("-o", options, "-l", str(self.directory / "postgres.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, as when the server restarts for an upgrade."""
        self._ctl("-m", "fast", "-w", "-t", "60", "stop")

    def log(self) -> str:
        path = self.directory / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A fresh cluster (trust auth, superuser ``postgres``) listening on 127.0.0.1, started."""
    bin_dir = postgres_bin()
    # Not pytest's tmp_path: the postgres user must be able to enter the directory.
    directory = Path(tempfile.mkdtemp(prefix="drill-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = OwnPostgres(bin=bin_dir, directory=directory, port=free_port())
    try:
        subprocess.run(
            _as_owner(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(directory / "data"),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass  # never started, or already stopped
        shutil.rmtree(directory, ignore_errors=True)


def copy_database(source_url: str, cluster: OwnPostgres, database: str) -> str:
    """Create ``database`` on ``cluster`` with the schema and rows of ``source_url``; its URL."""
    subprocess.run(
        [str(cluster.bin / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", database],
        check=True,
        capture_output=True,
        timeout=60,
    )
    dump = subprocess.Popen(
        [str(cluster.bin / "pg_dump"), "--no-owner", "--no-privileges", "-d", source_url], stdout=subprocess.PIPE
    )
    restore = subprocess.run(
        [str(cluster.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", cluster.url(database)],
        stdin=dump.stdout,
        capture_output=True,
        timeout=120,
    )
    assert dump.stdout is not None
    dump.stdout.close()
    assert dump.wait(timeout=120) == 0, "pg_dump failed"
    assert restore.returncode == 0, restore.stderr.decode(errors="replace")
    return cluster.url(database)


@contextmanager
def own_redis() -> Iterator[str]:
    """A redis-server on a spare loopback port, nothing on disk; its URL, stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("drill needs redis-server to run a Redis of its own")
    import redis

    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="drill-redis-"))
    process = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        for _ in range(300):  # readiness poll, not a timed assertion
            assert process.poll() is None, "redis-server exited"
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def server_env(*, database_url: str, redis_url: str | None, private_root: Path, **extra: str) -> dict[str, str]:
    """The environment of a drill's web process or worker: its database, Redis, storage, no periodic jobs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("EXAMS_SCHEDULER", None)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        DEBUG="true",
        SECRET_KEY=settings.SECRET_KEY,  # what the test signs (sessions, tokens) verifies there
        PERIODIC_JOBS="off",
        PRIVATE_STORAGE_ROOT=str(private_root),
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def start_group(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A process in a session (process group) of its own, so that it dies with all its children."""
    with open(log, "w") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
