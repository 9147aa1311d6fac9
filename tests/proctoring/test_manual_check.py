"""A proctor's manual ID check (issue 17): what to compare, who may see the photos, and the examinee
hears the decision on the socket of the identity-check page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from organizations.validators import mask_id_number
from proctoring import storage
from proctoring.models import FaceEnrolment, IdentityCheck, MediaAccessLog
from proctoring.services.consent import consent_withdraw
from proctoring.services.identity import identity_check_face, identity_decide, identity_request_manual
from tests.conftest import Cast, login_client
from tests.doors import session_cookie, socket_answer, socket_open
from tests.proctoring.conftest import enrol_astronaut, make_proctored
from tests.proctoring.test_consumers import OWN_ORIGIN, _receive_until


def _handed_to_a_proctor(cast: Cast, astronaut_jpeg: bytes, hopper_snapshot: bytes) -> dict[str, Any]:
    """The EAST learner, enrolled with the astronaut, fails the one face try with someone else's face."""
    data = make_proctored(cast, start=False, identity_max_tries=1)
    learner = cast.east.learner
    data["enrolment"] = enrol_astronaut(learner, astronaut_jpeg)
    data["try"] = identity_check_face(session=data["session"], person=learner, frame=hopper_snapshot)
    data["check"] = IdentityCheck.objects.get(person=learner, kind=IdentityCheck.Kind.MANUAL)
    return data


def _urls(data: dict[str, Any]) -> dict[str, str]:
    return {
        "page": reverse("proctoring:identity_review", args=[data["check"].pk]),
        "reference": reverse("proctoring:identity_reference_image", args=[data["check"].pk]),
        "live": reverse("proctoring:identity_image", args=[data["try"].pk]),
    }


def test_the_proctor_sees_both_photos_the_masked_id_the_enterprise_and_the_tries(
    cast: Cast, astronaut_jpeg: bytes, hopper_snapshot: bytes
) -> None:
    data = _handed_to_a_proctor(cast, astronaut_jpeg, hopper_snapshot)
    learner = cast.east.learner
    urls = _urls(data)
    proctor = login_client(cast.east.proctor)
    page = proctor.get(urls["page"])
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert learner.name in html
    assert mask_id_number(learner.id_number) in html
    assert learner.id_number not in html
    assert learner.enterprise.name in html
    assert data["session"].title in html
    assert urls["reference"] in html
    assert urls["live"] in html
    assert f"{data['try'].distance:.3f}" in html  # the automatic try's distance
    assert "人脸不一致" in html  # its outcome, in Chinese

    reference = proctor.get(urls["reference"])
    live = proctor.get(urls["live"])
    assert (reference.status_code, live.status_code) == (200, 200)
    assert reference.content == storage.read(data["enrolment"].photo_path)
    assert live.content == storage.read(data["try"].photo_path)
    for image in (reference, live):
        assert "no-store" in image["Cache-Control"]
    seen = set(MediaAccessLog.objects.filter(user=cast.east.proctor).values_list("kind", "object_id", "person_id"))
    assert seen == {
        ("enrolment", data["enrolment"].pk, learner.pk),
        ("identity", data["try"].pk, learner.pk),
    }

    # The live grid lists the waiting person with the way to this page.
    grid = proctor.get(reverse("proctoring:live", args=[data["session"].pk])).content.decode()
    assert urls["page"] in grid


def test_it_validates_ownership(cast: Cast, astronaut_jpeg: bytes, hopper_snapshot: bytes) -> None:
    data = _handed_to_a_proctor(cast, astronaut_jpeg, hopper_snapshot)
    urls = _urls(data)
    for user in (cast.west.proctor, cast.east.bureau, cast.east.training_admin, cast.outsider, cast.east.learner.user):
        client = login_client(user)
        for name, url in urls.items():
            assert client.get(url).status_code in (403, 404), (user, name)
    anonymous = login_client(cast.outsider)
    anonymous.logout()
    for url in urls.values():
        response = anonymous.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert not MediaAccessLog.objects.exists()

    # The reference photo is served for a manual check only, never through a face try's id.
    proctor = login_client(cast.east.proctor)
    assert proctor.get(reverse("proctoring:identity_reference_image", args=[data["try"].pk])).status_code == 404
    assert proctor.get(reverse("proctoring:identity_review", args=[data["try"].pk])).status_code == 404
    # Consent withdrawn: the reference photo is gone for the proctor too; the page says so.
    consent_withdraw(person=cast.east.learner, by=cast.east.learner.user)
    assert proctor.get(urls["reference"]).status_code == 404
    assert urls["reference"] not in proctor.get(urls["page"]).content.decode()


