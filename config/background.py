"""Background work: Celery when REDIS_URL is set, threads in this process otherwise.

Callers pass a Celery task and ids (never objects); the work is queued only
after the current transaction commits, so a worker never sees a missing row.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction

logger = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=settings.BACKGROUND_THREADS, thread_name_prefix="bg")
    return _executor


def _run_in_thread(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    close_old_connections()
    try:
        return task.run(*args, **kwargs)
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
