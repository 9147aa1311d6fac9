"""Proctoring pages: consent and enrolment, the identity check, the exam-page include, review, images."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from exams.models import Attempt
from exams.services.attempts import attempt_submit
from proctoring.models import FaceConsent, FaceEnrolment, MediaAccessLog, ReviewDecision
from proctoring.services.identity import identity_request_manual
from proctoring.services.snapshots import snapshot_process, snapshot_receive
from tests.conftest import Cast, english_client
from tests.proctoring.conftest import POLICY_FORM, enrol_astronaut, make_proctored

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _photo(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("capture.jpg", data, content_type="image/jpeg")


def test_consent_then_enrol_then_withdraw(cast: Cast, astronaut_jpeg: bytes) -> None:
    client = english_client(cast.east.learner.user)
    url = reverse("proctoring:my_face")
    page = client.get(url)
    assert page.status_code == 200
    assert b"data-give-consent" in page.content
    assert page["Cache-Control"].startswith("no-store")
    # Enrolling before consenting is refused.
    refused = client.post(url, {"action": "enrol", "photo": _photo(astronaut_jpeg)}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "consent_required"
    # Consent is explicit: the box must be ticked.
    client.post(url, {"action": "consent"})
    assert not FaceConsent.objects.exists()
    client.post(url, {"action": "consent", "agree": "yes"})
    assert FaceConsent.objects.get().given_by == cast.east.learner.user
    bad = client.post(url, {"action": "enrol", "photo": _photo(b"GIF89a not a face")}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400
    assert "JPEG or PNG" in bad.json()["detail"]
    ok = client.post(url, {"action": "enrol", "photo": _photo(astronaut_jpeg)}, HTTP_ACCEPT="application/json")
    assert ok.json()["ok"] is True
    assert b"data-enrolled" in client.get(url).content
    client.post(url, {"action": "withdraw"})
    assert not FaceEnrolment.objects.exists()
    assert FaceConsent.objects.get().withdrawn_at is not None


def test_an_admin_enrols_from_an_id_photo(cast: Cast, astronaut_jpeg: bytes) -> None:
    url = reverse("proctoring:id_photo", args=[cast.east.learner.pk])
    client = english_client(cast.east.enterprise_admin)
    client.post(url, {"photo": _photo(astronaut_jpeg), "consent_on_paper": "on"})
    assert FaceEnrolment.objects.get(person=cast.east.learner).source == "id_photo"
    for user in (cast.west.enterprise_admin, cast.east.learner.user, cast.outsider, cast.east.proctor):
        assert english_client(user).get(url).status_code == 404, user


def test_identity_check_page_then_start(
    cast: Cast, astronaut_jpeg: bytes, astronaut_snapshot: bytes, hopper_snapshot: bytes
) -> None:
    data = make_proctored(cast, start=False, identity_max_tries=2)
    session = data["session"]
    url = reverse("proctoring:identity_check", args=[session.pk])
    client = english_client(cast.east.learner.user)
    page = client.get(url)
    assert b"Enrol my face" in page.content
    assert b"data-manual" in page.content
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    assert b"data-capture" in client.get(url).content
    miss = client.post(url, {"photo": _photo(hopper_snapshot)}, HTTP_ACCEPT="application/json").json()
    assert miss == {"ok": False, "outcome": "mismatch", "state": "needs_check", "tries_left": 1}
    hit = client.post(url, {"photo": _photo(astronaut_snapshot)}, HTTP_ACCEPT="application/json").json()
    assert hit["ok"] is True
    assert hit["state"] == "passed"
    # Passed: back to the exam notice, which starts the exam (no start straight from here).
    passed = client.get(url).content.decode()
    assert reverse("exams:notice", args=[session.pk]) in passed
    assert "data-start" not in passed
    for user in (cast.west.learner.user, cast.outsider):
        assert english_client(user).get(url).status_code == 404


def test_the_exam_page_of_a_checked_examinee_runs_the_client_without_an_identity_overlay(cast: Cast) -> None:
    # make_proctored starts the attempt only after a proctor approved the identity check:
    # the page needs no overlay in front of the paper, and the snapshot/tab-switch client runs.
    data = make_proctored(cast)
    client = english_client(cast.east.learner.user)
    page = client.get(reverse("exams:attempt", args=[data["attempt"].pk])).content.decode()
    assert "data-identity-required" not in page
    assert "data-question=" in page
    config = json.loads(page.split('id="proctor-config" type="application/json">')[1].split("</script>")[0])
    assert config["ws_url"] == f"/ws/proctoring/attempts/{data['attempt'].pk}/"
    assert (config["snapshot_min"], config["snapshot_max"]) == (20, 60)
    assert "js/proctor-client.js" in page


def test_an_unproctored_exam_page_has_no_client(cast: Cast) -> None:
    from tests.exams.route_data import east_exam

    attempt = east_exam(cast)["in_progress"]
    page = english_client(cast.east.learner.user).get(reverse("exams:attempt", args=[attempt.pk])).content.decode()
    assert "proctor-client.js" not in page
    assert "data-identity-required" not in page


def test_image_view_is_scoped_audited_and_never_cached(
    cast: Cast, astronaut_jpeg: bytes, astronaut_snapshot: bytes
) -> None:
    data = make_proctored(cast)
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    snap = snapshot_receive(attempt_id=data["attempt"].pk, data=astronaut_snapshot)
    url = reverse("proctoring:snapshot_image", args=[snap.pk])

    response = english_client(cast.east.proctor).get(url)
    assert response.status_code == 200
    assert response.content == astronaut_snapshot
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    log = MediaAccessLog.objects.get()
    assert (log.user, log.kind, log.object_id, log.person) == (
        cast.east.proctor,
        "snapshot",
        snap.pk,
        cast.east.learner,
    )

    assert english_client(cast.platform_admin).get(url).status_code == 200
    # The examinee themself, another district's proctor, bureaus, trainers, the outsider: nothing.
    for user in (
        cast.east.learner.user,
        cast.west.proctor,
        cast.east.bureau,
        cast.east.training_admin,
        cast.east.enterprise_admin,
        cast.outsider,
    ):
        assert english_client(user).get(url).status_code in (403, 404), user
    assert MediaAccessLog.objects.count() == 2
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]

    reference = reverse("proctoring:enrolment_image", args=[FaceEnrolment.objects.get().pk])
    assert english_client(cast.east.proctor).get(reference).status_code == 200
    assert english_client(cast.west.proctor).get(reference).status_code == 404
    assert MediaAccessLog.objects.filter(kind="enrolment").count() == 1


def test_live_grid_and_review_queue_are_for_the_sessions_proctors(
    cast: Cast, astronaut_jpeg: bytes, hopper_snapshot: bytes
) -> None:
    data = make_proctored(cast, face_flag_after=1)
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    snap = snapshot_receive(attempt_id=data["attempt"].pk, data=hopper_snapshot)
    snapshot_process(snapshot_id=snap.pk)
    attempt_submit(attempt=data["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    live = reverse("proctoring:live", args=[data["session"].pk])
    queue = reverse("proctoring:review_queue")
    detail = reverse("proctoring:review_detail", args=[data["attempt"].pk])
    proctor = english_client(cast.east.proctor)
    assert proctor.get(live).status_code == 200
    listing = proctor.get(queue).content.decode()
    assert cast.east.learner.name in listing
    timeline = proctor.get(detail).content.decode()
    assert "Different face" in timeline
    assert reverse("proctoring:snapshot_image", args=[snap.pk]) in timeline
    for user in (cast.west.proctor, cast.east.bureau, cast.outsider, cast.east.learner.user):
        client = english_client(user)
        assert client.get(live).status_code == 404, user
        assert client.get(detail).status_code == 404, user
        assert client.post(detail, {"decision": "invalid", "reason": "x"}).status_code == 404, user
    assert english_client(cast.west.proctor).get(queue).content.decode().count(cast.east.learner.name) == 0
    assert english_client(cast.outsider).get(queue).status_code == 403

    proctor.post(detail, {"decision": "invalid", "reason": ""})
    assert not ReviewDecision.objects.exists()  # a reason is required
    proctor.post(detail, {"decision": "invalid", "reason": "另一人代考"})
    decision = ReviewDecision.objects.get()
    assert (decision.decision, decision.decided_by) == ("invalid", cast.east.proctor)
    assert Attempt.objects.get(pk=data["attempt"].pk).status == Attempt.Status.INVALIDATED
    assert cast.east.learner.name not in proctor.get(queue).content.decode().split("Decided")[0]


def test_proctor_admits_after_a_manual_id_check(cast: Cast) -> None:
    data = make_proctored(cast, start=False)
    check = identity_request_manual(session=data["session"], person=cast.east.learner)
    url = reverse("proctoring:identity_decide", args=[check.pk])
    assert english_client(cast.west.proctor).post(url, {"decision": "pass"}).status_code == 404
    assert (
        cast.east.learner.name
        in english_client(cast.east.proctor).get(reverse("proctoring:live", args=[data["session"].pk])).content.decode()
    )
    english_client(cast.east.proctor).post(url, {"decision": "pass"})
    check.refresh_from_db()
    assert check.result == "passed"
    assert check.decided_by == cast.east.proctor


def test_policy_is_set_by_the_sessions_managers(cast: Cast) -> None:
    data = make_proctored(cast)
    url = reverse("proctoring:policy_edit", args=[data["session"].pk])
    form = {**POLICY_FORM, "snapshot_max_seconds": 20, "tab_warn_at": 1, "tab_ignore_seconds": 2, "face_flag_after": 3}
    trainer = english_client(cast.east.training_admin)
    response = trainer.post(url, form)
    assert response.status_code == 200  # min above max: refused, form shown again
    trainer.post(url, {**form, "snapshot_max_seconds": 90, "tab_submit_at": 4})
    data["policy"].refresh_from_db()
    policy = data["policy"]
    assert (policy.snapshot_max_seconds, policy.tab_submit_at, policy.match_threshold, policy.mismatch_threshold) == (
        90,
        4,
        0.45,
        0.5,
    )
    for user in (cast.west.training_admin, cast.east.proctor, cast.outsider):
        assert english_client(user).get(url).status_code == 404, user


def test_the_proctors_home_lists_open_sessions_first_each_with_its_live_link(cast: Cast) -> None:
    """Open now, then the next to open, then the latest ended; every row has its 实时监考 link and is
    a card of labelled lines on a phone (table.stack), so the link is never off-screen."""
    import datetime as dt
    import re

    from django.utils import timezone

    from tests.proctoring.conftest import proctored_session

    now = timezone.now()
    hours = dt.timedelta(hours=1)
    windows = {
        "long ended": (now - 50 * hours, now - 48 * hours),
        "just ended": (now - 3 * hours, now - 2 * hours),
        "later": (now + 30 * hours, now + 32 * hours),
        "open": (now - hours, now + hours),
        "soon": (now + 2 * hours, now + 4 * hours),
    }
    for title, (opens, closes) in windows.items():
        session = proctored_session(cast)
        session.title, session.opens_at, session.closes_at = title, opens, closes
        session.save(update_fields=["title", "opens_at", "closes_at"])
    html = english_client(cast.east.proctor).get(reverse("proctoring:home")).content.decode()
    assert 'class="data stack"' in html
    rows = re.findall(r'<tr data-session="(\d+)">\s*<td class="stack-head">([^<]*)</td>(.*?)</tr>', html, re.S)
    assert [title for _, title, _ in rows] == ["open", "soon", "later", "just ended", "long ended"]
    for pk, _, cells in rows:
        assert reverse("proctoring:live", args=[int(pk)]) in cells
