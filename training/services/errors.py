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


class ShareNeedsOffer(TrainingError, PermissionError):
    """A university's or institution's course reaches a district only through an offer the district accepts."""

    code = "share_needs_offer"


# --- the lesson-plan library (training.services.library) ----------------------------------


class LibraryError(TrainingError):
    """A refusal of the lesson-plan library; the message is for the user."""


class LessonPlanInvalid(LibraryError, ValueError, code="lesson_plan_invalid", status=400):
    """Bad upload or catalogue data; ``errors`` maps each field to its messages."""


class LibraryForbidden(LibraryError, PermissionError, code="forbidden", status=403):
    pass


class LessonPlanInUse(LibraryError, code="lesson_plan_in_use"):
    """The plan is attached to a class; detach it there first."""


class OfferInvalid(LibraryError, ValueError, code="offer_invalid", status=400):
    pass


class OfferDecided(LibraryError, code="offer_decided"):
    """The offer is no longer pending."""
