"""Action liveness through its doors: the service, the token API, the web session, the identity check's gate,
the proctor's on-demand request, review and retention. Frames are real photos (Grace Hopper, enrolled)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from proctoring import liveness, storage, vision
from proctoring.models import Flag, IdentityCheck, LivenessCheck, MediaAccessLog, ProctoringPolicy, ProctorMessage
from proctoring.services.actions import proctor_request_liveness
from proctoring.services.consent import consent_give, consent_withdraw
from proctoring.services.errors import AttemptFinished, IdentityLocked, LivenessRequired
from proctoring.services.identity import enrol, identity_check_face
from proctoring.services.liveness import draw_challenges, liveness_start, liveness_step
from proctoring.services.retention import purge_media
from tests.conftest import Cast, login_client, make_staff
from tests.proctoring.conftest import make_proctored, proctored_session
from tests.proctoring.test_api import token_client
from tests.support import faces
from tests.support.liveness_frames import camera_frame, jpeg, nose_warp

pytestmark = pytest.mark.django_db


class Drawn:
    """A stand-in for secrets.SystemRandom that draws the given challenges, for tests that perform them."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = kinds

    def choice(self, options: Any) -> int:
        return len(self.kinds)

    def sample(self, population: Any, k: int) -> list[Any]:
        return [liveness.Challenge(kind) for kind in self.kinds][:k]


@pytest.fixture(scope="module")
def hopper() -> np.ndarray:
    return camera_frame(faces.grace_hopper_bgr())


@pytest.fixture(scope="module")
def still(hopper: np.ndarray) -> list[bytes]:
    return [jpeg(hopper)] * liveness.FRAMES_PER_STEP


@pytest.fixture(scope="module")
def turns(hopper: np.ndarray) -> dict[str, list[bytes]]:
    """Real frames whose nose moves sideways (an edited photo): what a turn looks like to the landmarks."""
    first = liveness.observe(hopper)
    nose = (float(first.points[30][0]), float(first.points[30][1]))
    sigma = 0.45 * float(np.linalg.norm(first.points[36:42].mean(0) - first.points[42:48].mean(0)))
    shifts = (0, 0, 6, 12, 18, 20, 20, 20)
    return {
        "turn_left": [jpeg(nose_warp(hopper, nose, s, sigma)) for s in shifts],
        "turn_right": [jpeg(nose_warp(hopper, nose, -s, sigma)) for s in shifts],
    }


def _enrol_hopper(person: Any) -> None:
    consent_give(person=person, by=person.user)
    enrol(person=person, photo=faces.grace_hopper_jpeg(), source="live", by=person.user)


@pytest.fixture
def session(cast: Cast) -> Any:
    _enrol_hopper(cast.east.learner)
    return proctored_session(cast, require_liveness=True)


def _frames(frames: list[bytes]) -> dict[str, Any]:
    return {"frames": [SimpleUploadedFile(f"f{i}.jpg", f, content_type="image/jpeg") for i, f in enumerate(frames)]}


def _urls(session: Any, check_id: int | None = None, step: int | None = None) -> str:
    if check_id is None:
        return reverse("api:exam-liveness", args=[session.pk])
    if step is None:
        return reverse("api:exam-liveness-check", args=[session.pk, check_id])
    return reverse("api:exam-liveness-step", args=[session.pk, check_id, step])


def _liveness_files() -> list[str]:
    root = storage._root() / "liveness"
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_new_policies_ask_for_liveness_and_the_policy_form_shows_it(cast: Cast) -> None:
    session = proctored_session(cast, require_liveness=True)
    assert ProctoringPolicy.objects.get(session=session).require_liveness is True
    assert ProctoringPolicy._meta.get_field("require_liveness").default is True
    page = login_client(cast.east.training_admin).get(reverse("proctoring:policy_edit", args=[session.pk]))
    assert 'name="require_liveness"' in page.content.decode()


def test_the_server_draws_two_or_three_distinct_challenges(cast: Cast, session: Any) -> None:
    drawn = [draw_challenges() for _ in range(60)]
    assert {len(d) for d in drawn} == {2, 3}
    assert all(len(set(d)) == len(d) and set(d) <= set(liveness.Challenge) for d in drawn)
    assert len({tuple(d) for d in drawn}) > 5  # random order and choice, not a fixed script
    first = liveness_start(session=session, person=cast.east.learner, purpose="identity")
    second = liveness_start(session=session, person=cast.east.learner, purpose="identity")
    first.refresh_from_db()
    assert (first.status, first.reason, second.status) == ("failed", "superseded", "pending")


