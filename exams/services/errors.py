"""Refusals of the exam services.

The message of an ``ExamError`` is shown to the examinee; its ``code`` is what the API returns.
"""

from __future__ import annotations

from core.errors import ServiceError
from core.preconditions import Requirement


class ExamError(ServiceError):
    """A refusal with a message for the user; ``status`` is the HTTP status the API uses."""


class NotOpen(ExamError, code="not_open"): ...


class NotEligible(ExamError, code="not_eligible", status=403): ...


class NoAttemptsLeft(ExamError, code="no_attempts_left"): ...


class AttemptClosed(ExamError, code="attempt_closed"): ...


class TimeUp(ExamError, code="time_up"): ...


class OtherDevice(ExamError, code="other_device"): ...


class StaleAnswer(ExamError, code="stale_client_seq"): ...


class BadAnswer(ExamError, code="bad_answer", status=400): ...


class UnknownQuestion(ExamError, code="question_not_in_attempt", status=404): ...


class UnknownAttempt(ExamError, code="not_found", status=404): ...


class EarlyTimeUp(ExamError, code="time_not_up", status=400): ...


class PoolTooSmall(ExamError, code="pool_too_small", status=400): ...


class SubjectiveRefused(PoolTooSmall, code="subjective_question"):
    """A subjective question picked into a paper: exams grade automatically, and nobody marks it."""


class NoticeNotConfirmed(ExamError, code="notice_not_confirmed", status=400):
    """The examinee has not confirmed the exam notice (考试须知): nothing is used up."""


class PreconditionUnmet(ExamError, status=403):
    """A registered start precondition (``core.preconditions``) does not hold; ``code`` is the precondition's."""

    def __init__(self, requirement: Requirement) -> None:
        super().__init__(requirement.message, requirement=requirement.as_dict())
        self.code = requirement.code
        self.requirement = requirement


class WizardRefused(ExamError):
    """A value the exam wizard cannot create (too many questions, a pass mark above the total);
    ``field`` in ``details`` names the wizard's form field to mark."""

    code = "wizard_refused"
    status = 400