def test_a_refusal_needs_its_reason_and_the_examinee_reads_it(cast: Cast) -> None:
    data = make_proctored(cast, start=False)
    check = identity_request_manual(session=data["session"], person=cast.east.learner)
    decide = reverse("proctoring:identity_decide", args=[check.pk])
    proctor = login_client(cast.east.proctor)
    response = proctor.post(decide, {"decision": "fail", "note": "  "})
    assert response["Location"] == reverse("proctoring:identity_review", args=[check.pk])
    check.refresh_from_db()
    assert check.result == IdentityCheck.Result.PENDING
    proctor.post(decide, {"decision": "fail", "note": "证件照片与本人不符"})
    check.refresh_from_db()
    assert (check.result, check.decided_by) == (IdentityCheck.Result.FAILED, cast.east.proctor)

    learner = login_client(cast.east.learner.user)
    page_url = reverse("proctoring:identity_check", args=[data["session"].pk])
    assert "证件照片与本人不符" in learner.get(page_url).content.decode()
    # The waiting page's fallback while its socket is down: the socket's message, as JSON.
    state = learner.get(page_url, HTTP_ACCEPT="application/json").json()
    assert state == {
        "type": "identity",
        "state": "rejected",
        "reason": "证件照片与本人不符",
        "next": reverse("exams:notice", args=[data["session"].pk]),
    }


def test_the_exam_time_shows_the_end_date_when_the_session_ends_another_day(cast: Cast) -> None:
    data = make_proctored(cast, start=False)
    session = data["session"]
    check = identity_request_manual(session=session, person=cast.east.learner)
    proctor = login_client(cast.east.proctor)
    page_url = reverse("proctoring:identity_review", args=[check.pk])

    def exam_time() -> str:
        html = proctor.get(page_url).content.decode()
        return html.split("data-exam-time>", 1)[1].split("</dd>", 1)[0]

    start = timezone.localtime(session.opens_at)
    session.closes_at = start + timedelta(days=60, hours=1)
    session.save(update_fields=["closes_at"])
    end = timezone.localtime(session.closes_at)
    assert exam_time() == f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"

    # The same day: the end is its time alone.
    session.closes_at = start.replace(hour=23, minute=59)
    session.save(update_fields=["closes_at"])
    assert exam_time() == f"{start:%Y-%m-%d %H:%M} – 23:59"


db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _identity_path(data: dict[str, Any]) -> str:
    return f"/ws/proctoring/sessions/{data['session'].pk}/identity/"


@db
def test_only_the_waiting_examinee_connects(cast: Cast) -> None:
    data = make_proctored(cast, start=False)
    path = _identity_path(data)
    assert socket_answer(path, [OWN_ORIGIN]) == (False, 4401)
    for user in (cast.west.learner.user, cast.east.proctor, cast.outsider, cast.platform_admin):
        assert socket_answer(path, [OWN_ORIGIN, session_cookie(user)]) == (False, 4403), user
    connected, _code = socket_answer(
        path, [(b"origin", b"https://evil.example"), session_cookie(cast.east.learner.user)]
    )
    assert not connected
    assert socket_answer(path, [OWN_ORIGIN, session_cookie(cast.east.learner.user)])[0]


@db
def test_the_decision_reaches_the_waiting_page_and_the_other_proctors(cast: Cast) -> None:
    data = make_proctored(cast, start=False)
    learner = cast.east.learner
    check = identity_request_manual(session=data["session"], person=learner)
    notice = reverse("exams:notice", args=[data["session"].pk])
    learner_headers = [OWN_ORIGIN, session_cookie(learner.user)]
    proctor_headers = [OWN_ORIGIN, session_cookie(cast.east.proctor)]

    async def run() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        page, connected, _ = await socket_open(_identity_path(data), learner_headers)
        assert connected
        grid, connected, _ = await socket_open(f"/ws/proctoring/sessions/{data['session'].pk}/", proctor_headers)
        assert connected
        await _receive_until(grid, "rows")
        on_connect = await page.receive_json_from(timeout=10)
        await database_sync_to_async(identity_decide)(check=check, by=cast.east.proctor, passed=True)
        decided = await page.receive_json_from(timeout=10)
        decided_for_grid = await _receive_until(grid, "identity_decided")
        await page.disconnect()
        await grid.disconnect()
        return on_connect, decided, decided_for_grid

    on_connect, decided, grid = async_to_sync(run)()
    assert on_connect == {"type": "identity", "state": "pending_manual", "reason": "", "next": notice}
    assert decided == {"type": "identity", "state": "passed", "reason": "", "next": notice}
    assert grid == {"type": "identity_decided", "check": check.pk, "result": "passed"}


@db
def test_a_refusal_reaches_the_waiting_page_with_its_reason(cast: Cast) -> None:
    data = make_proctored(cast, start=False)
    learner = cast.east.learner
    check = identity_request_manual(session=data["session"], person=learner)
    headers = [OWN_ORIGIN, session_cookie(learner.user)]

    async def run() -> dict[str, Any]:
        page, connected, _ = await socket_open(_identity_path(data), headers)
        assert connected
        await page.receive_json_from(timeout=10)
        await database_sync_to_async(identity_decide)(
            check=check, by=cast.east.proctor, passed=False, note="未携带身份证"
        )
        decided = await page.receive_json_from(timeout=10)
        await page.disconnect()
        return decided

    decided = async_to_sync(run)()
    assert (decided["state"], decided["reason"]) == ("rejected", "未携带身份证")
    assert FaceEnrolment.objects.count() == 0  # nothing biometric on this path
