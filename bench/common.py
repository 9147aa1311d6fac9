"""What the benchmarks share: their own PostgreSQL database, Django set up on it, server
processes stopped, machine and process CPU, and percentiles. Imported as ``bench.common`` (each
benchmark puts the repository root on ``sys.path`` first)."""

from __future__ import annotations

import os
import resource
import secrets
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.support.servers import wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]


def psql(url: str, sql: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE) on ``url``."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def db_url(base: str, name: str) -> str:
    """``base`` with its database replaced by ``name``."""
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def database_create(admin_url: str, name: str) -> str:
    """A fresh database ``name`` on ``admin_url``'s server (an old one of that name is dropped); its URL."""
    psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(admin_url, f'CREATE DATABASE "{name}"')
    return db_url(admin_url, name)


def database_drop(admin_url: str, name: str) -> None:
    """Close this process's connections, then drop ``name`` (whoever else is still connected)."""
    from django.db import connections

    connections.close_all()
    psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(url: str, label: str, **extra: str) -> dict[str, str]:
    """The environment of the server processes a benchmark starts: this one's, on the database
    ``url``, plain HTTP, warnings only in the log, a secret key and a Celery queue of this run (tasks
    others left in the shared Redis never make its /healthz report a stuck queue); ``extra`` on top."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        # Plain HTTP on loopback: TLS and its redirect belong to the reverse proxy in front.
        "SECURE_SSL_REDIRECT": "false",
        "SECRET_KEY": f"{label}-{secrets.token_hex(16)}",
        "LOG_LEVEL": "WARNING",
        "CELERY_QUEUE": f"{label}-{secrets.token_hex(4)}",
        **extra,
    }


def open_files_raise() -> None:
    """Raise this process's open-file limit to the hard limit (up to 65,536): thousands of sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 65536)), hard))


def django_setup(url: str, **env: str) -> None:
    """Set Django up in this process on the database ``url``, plain HTTP, warnings only in the log;
    ``env`` are further settings (environment variables) that override the defaults."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "false")
    # Plain HTTP: TLS and its redirect belong to the reverse proxy in front.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.update(env)
    import django

    django.setup()


def processes_stop(processes: Iterable[subprocess.Popen[bytes]], timeout: float = 10) -> None:
    """Ask every process to stop, then kill those still running after ``timeout`` seconds."""
    processes = list(processes)
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


def daphne(port: int, application: str) -> list[str]:
    """The command of one daphne process serving ``application`` on loopback ``port``, with a
    listen backlog that holds a synchronised release of thousands of clients."""
    return [
        str(ROOT / ".venv" / "bin" / "daphne"),
        "-e",
        f"tcp:port={port}:interface=127.0.0.1:backlog=4096",
        application,
    ]


def servers_start(
    commands: Sequence[tuple[int, list[str]]], *, env: dict[str, str], logs: Sequence[Path]
) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    """One process per ``(port, command)``, its output in the matching log; returns the processes
    and their URLs once every one answers ``/healthz``. If one never does, all are stopped."""
    processes, urls = [], []
    try:
        for (port, command), log in zip(commands, logs, strict=True):
            with open(log, "w") as out:
                processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process, log in zip(urls, processes, logs, strict=True):
            wait_until_healthy(url, process, log)
    except BaseException:
        processes_stop(processes)
        raise
    return processes, urls


def cpu_busy() -> tuple[float, float]:
    """The machine's busy and total CPU jiffies since boot (/proc/stat); the busy share of a run
    is the difference of busy over the difference of total."""
    with open("/proc/stat") as f:
        values = [float(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process so far (/proc/<pid>/stat); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (/proc), as they are now."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def with_descendants(pids: Iterable[int]) -> list[int]:
    """``pids`` and all their descendants as they are now: gunicorn's workers under their master,
    or under ``deploy/run-scaled.sh`` every process of the topology (Celery's pool included)."""
    found = frontier = list(pids)
    while frontier:
        frontier = [child for pid in frontier for child in children(pid)]
        found = found + frontier
    return found


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values`` in seconds, in milliseconds; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000


def sheet_files_write(header: list[str], rows: list[list[object]], *, sheet: str, xlsx: Path, csv: Path) -> None:
    """The same table twice, as users upload it: an .xlsx (one sheet called ``sheet``, written
    row by row) and a UTF-8 .csv with a BOM (as Excel saves one)."""
    import csv as csv_module

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append(header)
    for row in rows:
        ws.append(row)
    book.save(xlsx)
    with csv.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv_module.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