def test_a_still_photo_fails_through_the_token_api_and_the_identity_check_stays_refused(
    cast: Cast, session: Any, still: list[bytes], hopper_snapshot: bytes
) -> None:
    client = token_client(cast.east.learner.user)
    started = client.post(_urls(session), {"purpose": "identity"}, format="json")
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["status"] == "pending"
    assert body["purpose"] == "identity"
    assert (body["frames_per_step"], body["frame_interval_ms"]) == (8, 150)
    assert 2 <= len(body["steps"]) <= 3
    assert [s["step"] for s in body["steps"]] == list(range(len(body["steps"])))
    assert all(s["status"] == "pending" and s["prompt"] for s in body["steps"])
    response = client.post(_urls(session, body["id"], 0), _frames(still), format="multipart")
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["status"] == "failed"
    assert result["step_status"] == "failed"
    assert result["next_step"] is None
    assert result["reason"] in {"no_blink", "no_mouth_open", "no_turn"}
    assert result["message"]
    assert client.get(_urls(session, body["id"])).json()["steps"][0]["status"] == "failed"
    check = LivenessCheck.objects.get(pk=body["id"])
    # The failed check's frames are kept as evidence, with the step's numbers.
    assert len(storage.list_folder(check.frames_path)) == 8
    assert check.results[0]["metrics"]["face_counts"] == [1] * 8
    # The identity check stays refused: nothing checked or stored.
    refused = client.post(
        reverse("api:exam-identity-check", args=[session.pk]),
        {"photo": SimpleUploadedFile("c.jpg", hopper_snapshot, content_type="image/jpeg")},
        format="multipart",
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "liveness_required"
    # The failed liveness check used one face try, as a mismatch would; the refused photo used none.
    (failed_try,) = IdentityCheck.objects.all()
    assert (failed_try.kind, failed_try.result, failed_try.failure_reason) == ("face", "failed", "liveness_failed")
    assert LivenessCheck.objects.get(pk=body["id"]).identity_check == failed_try


def test_the_web_page_uses_the_same_urls_with_its_session(cast: Cast, session: Any, still: list[bytes]) -> None:
    client = login_client(cast.east.learner.user)
    started = client.post(_urls(session), {"purpose": "identity"}, content_type="application/json")
    assert started.status_code == 201
    check_id = started.json()["id"]
    stepped = client.post(_urls(session, check_id, 0), _frames(still))
    assert stepped.status_code == 200
    assert stepped.json()["status"] == "failed"
    # Another examinee cannot read or feed it.
    other = login_client(cast.west.learner.user)
    assert other.get(_urls(session, check_id)).status_code == 404


def test_steps_in_order_before_the_deadline_and_only_while_pending(
    cast: Cast, session: Any, still: list[bytes]
) -> None:
    client = token_client(cast.east.learner.user)
    check_id = client.post(_urls(session), {"purpose": "identity"}, format="json").json()["id"]
    skipped = client.post(_urls(session, check_id, 1), _frames(still), format="multipart")
    assert skipped.status_code == 409
    assert (skipped.json()["code"], skipped.json()["expected"]) == ("step_out_of_order", 0)
    LivenessCheck.objects.filter(pk=check_id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    late = client.post(_urls(session, check_id, 0), _frames(still), format="multipart")
    assert late.status_code == 409
    assert late.json()["code"] == "liveness_expired"
    assert LivenessCheck.objects.get(pk=check_id).reason == "expired"
    again = client.post(_urls(session, check_id, 0), _frames(still), format="multipart")
    assert again.status_code == 409
    assert again.json()["code"] == "liveness_finished"
    assert not _liveness_files()


@pytest.mark.parametrize(
    ("frames", "reason"),
    [
        ([], "too_few_frames"),
        (["ok"] * 2, "too_few_frames"),
        (["ok"] * 17, "too_many_frames"),
        (["ok"] * 7 + ["text"], "not_an_image"),
        (["ok"] * 7 + ["huge"], "frame_too_large"),
    ],
    ids=["none", "two", "seventeen", "not an image", "too large"],
)
def test_bad_frames_are_refused_naming_the_field_and_nothing_is_stored(
    cast: Cast, session: Any, still: list[bytes], frames: list[str], reason: str
) -> None:
    kinds = {"ok": still[0], "text": b"hello, not a JPEG", "huge": b"\xff\xd8\xff" + b"\0" * (300 * 1024)}
    client = token_client(cast.east.learner.user)
    check_id = client.post(_urls(session), {"purpose": "identity"}, format="json").json()["id"]
    response = client.post(_urls(session, check_id, 0), _frames([kinds[f] for f in frames]), format="multipart")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "bad_frames"
    assert body["reason"] == reason
    assert "frames" in body["errors"]
    assert body["detail"].startswith("frames:")
    check = LivenessCheck.objects.get(pk=check_id)
    assert (check.status, check.results, check.frames_path) == ("pending", [], "")
    assert not _liveness_files()


def test_a_passed_check_keeps_no_frames_and_lets_the_photo_through(
    cast: Cast,
    session: Any,
    turns: dict[str, list[bytes]],
    hopper_snapshot: bytes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = cast.east.learner
    check = liveness_start(session=session, person=person, purpose="identity", rng=Drawn("turn_left", "turn_right"))
    assert check.challenges == ["turn_left", "turn_right"]
    with django_capture_on_commit_callbacks(execute=True):
        first = liveness_step(check=check, step=0, frames=turns["turn_left"])
    assert (first.passed, first.next_step, first.check.status) == (True, 1, "pending")
    assert len(_liveness_files()) == 8  # kept until the check is decided
    with django_capture_on_commit_callbacks(execute=True):
        last = liveness_step(check=first.check, step=1, frames=turns["turn_right"])
    assert (last.passed, last.next_step, last.check.status) == (True, None, "passed")
    check.refresh_from_db()
    assert check.frames_path == ""
    assert not _liveness_files()
    assert [r["status"] for r in check.results] == ["passed", "passed"]
    assert check.results[0]["metrics"]["turn"][-1] > check.results[0]["metrics"]["turn"][0] + liveness.TURN_DELTA
    # The database refuses frames on a passed check, whoever writes them.
    with pytest.raises(IntegrityError), transaction.atomic():
        LivenessCheck.objects.filter(pk=check.pk).update(frames_path="liveness/1/x")
    # The identity check now takes the photo, compares it with the face seen, then forgets that face.
    assert check.encoding
    passed = identity_check_face(session=session, person=person, frame=hopper_snapshot)
    assert passed.result == IdentityCheck.Result.PASSED
    assert bytes(LivenessCheck.objects.get(pk=check.pk).encoding) == b""
    assert LivenessCheck.objects.get(pk=check.pk).identity_check == passed  # stored with the identity check


def test_failed_liveness_checks_use_the_face_tries_and_the_last_sends_the_person_to_a_proctor(
    cast: Cast, session: Any, still: list[bytes]
) -> None:
    person = cast.east.learner
    tries = ProctoringPolicy.objects.get(session=session).identity_max_tries
    # Replaced or abandoned checks show nothing failing: they use no try.
    liveness_start(session=session, person=person, purpose="identity")
    liveness_start(session=session, person=person, purpose="identity")
    assert not IdentityCheck.objects.exists()
    for _ in range(tries):
        check = liveness_start(session=session, person=person, purpose="identity")
        liveness_step(check=check, step=0, frames=still)
    failed = IdentityCheck.objects.filter(kind="face", result="failed", failure_reason="liveness_failed")
    assert failed.count() == tries
    pending = IdentityCheck.objects.get(kind="manual", result="pending")
    assert str(tries) in pending.note
    # Now a proctor decides: no further liveness check starts.
    with pytest.raises(IdentityLocked):
        liveness_start(session=session, person=person, purpose="identity")


def test_the_photo_must_show_the_face_that_performed_the_liveness_check(
    cast: Cast, session: Any, hopper_snapshot: bytes
) -> None:
    person = cast.east.learner
    now = timezone.now()
    # A check passed by another face (stored as the service stores it: the face seen, kept for the photo).
    LivenessCheck.objects.create(
        session=session,
        person=person,
        purpose="identity",
        challenges=["blink", "turn_left"],
        status="passed",
        expires_at=now,
        decided_at=now,
        encoding=vision.encoding_to_bytes(vision.encode_reference(faces.astronaut_jpeg())),
    )
    check = identity_check_face(session=session, person=person, frame=hopper_snapshot, now=now)
    assert (check.result, check.failure_reason, check.outcome) == ("failed", "liveness_face_differs", "mismatch")
    # Five minutes later the liveness check no longer counts: nothing is checked or stored.
    with pytest.raises(LivenessRequired):
        identity_check_face(
            session=session, person=person, frame=hopper_snapshot, now=now + dt.timedelta(minutes=5, seconds=1)
        )
    assert IdentityCheck.objects.count() == 1


def test_without_require_liveness_the_face_check_is_as_before(cast: Cast, hopper_snapshot: bytes) -> None:
    _enrol_hopper(cast.east.learner)
    session = proctored_session(cast, require_liveness=False)
    check = identity_check_face(session=session, person=cast.east.learner, frame=hopper_snapshot)
    assert check.result == IdentityCheck.Result.PASSED


def test_the_proctor_asks_and_a_failed_on_demand_check_flags_the_attempt_for_review(
    cast: Cast, still: list[bytes]
) -> None:
    _enrol_hopper(cast.east.learner)
    data = make_proctored(cast)
    session, attempt = data["session"], data["attempt"]
    message = proctor_request_liveness(attempt=attempt, by=cast.east.proctor)
    assert message.kind == ProctorMessage.Kind.LIVENESS
    client = token_client(cast.east.learner.user)
    started = client.post(_urls(session), {"purpose": "on_demand"}, format="json")
    assert started.status_code == 201
    check = LivenessCheck.objects.get(pk=started.json()["id"])
    assert check.attempt_id == attempt.pk
    result = client.post(_urls(session, check.pk, 0), _frames(still), format="multipart").json()
    assert result["status"] == "failed"
    check.refresh_from_db()
    flag = Flag.objects.get(attempt=attempt, kind=Flag.Kind.LIVENESS)
    assert check.flag_id == flag.pk
    assert attempt.monitor.__class__.objects.get(attempt=attempt).flag_count == 1
    # The reviewer sees the check, its steps and its frames (audited); another district's proctor does not.
    page = login_client(cast.east.proctor).get(reverse("proctoring:review_detail", args=[attempt.pk]))
    html = page.content.decode()
    assert 'data-timeline-liveness="failed"' in html
    # In words, not codes: the step's status and why it failed, and the flag's reason.
    steps = re.search(r'<ul class="liveness-steps">(.*?)</ul>', html, re.S).group(1)
    assert "未通过" in steps
    assert not re.search(r"\b(failed|passed|pending)\b", steps)
    assert check.results[0]["reason"] not in steps
    assert check.results[0]["reason"] not in flag.detail
    frame_url = reverse("proctoring:liveness_frame", args=[check.pk, 0])
    assert frame_url in html
    image = login_client(cast.east.proctor).get(frame_url)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert MediaAccessLog.objects.filter(kind="liveness", object_id=check.pk, user=cast.east.proctor).exists()
    assert login_client(cast.west.proctor).get(frame_url).status_code == 404
    assert (
        login_client(cast.east.proctor).get(reverse("proctoring:liveness_frame", args=[check.pk, 8])).status_code == 404
    )


def test_on_demand_needs_a_running_attempt(cast: Cast, session: Any) -> None:
    with pytest.raises(AttemptFinished):
        liveness_start(session=session, person=cast.east.learner, purpose="on_demand")
    response = token_client(cast.east.learner.user).post(_urls(session), {"purpose": "sometimes"}, format="json")
    assert response.status_code == 400
    assert "purpose" in response.json()["errors"]


def test_failed_frames_go_with_retention_and_with_consent(
    cast: Cast, session: Any, still: list[bytes], django_capture_on_commit_callbacks: Any
) -> None:
    person = cast.east.learner
    old = liveness_start(session=session, person=person, purpose="identity")
    liveness_step(check=old, step=0, frames=still)
    recent = liveness_start(session=session, person=person, purpose="identity")
    liveness_step(check=recent, step=0, frames=still)
    assert len(_liveness_files()) == 16
    LivenessCheck.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    counts = purge_media(days=30)
    assert counts["liveness_checks"] == 1
    old.refresh_from_db()
    assert old.frames_path == ""
    assert old.frames_purged_at is not None
    assert old.results
    assert len(_liveness_files()) == 8
    with django_capture_on_commit_callbacks(execute=True):
        deleted = consent_withdraw(person=person, by=person.user)
    assert deleted >= 8  # the reference photo and the recent check's frames
    assert not _liveness_files()
    assert LivenessCheck.objects.get(pk=recent.pk).frames_path == ""


def test_the_admin_shows_the_checks_to_their_proctors_without_frames_or_face_data(
    cast: Cast, session: Any, still: list[bytes]
) -> None:
    check = liveness_start(session=session, person=cast.east.learner, purpose="identity")
    liveness_step(check=check, step=0, frames=still)
    check.refresh_from_db()
    url = reverse("admin:proctoring_livenesscheck_change", args=[check.pk])
    proctor = make_staff(cast.east.proctor, "view_livenesscheck", "change_livenesscheck", apps=["proctoring"])
    listing = login_client(proctor).get(reverse("admin:proctoring_livenesscheck_changelist")).content.decode()
    assert cast.east.learner.name in listing
    detail = login_client(proctor).get(url).content.decode()
    assert "field-results" in detail
    assert 'name="_save"' not in detail  # read-only
    for page in (listing, detail):
        assert check.frames_path not in page
        assert "field-frames_path" not in page
        assert "field-encoding" not in page
        assert "/proctoring/media/" not in page
    west = make_staff(cast.west.proctor, "view_livenesscheck", apps=["proctoring"])
    assert (
        cast.east.learner.name
        not in login_client(west).get(reverse("admin:proctoring_livenesscheck_changelist")).content.decode()
    )
    assert login_client(west).get(url, follow=True).status_code in (200, 404)
    assert cast.east.learner.name not in login_client(west).get(url, follow=True).content.decode()
