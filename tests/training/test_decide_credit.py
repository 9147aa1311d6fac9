"""The heartbeat's credit rules as a pure decision: a progress row and a heartbeat in, what it earns out.

No database: ``decide_credit`` and ``completes_lesson`` see only the values
``heartbeat_record`` read. The end-to-end behaviour (lease, ledger, races) is in
test_credit.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from training.models import Lesson
from training.services.crediting import CreditLimits, Refusal, completes_lesson, decide_credit

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
LIMITS = CreditLimits(
    clock_skew_seconds=30,
    min_interval_seconds=5,
    max_gap_seconds=45,
    idle_lock_seconds=600,
    max_playback_rate_percent=150,
)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def row(**fields: Any) -> dict[str, Any]:
    """A video lesson of 600 s worth 10 credit minutes, watched up to 100 s, last heartbeat at T0."""
    values: dict[str, Any] = {
        "id": 1,
        "position": 100,
        "furthest": 100,
        "credited_seconds": 90,
        "client_seq": 3,
        "last_heartbeat_at": T0,
        "last_presence_at": T0,
        "completed_at": None,
        "quiz_passed": False,
        "lesson__kind": Lesson.Kind.VIDEO,
        "lesson__credit_minutes": 10,
        "lesson__duration_seconds": 600,
        "lesson__page_count": None,
        "lesson__quiz_bank_id": None,
        "lesson__quiz_question_count": 0,
    }
    values.update(fields)
    return values


def decide(progress: dict[str, Any] | None = None, **heartbeat: Any) -> Any:
    values: dict[str, Any] = {
        "client_seq": 4,
        "client_time": None,
        "position": 130,
        "visible": True,
        "playback_rate": 1.0,
        "interaction": True,
        "now": at(30),
    }
    values.update(heartbeat)
    return decide_credit(row=progress or row(), limits=LIMITS, **values)


def test_playing_visible_and_present_credits_the_gap() -> None:
    decision = decide()
    assert (decision.write, decision.reason, decision.credit) == (True, "", 30)
    assert decision.position == 130
    assert decision.gap == 30
    assert decision.presence == at(30)  # an interaction renews presence
    assert decision.locked is False


def test_a_long_gap_credits_at_most_the_cap() -> None:
    decision = decide(now=at(300), position=140)
    assert (decision.reason, decision.credit) == ("", 45)


def test_the_first_heartbeat_anchors_and_credits_nothing() -> None:
    decision = decide(row(last_heartbeat_at=None), position=102)
    assert (decision.write, decision.reason, decision.credit, decision.gap) == (True, Refusal.FIRST, 0, None)
    assert decision.position == 102
    # With no gap yet, a video may move only the two seconds of slack.
    assert decide(row(last_heartbeat_at=None), position=103).reason == Refusal.SEEK_AHEAD


@pytest.mark.parametrize(
    ("heartbeat", "reason"),
    [
        ({"client_seq": 3}, Refusal.REPLAYED),
        ({"client_seq": 1}, Refusal.REPLAYED),
        ({"client_time": at(30 + 31)}, Refusal.FUTURE_TIMESTAMP),
        ({"now": at(4)}, Refusal.TOO_FREQUENT),
    ],
)
def test_refusals_that_write_nothing(heartbeat: dict[str, Any], reason: str) -> None:
    decision = decide(**heartbeat)
    assert (decision.write, decision.reason, decision.credit) == (False, reason, 0)


def test_a_client_clock_within_the_skew_is_accepted() -> None:
    assert decide(client_time=at(30 + 29)).reason == ""


@pytest.mark.parametrize(
    ("heartbeat", "reason"),
    [
        ({"position": -1}, Refusal.TAMPERED),
        ({"position": 602}, Refusal.TAMPERED),
        ({"playback_rate": 1.6}, Refusal.RATE_TOO_HIGH),
        ({"playback_rate": 0}, Refusal.RATE_TOO_HIGH),
        ({"position": 148}, Refusal.SEEK_AHEAD),
        ({"visible": False}, Refusal.HIDDEN),
        ({"position": 100}, Refusal.PAUSED),
    ],
)
def test_refusals_that_record_the_heartbeat_but_credit_nothing(heartbeat: dict[str, Any], reason: str) -> None:
    decision = decide(**heartbeat)
    assert (decision.write, decision.reason, decision.credit) == (True, reason, 0)


def test_a_violation_keeps_the_stored_position() -> None:
    assert decide(position=400).position == 100


def test_playing_at_the_fastest_rate_may_advance_that_much() -> None:
    decision = decide(position=147, playback_rate=1.5)
    assert (decision.reason, decision.credit, decision.position) == ("", 30, 147)


def test_an_idle_learner_is_locked_and_an_interaction_does_not_unlock() -> None:
    decision = decide(row(last_presence_at=at(-601)), interaction=True)
    assert (decision.reason, decision.credit, decision.locked) == (Refusal.IDLE_LOCKED, 0, True)
    assert decision.presence == at(-601)


def test_without_interaction_presence_stays() -> None:
    decision = decide(interaction=False)
    assert (decision.reason, decision.credit, decision.presence) == ("", 30, T0)


def test_credit_stops_at_the_lesson_credit_and_then_says_full() -> None:
    assert decide(row(credited_seconds=590)).credit == 10
    decision = decide(row(credited_seconds=600))
    assert (decision.write, decision.reason, decision.credit) == (True, Refusal.FULL, 0)


def test_a_document_may_turn_one_page_and_an_article_scroll_anywhere() -> None:
    document = row(lesson__kind=Lesson.Kind.DOCUMENT, lesson__page_count=20, position=3, furthest=3)
    assert decide(document, position=4).reason == ""
    assert decide(document, position=5).reason == Refusal.SEEK_AHEAD
    assert decide(document, position=3).reason == ""  # staying on a page is reading, not a pause
    article = row(lesson__kind=Lesson.Kind.ARTICLE, position=0, furthest=0)
    assert (decide(article, position=100).reason, decide(article, position=100).position) == ("", 100)


def test_completion_needs_full_credit_the_end_and_the_quiz() -> None:
    video = row()
    assert completes_lesson(row=video, furthest=599, credited_seconds=600) is True
    assert completes_lesson(row=video, furthest=598, credited_seconds=600) is False
    assert completes_lesson(row=video, furthest=599, credited_seconds=599) is False
    assert completes_lesson(row=row(completed_at=T0), furthest=599, credited_seconds=600) is False
    quiz = row(lesson__quiz_bank_id=7, lesson__quiz_question_count=5)
    assert completes_lesson(row=quiz, furthest=599, credited_seconds=600) is False
    assert completes_lesson(row=row(**{**quiz, "quiz_passed": True}), furthest=599, credited_seconds=600) is True
    empty_quiz = row(lesson__quiz_bank_id=7, lesson__quiz_question_count=0)
    assert completes_lesson(row=empty_quiz, furthest=599, credited_seconds=600) is True
    document = row(lesson__kind=Lesson.Kind.DOCUMENT, lesson__page_count=20)
    assert completes_lesson(row=document, furthest=19, credited_seconds=600) is False
    assert completes_lesson(row=document, furthest=20, credited_seconds=600) is True
