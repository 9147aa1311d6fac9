"""/healthz reports each part, and names the one that fails; /readyz (the load balancer's probe)
asks the database alone, so a Redis or worker failure keeps the process in rotation (the
database-down answer is drill 4's: tests/drills/test_postgres_restarted.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from core.health import SENT_AT_HEADER

BROKEN_REDIS = "redis://127.0.0.1:1/0"


def assert_ready() -> None:
    """The load balancer keeps the process: /readyz is 200 and names the database alone."""
    response = Client().get("/readyz")
    assert (response.status_code, response.json()) == (200, {"db": "ok"})


@pytest.mark.django_db
def test_all_ok() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("db", "channel_layer", "cache")} == {"db": "ok", "channel_layer": "ok", "cache": "ok"}
    assert body["worker_queue"] == ("ok" if django_settings.BACKGROUND_BACKEND == "celery" else "threads")
    assert_ready()


@pytest.mark.django_db
def test_the_embedded_default_reports_its_threads(settings: Any) -> None:
    settings.BACKGROUND_BACKEND = "threads"
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker_queue"] == "threads"


@pytest.mark.django_db
def test_an_unreachable_broker_is_named(settings: Any) -> None:
    settings.BACKGROUND_BACKEND = "celery"
    settings.CELERY_BROKER_URL = BROKEN_REDIS
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["worker_queue"].startswith("error")
    assert body["db"] == "ok"
    assert_ready()


@pytest.fixture
def own_queue(settings: Any) -> Iterator[str]:
    """A Celery queue of this test's own on the suite's Redis, deleted afterwards."""
    if not django_settings.REDIS_URL:
        pytest.skip("the worker queue is a Redis list: needs REDIS_URL")
    from config.celery import app

    queue = f"healthz-{uuid.uuid4().hex[:8]}"
    settings.BACKGROUND_BACKEND = "celery"
    settings.CELERY_BROKER_URL = django_settings.REDIS_URL
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    settings.WORKER_QUEUE_MAX_WAIT_SECONDS = 300
    yield queue
    with app.connection_for_write() as conn:
        conn.default_channel.client.delete(queue)


def _age_oldest(queue: str, seconds: float) -> None:
    """Make the oldest waiting message look queued ``seconds`` earlier (the broker's own copy)."""
    from config.celery import app

    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        message = json.loads(client.lindex(queue, -1))
        message["headers"][SENT_AT_HEADER] -= seconds
        client.lset(queue, -1, json.dumps(message))


@pytest.mark.django_db
def test_a_queue_nobody_takes_from_is_stuck_after_the_threshold(own_queue: str) -> None:
    from config.celery import app

    for _ in range(3):
        app.send_task("exams.tick", queue=own_queue)
    fresh = Client().get("/healthz")
    assert fresh.status_code == 200
    assert fresh.json()["worker_queue"] == "ok"
    assert fresh.json()["worker_queue_length"] == 3
    # Twenty minutes later, nothing has taken the oldest task: no worker runs.
    _age_oldest(own_queue, 20 * 60)
    stuck = Client().get("/healthz")
    assert stuck.status_code == 503
    body = stuck.json()
    assert body["worker_queue"] == "stuck"
    assert body["worker_oldest_wait_seconds"] >= 20 * 60
    assert body["db"] == "ok"


@pytest.mark.django_db
def test_broken_cache_is_named(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": BROKEN_REDIS}}
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["cache"] != "ok"
    assert body["db"] == "ok"
    assert body["channel_layer"] == "ok"
    assert_ready()


@pytest.mark.django_db
def test_broken_channel_layer_is_named(settings: Any) -> None:
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [BROKEN_REDIS]}}
    }
    channel_layers.backends.clear()  # channels caches the layer built from the old setting
    try:
        response = Client().get("/healthz")
        assert_ready()
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    body = response.json()
    assert body["channel_layer"] != "ok"
    assert body["cache"] == "ok"
