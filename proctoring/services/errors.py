"""Refusals of the proctoring services, and the texts of vision's image reasons.

A ``ProctoringError``'s message is for the examinee or proctor; its ``code`` and keyword details ride on the API body and the socket's error frames.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ServiceError


class ProctoringError(ServiceError):
    """A refusal with a message for the examinee or proctor; ``code`` and ``details`` ride on the API body and error frames."""


class ConsentRequired(ProctoringError):
    code = "consent_required"
    status = 403


class ConsentOutdated(ConsentRequired):
    """The standing consent was for an older consent text: the person must read and agree again."""

    code = "consent_outdated"


class NotEnrolled(ProctoringError):
    code = "not_enrolled"


class TooManyPhotos(ProctoringError):
    """More enrolment / identity-check photos than ``PROCTORING_PHOTO_RATE`` allows; ``retry_after`` in seconds."""

    code = "too_many_photos"
    status = 429


class BadImage(ProctoringError):
    code = "bad_image"
    status = 400


class AttemptFinished(ProctoringError):
    code = "attempt_finished"


class BadEvent(ProctoringError):
    code = "bad_event"
    status = 400


class OutOfSequence(ProctoringError):
    code = "out_of_sequence"
    status = 400


class IdentityLocked(ProctoringError):
    code = "identity_locked"


class AlreadyDecided(ProctoringError):
    code = "already_decided"


class SnapshotTooSoon(ProctoringError):
    """A frame ahead of the policy's rate (details: ``retry_after`` in seconds)."""

    code = "snapshot_too_soon"
    status = 429


class SnapshotStorageFull(ProctoringError):
    code = "snapshot_storage_full"
    status = 413


class AlreadyPassed(ProctoringError):
    """The identity check is passed already: a new photo is not a new check (the API says so, 409)."""

    code = "already_passed"


class SessionNotOpen(ProctoringError):
    """The identity check is asked for a session that has closed, or that opens more than IDENTITY_CHECK_LEAD ahead."""

    code = "not_open"


class LivenessRequired(ProctoringError):
    """The policy asks for a passed liveness check (purpose identity, recent) before the face check."""

    code = "liveness_required"


class LivenessOutOfOrder(ProctoringError):
    """A liveness step sent before the previous one, or again (details: ``expected`` step)."""

    code = "step_out_of_order"


class LivenessExpired(ProctoringError):
    """The liveness check's deadline passed: the check failed; start a new one."""

    code = "liveness_expired"


class LivenessFinished(ProctoringError):
    """The liveness check is decided already (passed or failed)."""

    code = "liveness_finished"


class BadFrames(BadImage):
    """The ``frames`` of a liveness step: none, too few, too many, or one not a usable image (``reason``)."""

    code = "bad_frames"


# Stable reasons (vision's, and the liveness decision's), as the user reads them.
IMAGE_REASONS = {
    "not_an_image": gettext_lazy("This is not a JPEG or PNG image."),
    "truncated_image": gettext_lazy("The image is incomplete (the file was cut off)."),
    "corrupt_image": gettext_lazy("The image is damaged and cannot be read."),
    "too_many_pixels": gettext_lazy("The image has too many pixels."),
    "frame_too_large": gettext_lazy("The image file is too large."),
    "bad_encoding": gettext_lazy("The stored face reference is damaged; enrol again."),
    "reference_no_face": gettext_lazy("No face was found in the photo. Face the camera in good light."),
    "reference_multiple_faces": gettext_lazy("More than one face is in the photo: use a photo of yourself alone."),
    "no_reference": gettext_lazy("No face is enrolled for this person."),
    "file_missing": gettext_lazy("The image file is missing."),
    "internal_error": gettext_lazy("The image could not be processed."),
    "empty": gettext_lazy("The image is empty."),
    "passed": gettext_lazy("Done."),
    "too_few_frames": gettext_lazy("Too few frames arrived. Keep the page open and try again."),
    "multiple_faces": gettext_lazy("More than one face was seen. Be alone in front of the camera."),
    "no_face": gettext_lazy("Your face was not seen in most frames. Face the camera in good light."),
    "face_changed": gettext_lazy("The face changed during the step."),
    "identity_mismatch": gettext_lazy("The face does not match your enrolled photo."),
    "no_blink": gettext_lazy("No blink was seen. Blink once, clearly, while the camera records."),
    "no_mouth_open": gettext_lazy("Your mouth did not open wide enough."),
    "no_turn": gettext_lazy("Your head did not turn far enough."),
    "wrong_direction": gettext_lazy("Your head turned the other way."),
    "not_steady": gettext_lazy("The face moved as a photo does, not as a head does. Hold still and try again."),
    "expired": gettext_lazy("Time ran out."),
    "superseded": gettext_lazy("A new liveness check was started."),
}


def image_reason_text(reason: str) -> str:
    return str(IMAGE_REASONS.get(reason, IMAGE_REASONS["internal_error"]))


def check_image_size(data: bytes, cap: int) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BadImage(image_reason_text("not_an_image"), reason="not_an_image")
    data = bytes(data)
    if not data:
        raise BadImage(image_reason_text("empty"), reason="empty")
    if len(data) > cap:
        raise BadImage(
            _("The image is %(size)d KB; at most %(cap)d KB is accepted.")
            % {"size": len(data) // 1024, "cap": cap // 1024},
            reason="frame_too_large",
        )
    return data
