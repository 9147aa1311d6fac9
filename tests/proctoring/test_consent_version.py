"""Consent is to the text the person read (PIPL art. 29): after a new PROCTORING_CONSENT_VERSION the old consent
no longer counts for face processing, on the service, the web page and the API alike, until the person agrees again.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from proctoring import selectors
from proctoring.models import FaceConsent, FaceEnrolment, IdentityCheck, Snapshot
from proctoring.services import identity as identity_services
from proctoring.services.consent import consent_give, consent_withdraw
from proctoring.services.errors import ConsentOutdated
from proctoring.services.identity import identity_check_face
from proctoring.services.snapshots import snapshot_process, snapshot_receive
from tests.conftest import Cast, english_client, login_client
from tests.proctoring.conftest import enrol_astronaut, make_proctored, proctored_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

OLD, NEW = "2026-01", "2026-09"


@pytest.fixture
def outdated(cast: Cast, settings: Any, astronaut_jpeg: bytes) -> FaceEnrolment:
    """The EAST learner consented to the OLD text and enrolled; then the text changed to NEW."""
    settings.PROCTORING_CONSENT_VERSION = OLD
    enrolment = enrol_astronaut(cast.east.learner, astronaut_jpeg)
    settings.PROCTORING_CONSENT_VERSION = NEW
    return enrolment


def _session(cast: Cast, **policy: Any) -> Any:
    """An open EAST exam with an identity check; nobody has started it."""
    return proctored_session(cast, bank_code="consent-version", require_identity_check=True, **policy)


def _api(user: Any, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _photo(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("capture.jpg", data, content_type="image/jpeg")


# --- the service ----------------------------------------------------------------------------


def test_a_consent_to_an_older_text_does_not_count(cast: Cast, outdated: FaceEnrolment) -> None:
    person = cast.east.learner
    assert selectors.active_consent(person) is None
    state = selectors.consent_state(person)
    assert state.outdated
    assert state.consent.text_version == OLD
    # The reference photo is kept, but face processing may not use it.
    assert selectors.enrolment_record(person) == outdated
    assert selectors.enrolment_of(person) is None


def test_enrolment_and_the_identity_check_refuse_an_outdated_consent(
    cast: Cast, outdated: FaceEnrolment, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    person = cast.east.learner
    with pytest.raises(ConsentOutdated) as refused:
        identity_services.enrol(person=person, photo=astronaut_jpeg, source=FaceEnrolment.Source.LIVE, by=person.user)
    assert refused.value.code == "consent_outdated"
    assert refused.value.status == 403
    assert "agree again" in refused.value.message
    assert FaceEnrolment.objects.get(person=person).version == outdated.version

    session = _session(cast)
    with pytest.raises(ConsentOutdated):
        identity_check_face(session=session, person=person, frame=astronaut_snapshot)
    assert not IdentityCheck.objects.exists()


def test_snapshots_are_not_face_checked_under_an_outdated_consent(
    cast: Cast, settings: Any, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    settings.PROCTORING_CONSENT_VERSION = OLD
    attempt = make_proctored(cast, require_identity_check=False)["attempt"]
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    settings.PROCTORING_CONSENT_VERSION = NEW
    snapshot = snapshot_receive(attempt_id=attempt.pk, data=astronaut_snapshot)
    done = snapshot_process(snapshot_id=snapshot.pk)
    assert done.status == Snapshot.Status.FAILED
    assert done.failure_reason == "no_reference"
    assert done.distance is None


def test_agreeing_to_the_new_text_records_a_new_consent_and_keeps_the_old(
    cast: Cast, outdated: FaceEnrolment, astronaut_snapshot: bytes
) -> None:
    person = cast.east.learner
    old = FaceConsent.objects.get(person=person)
    new = consent_give(person=person, by=person.user)
    assert new.pk != old.pk
    assert new.text_version == NEW
    old.refresh_from_db()
    # The old row stays, closed at the moment the new text was agreed to (superseded, not withdrawn: nothing purged).
    assert old.text_version == OLD
    assert old.withdrawn_at == new.given_at
    assert selectors.active_consent(person) == new
    assert list(FaceConsent.objects.filter(person=person).values_list("text_version", flat=True)) == [NEW, OLD]
    # Agreeing again to the same text changes nothing.
    assert consent_give(person=person, by=person.user) == new
    assert FaceConsent.objects.filter(person=person).count() == 2
    # The kept reference photo is used again as it is.
    assert selectors.enrolment_of(person) == outdated
    check = identity_check_face(session=_session(cast), person=person, frame=astronaut_snapshot)
    assert check.result == IdentityCheck.Result.PASSED


def test_consent_to_a_stale_text_version_is_refused(cast: Cast, settings: Any) -> None:
    settings.PROCTORING_CONSENT_VERSION = NEW
    person = cast.east.learner
    with pytest.raises(ConsentOutdated):
        consent_give(person=person, by=person.user, text_version=OLD)
    assert not FaceConsent.objects.exists()


def test_withdrawing_an_outdated_consent_purges_the_kept_photo(cast: Cast, outdated: FaceEnrolment) -> None:
    assert consent_withdraw(person=cast.east.learner, by=cast.east.learner.user) == 1
    assert not FaceEnrolment.objects.exists()
    assert selectors.consent_state(cast.east.learner).state == "none"


# --- the web page -------------------------------------------------------------------------------


def test_the_page_says_the_text_changed_and_takes_a_new_consent(cast: Cast, outdated: FaceEnrolment) -> None:
    client = english_client(cast.east.learner.user)
    url = reverse("proctoring:my_face")
    page = client.get(url).content.decode()
    assert "data-consent-outdated" in page
    assert "The consent text has changed since you agreed. Please read it and agree again." in page
    assert f"You agreed to version {OLD}" in page
    assert "data-give-consent" in page
    assert "data-withdraw" in page  # the person may still withdraw and have the kept photo deleted
    assert "data-enrolled" not in page

    client.post(url, {"action": "consent", "agree": "yes"})
    rows = [(c.text_version, c.withdrawn_at is None) for c in FaceConsent.objects.all()]
    assert rows == [(NEW, True), (OLD, False)]
    page = client.get(url).content.decode()
    assert "data-consent-outdated" not in page
    assert "data-enrolled" in page


def test_the_page_says_it_in_chinese_by_default(cast: Cast, outdated: FaceEnrolment) -> None:
    page = login_client(cast.east.learner.user).get(reverse("proctoring:my_face")).content.decode()
    assert "同意书文本已有更新。请重新阅读并再次同意。" in page


def test_the_web_doors_refuse_face_processing_until_agreed_again(
    cast: Cast, outdated: FaceEnrolment, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    client = english_client(cast.east.learner.user)
    enrol = client.post(
        reverse("proctoring:my_face"),
        {"action": "enrol", "photo": _photo(astronaut_jpeg)},
        HTTP_ACCEPT="application/json",
    )
    assert enrol.status_code == 403
    assert enrol.json()["code"] == "consent_outdated"
    session = _session(cast)
    check = client.post(
        reverse("proctoring:identity_check", args=[session.pk]),
        {"photo": _photo(astronaut_snapshot)},
        HTTP_ACCEPT="application/json",
    )
    assert check.status_code == 403
    assert check.json()["code"] == "consent_outdated"
    assert not IdentityCheck.objects.exists()
    assert FaceEnrolment.objects.get().version == outdated.version


# --- the API -----------------------------------------------------------------------------------


def test_the_api_says_the_text_changed_and_takes_a_new_consent(cast: Cast, outdated: FaceEnrolment) -> None:
    client = _api(cast.east.learner.user)
    url = reverse("api:proctoring-consent")
    shown = client.get(url).json()
    assert shown["version"] == NEW
    assert shown["active"] is False
    assert shown["outdated"] is True
    assert shown["notice"] == "The consent text has changed since you agreed. Please read it and agree again."
    assert shown["given_version"] == OLD
    assert client.get(reverse("api:proctoring-enrolment")).json()["consent_outdated"] is True

    given = client.post(url, {"agree": True, "version": NEW}, format="json")
    assert given.status_code == 201
    assert given.json()["active"] is True
    assert given.json()["outdated"] is False
    assert given.json()["notice"] is None
    assert given.json()["given_version"] == NEW
    assert FaceConsent.objects.count() == 2
    enrolment = client.get(reverse("api:proctoring-enrolment")).json()
    assert enrolment["consent"] is True
    assert enrolment["enrolled"] is True  # the kept photo, usable again


def test_the_api_notice_is_chinese_by_default(cast: Cast, outdated: FaceEnrolment) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=cast.east.learner.user).key}")
    assert "请重新阅读并再次同意" in client.get(reverse("api:proctoring-consent")).json()["notice"]


def test_the_api_doors_refuse_face_processing_until_agreed_again(
    cast: Cast, outdated: FaceEnrolment, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    client = _api(cast.east.learner.user)
    enrol = client.post(reverse("api:proctoring-enrolment"), {"photo": _photo(astronaut_jpeg)}, format="multipart")
    assert enrol.status_code == 403
    assert enrol.json()["code"] == "consent_outdated"
    session = _session(cast)
    url = reverse("api:exam-identity-check", args=[session.pk])
    status = client.get(url).json()
    assert (status["consent"], status["consent_outdated"], status["enrolled"]) == (False, True, False)
    check = client.post(url, {"photo": _photo(astronaut_snapshot)}, format="multipart")
    assert check.status_code == 403
    assert check.json()["code"] == "consent_outdated"
    assert not IdentityCheck.objects.exists()


def test_the_admin_shows_the_old_consent_as_superseded_not_withdrawn(cast: Cast, outdated: FaceEnrolment) -> None:
    consent_give(person=cast.east.learner, by=cast.east.learner.user)
    consent_give(person=cast.west.learner, by=cast.west.learner.user)
    consent_withdraw(person=cast.west.learner, by=cast.west.learner.user)
    admin = cast.platform_admin
    admin.is_superuser = True
    admin.save()
    page = english_client(admin).get(reverse("admin:proctoring_faceconsent_changelist")).content.decode()
    assert page.count("superseded: agreed again to a newer text") == 1
    assert page.count("withdrawn: face data deleted") == 1
