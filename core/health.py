from __future__ import annotations

import json
import threading
import time
import uuid
from functools import cache as memoize
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse


def _check_db() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


async def _roundtrip(layer: object) -> None:
    channel = await layer.new_channel()  # type: ignore[attr-defined]
    await layer.send(channel, {"type": "healthz"})  # type: ignore[attr-defined]
    message = await layer.receive(channel)  # type: ignore[attr-defined]
    if message.get("type") != "healthz":
        raise RuntimeError("channel layer returned a different message")


# One round trip at a time per process: under gunicorn's threads, two probes at once would
# receive() on the shared channel layer from two event loops, which channels-redis refuses.
_roundtrip_lock = threading.Lock()


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    with _roundtrip_lock:
        async_to_sync(_roundtrip)(layer)


# Set on every task message by config.celery (before_task_publish): when it was queued, in Unix seconds.
SENT_AT_HEADER = "safetrain_sent_at"


@memoize
def _broker(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def _waited(message: bytes | None, now: float) -> float | None:
    """Seconds the queued message (kombu's JSON envelope) has waited, when it says when it was sent."""
    if message is None:
        return None
    try:
        sent = json.loads(message)["headers"][SENT_AT_HEADER]
    except (ValueError, KeyError, TypeError):
        return None
    return max(0.0, now - float(sent)) if isinstance(sent, (int, float)) else None


def worker_queue_report() -> tuple[dict[str, Any], bool]:
    """The worker queue's part of /healthz, and whether it is healthy.

    Embedded default: background work runs on threads of this process ("threads"). With Celery:
    the broker answers, the queue's length, and how long its oldest task has waited (workers
    take from the right: the oldest is the last element); longer than
    ``WORKER_QUEUE_MAX_WAIT_SECONDS`` is "stuck" (no worker takes tasks, or too few).
    """
    if settings.BACKGROUND_BACKEND != "celery":
        return {"worker_queue": "threads"}, True
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    try:
        broker = _broker(settings.CELERY_BROKER_URL)
        length = int(broker.llen(queue))
        waited = _waited(broker.lindex(queue, -1) if length else None, time.time())
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return {"worker_queue": f"error: {type(exc).__name__}"}, False
    limit = settings.WORKER_QUEUE_MAX_WAIT_SECONDS
    stuck = bool(limit) and waited is not None and waited > limit
    return {
        "worker_queue": "stuck" if stuck else "ok",
        "worker_queue_length": length,
        "worker_oldest_wait_seconds": None if waited is None else round(waited),
    }, not stuck


def readyz(request: HttpRequest) -> JsonResponse:
    """The load balancer's probe: can this process serve requests? Only the database decides.

    Exam answers, submits and pages need the database alone: while Redis is down the
    process still saves answers over HTTP (sessions fall back to the database,
    tests/drills/test_redis_restarted.py). A probe that also required Redis (``/healthz``)
    would take every web process out of rotation at once during a Redis outage, and with
    them the HTTP autosave that outlives it. ``/healthz`` stays the operator's full report.
    """
    try:
        _check_db()
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return JsonResponse({"db": f"error: {type(exc).__name__}"}, status=503)
    return JsonResponse({"db": "ok"})


def healthz(request: HttpRequest) -> JsonResponse:
    """The operator's full report (monitoring, alerts): every part, the worker queue included."""
    report: dict[str, Any] = {}
    for name, check in (("db", _check_db), ("channel_layer", _check_channel_layer), ("cache", _check_cache)):
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
            report[name] = f"error: {type(exc).__name__}"
        else:
            report[name] = "ok"
    healthy = all(v == "ok" for v in report.values())
    workers, workers_healthy = worker_queue_report()
    report.update(workers)
    return JsonResponse(report, status=200 if healthy and workers_healthy else 503)
