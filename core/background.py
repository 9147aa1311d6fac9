"""Background work: Celery when REDIS_URL is set, threads in this process otherwise.

Callers pass a Celery task and ids (never objects); the work is queued only
after the current transaction commits, so a worker never sees a missing row.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, transaction

logger = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=settings.BACKGROUND_THREADS, thread_name_prefix="bg")
    return _executor


# SQLite (the embedded default) refuses a write while another connection writes ("database is
# locked" past its timeout; at once, "database table is locked", when connections share a cache as
# the tests' in-memory database does). Every task is idempotent (a job is claimed by a conditional
# UPDATE, so a second run does not do it twice), so the thread tries again a few times before giving up.
SQLITE_LOCK_RETRIES = 5


def _locked(error: OperationalError) -> bool:
    return connection.vendor == "sqlite" and "locked" in str(error)


def _run_in_thread(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    close_old_connections()
    try:
        for attempt in range(SQLITE_LOCK_RETRIES + 1):
            try:
                return task.run(*args, **kwargs)
            except OperationalError as error:
                if attempt == SQLITE_LOCK_RETRIES or not _locked(error):
                    raise
                time.sleep(0.05 * 2**attempt)
        return None  # not reached: the last attempt returns or raises
    except Exception:
        logger.exception("Background task %s failed", getattr(task, "name", task))
        raise
    finally:
        close_old_connections()


def submit_now(task: Any, *args: Any, **kwargs: Any) -> Future[Any] | Any:
    if settings.BACKGROUND_BACKEND == "celery":
        return task.apply_async(args=args, kwargs=kwargs)
    return _pool().submit(_run_in_thread, task, args, kwargs)


def enqueue(task: Any, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: submit_now(task, *args, **kwargs))


# --- periodic jobs in the embedded default (Celery beat does this when scaled) -------------


def is_server_process(argv: list[str] | None = None) -> bool:
    """Whether this is an ASGI or dev server process (daphne, uvicorn, runserver), never under pytest."""
    argv = argv if argv is not None else sys.argv
    if "pytest" in sys.modules:
        return False
    program = os.path.basename(argv[0]) if argv else ""
    return program in ("daphne", "uvicorn") or "runserver" in argv[1:2]


def periodic_jobs_wanted() -> bool:
    """Whether this process should run the apps' periodic jobs in threads (``PERIODIC_JOBS``).

    Never with Celery (beat runs them); with "auto", only in a server process, so that a
    migration, a management command or a test run never starts submitting attempts.
    """
    mode = settings.PERIODIC_JOBS
    if mode == "off" or settings.BACKGROUND_BACKEND == "celery":
        return False
    return mode == "on" or is_server_process()


_periodic: set[str] = set()
_periodic_lock = threading.Lock()


def run_periodically(
    name: str, job: Callable[[], object], *, interval: float, first_delay: Callable[[], float] | None = None
) -> bool:
    """Run ``job`` every ``interval`` seconds in a daemon thread called ``name``; once per process.

    Returns whether this call started it. A failing run is logged and the next
    one happens on time; database connections are closed around each run (the
    thread lives longer than CONN_MAX_AGE). ``first_delay`` gives the wait
    before the first run (default: run at once).
    """
    with _periodic_lock:
        if name in _periodic:
            return False
        _periodic.add(name)

    def loop() -> None:
        if first_delay is not None:
            time.sleep(first_delay())
        while True:
            try:
                close_old_connections()
                job()
            except Exception:
                logger.exception("Periodic job %s failed", name)
            finally:
                close_old_connections()
            time.sleep(interval)

    threading.Thread(target=loop, name=name, daemon=True).start()
    logger.info("Periodic job %s started (every %ss)", name, interval)
    return True


def periodic_started(name: str) -> bool:
    return name in _periodic
