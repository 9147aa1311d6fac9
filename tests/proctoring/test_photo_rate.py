"""Enrolment and identity-check photos per person are limited (services.photo_upload_allow, PROCTORING_PHOTO_RATE).

The counter lives in the real Django cache; tests/conftest.py gives every test its own key prefix.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from proctoring.models import FaceEnrolment, IdentityCheck
from proctoring.services.errors import BadImage, ConsentRequired, TooManyPhotos
from proctoring.services.identity import enrol, identity_check_face, photo_upload_allow
from tests.conftest import Cast
from tests.proctoring.conftest import enrol_astronaut

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_photos_beyond_the_rate_are_refused_saying_when_to_retry(cast: Cast, settings: Any) -> None:
    settings.PROCTORING_PHOTO_RATE = (3, 600)
    person = cast.east.learner
    opened = timezone.now()
    assert [photo_upload_allow(person=person, now=opened) for _ in range(3)] == [2, 1, 0]
    later = opened + dt.timedelta(seconds=250)
    with pytest.raises(TooManyPhotos) as refused:
        photo_upload_allow(person=person, now=later)
    assert refused.value.code == "too_many_photos"
    assert refused.value.status == 429
    # The window opened with the first photo: it closes 600 s later, 350 s after this try.
    assert refused.value.details == {"retry_after": 350}
    retry_at = timezone.localtime(opened + dt.timedelta(seconds=600)).strftime("%H:%M")
    assert refused.value.message == (
        f"Too many photos sent: at most 3 in 10 minutes. Try again in 6 minutes (after {retry_at})."
    )
    # Refused tries keep being refused until the window closes.
    with pytest.raises(TooManyPhotos):
        photo_upload_allow(person=person, now=later)


def test_the_limit_is_per_person(cast: Cast, settings: Any) -> None:
    settings.PROCTORING_PHOTO_RATE = (1, 60)
    photo_upload_allow(person=cast.east.learner)
    with pytest.raises(TooManyPhotos):
        photo_upload_allow(person=cast.east.learner)
    assert photo_upload_allow(person=cast.west.learner) == 0


def test_unreadable_photos_count_and_enrolment_and_identity_checks_share_the_budget(
    cast: Cast, settings: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    from tests.proctoring.test_consent_version import _session

    settings.PROCTORING_PHOTO_RATE = (4, 600)
    person = cast.east.learner
    enrol_astronaut(person, astronaut_jpeg)  # 1
    for _ in range(2):  # 2, 3
        with pytest.raises(BadImage):
            enrol(person=person, photo=b"\x8b\x1f" * 500, source=FaceEnrolment.Source.LIVE, by=person.user)
    session = _session(cast, identity_max_tries=5)
    with pytest.raises(BadImage):  # 4
        identity_check_face(session=session, person=person, frame=b"not an image at all")
    with pytest.raises(TooManyPhotos):
        identity_check_face(session=session, person=person, frame=astronaut_snapshot)
    with pytest.raises(TooManyPhotos):
        enrol(person=person, photo=astronaut_jpeg, source=FaceEnrolment.Source.LIVE, by=person.user)
    assert not IdentityCheck.objects.exists()
    assert FaceEnrolment.objects.get(person=person).version == 1


def test_refusals_before_the_photo_do_not_count(cast: Cast, settings: Any, astronaut_jpeg: bytes) -> None:
    settings.PROCTORING_PHOTO_RATE = (1, 600)
    person = cast.east.learner
    for _ in range(3):
        with pytest.raises(ConsentRequired):
            enrol(person=person, photo=astronaut_jpeg, source=FaceEnrolment.Source.LIVE, by=person.user)
    enrol_astronaut(person, astronaut_jpeg)
    assert FaceEnrolment.objects.filter(person=person).exists()
