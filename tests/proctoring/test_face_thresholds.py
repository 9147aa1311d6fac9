"""Graded face decisions (issue 16) on real corpus pairs, and how policies count them.

The photos are the labelled corpus in ``tests/proctoring/faces`` (see its README);
the distances quoted are what ``bench/eval_faces.py`` reports for these pairs.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import itertools
import sys
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from exams.models import Attempt
from exams.services.attempts import attempt_submit
from proctoring import vision
from proctoring.models import AttemptMonitor, FaceEnrolment, Flag, IdentityCheck, ProctoringPolicy, Snapshot
from proctoring.selectors import review_queue
from proctoring.services.actions import policy_set
from proctoring.services.consent import consent_give
from proctoring.services.identity import enrol
from proctoring.services.snapshots import decide_face_policy, snapshot_process, snapshot_receive
from proctoring.vision import Outcome
from tests.conftest import Cast, login_client
from tests.doors import session_cookie, socket_open
from tests.proctoring.conftest import make_proctored, proctored_session
from tests.proctoring.test_api import photo, token_client
from tests.proctoring.test_consumers import OWN_ORIGIN, _attempt_path, _receive_until

ROOT = Path(__file__).resolve().parents[2]
FACES = Path(__file__).resolve().parent / "faces"


def face(name: str) -> bytes:
    return (FACES / name).read_bytes()


def _check(reference: str, frame: str, **thresholds: Any) -> vision.FrameCheck:
    return vision.check_frame(face(frame), vision.encode_reference(face(reference)), **thresholds)


# --- the corpus ----------------------------------------------------------------------------------


def _corpus_module() -> Any:
    spec = importlib.util.spec_from_file_location("make_face_corpus", ROOT / "bench" / "make_face_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_corpus_is_labelled_sourced_and_its_edits_are_derived() -> None:
    with (FACES / "labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    originals = [r for r in rows if r["kind"] in ("original", "glasses")]
    readme = (FACES / "README.md").read_text(encoding="utf-8")
    for row in originals:
        assert (FACES / row["file"]).is_file(), row
        assert f"| {row['file']} | {row['identity']} |" in readme, row["file"]  # its source and cut
    people = {r["identity"] for r in originals}
    several = {p for p in people if sum(r["identity"] == p for r in originals) >= 2}
    assert len(people) >= 10
    assert len(several) >= 10  # genuine pairs of different photos, not only edits
    assert any(r["kind"] == "glasses" for r in originals)
    corpus = _corpus_module()
    # labels.csv lists every edit make_face_corpus derives, and nothing else (the script's staleness check).
    assert rows == corpus._label_rows(originals)
    assert set(corpus.EDITS) == {"crop", "rot+15", "rot-15", "dark", "bright", "jpeg30", "small320"}
    edits = corpus.edits(vision.decode_image(face("obama_1.jpg")))
    assert vision.image_size(edits["small320"])[1:] == (320, 240)
    assert edits == corpus.edits(vision.decode_image(face("obama_1.jpg")))  # deterministic


# --- the decision --------------------------------------------------------------------------------


def test_decide_is_graded_between_the_two_thresholds() -> None:
    assert vision.decide(0.48, 0.48, 0.63) is Outcome.MATCH
    assert vision.decide(0.481, 0.48, 0.63) is Outcome.UNCERTAIN
    assert vision.decide(0.63, 0.48, 0.63) is Outcome.UNCERTAIN
    assert vision.decide(0.631, 0.48, 0.63) is Outcome.MISMATCH
    # Equal thresholds are the single tolerance of old: nothing is uncertain.
    assert [vision.decide(d, 0.6, 0.6) for d in (0.6, 0.61)] == [Outcome.MATCH, Outcome.MISMATCH]
    with pytest.raises(ValueError, match="thresholds"):
        vision.check_thresholds(0.6, 0.5)


def test_a_genuine_pair_of_different_photos_matches() -> None:
    result = _check("obama_1.jpg", "obama_2.jpg")  # two different photos, years apart (0.355)
    assert result.outcome is Outcome.MATCH
    assert result.distance < 0.4
    assert (result.threshold, result.mismatch_threshold) == (
        vision.DEFAULT_MATCH_THRESHOLD,
        vision.DEFAULT_MISMATCH_THRESHOLD,
    )
    assert _check("pichai_1.jpg", "pichai_2.jpg").outcome is Outcome.MATCH  # glasses in both


def test_two_different_women_do_not_match() -> None:
    # The closest pair of two different women in the corpus (0.634).
    result = _check("mayer_1.jpg", "johansson_1.jpg")
    assert result.outcome is Outcome.MISMATCH
    assert 0.6 < result.distance < 0.7


def test_the_closest_strangers_are_no_longer_accepted() -> None:
    # Two different actors at 0.517: the old single tolerance 0.6 accepted them as one person.
    old = _check("dicaprio_2.jpg", "damon_3.jpg", tolerance=vision.DEFAULT_TOLERANCE)
    assert old.outcome is Outcome.MATCH
    now = _check("dicaprio_2.jpg", "damon_3.jpg")
    assert now.outcome is Outcome.UNCERTAIN
    assert now.distance == pytest.approx(old.distance)
    assert vision.DEFAULT_MATCH_THRESHOLD < now.distance < vision.DEFAULT_MISMATCH_THRESHOLD


def test_a_hard_photo_of_the_same_person_is_uncertain_not_a_mismatch() -> None:
    # Aniston looking down in three-quarter view in a group photo, against her portrait (0.619).
    result = _check("aniston_1.jpg", "aniston_7.jpg")
    assert result.outcome is Outcome.UNCERTAIN
    assert result.distance > vision.DEFAULT_MATCH_THRESHOLD


# --- policies count uncertain frames apart -------------------------------------------------------


def test_uncertain_never_moves_the_run_toward_a_flag_or_a_submit() -> None:
    failures, uncertain, flags_uncertain = 1, 0, 0
    for _ in range(10):
        decision = decide_face_policy(
            outcome="uncertain",
            failures_before=failures,
            flag_after=2,
            submit_after=2,
            uncertain_before=uncertain,
        )
        assert (decision.flag, decision.submit, decision.retry) == (False, False, True)
        assert decision.failures_in_row == 1  # neither broken nor lengthened
        failures, uncertain = decision.failures_in_row, decision.uncertain
        flags_uncertain += decision.flag_uncertain
    assert (uncertain, flags_uncertain) == (10, 1)  # counted apart; flagged for review once
    mismatch = decide_face_policy(
        outcome="mismatch", failures_before=failures, flag_after=2, submit_after=2, uncertain_before=uncertain
    )
    assert (mismatch.failures_in_row, mismatch.flag, mismatch.submit, mismatch.uncertain) == (2, True, True, 10)
    assert not mismatch.retry
    # Without a policy nothing is flagged, but the frame is still asked again.
    alone = decide_face_policy(outcome="uncertain", failures_before=0, flag_after=None, submit_after=None)
    assert (alone.flag_uncertain, alone.retry) == (False, True)


_clock = itertools.count(1)


def _snap(data: dict[str, Any], frame: bytes) -> Snapshot:
    at = data["attempt"].started_at + dt.timedelta(seconds=25 * next(_clock))
    snapshot = snapshot_receive(attempt_id=data["attempt"].pk, data=frame, now=at)
    return snapshot_process(snapshot_id=snapshot.pk, now=at)


def _enrol(person: Any, name: str) -> FaceEnrolment:
    consent_give(person=person, by=person.user)
    return enrol(person=person, photo=face(name), source=FaceEnrolment.Source.LIVE, by=person.user)


@pytest.mark.django_db
def test_uncertain_snapshots_go_to_review_and_never_submit(cast: Cast) -> None:
    data = make_proctored(cast, face_flag_after=1, face_submit_after=1)
    _enrol(cast.east.learner, "aniston_1.jpg")
    first, second = _snap(data, face("aniston_7.jpg")), _snap(data, face("aniston_7.jpg"))
    assert [first.outcome, second.outcome] == ["uncertain", "uncertain"]
    assert (second.threshold, second.mismatch_threshold) == (0.48, 0.63)
    attempt = Attempt.objects.get(pk=data["attempt"].pk)
    assert attempt.status == Attempt.Status.IN_PROGRESS  # a policy that submits at the first failure did not
    monitor = AttemptMonitor.objects.get(attempt=attempt)
    assert (monitor.face_uncertain, monitor.face_failures_in_row) == (2, 0)
    flags = Flag.objects.filter(attempt=attempt)
    assert [f.kind for f in flags] == [Flag.Kind.FACE_UNCERTAIN]  # once, not per frame
    assert "0.62" in flags[0].detail
    # A genuine frame matches and the attempt goes on; once finished, it waits for a person.
    assert _snap(data, face("aniston_3.jpg")).outcome == "match"
    assert list(review_queue(cast.east.proctor)) == []  # running: watched live
    attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.EXAMINEE)
    assert [a.pk for a in review_queue(cast.east.proctor)] == [attempt.pk]
    assert list(review_queue(cast.west.proctor)) == []
    proctor = login_client(cast.east.proctor)
    assert str(attempt.pk) in proctor.get(reverse("proctoring:review_queue")).content.decode()
    detail = proctor.get(reverse("proctoring:review_detail", args=[attempt.pk])).content.decode()
    assert "人脸核验无法确认" in detail  # the flag
    assert "人脸无法确认" in detail  # each uncertain frame ...
    assert "0.48–0.63" in detail  # ... with both thresholds


@pytest.mark.django_db
def test_a_mismatch_still_flags_and_submits_by_the_policy(cast: Cast) -> None:
    data = make_proctored(cast, face_flag_after=1, face_submit_after=2)
    _enrol(cast.east.learner, "mayer_1.jpg")
    assert _snap(data, face("johansson_1.jpg")).outcome == "mismatch"
    assert _snap(data, face("obama_2.jpg")).outcome == "mismatch"
    attempt = Attempt.objects.get(pk=data["attempt"].pk)
    assert (attempt.status, attempt.submit_reason) == (Attempt.Status.SUBMITTED, Attempt.SubmitReason.AUTO_POLICY)
    assert Flag.objects.filter(attempt=attempt, kind=Flag.Kind.FACE).count() == 1


@pytest.mark.django_db
def test_a_policy_keeps_both_thresholds_in_range(cast: Cast) -> None:
    session = proctored_session(cast)
    policy = ProctoringPolicy.objects.get(session=session)
    assert (policy.match_threshold, policy.mismatch_threshold) == (0.48, 0.63)
    with pytest.raises(ValidationError) as caught:
        policy_set(session=session, match_threshold=0.6, mismatch_threshold=0.5)
    assert "不一致阈值必须大于或等于一致阈值" in str(caught.value)  # zh-hans, the default language
    strict = policy_set(session=session, match_threshold=0.4, mismatch_threshold=0.4)  # one tolerance: allowed
    assert (strict.match_threshold, strict.mismatch_threshold) == (0.4, 0.4)


# --- the doors: identity check (API) and the examinee's socket -----------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_an_uncertain_identity_check_is_a_failed_try_that_asks_again(cast: Cast) -> None:
    session = proctored_session(cast, identity_max_tries=3)
    _enrol(cast.east.learner, "aniston_1.jpg")
    client = token_client(cast.east.learner.user)
    url = reverse("api:exam-identity-check", args=[session.pk])
    unsure = client.post(url, {"photo": photo(face("aniston_7.jpg"))}, format="multipart").json()
    assert {k: unsure[k] for k in ("ok", "outcome", "reason", "state", "tries_left")} == {
        "ok": False,
        "outcome": "uncertain",
        "reason": "uncertain",
        "state": "needs_check",
        "tries_left": 2,
    }
    assert "try again" in unsure["detail"]
    check = IdentityCheck.objects.get(session=session, person=cast.east.learner)
    assert (check.result, check.failure_reason, check.threshold, check.mismatch_threshold) == (
        "failed",
        "uncertain",
        0.48,
        0.63,
    )
    stranger = client.post(url, {"photo": photo(face("johansson_1.jpg"))}, format="multipart").json()
    assert stranger == {"ok": False, "outcome": "mismatch", "state": "needs_check", "tries_left": 1}
    passed = client.post(url, {"photo": photo(face("aniston_3.jpg"))}, format="multipart").json()
    assert passed == {"ok": True, "outcome": "match", "state": "passed", "tries_left": 0}


@pytest.mark.django_db
def test_the_web_identity_check_answers_uncertain_in_chinese(cast: Cast) -> None:
    session = proctored_session(cast, identity_max_tries=3)
    _enrol(cast.east.learner, "aniston_1.jpg")
    response = login_client(cast.east.learner.user).post(
        reverse("proctoring:identity_check", args=[session.pk]),
        {"photo": photo(face("aniston_7.jpg"))},
        HTTP_ACCEPT="application/json",
    )
    body = response.json()
    assert (body["ok"], body["outcome"], body["reason"]) == (False, "uncertain", "uncertain")
    assert body["detail"] == "无法确认是否为本人。请重试：正对摄像头，保持光线充足，不要遮挡面部。"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_socket_asks_for_another_frame_soon_after_an_uncertain_one(cast: Cast, settings: Any) -> None:
    settings.BACKGROUND_BACKEND = "threads"
    data = make_proctored(cast, snapshot_min_seconds=20, snapshot_max_seconds=60, face_flag_after=3)
    _enrol(cast.east.learner, "aniston_1.jpg")
    headers = [OWN_ORIGIN, session_cookie(cast.east.learner.user)]
    identity_frame = face("aniston_7.jpg")

    async def run() -> dict[str, Any]:
        examinee, connected, _ = await socket_open(_attempt_path(data), headers)
        assert connected
        await examinee.receive_json_from()  # hello
        await examinee.send_to(bytes_data=identity_frame)
        assert (await _receive_until(examinee, "snapshot_ack"))["id"]
        result = await _receive_until(examinee, "face", timeout=30)
        await examinee.disconnect()
        return result

    result = async_to_sync(run)()
    assert (result["outcome"], result["prompt"], result["submitted"]) == ("uncertain", True, False)
    # The next slot of the rate limit (one frame per 20 s, one early frame allowed): at most 20 s away.
    assert result["retry_in"] in range(1, 21)
    assert AttemptMonitor.objects.get(attempt=data["attempt"]).face_uncertain == 1


# --- the migration from the single tolerance -------------------------------------------------------

BEFORE = ("proctoring", "0004_flag_kind_consent_withdrawn")
AFTER = ("proctoring", "0005_faceval_face_thresholds")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_policies_keep_their_tolerance_as_the_mismatch_threshold(
    cast: Cast, django_db_serialized_rollback: None
) -> None:
    sessions = [proctored_session(cast), proctored_session(cast), proctored_session(cast)]
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([BEFORE])
        old = executor.loader.project_state([BEFORE]).apps.get_model("proctoring", "ProctoringPolicy")
        for session, tolerance in zip(sessions, (0.6, 0.55, 0.4), strict=True):
            old.objects.filter(session_id=session.pk).update(tolerance=tolerance)
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([AFTER])
        new = executor.loader.project_state([AFTER]).apps.get_model("proctoring", "ProctoringPolicy")
        migrated = {p.session_id: (p.match_threshold, p.mismatch_threshold) for p in new.objects.all()}
        # Whatever matched before still never counts toward a flag; only the calibrated band becomes uncertain.
        assert [migrated[s.pk] for s in sessions] == [(0.48, 0.6), (0.48, 0.55), (0.4, 0.4)]
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([BEFORE])  # and back: the tolerance is the mismatch threshold
        old = executor.loader.project_state([BEFORE]).apps.get_model("proctoring", "ProctoringPolicy")
        assert sorted(old.objects.values_list("tolerance", flat=True)) == [0.4, 0.55, 0.6]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
