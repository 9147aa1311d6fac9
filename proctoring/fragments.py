"""What proctoring adds to the exam pages through ``core.fragments`` (registered in ``ProctoringConfig.ready``).

Exams does not import proctoring: its exam page and admin pages ask the slots,
and these contributors answer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from core.fragments import SessionLinks
from proctoring import selectors
from proctoring.liveness_client import liveness_client
from proctoring.models import LivenessCheck

NAME = "proctoring"  # exams' templates read the links under this name: links.proctoring.policy_url


def exam_client_context(attempt: Any, user: Any) -> dict[str, Any] | None:
    """What the exam page's proctoring client needs; None when the session is not proctored."""
    policy = selectors.policy_for(attempt.session_id)
    if policy is None:
        return None
    # No identity overlay: the attempt could not have started before the check passed (proctoring.gates).
    return {
        "policy": policy,
        "config": {
            "attempt_id": attempt.pk,
            "ws_url": f"/ws/proctoring/attempts/{attempt.pk}/",
            "snapshot_min": policy.snapshot_min_seconds,
            "snapshot_max": policy.snapshot_max_seconds,
            "max_bytes": settings.PROCTORING_SNAPSHOT_MAX_BYTES,
            "camera": selectors.enrolment_of(attempt.person) is not None,
            "tab_submit_at": policy.tab_submit_at,
            "result_url": reverse("exams:result", args=[attempt.pk]),
        },
        # The client script's UI text (static/js/proctor-client.js).
        "strings": {
            "warning": _("Warning from the proctor:"),
            "submitted": _("The exam has been submitted."),
            "camera": _("The camera is not available: the proctor will be told."),
            "reconnecting": _("Reconnecting to the proctor…"),
        },
        # The on-demand liveness overlay (a proctor's request arrives on the websocket); it needs the camera.
        "liveness": (
            liveness_client(session_id=attempt.session_id, purpose=LivenessCheck.Purpose.ON_DEMAND)
            if selectors.enrolment_of(attempt.person) is not None
            else None
        ),
    }


def exam_page(*, request: HttpRequest, attempt: Any) -> str:
    """``core.fragments.EXAM_PAGE``: the camera, snapshot and tab-switch client of a proctored attempt."""
    context = exam_client_context(attempt, request.user)
    if context is None:
        return ""
    return render_to_string("proctoring/exam_client.html", {"proctoring": context}, request=request)


def session_admin_links(*, user: Any, session_ids: list[int]) -> SessionLinks:
    """``core.fragments.SESSION_ADMIN_LINKS``: per session, proctored / policy_url / live_url; the review queue."""
    return SessionLinks(
        sessions=selectors.proctoring_links(user, session_ids),
        page={"review_queue_url": reverse("proctoring:review_queue") if selectors.is_proctor(user) else None},
    )
