"""Missing snapshots are noticed: flagged once per gap, shown live, warned, and submitted per policy.

Times are explicit ``now`` values relative to the attempt's start. The policy
under test: snapshots at most every 60 s, a gap flagged after 2 missed
intervals plus 30 s of grace (150 s).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.utils import timezone, translation
from PIL import Image
from skimage import data as skimage_data

from exams.models import Attempt
from exams.services.attempts import attempt_start, attempt_submit
from proctoring.models import AttemptMonitor, Flag, ProctorMessage
from proctoring.selectors import dashboard_rows, review_queue
from proctoring.services.actions import policy_set
from proctoring.services.identity import identity_check_face
from proctoring.services.snapshots import GapCheck, snapshot_gaps_check, snapshot_receive
from proctoring.views import PolicyForm
from tests.conftest import Cast, login_client
from tests.proctoring.conftest import enrol_astronaut, make_proctored
from tests.support import faces

POLICY = {"snapshot_min_seconds": 20, "snapshot_max_seconds": 60, "missing_flag_after": 2, "missing_grace_seconds": 30}


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    out = io.BytesIO()
    Image.fromarray(skimage_data.astronaut()).resize((320, 320)).save(out, format="JPEG", quality=70)
    return out.getvalue()


def _proctored(cast: Cast, astronaut_jpeg: bytes, **policy: Any) -> dict[str, Any]:
    """A camera attempt: the identity check passed by face, so the attempt owes snapshots."""
    data = make_proctored(cast, start=False, **{**POLICY, **policy})
    learner = cast.east.learner
    enrol_astronaut(learner, astronaut_jpeg)
    check = identity_check_face(
        session=data["session"], person=learner, frame=faces.snapshot_jpeg(faces.astronaut_bgr())
    )
    assert check.result == "passed", check.outcome
    data["attempt"] = attempt_start(notice_confirmed=True, session=data["session"], person=learner)
    data["start"] = Attempt.objects.get(pk=data["attempt"].pk).started_at
    return data


def _at(data: dict[str, Any], seconds: float) -> dt.datetime:
    return data["start"] + dt.timedelta(seconds=seconds)


def _check(data: dict[str, Any], seconds: float) -> GapCheck:
    return snapshot_gaps_check(now=_at(data, seconds))


def _flags(data: dict[str, Any], kind: str = Flag.Kind.SNAPSHOTS_MISSING) -> list[Flag]:
    return list(Flag.objects.filter(attempt=data["attempt"], kind=kind))


def _row(data: dict[str, Any]) -> dict[str, Any]:
    (row,) = dashboard_rows(data["session"])
    return row


@pytest.mark.django_db
def test_a_gap_is_flagged_once_with_a_chinese_reason(cast: Cast, astronaut_jpeg: bytes) -> None:
    data = _proctored(cast, astronaut_jpeg)
    # Never a snapshot: the gap counts from the start. 150 s is allowed.
    assert _check(data, 149).flagged == 0
    assert _flags(data) == []
    assert _row(data)["snapshots_missing"] is False

    first = _check(data, 151)
    assert (first.in_gap, first.flagged, first.submitted) == (1, 1, 0)
    (flag,) = _flags(data)
    assert flag.detail == "超过 151 秒未收到抓拍"
    message = ProctorMessage.objects.get(attempt=data["attempt"])
    assert message.kind == ProctorMessage.Kind.POLICY
    assert "151" in message.text
    assert "摄像头" in message.text
    monitor = AttemptMonitor.objects.get(attempt_id=data["attempt"].pk)
    assert (monitor.flag_count, monitor.snapshot_gap_since) == (1, data["start"])
    assert _row(data)["snapshots_missing"] is True

    # Later ticks of the same gap: nothing new.
    for seconds in (165, 300, 3000):
        assert _check(data, seconds).flagged == 0
    assert len(_flags(data)) == 1
    assert AttemptMonitor.objects.get(attempt_id=data["attempt"].pk).flag_count == 1
    assert Attempt.objects.get(pk=data["attempt"].pk).status == Attempt.Status.IN_PROGRESS  # no submit rule set


@pytest.mark.django_db
def test_a_snapshot_ends_the_gap_and_the_next_gap_is_flagged_again(
    cast: Cast, astronaut_jpeg: bytes, jpeg: bytes
) -> None:
    data = _proctored(cast, astronaut_jpeg)
    _check(data, 200)
    snapshot_receive(attempt_id=data["attempt"].pk, data=jpeg, now=_at(data, 210))
    assert _row(data)["snapshots_missing"] is False
    # 150 s after the snapshot is still fine, 151 s is a new gap.
    assert _check(data, 360).flagged == 0
    assert _check(data, 362).flagged == 1
    assert [f.detail for f in _flags(data)] == ["超过 200 秒未收到抓拍", "超过 152 秒未收到抓拍"]
    assert AttemptMonitor.objects.get(attempt_id=data["attempt"].pk).snapshot_gap_since == _at(data, 210)


@pytest.mark.django_db
def test_snapshots_on_time_are_never_flagged(cast: Cast, astronaut_jpeg: bytes, jpeg: bytes) -> None:
    data = _proctored(cast, astronaut_jpeg)
    for seconds in range(3, 1200, 55):
        snapshot_receive(attempt_id=data["attempt"].pk, data=jpeg, now=_at(data, seconds))
        assert _check(data, seconds + 54).in_gap == 0
    assert _flags(data) == []


@pytest.mark.django_db
def test_who_is_not_expected_to_send_snapshots(cast: Cast, astronaut_jpeg: bytes) -> None:
    # The manual ID-check path: no face enrolled, so the exam page never turns the camera on.
    manual = make_proctored(cast, **POLICY)
    start = Attempt.objects.get(pk=manual["attempt"].pk).started_at
    assert snapshot_gaps_check(now=start + dt.timedelta(hours=1)).in_gap == 0
    assert not Flag.objects.exists()

    # Enrolled, but the session has no proctoring policy.
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    from proctoring.models import ProctoringPolicy

    ProctoringPolicy.objects.all().delete()
    assert snapshot_gaps_check(now=start + dt.timedelta(hours=1)).in_gap == 0

    # A policy again, but the attempt is finished.
    policy_set(session=manual["session"], **POLICY)
    attempt_submit(attempt=manual["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    assert snapshot_gaps_check(now=start + dt.timedelta(hours=1)).in_gap == 0
    assert not Flag.objects.exists()


@pytest.mark.django_db
def test_auto_submit_after_the_policy_s_missed_intervals(cast: Cast, astronaut_jpeg: bytes) -> None:
    data = _proctored(cast, astronaut_jpeg, missing_submit_after=3)
    assert _check(data, 160).flagged == 1
    warning = ProctorMessage.objects.get(attempt=data["attempt"])
    assert "210" in warning.text  # when the exam would be submitted: 3 × 60 + 30 s
    assert _check(data, 209).submitted == 0
    result = _check(data, 211)
    assert (result.flagged, result.submitted) == (0, 1)
    attempt = Attempt.objects.get(pk=data["attempt"].pk)
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.submit_reason == Attempt.SubmitReason.AUTO_POLICY
    (auto,) = _flags(data, Flag.Kind.AUTO_SUBMITTED)
    assert "211" in auto.detail
    assert AttemptMonitor.objects.get(attempt_id=data["attempt"].pk).flag_count == 2
    # Finished: later ticks leave it alone.
    assert _check(data, 400).in_gap == 0
    assert Flag.objects.filter(attempt=data["attempt"]).count() == 2


@pytest.mark.django_db
def test_without_a_submit_rule_a_gap_never_ends_the_exam(cast: Cast, astronaut_jpeg: bytes) -> None:
    data = _proctored(cast, astronaut_jpeg)
    assert _check(data, 20 * 60).submitted == 0
    assert Attempt.objects.get(pk=data["attempt"].pk).status == Attempt.Status.IN_PROGRESS


@pytest.mark.django_db
def test_the_review_queue_lists_the_gap_once_the_attempt_is_finished(cast: Cast, astronaut_jpeg: bytes) -> None:
    data = _proctored(cast, astronaut_jpeg)
    _check(data, 151)
    assert list(review_queue(cast.east.proctor)) == []  # running: watched live
    attempt_submit(attempt=data["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    assert [a.pk for a in review_queue(cast.east.proctor)] == [data["attempt"].pk]
    assert list(review_queue(cast.west.proctor)) == []
    html = login_client(cast.east.proctor).get("/proctoring/review/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert html.status_code == 200
    page = html.content.decode()
    assert "抓拍缺失" in page
    assert "超过 151 秒未收到抓拍" in page


@pytest.mark.django_db
def test_the_management_command_runs_the_check(cast: Cast, astronaut_jpeg: bytes) -> None:
    data = _proctored(cast, astronaut_jpeg)
    Attempt.objects.filter(pk=data["attempt"].pk).update(started_at=timezone.now() - dt.timedelta(minutes=10))
    out = StringIO()
    call_command("proctoring_tick", stdout=out)
    assert out.getvalue().strip() == "in_gap=1, flagged=1, submitted=0, liveness_expired=0"
    out = StringIO()
    call_command("proctoring_tick", stdout=out)
    assert out.getvalue().strip() == "in_gap=1, flagged=0, submitted=0, liveness_expired=0"
    assert len(_flags(data)) == 1


@pytest.mark.django_db
def test_the_policy_form_validates_the_new_fields(cast: Cast) -> None:
    base = {
        "snapshot_min_seconds": 20,
        "snapshot_max_seconds": 60,
        "tab_warn_at": 1,
        "tab_ignore_seconds": 2,
        "face_flag_after": 3,
        "match_threshold": 0.48,
        "mismatch_threshold": 0.63,
        "identity_max_tries": 3,
        "missing_flag_after": 3,
        "missing_grace_seconds": 30,
    }
    assert PolicyForm(data={**base, "missing_submit_after": 5}).is_valid()
    for bad in ({"missing_flag_after": 0}, {"missing_submit_after": 2}, {"missing_grace_seconds": 601}):
        form = PolicyForm(data={**base, **bad})
        assert not form.is_valid(), bad
    form = PolicyForm(data={**base, "missing_flag_after": 0})
    form.is_valid()
    assert "missing_flag_after" in form.errors
    with translation.override("zh-hans"):
        form = PolicyForm(data={**base, "missing_submit_after": 2})
        assert not form.is_valid()
        assert "因抓拍缺失自动交卷的间隔数不能小于标记待审的间隔数。" in str(form.errors)
    labels = str(PolicyForm().as_p())
    assert "缺失多少个抓拍间隔后自动交卷" in labels or "submit automatically after this many missed" in labels


@pytest.mark.django_db
def test_the_policy_page_shows_the_new_fields_in_chinese(cast: Cast) -> None:
    data = make_proctored(cast, **POLICY)
    client = login_client(cast.east.training_admin)
    page = client.get(f"/proctoring/sessions/{data['session'].pk}/policy/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    for label in ("连续缺失多少个抓拍间隔后标记待审", "缺失多少个抓拍间隔后自动交卷", "抓拍迟到宽限（秒）"):
        assert label in html, label


# --- the live grid and the examinee's socket ------------------------------------------------------

db_transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@db_transactional
def test_the_live_grid_and_the_examinee_hear_of_the_gap(cast: Cast, astronaut_jpeg: bytes, jpeg: bytes) -> None:
    from tests.doors import session_cookie, socket_open
    from tests.proctoring.test_consumers import OWN_ORIGIN, _attempt_path, _receive_until, _session_path

    data = _proctored(cast, astronaut_jpeg)
    proctor_headers = [OWN_ORIGIN, session_cookie(cast.east.proctor)]
    examinee_headers = [OWN_ORIGIN, session_cookie(cast.east.learner.user)]

    async def run() -> None:
        grid, connected, _ = await socket_open(_session_path(data), proctor_headers)
        assert connected
        assert (await grid.receive_json_from())["rows"][0]["snapshots_missing"] is False
        examinee, connected, _ = await socket_open(_attempt_path(data), examinee_headers)
        assert connected
        await examinee.receive_json_from()

        result = await database_sync_to_async(snapshot_gaps_check)(now=_at(data, 151))
        assert result.flagged == 1
        update = await _receive_until(grid, "snapshots")
        assert update == {"type": "snapshots", "attempt": data["attempt"].pk, "snapshots_missing": True, "flags": 1}
        warning = await _receive_until(examinee, "warning")
        assert "151" in warning["text"]
        # A proctor who (re)connects gets the badge in the resync rows.
        await grid.send_json_to({"type": "resync"})
        rows = await _receive_until(grid, "rows")
        assert rows["rows"][0]["snapshots_missing"] is True
        assert rows["rows"][0]["flags"] == 1
        await examinee.disconnect()
        await grid.disconnect()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=120)


@pytest.mark.django_db
def test_the_live_page_has_the_badge_text_in_chinese(cast: Cast) -> None:
    data = make_proctored(cast, **POLICY)
    page = login_client(cast.east.proctor).get(
        f"/proctoring/sessions/{data['session'].pk}/live/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-snapshots-missing" in html
    assert "未收到抓拍" in html
    assert "抓拍存储已满" in html
