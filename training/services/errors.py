"""Refusals of the training services; the message is for the user.

Each keeps the built-in base its callers catch (``ValueError``, ``PermissionError``, ``RuntimeError``).
"""

from __future__ import annotations

from core.errors import ServiceError


class TrainingError(ServiceError):
    """A refusal of a training service; the message is for the user."""


class MediaRejected(TrainingError, ValueError):
    """An uploaded lesson file was refused; the message is for the user."""


class ContentHasCredit(TrainingError, ValueError):
    """Deleting would orphan credit-ledger rows (append-only evidence)."""


class LessonNotAssigned(TrainingError, PermissionError):
    pass


class LeaseHeld(TrainingError, RuntimeError):
    """The learner is studying in another window or device."""


class QuizUnavailable(TrainingError, ValueError):
    """The quiz can't be taken now; the message is for the learner."""


class CourseEmpty(TrainingError, ValueError):
    code = "course_empty"
