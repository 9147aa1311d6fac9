"""The scaled-out topology's HTTP server: gunicorn's gthread worker on config.wsgi (config/gunicorn.py)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.doors import call_wsgi_together


def _load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_APP"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import config.gunicorn

    return importlib.reload(config.gunicorn)


def test_the_http_server_is_a_fixed_pool_of_threads_per_worker_on_the_wsgi_app(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = _load(monkeypatch)
    assert conf.wsgi_app == "config.wsgi:application"
    assert conf.worker_class == "gthread"
    assert (conf.workers, conf.threads, conf.bind) == (4, 4, ["127.0.0.1:8001"])
    conf = _load(monkeypatch, GUNICORN_WORKERS="2", GUNICORN_THREADS="8", GUNICORN_BIND="0.0.0.0:9000")
    assert (conf.workers, conf.threads, conf.bind) == (2, 8, ["0.0.0.0:9000"])
    assert _load(monkeypatch, GUNICORN_APP="bench.bench_exam:application").wsgi_app == "bench.bench_exam:application"


def test_a_nonsense_worker_count_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="GUNICORN_THREADS"):
        _load(monkeypatch, GUNICORN_THREADS="0")
    with pytest.raises(ImproperlyConfigured, match="GUNICORN_WORKERS"):
        _load(monkeypatch, GUNICORN_WORKERS="many")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_health_checks_on_several_threads_at_once_all_pass() -> None:
    """A load balancer's probes reach several of a worker's threads at once; each gets its 200."""
    from config.wsgi import application

    results = call_wsgi_together(application, [("GET", "/healthz", b"", [])] * 8)
    assert [status for status, _h, _c in results] == [200] * 8, [json.loads(c) for _s, _h, c in results]
