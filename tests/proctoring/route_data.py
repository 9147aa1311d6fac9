"""EAST-district proctoring objects for tests/route_params.py (built once per cast)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from proctoring.models import FaceEnrolment, IdentityCheck, LivenessCheck, Snapshot
from proctoring.selectors import active_consent
from proctoring.services.actions import policy_set, proctor_warn, review_decide
from proctoring.services.consent import consent_give
from tests.support import faces

Kwargs = dict[str, Any]


def east_proctoring(cast: Any) -> dict[str, Any]:
    cached = cast.east.extra.get("proctoring")
    if cached:
        return cached
    from tests.exams.route_data import east_exam

    exam = east_exam(cast)
    person = cast.east.learner
    session = exam["running"]
    policy_set(session=session)
    consent_give(person=person, by=person.user)
    photo = faces.blank_jpeg()
    # Rows with files, made directly: the scoping walk needs objects, not face matching.
    from proctoring import storage

    consent = active_consent(person)
    enrolment = FaceEnrolment.objects.create(
        person=person,
        consent=consent,
        source=FaceEnrolment.Source.LIVE,
        encoding=b"\0" * 1024,
        photo_path=storage.save("enrolment", person.pk, photo),
    )
    snapshot = Snapshot.objects.create(
        attempt=exam["in_progress"],
        size_bytes=len(photo),
        photo_path=storage.save("snapshots", exam["in_progress"].pk, photo),
    )
    check = IdentityCheck.objects.create(
        session=session,
        person=person,
        kind=IdentityCheck.Kind.MANUAL,
        result=IdentityCheck.Result.PENDING,
        photo_path=storage.save("identity", person.pk, photo),
    )
    frames = storage.folder("liveness", person.pk)
    storage.save_into(frames, "0-00.jpg", photo)
    liveness = LivenessCheck.objects.create(
        session=session,
        person=person,
        purpose=LivenessCheck.Purpose.IDENTITY,
        challenges=["blink", "turn_left"],
        results=[{"step": 0, "challenge": "blink", "status": "failed", "reason": "no_blink", "metrics": {}}],
        status=LivenessCheck.Status.FAILED,
        reason="no_blink",
        expires_at=session.opens_at,
        decided_at=session.opens_at,
        frames_path=frames,
    )
    proctor_warn(attempt=exam["in_progress"], by=cast.east.proctor, text="请正对摄像头")
    data = {
        "session": session,
        "enrolment": enrolment,
        "snapshot": snapshot,
        "check": check,
        "liveness": liveness,
        "done": exam["done"],
    }
    cast.east.extra["proctoring"] = data
    return data


def proctoring_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    def build(make: Callable[[dict[str, Any]], Kwargs], learner: bool = False) -> Callable[[Any], Kwargs]:
        def kwargs(cast: Any) -> Kwargs:
            result = make(east_proctoring(cast))
            if learner:
                result["_as"] = cast.east.learner.user
            return result

        return kwargs

    return {
        "proctoring:id_photo": lambda cast: {"person_id": cast.east.learner.pk},
        "proctoring:identity_check": build(lambda d: {"session_id": d["session"].pk}, learner=True),
        "proctoring:live": build(lambda d: {"session_id": d["session"].pk}),
        "proctoring:policy_edit": build(lambda d: {"session_id": d["session"].pk}),
        "proctoring:identity_decide": build(lambda d: {"check_id": d["check"].pk}),
        "proctoring:identity_review": build(lambda d: {"check_id": d["check"].pk}),
        "proctoring:identity_reference_image": build(lambda d: {"check_id": d["check"].pk}),
        "proctoring:review_detail": build(lambda d: {"attempt_id": d["done"].pk}),
        "proctoring:snapshot_image": build(lambda d: {"pk": d["snapshot"].pk}),
        "proctoring:identity_image": build(lambda d: {"pk": d["check"].pk}),
        "proctoring:enrolment_image": build(lambda d: {"pk": d["enrolment"].pk}),
        "proctoring:liveness_frame": build(lambda d: {"pk": d["liveness"].pk, "index": 0}),
        # API for token clients (proctoring/api_urls.py): the EAST learner reaches them
        "api:exam-identity-check": build(lambda d: {"session_id": d["session"].pk}, learner=True),
        "api:exam-identity-check-manual": build(lambda d: {"session_id": d["session"].pk}, learner=True),
        "api:exam-attempt-proctoring": build(lambda d: {"attempt_id": d["snapshot"].attempt_id}, learner=True),
        "api:exam-liveness": build(lambda d: {"session_id": d["session"].pk}, learner=True),
        "api:exam-liveness-check": build(
            lambda d: {"session_id": d["session"].pk, "check_id": d["liveness"].pk}, learner=True
        ),
        "api:exam-liveness-step": build(
            lambda d: {"session_id": d["session"].pk, "check_id": d["liveness"].pk, "step": 1}, learner=True
        ),
        # websockets (route strings): the test connects anonymously and expects a refusal
        "ws/proctoring/attempts/<id:attempt_id>/": build(lambda d: {"attempt_id": d["snapshot"].attempt_id}),
        "ws/proctoring/sessions/<id:session_id>/": build(lambda d: {"session_id": d["session"].pk}),
        "ws/proctoring/sessions/<id:session_id>/identity/": build(lambda d: {"session_id": d["session"].pk}),
        # Django admin object pages (proctoring/admin.py)
        **{
            re.compile(rf"admin/proctoring/{model}/<path:object_id>/(?:(?:change|delete|history)/)?"): (
                lambda cast, key=key: {"object_id": _admin_object(cast, key).pk}
            )
            for model, key in (
                ("proctoringpolicy", "policy"),
                ("faceconsent", "consent"),
                ("faceenrolment", "enrolment"),
                ("reviewdecision", "decision"),
                ("livenesscheck", "liveness"),
            )
        },
    }


def _admin_object(cast: Any, key: str) -> Any:
    from proctoring.models import ProctoringPolicy, ReviewDecision

    data = east_proctoring(cast)
    if key == "policy":
        return ProctoringPolicy.objects.get(session=data["session"])
    if key == "consent":
        return data["enrolment"].consent
    if key == "decision":
        existing = ReviewDecision.objects.filter(attempt=data["done"]).first()
        return existing or review_decide(attempt=data["done"], by=cast.east.proctor, decision="valid")
    return data[key]
