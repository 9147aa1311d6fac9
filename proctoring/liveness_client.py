"""What the browser's action-liveness widget needs (proctoring/_liveness.html, static/js/liveness.js).

One place for both pages that run it: the identity check before the exam and
the exam page's on-demand overlay.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

# Frames are downscaled to this width in the browser: landmarks need the face, not megapixels,
# and a burst of eight stays far below the upload limits.
FRAME_WIDTH = 480


def liveness_client(*, session_id: int, purpose: str) -> dict[str, Any]:
    """The widget's start URL (the token API's, with the page's session and CSRF), purpose and UI text."""
    return {
        "start_url": reverse("api:exam-liveness", args=[session_id]),
        "purpose": purpose,
        "frame_width": FRAME_WIDTH,
        "strings": liveness_strings(),
    }


def liveness_strings() -> dict[str, str]:
    """The UI text of static/js/liveness.js; the prompts themselves come translated from the server."""
    return {
        "step": _("Step {step} of {total}"),
        "countdown": _("{seconds} s left"),
        "starting": _("Preparing the liveness check…"),
        "get_ready": _("Get ready…"),
        "recording": _("Do it now…"),
        "sending": _("Checking…"),
        "step_passed": _("✓ done"),
        "step_failed": _("✗ not seen"),
        "passed": _("Liveness check passed."),
        "failed": _("Liveness check failed."),
        "retry_hint": _("Face the camera in good light and try again."),
        "offline": _("Could not reach the server: check your connection and try again."),
    }
