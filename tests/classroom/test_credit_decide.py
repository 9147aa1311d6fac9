"""The pure credit rule of a class (classroom.services.attendance.credit_decide).

Tolerance is a threshold: lateness or early leave of at most the tolerance costs
nothing; beyond it the whole of it is deducted. Only whole minutes count.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from classroom.services.attendance import credit_decide
from tests.support.classroom import STARTS, at

ENDS = STARTS + dt.timedelta(minutes=90)


def decide(
    signed_in: float | None,
    signed_out: float | None,
    *,
    credit: int = 90,
    tolerance: int = 10,
    language: str = "zh-hans",
):
    with translation.override(language):
        return credit_decide(
            starts_at=STARTS,
            ends_at=ENDS,
            signed_in_at=None if signed_in is None else at(signed_in),
            signed_out_at=None if signed_out is None else at(signed_out),
            credit_minutes=credit,
            tolerance_minutes=tolerance,
        )


def test_on_time_credits_the_scheduled_minutes() -> None:
    seconds, detail = decide(-5, 95)
    assert seconds == 90 * 60
    assert detail == "应计 90 分钟；计 90 分钟"


@pytest.mark.parametrize(
    ("signed_in", "signed_out", "credited", "says"),
    [
        (10, 90, 90, "迟到 10 分钟（容差 10 分钟）不扣"),
        (25, 90, 65, "迟到 25 分钟（容差 10 分钟）扣 25 分钟"),
        (0, 82, 90, "早退 8 分钟（容差 10 分钟）不扣"),
        (0, 70, 70, "早退 20 分钟（容差 10 分钟）扣 20 分钟"),
    ],
    ids=["late-within", "late-beyond", "early-within", "early-beyond"],
)
def test_tolerance_is_a_threshold(signed_in, signed_out, credited, says) -> None:
    """Lateness or early leave within the tolerance costs nothing; beyond it, all of it is deducted."""
    seconds, detail = decide(signed_in, signed_out)
    assert seconds == credited * 60
    assert says in detail
    assert detail.endswith(f"计 {credited} 分钟")


def test_only_whole_minutes_count() -> None:
    # 10 min 59 s late is 10 minutes late: within the tolerance.
    assert decide(10 + 59 / 60, 90)[0] == 90 * 60
    assert decide(11, 90)[0] == 79 * 60


def test_late_and_early_both_deducted_and_explained() -> None:
    seconds, detail = decide(15, 60)
    assert seconds == (90 - 15 - 30) * 60
    assert (
        detail
        == "应计 90 分钟；迟到 15 分钟（容差 10 分钟）扣 15 分钟；早退 30 分钟（容差 10 分钟）扣 30 分钟；计 45 分钟"
    )


def test_never_negative() -> None:
    seconds, detail = decide(80, 85, credit=60, tolerance=0)
    assert seconds == 0
    assert detail.endswith("计 0 分钟")


def test_never_more_than_scheduled_credit() -> None:
    # A class crediting 45 minutes of a 90-minute slot: staying longer earns nothing more.
    seconds, _detail = decide(-30, 120, credit=45)
    assert seconds == 45 * 60


def test_tolerance_zero_deducts_every_late_minute() -> None:
    assert decide(1, 90, tolerance=0)[0] == 89 * 60


@pytest.mark.parametrize(("signed_in", "signed_out", "says"), [(None, None, "未签到"), (0, None, "未签退")])
def test_no_sign_in_or_no_sign_out_credits_nothing(signed_in, signed_out, says) -> None:
    seconds, detail = decide(signed_in, signed_out)
    assert seconds == 0
    assert says in detail


def test_explanation_in_english() -> None:
    _s, detail = decide(25, 90, language="en")
    assert (
        detail
        == "Scheduled 90 minutes; late 25 minutes (tolerance 10 minutes), 25 minutes deducted; credited 65 minutes"
    )
