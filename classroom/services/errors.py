"""Refusals of the classroom services; the message is for the user, the code for programs."""

from __future__ import annotations

from core.errors import ServiceError


class ClassroomError(ServiceError):
    """A refusal of a classroom service."""


class ClassInvalid(ClassroomError, ValueError, code="class_invalid", status=400):
    """Scheduling or inviting was refused; ``errors`` maps each field to its messages."""


class NotAllowed(ClassroomError, PermissionError, code="not_allowed", status=403): ...


class CodeExpired(ClassroomError, ValueError, code="code_expired", status=400): ...


class CodeInvalid(ClassroomError, ValueError, code="code_invalid", status=400): ...


class WrongCode(ClassroomError, ValueError, code="wrong_code", status=409):
    """A valid code of the other kind (a sign-out code before signing in)."""


class NotInvited(ClassroomError, PermissionError, code="not_invited", status=403): ...


class AlreadySignedIn(ClassroomError, code="already_signed_in", status=409): ...


class AlreadySignedOut(ClassroomError, code="already_signed_out", status=409): ...


class NotSignedIn(ClassroomError, code="not_signed_in", status=409): ...


class ClassNotOpen(ClassroomError, code="class_not_open", status=409): ...


class ClassClosed(ClassroomError, code="class_closed", status=409): ...


class FaceRequired(ClassroomError, code="face_required", status=400): ...


class FaceCheckFailed(ClassroomError, code="face_check_failed", status=400): ...


class ReasonRequired(ClassroomError, ValueError, code="reason_required", status=400): ...
