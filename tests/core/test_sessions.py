"""Signed-in requests keep working while Redis (the session cache) is down (core.sessions).

Found by drill 2 (tests/drills/test_redis_restarted.py): with Django's ``cached_db`` every
request carrying a session cookie answered 500 while Redis was down, the exam page's autosaves
included, although the session was in the database. Here the cache is a Redis URL on a port
nobody listens on, on both passes of the suite.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from exams.services.attempts import attempt_start
from tests.conftest import Cast
from tests.exams.conftest import correct_answer, make_bank, make_paper, make_session
from tests.support.servers import free_port


def redis_goes_down(settings: Any) -> None:
    """From now on the cache is a Redis that refuses connections."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedPoolRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "KEY_PREFIX": "sessions-test",
        }
    }
    with pytest.raises(Exception, match="(?i)connect"):
        caches["default"].get("anything")


def signed_in(user: Any, settings: Any) -> Client:
    """A browser signed in while Redis was up (its session in the database and the cache)."""
    settings.SESSION_ENGINE = "core.sessions"
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.django_db
def test_the_exam_page_saves_answers_while_redis_is_down(cast: Cast, settings: Any) -> None:
    provider = cast.east.provider
    session = make_session(provider, make_paper(provider, make_bank(provider)))
    attempt = attempt_start(notice_confirmed=True, session=session, person=cast.east.learner)
    aq = attempt.questions.first()
    browser = signed_in(cast.east.learner.user, settings)
    redis_goes_down(settings)

    page = browser.get(f"/exams/attempts/{attempt.pk}/")
    assert page.status_code == 200
    saved = browser.put(
        f"/api/v1/attempts/{attempt.pk}/answers/{aq.pk}/",
        json.dumps({"answer": correct_answer(aq), "client_seq": 1}),
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    aq.refresh_from_db()
    assert aq.given == correct_answer(aq)


@pytest.mark.django_db
def test_a_signed_in_page_is_still_signed_in_while_redis_is_down(cast: Cast, settings: Any) -> None:
    browser = signed_in(cast.east.learner.user, settings)
    redis_goes_down(settings)
    response = browser.get("/")
    assert response.status_code == 200
    assert response.wsgi_request.user == cast.east.learner.user
