"""/healthz reports each part, and names the one that fails."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

BROKEN_REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.django_db
def test_all_ok() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"db": "ok", "channel_layer": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_broken_cache_is_named(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": BROKEN_REDIS}}
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["cache"] != "ok"
    assert body["db"] == "ok"
    assert body["channel_layer"] == "ok"


@pytest.mark.django_db
def test_broken_channel_layer_is_named(settings: Any) -> None:
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [BROKEN_REDIS]}}
    }
    channel_layers.backends.clear()  # channels caches the layer built from the old setting
    try:
        response = Client().get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    body = response.json()
    assert body["channel_layer"] != "ok"
    assert body["cache"] == "ok"
