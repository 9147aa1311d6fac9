"""Refusals of the proctoring services, and the texts of vision's image reasons.

A ``ProctoringError``'s message is for the examinee or proctor; its ``code`` and keyword details ride on the API body and the socket's error frames.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ServiceError


class ProctoringError(ServiceError):
    """A refusal with a message for the examinee or proctor; ``code`` and ``details`` ride on the API body and error frames."""


class ConsentRequired(ProctoringError, code="consent_required", status=403): ...


class ConsentOutdated(ConsentRequired, code="consent_outdated"):
    """The standing consent was for an older consent text: the person must read and agree again."""


class NotEnrolled(ProctoringError, code="not_enrolled"): ...


class TooManyPhotos(ProctoringError, code="too_many_photos", status=429):
    """More enrolment / identity-check photos than ``PROCTORING_PHOTO_RATE`` allows; ``retry_after`` in seconds."""


class BadImage(ProctoringError, code="bad_image", status=400): ...


class AttemptFinished(ProctoringError, code="attempt_finished"): ...


class BadEvent(ProctoringError, code="bad_event", status=400): ...


class OutOfSequence(ProctoringError, code="out_of_sequence", status=400): ...


class IdentityLocked(ProctoringError, code="identity_locked"): ...


class AlreadyDecided(ProctoringError, code="already_decided"): ...


class SnapshotTooSoon(ProctoringError, code="snapshot_too_soon", status=429):
    """A frame ahead of the policy's rate (details: ``retry_after`` in seconds)."""


class SnapshotStorageFull(ProctoringError, code="snapshot_storage_full", status=413): ...


class AlreadyPassed(ProctoringError, code="already_passed"):
    """The identity check is passed already: a new photo is not a new check (the API says so, 409)."""


class SessionNotOpen(ProctoringError, code="not_open"):
    """The identity check is asked for a session that has closed, or that opens more than IDENTITY_CHECK_LEAD ahead."""


class LivenessRequired(ProctoringError, code="liveness_required"):
    """The policy asks for a passed liveness check (purpose identity, recent) before the face check."""


class LivenessOutOfOrder(ProctoringError, code="step_out_of_order"):
    """A liveness step sent before the previous one, or again (details: ``expected`` step)."""


class LivenessExpired(ProctoringError, code="liveness_expired"):
    """The liveness check's deadline passed: the check failed; start a new one."""


class LivenessFinished(ProctoringError, code="liveness_finished"):
    """The liveness check is decided already (passed or failed)."""


class BadFrames(BadImage, code="bad_frames"):
    """The ``frames`` of a liveness step: none, too few, too many, or one not a usable image (``reason``)."""


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
    "reference_face_too_small": gettext_lazy(
        "Your face is too small in the photo. Come closer to the camera so that your face fills more of the frame."
    ),
    "reference_too_dark": gettext_lazy("The photo is too dark. Turn on a light or face a window, then try again."),
    "reference_too_bright": gettext_lazy(
        "The photo is too bright. Move out of direct light, or away from a window behind you, then try again."
    ),
    "reference_blurred": gettext_lazy("The photo is blurred. Hold the camera still and let it focus, then try again."),
    "reference_eyes_closed": gettext_lazy(
        "Your eyes look closed in the photo. Look at the camera with your eyes open."
    ),
    "reference_turned": gettext_lazy("Your head is turned too far to the side. Face the camera straight on."),
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
