"""The face policy of one processed snapshot as a pure decision (``decide_face_policy``).

The end-to-end path (a real face, the monitor row, the flag and the automatic
submit) is in test_services.py; here only the rule: runs of failed checks,
when they flag and when they submit.
"""

from __future__ import annotations

import pytest

from proctoring.models import FaceOutcome
from proctoring.services.snapshots import decide_face_policy

FAILED = [FaceOutcome.MISMATCH, FaceOutcome.NO_FACE, FaceOutcome.MULTIPLE_FACES]


@pytest.mark.parametrize("outcome", FAILED)
def test_every_failed_check_extends_the_run(outcome: str) -> None:
    decision = decide_face_policy(outcome=outcome, failures_before=1, flag_after=3, submit_after=0)
    assert (decision.failures_in_row, decision.flag, decision.submit) == (2, False, False)


def test_a_match_ends_the_run() -> None:
    decision = decide_face_policy(outcome=FaceOutcome.MATCH, failures_before=4, flag_after=3, submit_after=5)
    assert (decision.failures_in_row, decision.flag, decision.submit) == (0, False, False)


def test_the_flag_is_raised_once_when_the_run_reaches_it() -> None:
    runs = [
        decide_face_policy(outcome=FaceOutcome.NO_FACE, failures_before=n, flag_after=3, submit_after=0)
        for n in range(6)
    ]
    assert [d.flag for d in runs] == [False, False, True, False, False, False]


def test_the_attempt_is_submitted_from_the_submit_threshold_on() -> None:
    runs = [
        decide_face_policy(outcome=FaceOutcome.MISMATCH, failures_before=n, flag_after=2, submit_after=4)
        for n in range(6)
    ]
    assert [d.submit for d in runs] == [False, False, False, True, True, True]


def test_without_a_policy_or_a_submit_threshold_nothing_happens_but_counting() -> None:
    none = decide_face_policy(outcome=FaceOutcome.MISMATCH, failures_before=9, flag_after=None, submit_after=None)
    assert (none.failures_in_row, none.flag, none.submit) == (10, False, False)
    never = decide_face_policy(outcome=FaceOutcome.MISMATCH, failures_before=9, flag_after=1, submit_after=0)
    assert never.submit is False
