from __future__ import annotations

import threading
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
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


def healthz(request: HttpRequest) -> JsonResponse:
    report: dict[str, str] = {}
    for name, check in (("db", _check_db), ("channel_layer", _check_channel_layer), ("cache", _check_cache)):
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
            report[name] = f"error: {type(exc).__name__}"
        else:
            report[name] = "ok"
    healthy = all(v == "ok" for v in report.values())
    return JsonResponse(report, status=200 if healthy else 503)
