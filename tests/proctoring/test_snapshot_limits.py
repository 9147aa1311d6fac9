"""Snapshot floods refused in the service (every door): rate, storage cap, frames that are not images.

Frames are real JPEG/PNG files, Pillow-encoded from ``skimage.data.astronaut()``.
Times are explicit ``now`` values: the limiter counts on the server clock only.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from PIL import Image
from skimage import data as skimage_data

from exams.models import Attempt
from exams.services.attempts import attempt_submit
from proctoring.models import AttemptMonitor, Flag, Snapshot
from proctoring.services.consent import consent_give
from proctoring.services.errors import AttemptFinished, BadImage, SnapshotStorageFull, SnapshotTooSoon
from proctoring.services.snapshots import snapshot_receive
from tests.proctoring.conftest import make_proctored
from tests.support.concurrency import at_once

pytestmark = pytest.mark.django_db


def _encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(skimage_data.astronaut()).resize((320, 320))


@pytest.fixture(scope="module")
def jpeg(astronaut: Image.Image) -> bytes:
    return _encode(astronaut, "JPEG", quality=70)


@pytest.fixture(autouse=True)
def _consented(cast: Any) -> None:
    # Frames are kept only under a standing face-processing consent (services.snapshot_receive).
    consent_give(person=cast.east.learner, by=cast.east.learner.user)


def _files() -> list[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _receive(data: dict[str, Any], frame: bytes, now: dt.datetime) -> Snapshot:
    return snapshot_receive(attempt_id=data["attempt"].pk, data=frame, now=now)


def _monitor(data: dict[str, Any]) -> AttemptMonitor:
    return AttemptMonitor.objects.get(attempt_id=data["attempt"].pk)


# --- rate -----------------------------------------------------------------------------------------


def test_frames_beyond_the_policy_rate_are_refused(cast: Any, jpeg: bytes, settings: Any) -> None:
    settings.PROCTORING_SNAPSHOT_BURST = 1
    data = make_proctored(cast, snapshot_min_seconds=20, snapshot_max_seconds=60)
    t0 = timezone.now()
    accepted, refused = [], []
    # 200 frames in 13 s (the audit's flood), then frames at the policy's rate.
    for i in range(200):
        at = t0 + dt.timedelta(milliseconds=65 * i)
        try:
            accepted.append(_receive(data, jpeg, at).pk)
        except SnapshotTooSoon as exc:
            refused.append(exc)
    # One frame per interval, plus one early frame (a reloaded page's first one).
    assert len(accepted) == 2
    assert len(refused) == 198
    assert refused[0].code == "snapshot_too_soon"
    assert refused[0].status == 429
    assert refused[0].details["retry_after"] == 20  # 2nd frame used the burst: the next slot is t0 + 20 s
    assert "20" in refused[0].message
    assert Snapshot.objects.filter(attempt=data["attempt"]).count() == 2
    assert len(_files()) == 2
    # At the rate, frames are accepted again; one second early after the burst is spent is not.
    assert _receive(data, jpeg, t0 + dt.timedelta(seconds=20))
    with pytest.raises(SnapshotTooSoon) as info:
        _receive(data, jpeg, t0 + dt.timedelta(seconds=39))
    assert info.value.details["retry_after"] == 1
    assert _receive(data, jpeg, t0 + dt.timedelta(seconds=40))
    monitor = _monitor(data)
    assert monitor.snapshot_count == 4
    assert monitor.last_snapshot_at == t0 + dt.timedelta(seconds=40)
    assert monitor.snapshot_bytes == 4 * len(jpeg)


def test_the_burst_lets_a_reconnected_page_send_once_early_and_no_more(cast: Any, jpeg: bytes, settings: Any) -> None:
    settings.PROCTORING_SNAPSHOT_BURST = 1
    data = make_proctored(cast, snapshot_min_seconds=20, snapshot_max_seconds=60)
    t0 = timezone.now()
    _receive(data, jpeg, t0)
    _receive(data, jpeg, t0 + dt.timedelta(seconds=30))
    # The page reloads and sends its first frame 3 s later: the burst allows it once.
    _receive(data, jpeg, t0 + dt.timedelta(seconds=33))
    with pytest.raises(SnapshotTooSoon):
        _receive(data, jpeg, t0 + dt.timedelta(seconds=36))
    # An idle spell does not bank more than the burst: after 10 minutes still only 2 at once.
    later = t0 + dt.timedelta(minutes=10)
    _receive(data, jpeg, later)
    _receive(data, jpeg, later + dt.timedelta(seconds=1))
    with pytest.raises(SnapshotTooSoon):
        _receive(data, jpeg, later + dt.timedelta(seconds=2))
    assert Snapshot.objects.count() == 5


def test_without_burst_exactly_one_frame_per_interval(cast: Any, jpeg: bytes, settings: Any) -> None:
    settings.PROCTORING_SNAPSHOT_BURST = 0
    data = make_proctored(cast, snapshot_min_seconds=10, snapshot_max_seconds=30)
    t0 = timezone.now()
    _receive(data, jpeg, t0)
    with pytest.raises(SnapshotTooSoon) as info:
        _receive(data, jpeg, t0 + dt.timedelta(seconds=9, milliseconds=500))
    assert info.value.details["retry_after"] == 1
    _receive(data, jpeg, t0 + dt.timedelta(seconds=10))
    assert Snapshot.objects.count() == 2


def test_the_rate_is_per_attempt_and_ignores_what_the_client_says(cast: Any, jpeg: bytes) -> None:
    first = make_proctored(cast, snapshot_min_seconds=20)
    t0 = timezone.now()
    _receive(first, jpeg, t0)
    _receive(first, jpeg, t0)
    with pytest.raises(SnapshotTooSoon):
        _receive(first, jpeg, t0)
    # Another examinee of the class is not held back by the first one's frames.
    other = Attempt.objects.create(
        session=first["session"],
        person=cast.west.learner,
        status=Attempt.Status.IN_PROGRESS,
        started_at=t0,
        deadline=t0 + dt.timedelta(hours=1),
    )
    consent_give(person=cast.west.learner, by=cast.west.learner.user)
    assert snapshot_receive(attempt_id=other.pk, data=jpeg, now=t0)


# --- storage cap ------------------------------------------------------------------------------------


def test_the_attempt_storage_cap_refuses_and_tells_the_proctor_once(
    cast: Any, jpeg: bytes, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PROCTORING_ATTEMPT_MAX_BYTES = 2 * len(jpeg) + 100
    data = make_proctored(cast, snapshot_min_seconds=5, snapshot_max_seconds=60)
    t0 = timezone.now()
    _receive(data, jpeg, t0)
    _receive(data, jpeg, t0 + dt.timedelta(seconds=5))
    for i in (2, 3, 4):
        with pytest.raises(SnapshotStorageFull) as info:
            _receive(data, jpeg, t0 + dt.timedelta(seconds=5 * i))
        assert info.value.code == "snapshot_storage_full"
    assert Snapshot.objects.count() == 2
    assert len(_files()) == 2
    monitor = _monitor(data)
    assert monitor.snapshot_bytes == 2 * len(jpeg)
    assert monitor.snapshot_storage_full_at == t0 + dt.timedelta(seconds=10)
    flag = Flag.objects.get(attempt=data["attempt"])  # once, not once per refused frame
    assert flag.kind == Flag.Kind.SNAPSHOT_STORAGE
    assert monitor.flag_count == 1
    assert "MB" in flag.detail


# --- frames that are not images ----------------------------------------------------------------


def _assert_nothing_written(data: dict[str, Any]) -> None:
    assert not Snapshot.objects.filter(attempt=data["attempt"]).exists()
    assert _files() == []
    monitor = AttemptMonitor.objects.filter(attempt_id=data["attempt"].pk).first()
    assert monitor is None or (monitor.snapshot_count, monitor.snapshot_bytes, monitor.snapshot_tat) == (0, 0, None)


def test_random_bytes_are_refused_and_nothing_is_written(cast: Any) -> None:
    data = make_proctored(cast)
    noise = np.random.default_rng(12).integers(0, 256, 250 * 1024, dtype=np.uint8).tobytes()
    with pytest.raises(BadImage) as info:
        _receive(data, noise, timezone.now())
    assert info.value.code == "bad_image"
    assert info.value.details["reason"] == "not_an_image"
    _assert_nothing_written(data)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda jpeg: jpeg[: len(jpeg) // 2], "truncated_image"),
        (lambda jpeg: jpeg[:600] + os.urandom(4000) + b"\xff\xd9", "corrupt_image"),
        (lambda jpeg: b"\xff\xd8\xff garbage that claims to be a JPEG", None),
        (lambda jpeg: b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, None),
    ],
    ids=["truncated-jpeg", "damaged-jpeg", "jpeg-signature-only", "png-signature-only"],
)
def test_damaged_images_are_refused_and_nothing_is_written(cast: Any, jpeg: bytes, make: Any, reason: Any) -> None:
    data = make_proctored(cast)
    with pytest.raises(BadImage) as info:
        _receive(data, make(jpeg), timezone.now())
    assert info.value.details["reason"] in ((reason,) if reason else ("corrupt_image", "truncated_image"))
    _assert_nothing_written(data)


def test_an_image_larger_than_the_side_limit_is_refused(cast: Any, settings: Any) -> None:
    data = make_proctored(cast)
    wide = _encode(Image.new("RGB", (settings.PROCTORING_SNAPSHOT_MAX_SIDE + 1, 8), (90, 90, 90)), "JPEG")
    with pytest.raises(BadImage) as info:
        _receive(data, wide, timezone.now())
    assert info.value.details["reason"] == "too_many_pixels"
    _assert_nothing_written(data)


def test_a_png_that_decodes_is_stored(cast: Any, astronaut: Image.Image) -> None:
    data = make_proctored(cast)
    png = _encode(astronaut.resize((160, 160)), "PNG")
    snapshot = _receive(data, png, timezone.now())
    assert snapshot.photo_path.endswith(".png")
    assert snapshot.size_bytes == len(png)
    assert [p.read_bytes() for p in _files()] == [png]


def test_a_refused_frame_does_not_use_up_the_rate(cast: Any, jpeg: bytes) -> None:
    data = make_proctored(cast, snapshot_min_seconds=20)
    t0 = timezone.now()
    with pytest.raises(BadImage):
        _receive(data, b"not an image at all", t0)
    assert _receive(data, jpeg, t0)


def test_frames_of_a_finished_attempt_write_nothing(cast: Any, jpeg: bytes) -> None:
    data = make_proctored(cast)
    attempt_submit(attempt=data["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    with pytest.raises(AttemptFinished):
        _receive(data, jpeg, timezone.now())
    _assert_nothing_written(data)


# --- two sockets of one attempt at once -------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_two_sockets_of_one_attempt_cannot_both_take_one_slot(cast: Any, jpeg: bytes, settings: Any) -> None:
    settings.PROCTORING_SNAPSHOT_BURST = 0
    data = make_proctored(cast, snapshot_min_seconds=20)
    now = timezone.now()
    AttemptMonitor.objects.get_or_create(attempt_id=data["attempt"].pk)

    def send() -> str:
        _receive(data, jpeg, now)
        return "accepted"

    accepted, errors = at_once(4, send, barrier_timeout=10, join_timeout=30)
    outcomes = accepted + ["too_soon" for exc in errors if isinstance(exc, SnapshotTooSoon)]
    assert sorted(outcomes) == ["accepted", "too_soon", "too_soon", "too_soon"]
    assert Snapshot.objects.filter(attempt=data["attempt"]).count() == 1
    assert _monitor(data).snapshot_count == 1
