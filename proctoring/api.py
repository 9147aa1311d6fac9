"""Proctoring API for token clients (mobile app, mini-program): the whole proctored flow without the web pages.

consent → enrolment (a live reference photo) → the identity check before the
exam → the snapshot/event websocket while the attempt runs. Each view
validates, calls one ``proctoring.services`` function and renders; refusals
are the services' ``ProctoringError`` with its ``code`` and HTTP status. Face
photos and encodings never leave the server through these routes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, inline_serializer
from rest_framework import parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_errors import operation_schema, refusal_response, refusal_serializer
from core.websocket_auth import TOKEN_SUBPROTOCOL
from exams.models import Attempt, ExamSession
from exams.selectors import session_admits
from organizations.models import Person
from organizations.selectors import person_of
from proctoring import liveness, selectors
from proctoring.models import BrowserEvent, FaceEnrolment, LivenessCheck, ProctoringPolicy
from proctoring.routes import endpoints
from proctoring.services import liveness as liveness_services
from proctoring.services.consent import consent_give, consent_outdated_text, consent_text, consent_withdraw
from proctoring.services.errors import AttemptFinished, BadFrames, BadImage, ProctoringError, image_reason_text
from proctoring.services.identity import enrol, identity_check_face, identity_request_manual, identity_result

ERROR = refusal_serializer(
    "ProctoringError",
    codes="consent_required, consent_outdated (agree to the current text again), bad_image, "
    "too_many_photos, photo_required, not_enrolled, identity_locked, already_passed (the identity check is passed: "
    "nothing was checked), not_open (the session has closed or does not open within the hour), "
    "attempt_finished, liveness_required (complete a liveness check first), step_out_of_order, "
    "liveness_expired, liveness_finished, bad_frames, …",
    reason=serializers.CharField(
        required=False,
        help_text="bad_image only: empty, not_an_image, truncated_image, corrupt_image, too_many_pixels, "
        "frame_too_large, reference_no_face, reference_multiple_faces, and the enrolment photo's quality: "
        "reference_face_too_small, reference_too_dark, reference_too_bright, reference_blurred, "
        "reference_eyes_closed, reference_turned, …",
    ),
    retry_after=serializers.IntegerField(
        required=False,
        help_text="too_many_photos only: seconds until a photo is accepted again (also the Retry-After header).",
    ),
    errors=serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="photo_required only: messages by field (photo).",
    ),
)
operation = operation_schema(tag="proctoring", error=ERROR)

VALIDATION_ERROR = inline_serializer(
    "ProctoringValidationError",
    {
        "detail": serializers.CharField(help_text="The first problem, prefixed with the field's name."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), help_text="Messages by field."
        ),
    },
)


def _person(request: Request) -> Person:
    person = person_of(request.user)
    if person is None:
        raise Http404
    return person


def _photo(request: Request) -> bytes:
    """The uploaded ``photo`` (b"" when none was sent: the service then says what is missing first)."""
    upload = request.FILES.get("photo")
    if upload is None:
        return b""
    if upload.size and upload.size > settings.PROCTORING_PHOTO_MAX_BYTES:
        # Refused before it is read into memory.
        raise BadImage(image_reason_text("frame_too_large"), reason="frame_too_large")
    return upload.read()


class PhotoIn(serializers.Serializer):
    photo = serializers.FileField(
        help_text="A JPEG or PNG of the examinee alone, facing the camera "
        "(at most PROCTORING_PHOTO_MAX_BYTES, 8 MB by default)."
    )


# --- consent ----------------------------------------------------------------------------


class ConsentOut(serializers.Serializer):
    version = serializers.CharField(help_text="The current consent text version: send it back to consent.")
    text = serializers.CharField(help_text="What is processed, why, and who sees it (the text the person agrees to).")
    retention_days = serializers.IntegerField(help_text="Photos and face data are deleted after this many days.")
    retention = serializers.CharField(help_text="The retention, as a sentence for the user.")
    alternative = serializers.CharField(help_text="What happens without consent (a manual ID check).")
    active = serializers.BooleanField(
        help_text="Whether this person's consent stands for the current text version (face processing may run)."
    )
    outdated = serializers.BooleanField(
        help_text="The person agreed to an older text: show the text and notice, and ask them to agree again. "
        "Until then nothing of theirs is face-processed (their reference photo is kept)."
    )
    notice = serializers.CharField(allow_null=True, help_text="For the user, when outdated: the text has changed.")
    given_at = serializers.DateTimeField(
        allow_null=True, help_text="When the standing (not withdrawn) consent was given, current or outdated."
    )
    given_version = serializers.CharField(allow_null=True, help_text="The text version the standing consent was for.")


class ConsentIn(serializers.Serializer):
    agree = serializers.BooleanField(help_text="Must be true: consent is an explicit act (PIPL art. 29).")
    version = serializers.CharField(max_length=32, help_text="The version the person read (from GET).")

    def validate_agree(self, value: bool) -> bool:
        if value is not True:
            raise serializers.ValidationError(
                _("Consent needs agree: true. Without consent, ask for a manual ID check instead.")
            )
        return value

    def validate_version(self, value: str) -> str:
        if value != settings.PROCTORING_CONSENT_VERSION:
            raise serializers.ValidationError(
                _("The consent text has changed (now version %(version)s): show it again and send its version.")
                % {"version": settings.PROCTORING_CONSENT_VERSION}
            )
        return value


class ConsentWithdrawnOut(ConsentOut):
    images_deleted = serializers.IntegerField(help_text="Face images deleted by this withdrawal.")


def _consent_payload(person: Person) -> dict[str, Any]:
    standing = selectors.consent_state(person)
    consent = standing.consent
    days = settings.PROCTORING_RETENTION_DAYS
    return {
        "version": settings.PROCTORING_CONSENT_VERSION,
        "text": consent_text(),
        "retention_days": days,
        "retention": _("Photos and face data are deleted %(days)d days after they are taken.") % {"days": days},
        "alternative": _("If you do not agree, a proctor can check your ID manually instead."),
        "active": standing.state == "current",
        "outdated": standing.outdated,
        "notice": consent_outdated_text() if standing.outdated else None,
        "given_at": consent.given_at if consent else None,
        "given_version": consent.text_version if consent else None,
    }


@endpoints.route("proctoring/consent/", name="proctoring-consent")
class ConsentView(APIView):
    @operation(
        "proctoring_consent_get",
        {200: ConsentOut},
        refuses=(401, 404),
        description="The consent text (version, what is processed, retention) and whether this person consented.",
    )
    def get(self, request: Request) -> Response:
        return Response(_consent_payload(_person(request)))

    @operation(
        "proctoring_consent_give",
        {201: ConsentOut, 200: ConsentOut, 400: VALIDATION_ERROR},
        refuses=(401, 404),
        request=ConsentIn,
        description="Record consent to face processing (separate consent) to the current text version. "
        "201 when recorded now (also when an older version's consent is superseded), 200 when a consent to the "
        "current version already stands.",
        examples=[OpenApiExample("agree", value={"agree": True, "version": "2026-01"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        person = _person(request)
        data = ConsentIn(data=request.data)
        data.is_valid(raise_exception=True)
        existed = selectors.active_consent(person) is not None
        consent_give(person=person, by=request.user, text_version=data.validated_data["version"])
        return Response(_consent_payload(person), status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @operation(
        "proctoring_consent_withdraw",
        {200: ConsentWithdrawnOut},
        refuses=(401, 404),
        request=None,
        description="Withdraw consent: the reference photo, the face data and every face image are deleted at once. "
        "During a running proctored attempt that owes snapshots the attempt is flagged for review at once "
        "(consent_withdrawn); from then on snapshots are refused (error consent_required) and the session's "
        "missing-snapshot rules apply as usual (they may submit the attempt).",
    )
    def delete(self, request: Request) -> Response:
        person = _person(request)
        deleted = consent_withdraw(person=person, by=request.user)
        return Response({**_consent_payload(person), "images_deleted": deleted})


# --- enrolment ----------------------------------------------------------------------------


class EnrolmentOut(serializers.Serializer):
    consent = serializers.BooleanField(help_text="A consent to the current text stands (needed to enrol).")
    consent_outdated = serializers.BooleanField(
        help_text="The consent was for an older text: agree again first (a kept reference face is then used again)."
    )
    enrolled = serializers.BooleanField(help_text="A reference face usable for face checks is enrolled.")
    enrolled_at = serializers.DateTimeField(allow_null=True)
    source = serializers.ChoiceField(
        choices=FaceEnrolment.Source.choices, allow_null=True, help_text="live: taken by the person; id_photo: an admin"
    )


def _enrolment_payload(person: Person) -> dict[str, Any]:
    enrolment = selectors.enrolment_of(person)
    standing = selectors.consent_state(person)
    return {
        "consent": standing.state == "current",
        "consent_outdated": standing.outdated,
        "enrolled": enrolment is not None,
        "enrolled_at": enrolment.created_at if enrolment else None,
        "source": enrolment.source if enrolment else None,
    }


@endpoints.route("proctoring/enrolment/", name="proctoring-enrolment")
class EnrolmentView(APIView):
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    @operation(
        "proctoring_enrolment_get",
        {200: EnrolmentOut},
        refuses=(401, 404),
        description="Whether a reference face is enrolled (never the photo or the face data).",
    )
    def get(self, request: Request) -> Response:
        return Response(_enrolment_payload(_person(request)))

    @operation(
        "proctoring_enrolment_create",
        {201: EnrolmentOut},
        refuses=(400, 401, 403, 404, 429),
        request={"multipart/form-data": PhotoIn},
        description="Enrol (or replace) the reference face from a live photo. Needs consent to the current text "
        "first (403 consent_required or consent_outdated); an unusable photo is 400 bad_image with the reason. "
        "Photos (enrolment and identity check together, readable or not) are limited per person: "
        "429 too_many_photos with retry_after.",
    )
    def post(self, request: Request) -> Response:
        person = _person(request)
        try:
            enrol(person=person, photo=_photo(request), source=FaceEnrolment.Source.LIVE, by=request.user)
        except ProctoringError as exc:
            return refusal_response(exc)
        return Response(_enrolment_payload(person), status=status.HTTP_201_CREATED)


# --- identity check before the exam -------------------------------------------------------

IDENTITY_STATES = ["passed", "pending_manual", "rejected", "needs_check", "not_required"]


class IdentityStatusOut(serializers.Serializer):
    session_id = serializers.IntegerField()
    required = serializers.BooleanField(help_text="The session's policy asks for an identity check.")
    state = serializers.ChoiceField(
        choices=IDENTITY_STATES,
        help_text="needs_check: try the face check or ask for a manual one; pending_manual: wait for a proctor; "
        "passed / not_required: the exam may start; rejected: contact the proctor.",
    )
    passed = serializers.BooleanField(help_text="The exam may start as far as identity goes.")
    tries_left = serializers.IntegerField(help_text="Face tries left before a proctor decides.")
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=["face", "manual"]), help_text="What the examinee may do now."
    )
    consent = serializers.BooleanField(
        help_text="Consent to face processing is given for the current text (needed for the face check)."
    )
    consent_outdated = serializers.BooleanField(help_text="The consent was for an older text: agree again first.")
    enrolled = serializers.BooleanField(help_text="A reference face is enrolled (needed for the face check).")
    liveness_required = serializers.BooleanField(
        help_text="The face check needs a passed liveness check (purpose identity) first: POST "
        "/api/v1/exams/{session_id}/liveness/, then the face photo within liveness_valid_seconds."
    )
    liveness_ok = serializers.BooleanField(help_text="A liveness check passed recently enough for the face check.")
    liveness_valid_seconds = serializers.IntegerField(help_text="How long a passed liveness check lets the photo in.")


class IdentityResultOut(serializers.Serializer):
    ok = serializers.BooleanField(help_text="The face matched: the identity check is passed.")
    outcome = serializers.CharField(help_text="match, uncertain, mismatch, no_face or multiple_faces.")
    state = serializers.ChoiceField(choices=IDENTITY_STATES)
    tries_left = serializers.IntegerField()
    reason = serializers.CharField(
        required=False,
        help_text="uncertain: the face was neither clearly the enrolled person nor clearly someone else (between "
        "the policy's two thresholds); the try failed, take another photo.",
    )
    detail = serializers.CharField(required=False, help_text="With reason: the message to show.")


def _admitted(request: Request, session_id: int) -> tuple[ExamSession, Person]:
    person = person_of(request.user)
    session = ExamSession.objects.filter(pk=session_id, kind=ExamSession.Kind.EXAM).first()
    if person is None or session is None or not session_admits(session, person):
        raise Http404
    return session, person


def _methods(policy: ProctoringPolicy | None, status_: selectors.IdentityStatus) -> list[str]:
    if policy is None or status_.state != "needs_check":
        return []
    methods = ["face"] if status_.tries_left > 0 else []
    # The same rule as services.identity_request_manual.
    if policy.allow_non_biometric or status_.tries_left <= 0:
        methods.append("manual")
    return methods


def _identity_payload(session: ExamSession, person: Person) -> dict[str, Any]:
    policy = selectors.policy_for(session)
    state = selectors.identity_status(session, person, policy)
    return {
        "session_id": session.pk,
        "required": bool(policy and policy.require_identity_check),
        "state": state.state,
        "passed": state.passed,
        "tries_left": state.tries_left,
        "methods": _methods(policy, state),
        "consent": selectors.active_consent(person) is not None,
        "consent_outdated": selectors.consent_state(person).outdated,
        "enrolled": selectors.enrolment_of(person) is not None,
        "liveness_required": bool(policy and policy.require_identity_check and policy.require_liveness),
        "liveness_ok": selectors.recent_identity_liveness(session, person, timezone.now()) is not None,
        "liveness_valid_seconds": int(selectors.LIVENESS_VALID_FOR.total_seconds()),
    }


@endpoints.route("exams/<id:session_id>/identity-check/", name="exam-identity-check")
class IdentityCheckView(APIView):
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    @operation(
        "exam_identity_check_get",
        {200: IdentityStatusOut},
        refuses=(401, 404),
        description="This examinee's identity check for the session: state, tries left, and what they may do.",
    )
    def get(self, request: Request, session_id: int) -> Response:
        session, person = _admitted(request, session_id)
        return Response(_identity_payload(session, person))

    @operation(
        "exam_identity_check_face",
        {200: IdentityResultOut},
        refuses=(400, 401, 403, 404, 409, 429),
        request={"multipart/form-data": PhotoIn},
        description="One try at the face check (a live photo). ok=false with tries_left when the face does not "
        "match; after the last failed try a proctor decides (state pending_manual). Every 200 is the result of "
        "this photo. 400 photo_required without a photo field (errors.photo; nothing checked), 400 bad_image with the reason; "
        "409 already_passed (the check was passed before: nothing is checked, counted or stored), not_open (the "
        "session has closed, or opens more than an hour from now), not_enrolled, identity_locked, liveness_required "
        "(the policy asks for a passed liveness check first: nothing checked, counted or stored); "
        "403 consent_outdated (agree to the current text again); "
        "429 too_many_photos with retry_after (photos are limited per person, enrolment included).",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session, person = _admitted(request, session_id)
        if request.FILES.get("photo") is None:
            message = _("Send the photo to check as the multipart field photo.")
            return Response(
                {"detail": f"photo: {message}", "code": "photo_required", "errors": {"photo": [message]}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            check = identity_check_face(session=session, person=person, frame=_photo(request))
        except ProctoringError as exc:
            return refusal_response(exc)
        return Response(identity_result(check, selectors.identity_status(session, person)))


@endpoints.route("exams/<id:session_id>/identity-check/manual/", name="exam-identity-check-manual")
class IdentityManualView(APIView):
    @operation(
        "exam_identity_check_manual",
        {200: IdentityStatusOut},
        refuses=(401, 404, 409),
        request=None,
        description="Ask a proctor to check the examinee's ID instead of the face check (only where the policy "
        "allows it, or after the face tries are used up); then poll GET until the state changes. "
        "409 not_open when the session has closed or opens more than an hour from now (nothing is queued); "
        "409 identity_locked.",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session, person = _admitted(request, session_id)
        try:
            identity_request_manual(session=session, person=person)
        except ProctoringError as exc:
            return refusal_response(exc)
        return Response(_identity_payload(session, person))


# --- action liveness (动作活体) -------------------------------------------------------------


class LivenessStepOut(serializers.Serializer):
    step = serializers.IntegerField(help_text="0, 1, 2: send the steps in this order.")
    challenge = serializers.ChoiceField(choices=[str(c) for c in liveness.Challenge])
    prompt = serializers.CharField(help_text="What to show the examinee (e.g. 请眨眨眼), in their language.")
    status = serializers.ChoiceField(choices=LivenessCheck.Status.choices)
    reason = serializers.CharField(
        help_text="Once decided: passed, or why not (no_blink, no_mouth_open, no_turn, wrong_direction, no_face, "
        "multiple_faces, face_changed, identity_mismatch, not_steady, too_few_frames); empty while pending."
    )
    message = serializers.CharField(help_text="The decided step's reason for the examinee; empty while pending.")


class LivenessOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=LivenessCheck.Status.choices)
    reason = serializers.CharField(help_text="Why the check failed (a step's reason, expired, superseded); else empty.")
    purpose = serializers.ChoiceField(choices=LivenessCheck.Purpose.choices)
    expires_at = serializers.DateTimeField(help_text="Every step must arrive before this.")
    frames_per_step = serializers.IntegerField(help_text="Frames to capture per step.")
    frame_interval_ms = serializers.IntegerField(help_text="Milliseconds between two frames of a burst.")
    steps = LivenessStepOut(many=True)


class LivenessStartIn(serializers.Serializer):
    purpose = serializers.ChoiceField(
        choices=LivenessCheck.Purpose.choices,
        help_text="identity: before the identity check's photo; on_demand: during the running attempt, when the "
        "socket sent liveness_request.",
    )


class LivenessFramesIn(serializers.Serializer):
    frames = serializers.ListField(
        child=serializers.FileField(),
        help_text=f"The burst: {liveness.MIN_FRAMES} to {liveness.MAX_FRAMES} JPEG/PNG frames in capture order, "
        "the multipart field repeated; unmirrored, each at most PROCTORING_SNAPSHOT_MAX_BYTES and "
        "PROCTORING_SNAPSHOT_MAX_SIDE pixels a side (as snapshots).",
    )


class LivenessStepResultOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=LivenessCheck.Status.choices, help_text="The whole check's status now.")
    step = serializers.IntegerField()
    step_status = serializers.ChoiceField(choices=["passed", "failed"])
    reason = serializers.CharField(help_text="passed, or why the step failed (see the steps' reason).")
    message = serializers.CharField(help_text="For the examinee, in their language.")
    next_step = serializers.IntegerField(allow_null=True, help_text="The step to send next; null when decided.")


def liveness_payload(check: LivenessCheck) -> dict[str, Any]:
    steps = [
        {**step, "message": liveness_services.step_message(step["reason"]) if step["reason"] else ""}
        for step in check.steps()
    ]
    return {
        "id": check.pk,
        "status": check.status,
        "reason": check.reason,
        "purpose": check.purpose,
        "expires_at": check.expires_at,
        "frames_per_step": liveness.FRAMES_PER_STEP,
        "frame_interval_ms": liveness.FRAME_INTERVAL_MS,
        "steps": steps,
    }


def _frames(request: Request) -> list[bytes]:
    """The uploaded ``frames``; too many or an oversized one is refused before anything is read."""
    uploads = request.FILES.getlist("frames")
    if len(uploads) > liveness.MAX_FRAMES:
        return [b""] * len(uploads)  # the service words the refusal (too_many_frames) without reading them
    for index, upload in enumerate(uploads):
        if upload.size and upload.size > settings.PROCTORING_SNAPSHOT_MAX_BYTES:
            raise BadFrames(
                _("Frame %(n)d: %(why)s") % {"n": index + 1, "why": image_reason_text("frame_too_large")},
                reason="frame_too_large",
            )
    return [upload.read() for upload in uploads]


def _liveness_error(exc: ProctoringError) -> Response:
    if isinstance(exc, BadFrames):
        body = {"detail": f"frames: {exc.message}", "code": exc.code, **exc.details}
        return Response({**body, "errors": {"frames": [exc.message]}}, status=exc.status)
    return refusal_response(exc)


def _own_check(request: Request, session_id: int, check_id: int) -> tuple[ExamSession, Person, LivenessCheck]:
    session, person = _admitted(request, session_id)
    check = LivenessCheck.objects.filter(pk=check_id, session=session, person=person).first()
    if check is None:
        raise Http404
    return session, person, check


LIVENESS_ERRORS_409 = (
    "409 step_out_of_order (with expected: the step to send), liveness_expired (the deadline passed: the check "
    "failed; start a new one), liveness_finished (decided already)"
)


@endpoints.route("exams/<id:session_id>/liveness/", name="exam-liveness")
class LivenessStartView(APIView):
    @operation(
        "exam_liveness_start",
        {201: LivenessOut, 400: VALIDATION_ERROR},
        refuses=(401, 403, 404, 409, 429),
        request=LivenessStartIn,
        description="Start an action-liveness check: the server draws 2 or 3 distinct challenges (blink, "
        "mouth_open, turn_left, turn_right). For each step in order, show its prompt, capture frames_per_step "
        "frames frame_interval_ms apart (unmirrored: as the camera captured them) and POST them to the step. "
        "A pending check of this examinee for the session is closed (superseded). identity: needed before the "
        "face photo when the policy requires liveness (409 liveness_required there otherwise); counts as one "
        "photo of the per-person limit (429 too_many_photos). on_demand: only during the running attempt "
        "(409 attempt_finished); a failed check flags the attempt for review. 409 not_open, already_passed, "
        "identity_locked, not_enrolled; 403 consent_outdated.",
        examples=[OpenApiExample("identity", value={"purpose": "identity"}, request_only=True)],
    )
    def post(self, request: Request, session_id: int) -> Response:
        session, person = _admitted(request, session_id)
        data = LivenessStartIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            check = liveness_services.liveness_start(
                session=session, person=person, purpose=data.validated_data["purpose"]
            )
        except ProctoringError as exc:
            return refusal_response(exc)
        return Response(liveness_payload(check), status=status.HTTP_201_CREATED)


@endpoints.route("exams/<id:session_id>/liveness/<id:check_id>/", name="exam-liveness-check")
class LivenessView(APIView):
    @operation(
        "exam_liveness_get",
        {200: LivenessOut},
        refuses=(401, 404),
        description="A liveness check of this examinee: its status and each step's.",
    )
    def get(self, request: Request, session_id: int, check_id: int) -> Response:
        _session, _person, check = _own_check(request, session_id, check_id)
        return Response(liveness_payload(check))


@endpoints.route("exams/<id:session_id>/liveness/<id:check_id>/steps/<id:step>/", name="exam-liveness-step")
class LivenessStepView(APIView):
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    @operation(
        "exam_liveness_step",
        {200: LivenessStepResultOut},
        refuses=(400, 401, 403, 404, 409),
        request={"multipart/form-data": LivenessFramesIn},
        description="The burst of frames of one step; the step is decided at once. The first failed step fails "
        "the check, the last passed one passes it. 400 bad_frames (errors.frames, with reason: too_few_frames, "
        "too_many_frames, frame_too_large, not_an_image, …; nothing stored); " + LIVENESS_ERRORS_409 + ".",
    )
    def post(self, request: Request, session_id: int, check_id: int, step: int) -> Response:
        _session, _person, check = _own_check(request, session_id, check_id)
        try:
            outcome = liveness_services.liveness_step(check=check, step=step, frames=_frames(request))
        except ProctoringError as exc:
            return _liveness_error(exc)
        return Response(
            {
                "id": outcome.check.pk,
                "status": outcome.check.status,
                "step": outcome.step,
                "step_status": "passed" if outcome.passed else "failed",
                "reason": outcome.reason,
                "message": outcome.message,
                "next_step": outcome.next_step,
            }
        )


# --- the running attempt: what the client must do -------------------------------------------


class MessageShape(serializers.Serializer):
    type = serializers.CharField()
    example = serializers.JSONField(help_text="A frame of this type (binary frames: a description).")
    fields = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every key a frame of this type may carry (type included); the example shows the usual ones. "
        "Empty for binary frames.",
    )
    description = serializers.CharField()


class AttemptProctoringOut(serializers.Serializer):
    attempt_id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    proctored = serializers.BooleanField(help_text="False: the session has no proctoring; open no socket.")
    identity_ok = serializers.BooleanField()
    websocket_path = serializers.CharField(
        allow_null=True, help_text="Open wss://<host><path>; send the token as subprotocols [subprotocol, key]."
    )
    subprotocol = serializers.CharField(help_text="Offer [subprotocol, your API token]; the server echoes it.")
    camera = serializers.BooleanField(
        help_text="Send snapshots now: a reference face is enrolled under a standing consent (frames are compared "
        "with it). False after consent is withdrawn: frames are then refused (consent_required)."
    )
    snapshots_required = serializers.BooleanField(
        help_text="This attempt owes snapshots, decided when the paper was delivered (the identity check was passed "
        "by face, or a face was enrolled then). Stays true if consent is withdrawn mid-exam: the attempt is "
        "flagged for review at once, and missing snapshots are then handled by the policy."
    )
    snapshot_min_seconds = serializers.IntegerField(allow_null=True)
    snapshot_max_seconds = serializers.IntegerField(
        allow_null=True, help_text="Send a snapshot at a random interval between min and max seconds."
    )
    snapshot_max_bytes = serializers.IntegerField(help_text="A larger binary frame is refused (error too_large).")
    snapshot_format = serializers.CharField(help_text="One binary websocket frame per snapshot.")
    event_max_bytes = serializers.IntegerField(help_text="A larger text frame is refused (error too_large).")
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=BrowserEvent.Type.values))
    tab_warn_at = serializers.IntegerField(allow_null=True)
    tab_submit_at = serializers.IntegerField(
        allow_null=True, help_text="At this many counted tab switches the exam is submitted automatically."
    )
    client_messages = MessageShape(many=True)
    server_messages = MessageShape(many=True)
    handshake_refused = serializers.CharField(
        help_text="What a client sees when the socket is refused before it opens (not a close code)."
    )
    close_codes = serializers.DictField(
        child=serializers.CharField(), help_text="Close codes the server uses once the socket is open."
    )


def _message(kind: str, example: Any, description: str, fields: list[str] | None = None) -> dict[str, Any]:
    keys = fields if fields is not None else (list(example) if isinstance(example, dict) else [])
    return {"type": kind, "example": example, "fields": keys, "description": description}


# What proctoring/consumers.py (ExamineeConsumer) and the services it relays (broadcast.to_examinee)
# read and send; tests/proctoring/test_socket_docs.py holds the two in step.
CLIENT_MESSAGES = [
    _message(
        "event",
        {"type": "event", "seq": 1, "event": "hidden", "at": "2026-03-01T09:00:05+08:00"},
        "A page/app event. seq is dense per attempt: start at hello.last_seq + 1 and resend unacknowledged events "
        "after a reconnect (a resend is acknowledged again, stored once; a gap is refused with error "
        "out_of_sequence and the expected seq). Optional: at (ISO 8601 with zone), duration_ms (on visible, "
        "focus, online: how long the page was hidden, unfocused or offline), hidden_during (on focus: the page "
        "was hidden meanwhile). Acknowledged with ack only once stored.",
        ["type", "seq", "event", "at", "duration_ms", "hidden_during"],
    ),
    _message(
        "event",
        {"type": "event", "seq": 2, "event": "visible", "duration_ms": 5300, "at": "2026-03-01T09:00:10+08:00"},
        "The return event carries how long the page was away; the policy counts tab switches from it.",
        ["type", "seq", "event", "at", "duration_ms", "hidden_during"],
    ),
    _message(
        "event",
        {"type": "event", "seq": 3, "event": "focus", "duration_ms": 2100, "hidden_during": False},
        "Focus back after blur (another window in front without hiding the page).",
        ["type", "seq", "event", "at", "duration_ms", "hidden_during"],
    ),
    _message("ping", {"type": "ping"}, "Keep-alive; answered with pong."),
    _message(
        "snapshot",
        "<binary frame: one JPEG image>",
        "A camera snapshot as a binary websocket frame (JPEG, a 320 px wide frame is plenty), at most one per "
        "snapshot_min_seconds. Answered with snapshot_ack; the face check runs afterwards and its result comes "
        "as face. A refused frame is answered with error (snapshot_too_soon with retry_after, "
        "snapshot_storage_full, bad_image with reason, too_large, consent_required, attempt_finished).",
    ),
]
SERVER_MESSAGES = [
    _message(
        "hello",
        {"type": "hello", "last_seq": 0, "tab_switches": 0, "finished": False},
        "Sent on connect: last_seq is the last event the server holds.",
    ),
    _message("ack", {"type": "ack", "seq": 1, "tab_switches": 0}, "The event with this seq is stored."),
    _message("snapshot_ack", {"type": "snapshot_ack", "id": 17}, "The snapshot is stored and queued."),
    _message(
        "warning",
        {"type": "warning", "text": "…", "tab_switches": 2, "limit": 3},
        "Show the text. A policy warning about tab switches (tab_switches, limit: the count that submits, or "
        "null), a proctor's message (from_proctor: true), missing snapshots (snapshots_missing: true), or "
        "consent withdrawn mid-exam (consent_withdrawn: true; stop sending snapshots).",
        ["type", "text", "tab_switches", "limit", "from_proctor", "snapshots_missing", "consent_withdrawn"],
    ),
    _message(
        "face",
        {"type": "face", "outcome": "uncertain", "prompt": True, "submitted": False, "retry_in": 4},
        "A snapshot's face check: outcome match, uncertain, mismatch, no_face, multiple_faces; prompt: ask the "
        "examinee to face the camera; submitted: the policy ended the exam. uncertain (the face is neither "
        "clearly the enrolled person nor clearly someone else) comes with retry_in: send the next snapshot in "
        "that many seconds rather than at the usual random interval (the rate limit still applies). A frame "
        "that could not be checked comes as outcome failed with a reason (no_reference, file_missing, "
        "corrupt_image, …) and no prompt.",
        ["type", "outcome", "prompt", "submitted", "retry_in", "reason"],
    ),
    _message(
        "submitted",
        {"type": "submitted", "reason": "auto_policy"},
        "The exam has ended: stop and fetch the result. Sent whenever the attempt ends, with reason: the submit "
        "reason (examinee, time_up, deadline_job, proctor, auto_policy), or, when the attempt is invalidated "
        "on review, the reviewer's reason. When the policy or a proctor ends it, a second submitted frame "
        "carries the text to show (text; from_proctor: true when a proctor ended it).",
        ["type", "reason", "text", "from_proctor"],
    ),
    _message(
        "error",
        {"type": "error", "code": "snapshot_too_soon", "detail": "…", "retry_after": 12},
        "A frame was refused; the socket stays open. code: malformed, unknown_type, too_large, bad_event, "
        "out_of_sequence (with expected), attempt_finished (events: with seq), snapshot_too_soon (with "
        "retry_after seconds), snapshot_storage_full, bad_image (with reason), consent_required. After "
        "PROCTORING_SNAPSHOT_MAX_REFUSALS refused snapshots in a row the socket is closed with 4429.",
        ["type", "code", "detail", "seq", "expected", "retry_after", "reason"],
    ),
    _message("pong", {"type": "pong"}, "The answer to ping."),
    _message(
        "liveness_request",
        {"type": "liveness_request", "text": "…"},
        "A proctor asks for an action-liveness check now: show the text, start a check with purpose on_demand "
        "(POST /api/v1/exams/{session_id}/liveness/) and send its steps. A failed check flags the attempt.",
    ),
]
HANDSHAKE_REFUSED = (
    "The opening handshake is answered with HTTP 403 (the socket never opens, so no close code is seen) when the "
    "request is not signed in (no valid token in the subprotocol, an MFA-required account without TOTP, a forced "
    "password change) or the attempt is not this user's or does not exist."
)
CLOSE_CODES = {
    "4429": "Too many refused snapshots in a row (PROCTORING_SNAPSHOT_MAX_REFUSALS): reconnect and send at most "
    "one snapshot per snapshot_min_seconds.",
}


@endpoints.route("attempts/<id:attempt_id>/proctoring/", name="exam-attempt-proctoring")
class AttemptProctoringView(APIView):
    @operation(
        "exam_attempt_proctoring",
        {200: AttemptProctoringOut},
        refuses=(401, 404, 409),
        description="For the examinee's own running attempt: the websocket to open, the snapshot interval and "
        "size, and the frames to send and expect.",
    )
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = selectors.attempt_of_examinee(request.user, attempt_id)
        if attempt is None:
            raise Http404
        if attempt.is_finished:
            return refusal_response(AttemptFinished(_("This exam has already been submitted.")))
        return Response(_attempt_payload(attempt))


def _attempt_payload(attempt: Attempt) -> dict[str, Any]:
    policy = selectors.joined_policy(attempt)
    person = Person(pk=attempt.person_id)
    identity = selectors.identity_status(attempt.session, person, policy) if policy else None
    return {
        "attempt_id": attempt.pk,
        "session_id": attempt.session_id,
        "proctored": policy is not None,
        "identity_ok": identity.passed if identity else True,
        "websocket_path": f"/ws/proctoring/attempts/{attempt.pk}/" if policy else None,
        "subprotocol": TOKEN_SUBPROTOCOL,
        "camera": policy is not None and selectors.enrolment_of(person) is not None,
        "snapshots_required": policy is not None and selectors.snapshots_required(attempt),
        "snapshot_min_seconds": policy.snapshot_min_seconds if policy else None,
        "snapshot_max_seconds": policy.snapshot_max_seconds if policy else None,
        "snapshot_max_bytes": settings.PROCTORING_SNAPSHOT_MAX_BYTES,
        "snapshot_format": "image/jpeg",
        "event_max_bytes": settings.PROCTORING_EVENT_MAX_BYTES,
        "event_types": list(BrowserEvent.Type.values),
        "tab_warn_at": policy.tab_warn_at if policy else None,
        "tab_submit_at": policy.tab_submit_at if policy else None,
        "client_messages": CLIENT_MESSAGES,
        "server_messages": SERVER_MESSAGES,
        "handshake_refused": HANDSHAKE_REFUSED,
        "close_codes": CLOSE_CODES,
    }
