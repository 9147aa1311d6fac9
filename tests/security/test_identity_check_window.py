"""The identity check is for a session that is open (or opens within the hour), on the API and the web page.

- A closed session, or one that opens more than ``IDENTITY_CHECK_LEAD`` (1 h) from
  now: the face check and the manual check are refused with 409 ``not_open``,
  and nothing is stored, counted or queued for a proctor.
- After a pass, a new post is not a new check: without a photo the API answers
  400 ``photo_required`` naming ``photo``; with one, 409 ``already_passed``
  (nothing stored or counted), on the API and the web page alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from proctoring.models import FaceEnrolment, IdentityCheck
from proctoring.services.actions import policy_set
from proctoring.services.consent import consent_give
from proctoring.services.identity import enrol, identity_check_face
from tests.conftest import Cast, login_client

# Private storage in a temporary folder.
from tests.proctoring.conftest import _private_storage  # noqa: F401 - autouse fixture
from tests.support import faces

pytestmark = pytest.mark.django_db


def _session(cast: Cast, *, opens_in: dt.timedelta, lasts: dt.timedelta = dt.timedelta(hours=2)) -> Any:
    from tests.exams.conftest import make_bank, make_paper, make_session

    provider = cast.east.provider
    now = timezone.now()
    session = make_session(
        provider,
        make_paper(provider, make_bank(provider, code="window")),
        title="监考考试",
        opens_at=now + opens_in,
        closes_at=now + opens_in + lasts,
    )
    policy_set(session=session, require_liveness=False)  # the face check as before liveness
    return session


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("capture.jpg", faces.snapshot_jpeg(faces.astronaut_bgr()), content_type="image/jpeg")


def _enrolled(cast: Cast) -> Any:
    learner = cast.east.learner
    consent_give(person=learner, by=learner.user)
    enrol(person=learner, photo=faces.astronaut_jpeg(), source=FaceEnrolment.Source.LIVE, by=learner.user)
    return learner


def _photos_counted(person: Any) -> bool:
    return cache.get(_window(person)) is not None


def _forget_photos(person: Any) -> None:
    """Forget the enrolment's photo, so that only the check's are watched (never cache.clear(): Redis is shared)."""
    cache.delete(_window(person))


def _window(person: Any) -> str:
    return f"proctoring:photo-rate:{person.pk}:opened"


CLOSED = {"opens_in": -dt.timedelta(days=1), "lasts": dt.timedelta(hours=2)}  # closed yesterday
FAR_AHEAD = {"opens_in": dt.timedelta(hours=3)}


@pytest.mark.parametrize("window", [CLOSED, FAR_AHEAD], ids=["closed", "opens-in-3h"])
def test_api_refuses_both_checks_outside_the_window(cast: Cast, window: dict[str, Any]) -> None:
    session = _session(cast, **window)
    learner = cast.east.learner
    client = _api(learner.user)
    manual = client.post(reverse("api:exam-identity-check-manual", args=[session.pk]))
    assert manual.status_code == 409
    assert manual.json()["code"] == "not_open"
    _forget_photos(_enrolled(cast))
    face = client.post(reverse("api:exam-identity-check", args=[session.pk]), {"photo": _photo()}, format="multipart")
    assert face.status_code == 409
    assert face.json()["code"] == "not_open"
    assert not IdentityCheck.objects.filter(session=session).exists()
    assert not _photos_counted(learner)


@pytest.mark.parametrize("window", [CLOSED, FAR_AHEAD], ids=["closed", "opens-in-3h"])
def test_web_page_refuses_both_checks_outside_the_window(cast: Cast, window: dict[str, Any]) -> None:
    session = _session(cast, **window)
    client = login_client(cast.east.learner.user)
    url = reverse("proctoring:identity_check", args=[session.pk])
    manual = client.post(url, {"action": "manual"}, HTTP_ACCEPT="application/json")
    assert manual.status_code == 409
    assert manual.json()["code"] == "not_open"
    page = client.post(url, {"action": "manual"}, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "身份核验" in page.content.decode()
    _enrolled(cast)
    face = client.post(url, {"photo": _photo()}, HTTP_ACCEPT="application/json")
    assert face.status_code == 409
    assert face.json()["code"] == "not_open"
    assert not IdentityCheck.objects.filter(session=session).exists()


def test_the_check_opens_an_hour_before_the_session(cast: Cast) -> None:
    session = _session(cast, opens_in=dt.timedelta(minutes=50))
    response = _api(cast.east.learner.user).post(reverse("api:exam-identity-check-manual", args=[session.pk]))
    assert response.status_code == 200
    assert response.json()["state"] == "pending_manual"


def test_the_not_open_message_says_when_in_chinese(cast: Cast) -> None:
    session = _session(cast, **CLOSED)
    response = _api(cast.east.learner.user).post(
        reverse("api:exam-identity-check-manual", args=[session.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "已于" in response.json()["detail"]


# --- after a pass --------------------------------------------------------------------------------


def _passed(cast: Cast) -> Any:
    session = _session(cast, opens_in=-dt.timedelta(minutes=5))
    learner = _enrolled(cast)
    check = identity_check_face(session=session, person=learner, frame=_photo().read())
    assert check.result == IdentityCheck.Result.PASSED
    return session


def test_api_post_without_a_photo_after_a_pass_names_the_field(cast: Cast) -> None:
    session = _passed(cast)
    response = _api(cast.east.learner.user).post(reverse("api:exam-identity-check", args=[session.pk]))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "photo_required"
    assert list(body["errors"]) == ["photo"]
    assert body["detail"].startswith("photo: ")
    assert IdentityCheck.objects.filter(session=session).count() == 1


def test_api_post_with_a_photo_after_a_pass_says_already_passed(cast: Cast) -> None:
    session = _passed(cast)
    _forget_photos(cast.east.learner)
    response = _api(cast.east.learner.user).post(
        reverse("api:exam-identity-check", args=[session.pk]), {"photo": _photo()}, format="multipart"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_passed"
    assert "ok" not in response.json()
    assert IdentityCheck.objects.filter(session=session).count() == 1
    assert not _photos_counted(cast.east.learner)


def test_web_post_after_a_pass_says_already_passed(cast: Cast) -> None:
    session = _passed(cast)
    response = login_client(cast.east.learner.user).post(
        reverse("proctoring:identity_check", args=[session.pk]), {"photo": _photo()}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_passed"
    assert IdentityCheck.objects.filter(session=session).count() == 1
