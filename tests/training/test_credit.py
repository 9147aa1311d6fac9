"""Server-counted credit: only time really spent studying is credited, and
every forged or abusive heartbeat credits nothing extra."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.utils import timezone

from tests.training.conftest import World, video_lesson
from training import heartbeat_checks
from training.models import CreditLedger, Progress
from training.services.crediting import (
    HeartbeatResult,
    Refusal,
    heartbeat_record,
    lesson_start,
    lesson_stop,
    presence_confirm,
)
from training.services.errors import LeaseHeld, LessonNotAssigned

T0 = timezone.now().replace(microsecond=0)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


class Learner:
    """Drives heartbeats for one window on a simulated clock."""

    def __init__(self, world: World, lesson: Any = None, *, takeover: bool = False, start: float = 0) -> None:
        self.user = world.learner.user
        self.lesson = lesson or world.video
        self.token = lesson_start(user=self.user, lesson=self.lesson, takeover=takeover, now=at(start)).token
        self.seq = 0

    def beat(self, t: float, position: int, **kwargs: Any) -> HeartbeatResult:
        self.seq += 1
        kwargs.setdefault("visible", True)
        kwargs.setdefault("interaction", True)
        return heartbeat_record(
            user=self.user,
            lesson=self.lesson,
            token=kwargs.pop("token", self.token),
            client_seq=kwargs.pop("client_seq", self.seq),
            position=position,
            now=at(t),
            **kwargs,
        )


def credited(world: World, lesson: Any = None) -> int:
    return Progress.objects.get(learner=world.learner.user, lesson=lesson or world.video).credited_seconds


def ledger_seconds(world: World) -> int:
    return sum(CreditLedger.objects.filter(learner=world.learner.user).values_list("seconds", flat=True))


@pytest.mark.django_db
class TestHonestStudy:
    def test_watching_credits_the_time_between_heartbeats_into_the_ledger(self, world: World) -> None:
        learner = Learner(world)
        assert learner.beat(0, 0).credited == 0  # the first heartbeat only anchors the span
        assert learner.beat(15, 15).credited == 15
        result = learner.beat(30, 30)
        assert (result.credited, result.credited_total, result.furthest) == (15, 30, 30)
        rows = list(CreditLedger.objects.filter(learner=world.learner.user).order_by("started_at"))
        assert [(r.started_at, r.ended_at, r.seconds) for r in rows] == [(at(0), at(15), 15), (at(15), at(30), 15)]
        assert rows[0].method == CreditLedger.Method.HEARTBEAT
        assert rows[0].post == world.learner.post

    def test_a_long_gap_is_capped(self, world: World, settings: Any) -> None:
        learner = Learner(world)
        learner.beat(0, 0)
        result = learner.beat(600, 60)
        assert result.credited == settings.TRAINING_HEARTBEAT_MAX_GAP_SECONDS

    def test_credit_stops_at_the_lessons_credit_minutes(self, world: World) -> None:
        learner = Learner(world)
        learner.beat(0, 0)
        for step in range(1, 12):
            last = learner.beat(15 * step, 15 * step)
        assert credited(world) == world.video.credit_minutes * 60
        assert last.reason == Refusal.FULL
        assert last.credited == 0
        assert ledger_seconds(world) == world.video.credit_minutes * 60

    def test_a_paused_video_credits_nothing(self, world: World) -> None:
        learner = Learner(world)
        learner.beat(0, 0)
        learner.beat(15, 15)
        assert learner.beat(30, 15).reason == Refusal.PAUSED
        assert credited(world) == 15


@pytest.mark.django_db
class TestForgedHeartbeats:
    def test_too_frequent_heartbeats_credit_no_more_than_real_time(self, world: World) -> None:
        learner = Learner(world)
        learner.beat(0, 0)
        results = [learner.beat(t, t) for t in range(1, 31)]  # one a second
        refused = [r for r in results if r.reason == Refusal.TOO_FREQUENT]
        assert refused
        assert all(r.credited == 0 for r in refused)
        assert credited(world) <= 30
        assert ledger_seconds(world) == credited(world)

    def test_a_timestamp_from_the_future_is_rejected(self, world: World) -> None:
        learner = Learner(world)
        learner.beat(0, 0)
        result = learner.beat(15, 15, client_time=at(15) + dt.timedelta(hours=1))
        assert (result.accepted, result.reason) == (False, Refusal.FUTURE_TIMESTAMP)
        assert credited(world) == 0

    def test_a_replayed_sequence_number_is_ignored(self, world: World) -> None:
        learner = Learner(world)
        learner.beat(0, 0)
        learner.beat(15, 15)
        replay = learner.beat(30, 30, client_seq=2)
        assert replay.reason == Refusal.REPLAYED
        assert credited(world) == 15

    def test_a_lesson_that_is_not_assigned_cannot_be_started_or_credited(self, world: World, cast: Any) -> None:
        outsider_lesson = world.video
        west_learner = cast.west.learner.user
        with pytest.raises(LessonNotAssigned):
            lesson_start(user=west_learner, lesson=outsider_lesson)
        result = heartbeat_record(
            user=west_learner, lesson=outsider_lesson, token="x", client_seq=1, position=0, visible=True
        )
        assert result.reason == Refusal.NOT_ASSIGNED
        assert not CreditLedger.objects.filter(learner=west_learner).exists()

    def test_tampered_positions_credit_nothing(self, world: World) -> None:
        learner = Learner(world)
        learner.beat(0, 0)
        assert learner.beat(15, world.video.duration_seconds + 50).reason == Refusal.TAMPERED
        assert learner.beat(30, -5).reason == Refusal.TAMPERED
        assert credited(world) == 0

    def test_refusals_are_logged_without_id_numbers(self, world: World, caplog: Any) -> None:
        caplog.set_level(logging.INFO, logger="training.services.crediting")
        learner = Learner(world)
        learner.beat(0, 0)
        learner.beat(15, 15, client_time=at(3600))
        assert "reason=future_timestamp" in caplog.text
        assert world.learner.id_number not in caplog.text


@pytest.mark.django_db
class TestOneLessonAtATime:
    def test_a_second_window_is_refused(self, world: World) -> None:
        Learner(world)
        with pytest.raises(LeaseHeld):
            lesson_start(user=world.learner.user, lesson=world.document)

    def test_two_devices_never_count_twice(self, world: World) -> None:
        phone = Learner(world)
        phone.beat(0, 0)
        phone.beat(15, 15)
        pc = Learner(world, world.document, takeover=True, start=16)
        pc.beat(16, 1)
        # Both keep sending for the same minute: only the window holding the lease counts.
        stale = phone.beat(30, 30)
        assert (stale.accepted, stale.reason) == (False, Refusal.ANOTHER_SESSION)
        pc.beat(31, 1)
        phone.beat(45, 45)
        pc.beat(46, 2)
        total = ledger_seconds(world)
        assert total == 15 + 30  # phone's first span, then the PC's 30 s — never both
        assert credited(world, world.video) == 15

    def test_stopping_releases_the_lease(self, world: World) -> None:
        first = Learner(world)
        lesson_stop(user=world.learner.user, lesson_id=world.video.pk, token=first.token)
        Learner(world, world.article)  # no LeaseHeld


@pytest.mark.django_db
class TestAttention:
    def test_no_credit_while_the_page_is_hidden(self, world: World) -> None:
        learner = Learner(world)
        learner.beat(0, 0)
        assert learner.beat(15, 15, visible=False).reason == Refusal.HIDDEN
        assert learner.beat(45, 15, visible=False).credited == 0
        assert learner.beat(60, 30).credited == 15  # only the visible span after returning
        assert credited(world) == 15

    def test_idle_lock_stops_credit_until_presence_is_confirmed(self, world: World, settings: Any) -> None:
        settings.TRAINING_IDLE_LOCK_SECONDS = 60
        learner = Learner(world)
        learner.beat(0, 0, interaction=False)
        for t in (15, 30, 45, 60):
            assert learner.beat(t, t, interaction=False).credited == 15
        locked = learner.beat(75, 75, interaction=False)
        assert locked.locked
        assert locked.reason == Refusal.IDLE_LOCKED
        assert locked.credited == 0
        # Touching the page is not enough once locked: the question must be answered.
        assert learner.beat(90, 90, interaction=True).credited == 0
        assert presence_confirm(user=world.learner.user, lesson=world.video, token=learner.token, now=at(300))
        assert learner.beat(300, 90).credited == 0  # a fresh span starts at the answer
        assert learner.beat(315, 105).credited == 15
        assert credited(world) == 75

    def test_presence_needs_the_windows_own_token(self, world: World) -> None:
        Learner(world)
        assert not presence_confirm(user=world.learner.user, lesson=world.video, token="forged")


@pytest.mark.django_db
class TestPlaybackRules:
    def test_seeking_past_the_furthest_point_is_refused(self, world: World) -> None:
        learner = Learner(world)
        learner.beat(0, 0)
        learner.beat(15, 15)
        result = learner.beat(30, 400)
        assert (result.reason, result.credited, result.furthest, result.position) == (
            Refusal.SEEK_AHEAD,
            0,
            15,
            15,
        )
        assert Progress.objects.get(learner=world.learner.user, lesson=world.video).furthest == 15

    def test_seeking_back_within_what_was_watched_is_allowed(self, world: World) -> None:
        learner = Learner(world)
        for t in range(0, 61, 15):
            learner.beat(t, t)
        assert learner.beat(75, 5).reason == "ok"
        assert learner.beat(90, 20).credited == 15

    def test_playback_faster_than_the_cap_is_not_credited(self, world: World) -> None:
        learner = Learner(world)
        learner.beat(0, 0)
        fast = learner.beat(15, 30, playback_rate=2.0)
        assert (fast.reason, fast.credited) == (Refusal.RATE_TOO_HIGH, 0)
        ok = learner.beat(30, 22, playback_rate=1.5)
        assert ok.credited == 15  # real time, not content time

    def test_document_pages_advance_one_at_a_time(self, world: World) -> None:
        learner = Learner(world, world.document)
        learner.beat(0, 1)
        assert learner.beat(15, 3).reason == Refusal.SEEK_AHEAD
        assert learner.beat(30, 2).credited == 15
        assert learner.beat(45, 3).furthest == 3


@pytest.mark.django_db
def test_a_lesson_completes_when_time_and_end_are_reached(world: World, cast: Any) -> None:
    from training.models import Chapter

    chapter = Chapter.objects.get(course=world.course)
    short = video_lesson(chapter, "短视频", seconds=30, data=b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64)
    learner = Learner(world, short)
    learner.beat(0, 0)
    learner.beat(15, 15)
    end = learner.beat(30, 30)
    assert end.furthest == 30
    assert not end.completed
    learner.beat(45, 0)  # watches again from the start
    learner.beat(60, 15)
    done = learner.beat(75, 30)
    assert done.completed
    assert done.credited_total == 60


@pytest.mark.django_db
class TestHooks:
    def test_a_credit_check_can_withhold_credit_and_ask_for_a_face_check(self, world: World) -> None:
        class FaceCheck:
            def before_credit(self, ctx: heartbeat_checks.HeartbeatContext) -> str | None:
                return "face_check_pending" if ctx.extra.get("face") != "ok" else None

            def after_heartbeat(self, ctx: heartbeat_checks.HeartbeatContext) -> dict[str, Any]:
                return {"face_check": ctx.lesson_kind == "video"}

        check = FaceCheck()
        heartbeat_checks.register(check)
        try:
            learner = Learner(world)
            learner.beat(0, 0)
            vetoed = learner.beat(15, 15)
            assert (vetoed.reason, vetoed.credited, vetoed.extras) == ("face_check_pending", 0, {"face_check": True})
            assert learner.beat(30, 30, extra={"face": "ok"}).credited == 15
        finally:
            heartbeat_checks.unregister(check)

    def test_a_broken_credit_check_does_not_stop_honest_credit(self, world: World) -> None:
        class Broken:
            def before_credit(self, ctx: heartbeat_checks.HeartbeatContext) -> str | None:
                raise RuntimeError("boom")

        check = Broken()
        heartbeat_checks.register(check)
        try:
            learner = Learner(world)
            learner.beat(0, 0)
            assert learner.beat(15, 15).credited == 15
        finally:
            heartbeat_checks.unregister(check)
