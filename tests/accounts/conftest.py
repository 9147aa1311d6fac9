from __future__ import annotations

import uuid
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def cache_namespace(settings: Any) -> str:
    """A fresh cache key prefix per test: rate-limit counters never leak between
    tests, and on the Redis pass nothing is flushed that another process uses."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    caches = {alias: dict(conf) for alias, conf in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = caches
    return prefix
