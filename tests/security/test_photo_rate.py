"""Face photos are limited per person on every door that takes them (PROCTORING_PHOTO_RATE).

Each enrolment or identity-check photo (up to 8 MB) costs a face encoding. The
web page (enrolment and the identity check, JSON and plain form) and the API
(enrolment and the identity check) share one budget per person, counted in the
service before the photo is decoded: an unreadable photo counts too. A refusal
is 429 ``too_many_photos`` with when to retry, in Chinese by default.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from proctoring.models import FaceEnrolment, IdentityCheck
from proctoring.services.consent import consent_give
from proctoring.services.identity import enrol
from tests.conftest import Cast, login_client

# Private storage in a temporary folder (autouse fixture).
from tests.proctoring.conftest import _private_storage, proctored_session  # noqa: F401

pytestmark = pytest.mark.django_db

GARBAGE = b"\x8b\x1f" + bytes(range(256)) * 8


@pytest.fixture(autouse=True)
def _rate(settings: Any) -> None:
    settings.PROCTORING_PHOTO_RATE = (2, 600)


def _api(user: Any) -> APIClient:
    client = APIClient()  # no Accept-Language: the platform's default language, Chinese
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _photo(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("capture.jpg", data, content_type="image/jpeg")


def _session(cast: Cast) -> Any:
    return proctored_session(cast, bank_code="photo-rate", require_identity_check=True, identity_max_tries=5)


def _consented(cast: Cast) -> Any:
    consent_give(person=cast.east.learner, by=cast.east.learner.user)
    return cast.east.learner


def _assert_refused_json(response: Any) -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "too_many_photos"
    assert "照片上传过于频繁" in body["detail"]
    assert "后重试" in body["detail"]


def test_api_enrolment_is_limited_and_unreadable_photos_count(cast: Cast, astronaut_jpeg: bytes) -> None:
    _consented(cast)
    client = _api(cast.east.learner.user)
    url = reverse("api:proctoring-enrolment")
    assert client.post(url, {"photo": _photo(GARBAGE)}, format="multipart").status_code == 400
    assert client.post(url, {"photo": _photo(astronaut_jpeg)}, format="multipart").status_code == 201
    refused = client.post(url, {"photo": _photo(astronaut_jpeg)}, format="multipart")
    _assert_refused_json(refused)
    assert 0 < refused.json()["retry_after"] <= 600
    assert refused["Retry-After"] == str(refused.json()["retry_after"])
    assert FaceEnrolment.objects.get().version == 1
    # Another person's budget is their own.
    consent_give(person=cast.west.learner, by=cast.west.learner.user)
    assert (
        _api(cast.west.learner.user).post(url, {"photo": _photo(astronaut_jpeg)}, format="multipart").status_code == 201
    )


def test_api_identity_check_is_limited(cast: Cast, astronaut_jpeg: bytes, astronaut_snapshot: bytes) -> None:
    learner = _consented(cast)
    session = _session(cast)
    client = _api(learner.user)
    assert client.post(reverse("api:proctoring-enrolment"), {"photo": _photo(astronaut_jpeg)}).status_code == 201
    url = reverse("api:exam-identity-check", args=[session.pk])
    assert client.post(url, {"photo": _photo(GARBAGE)}, format="multipart").status_code == 400
    _assert_refused_json(client.post(url, {"photo": _photo(astronaut_snapshot)}, format="multipart"))
    assert not IdentityCheck.objects.exists()
    assert client.get(url).json()["state"] == "needs_check"


def test_web_enrolment_is_limited(cast: Cast, astronaut_jpeg: bytes) -> None:
    learner = _consented(cast)
    client = login_client(learner.user)
    url = reverse("proctoring:my_face")
    for data in (GARBAGE, astronaut_jpeg):
        client.post(url, {"action": "enrol", "photo": _photo(data)}, HTTP_ACCEPT="application/json")
    _assert_refused_json(
        client.post(url, {"action": "enrol", "photo": _photo(astronaut_jpeg)}, HTTP_ACCEPT="application/json")
    )
    # The plain form (no JavaScript) gets the same refusal as a message on the page.
    page = client.post(url, {"action": "enrol", "photo": _photo(astronaut_jpeg)}, follow=True).content.decode()
    assert "照片上传过于频繁" in page
    assert FaceEnrolment.objects.get().version == 1


def test_web_identity_check_is_limited(cast: Cast, astronaut_jpeg: bytes, astronaut_snapshot: bytes) -> None:
    learner = _consented(cast)
    enrol(person=learner, photo=astronaut_jpeg, source=FaceEnrolment.Source.LIVE, by=learner.user)
    session = _session(cast)
    client = login_client(learner.user)
    url = reverse("proctoring:identity_check", args=[session.pk])
    assert client.post(url, {"photo": _photo(GARBAGE)}, HTTP_ACCEPT="application/json").status_code == 400
    _assert_refused_json(client.post(url, {"photo": _photo(astronaut_snapshot)}, HTTP_ACCEPT="application/json"))
    page = client.post(url, {"photo": _photo(astronaut_snapshot)}, follow=True).content.decode()
    assert "照片上传过于频繁" in page
    assert not IdentityCheck.objects.exists()


def test_the_web_and_the_api_share_one_budget(cast: Cast, astronaut_jpeg: bytes) -> None:
    learner = _consented(cast)
    login_client(learner.user).post(
        reverse("proctoring:my_face"), {"action": "enrol", "photo": _photo(GARBAGE)}, HTTP_ACCEPT="application/json"
    )
    api = _api(learner.user)
    assert api.post(reverse("api:proctoring-enrolment"), {"photo": _photo(GARBAGE)}).status_code == 400
    _assert_refused_json(api.post(reverse("api:proctoring-enrolment"), {"photo": _photo(astronaut_jpeg)}))
    assert not FaceEnrolment.objects.exists()
