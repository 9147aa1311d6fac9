"""Exam API for the mobile / mini-program client.

Answers never leave the server before an attempt is finished: the start
payload is built from the prepared client-safe paper, and the result's review
(with correct answers) is included only for finished attempts whose results
are released and whose session allows review.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import preconditions
from core.api_errors import operation_schema, refusal_body
from core.db import select_where
from core.ids import MAX_INT32
from exams import selectors
from exams.models import Attempt, ExamSession
from exams.routes import endpoints
from exams.services.attempts import (
    attempt_answerable,
    attempt_save_answer,
    attempt_start,
    attempt_submit,
    saved_answers,
)
from exams.services.errors import ExamError, NotEligible
from organizations.selectors import person_of

ERROR = inline_serializer(
    "ExamError", {"detail": serializers.CharField(), "code": serializers.CharField(required=False)}
)
operation = operation_schema(tag="exams", error=ERROR)


class RequirementOut(serializers.Serializer):
    code = serializers.CharField(
        help_text="Which precondition: identity_check_required (proctored, identity check before the paper) "
        "or proctored (recorded, no check before the paper)."
    )
    satisfied = serializers.BooleanField(help_text="False: starting is refused (403 with this code) until it holds.")
    message = serializers.CharField(help_text="For the examinee, in the request's language.")
    details = serializers.DictField(
        help_text=(
            "For proctoring: proctored, identity_check_required, identity_state (passed, pending_manual, rejected, "
            "needs_check, not_required), tries_left, manual_check_allowed, consent_given, enrolled, "
            "snapshot_min_seconds, snapshot_max_seconds, tab_warn_at, tab_submit_at, tab_ignore_seconds, "
            "retention_days, url (the web page) and api: the URLs a token client uses (consent, enrolment, "
            "identity_check, identity_check_manual; null where not installed) and websocket, the snapshot "
            "socket's path with {attempt_id} to fill in after the start."
        )
    )


START_REFUSED = inline_serializer(
    "ExamStartRefused",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(
            help_text="notice_not_confirmed (400), a precondition's code such as identity_check_required (403), "
            "not_eligible (403), not_open, no_attempts_left, attempt_closed (409)."
        ),
        "field": serializers.CharField(required=False, help_text="notice_not_confirmed: the field to send."),
        "requirement": RequirementOut(required=False, help_text="A refused precondition, with how to satisfy it."),
    },
)


class ExamStartIn(serializers.Serializer):
    confirm_notice = serializers.BooleanField(
        required=False,
        default=False,
        help_text="True once the examinee has read and agreed to the exam notice (notice in /api/v1/me/exams/). "
        "A new start without it is refused with 400 notice_not_confirmed; resuming a running attempt does not ask.",
    )


class ExamTermsOut(serializers.Serializer):
    """When a session may be taken, for how long and how often: what the notice and the list of exams both say."""

    duration_minutes = serializers.IntegerField(help_text="Counted from the start that delivers the paper.")
    attempts_allowed = serializers.IntegerField(help_text="Attempts a person may make in this session.")
    attempts_left = serializers.IntegerField(
        min_value=0, help_text="Attempts this person can still start; the one in progress counts as used."
    )
    opens_at = serializers.DateTimeField(help_text="When the session's exam window opens.")
    closes_at = serializers.DateTimeField(help_text="When the session's exam window closes.")


class NoticeOut(ExamTermsOut):
    question_count = serializers.IntegerField()
    total_score = serializers.DecimalField(max_digits=8, decimal_places=1)
    pass_score = serializers.DecimalField(max_digits=6, decimal_places=1)
    rules = serializers.ListField(child=serializers.CharField(), help_text="The exam rules, one per line.")


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="Attempt question id: use it in the answers URL.")
    type = serializers.ChoiceField(choices=["single", "multiple", "true_false", "fill_blank"])
    stem = serializers.CharField()
    options = serializers.ListField(
        child=serializers.CharField(), help_text="In this examinee's order, lettered A, B, …"
    )
    blanks = serializers.IntegerField(required=False, help_text="Fill-in-the-blank: how many texts to send.")
    score = serializers.CharField()


class SavedAnswerOut(serializers.Serializer):
    answer = serializers.JSONField(allow_null=True)
    client_seq = serializers.IntegerField()


class AttemptStartOut(serializers.Serializer):
    attempt_id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    title = serializers.CharField()
    deadline = serializers.DateTimeField()
    server_time = serializers.DateTimeField(
        help_text="Count down from deadline - server_time; ignore the device clock."
    )
    device = serializers.CharField(help_text="Send it with every answer; a newer start/resume on another device wins.")
    questions = QuestionOut(many=True)
    saved = serializers.DictField(child=SavedAnswerOut(), help_text="Answers saved so far, by question id.")


class AnswerIn(serializers.Serializer):
    answer = serializers.JSONField(
        allow_null=True,
        help_text='single: "B"; multiple: "ACD"; true_false: true/false; fill_blank: ["text", …]; null clears.',
    )
    client_seq = serializers.IntegerField(
        min_value=1, max_value=MAX_INT32, help_text="Increases with every change of this answer."
    )
    device = serializers.CharField(required=False, allow_blank=True, max_length=32)


class AnswerOut(serializers.Serializer):
    question_id = serializers.IntegerField()
    client_seq = serializers.IntegerField()
    saved_at = serializers.DateTimeField()
    server_time = serializers.DateTimeField()
    replay = serializers.BooleanField(help_text="True when this exact save had already been recorded.")


class SubmitIn(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=[Attempt.SubmitReason.EXAMINEE, Attempt.SubmitReason.TIME_UP],
        default=Attempt.SubmitReason.EXAMINEE,
        help_text="time_up is refused while the server's deadline has not passed.",
    )


class BreakdownOut(serializers.Serializer):
    knowledge_point = serializers.CharField(help_text="Questions without a knowledge point are grouped as General.")
    questions = serializers.IntegerField(min_value=1, help_text="Questions of the paper on this knowledge point.")
    correct = serializers.IntegerField(min_value=0, help_text="Of them, answered fully right.")
    score = serializers.CharField(help_text="Points awarded on them, as a decimal string.")
    max = serializers.CharField(help_text="Points they were worth, as a decimal string.")


class ReviewOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="Attempt question id.")
    type = serializers.CharField()
    stem = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())
    given = serializers.JSONField(allow_null=True, help_text="The examinee's saved answer; null when not answered.")
    answer = serializers.JSONField(help_text="The key, in the same form as the answer.")
    correct = serializers.BooleanField(allow_null=True, help_text="Answered fully right; null when not graded.")
    awarded = serializers.CharField(
        allow_null=True, help_text="Points awarded, as a decimal string; null when not graded."
    )
    explanation = serializers.CharField()


class ResultOut(serializers.Serializer):
    attempt_id = serializers.IntegerField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    submit_reason = serializers.CharField()
    released = serializers.BooleanField()
    release_at = serializers.DateTimeField(
        allow_null=True, help_text="When results are released after the window closes."
    )
    score = serializers.CharField(allow_null=True)
    max_score = serializers.CharField(allow_null=True)
    pass_score = serializers.CharField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    breakdown = BreakdownOut(many=True)
    review = ReviewOut(many=True)
    certificate = serializers.CharField(allow_null=True, help_text="Certificate number issued for this attempt.")


class MyExamOut(ExamTermsOut):
    session_id = serializers.IntegerField()
    title = serializers.CharField()
    is_open = serializers.BooleanField(help_text="The exam window is open now.")
    running_attempt_id = serializers.IntegerField(
        allow_null=True, help_text="The attempt to resume, if one is running."
    )
    latest_attempt_id = serializers.IntegerField(allow_null=True, help_text="The latest attempt (for its result).")
    notice = NoticeOut(help_text="The exam notice (考试须知) to show and have confirmed before starting.")
    requirements = RequirementOut(
        many=True, help_text="Start preconditions of this session (empty when none applies, e.g. not proctored)."
    )


@dataclass(frozen=True)
class Reply:
    """What a hot route answers; the DRF view sends it as JSON."""

    status: int
    data: dict[str, Any]


def error_reply(exc: ExamError) -> Reply:
    return Reply(exc.status, refusal_body(exc, field="answer" if exc.code == "bad_answer" else None))


def respond(reply: Reply) -> Response:
    return Response(reply.data, status=reply.status)


def start_payload(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt_id": attempt.pk,
        "session_id": attempt.session_id,
        "title": attempt.session.title,
        "deadline": attempt.deadline,
        "server_time": timezone.now(),
        "device": attempt.device_token,
        "questions": attempt.payload,
        "saved": {str(k): v for k, v in saved_answers(attempt).items()},
    }


def result_payload(attempt: Attempt) -> dict[str, Any]:
    session = attempt.session
    released = selectors.result_visible(attempt)
    data: dict[str, Any] = {
        "attempt_id": attempt.pk,
        "status": attempt.status,
        "submitted_at": attempt.submitted_at,
        "submit_reason": attempt.submit_reason,
        "released": released,
        "release_at": session.closes_at if session.result_release == ExamSession.Release.AFTER_CLOSE else None,
        "score": None,
        "max_score": None,
        "pass_score": None,
        "passed": None,
        "breakdown": [],
        "review": [],
        "certificate": None,
    }
    if not released:
        return data
    # Issued only on a pass: a failed attempt needs no lookup. (No certificate raises an AttributeError.)
    certificate = getattr(attempt, "certificate", None) if attempt.passed else None
    data.update(
        score=str(attempt.score),
        max_score=str(attempt.max_score),
        pass_score=str(session.pass_score),
        passed=attempt.passed,
        breakdown=attempt.breakdown,
        certificate=certificate.number if certificate else None,
    )
    if session.review_answers:
        data["review"] = [
            {
                "id": aq.pk,
                "type": aq.qtype,
                "stem": aq.stem,
                "options": aq.options,
                "given": aq.given,
                "answer": aq.answer,
                "correct": aq.is_correct,
                "awarded": str(aq.awarded) if aq.awarded is not None else None,
                "explanation": aq.explanation,
            }
            for aq in selectors.review_rows(attempt)
        ]
    return data


def _answerable(user: Any, attempt_id: int) -> Attempt:
    # [:1], not first(): ordering a lookup by primary key only costs compiling time.
    attempt = next(iter(selectors.attempts_answerable_by(user).filter(pk=attempt_id).defer("payload")[:1]), None)
    if attempt is None:
        raise Http404
    return attempt


# The three routes every examinee calls, as plain functions of (user, URL arguments, parsed body).
# They raise Http404 or a DRF ValidationError for what the view's exception handling renders.


def start_reply(user: Any, session_id: int, body: Any) -> Reply:
    person = person_of(user)
    # SQL written once (core.db): compiling the ORM's query was a sixth of a start's CPU.
    session = next(iter(select_where(ExamSession, {"id": session_id, "kind": ExamSession.Kind.EXAM})), None)
    if person is None or session is None:
        raise Http404
    data = ExamStartIn(data=body)
    if not data.is_valid():
        if not selectors.session_admits(session, person):
            raise Http404  # someone else's session is a 404, not a validation hint
        data.is_valid(raise_exception=True)
    try:
        attempt = attempt_start(session=session, person=person, notice_confirmed=data.validated_data["confirm_notice"])
    except NotEligible as exc:
        if not selectors.session_admits(session, person):
            raise Http404 from exc
        return error_reply(exc)
    except ExamError as exc:
        return error_reply(exc)
    attempt.session = session
    return Reply(status.HTTP_201_CREATED, start_payload(attempt))


def save_reply(user: Any, attempt_id: int, question_id: int, body: Any) -> Reply:
    data = AnswerIn(data=body)
    if not data.is_valid():
        _answerable(user, attempt_id)  # someone else's attempt is a 404, not a validation hint
        data.is_valid(raise_exception=True)
    try:
        saved = attempt_save_answer(
            attempt=Attempt(pk=attempt_id),
            user=user,
            question_id=question_id,
            answer=data.validated_data["answer"],
            client_seq=data.validated_data["client_seq"],
            device=data.validated_data.get("device") or None,
        )
    except ExamError as exc:
        return error_reply(exc)
    return Reply(
        status.HTTP_200_OK,
        {
            "question_id": saved.question_id,
            "client_seq": saved.client_seq,
            "saved_at": saved.saved_at,
            "server_time": timezone.now(),
            "replay": saved.replay,
        },
    )


def submit_reply(user: Any, attempt_id: int, body: Any) -> Reply:
    if not attempt_answerable(attempt_id=attempt_id, user=user):
        raise Http404
    data = SubmitIn(data=body)
    data.is_valid(raise_exception=True)
    try:
        result = attempt_submit(attempt=Attempt(pk=attempt_id), reason=data.validated_data["reason"])
    except ExamError as exc:
        return error_reply(exc)
    return Reply(status.HTTP_200_OK, result_payload(result.attempt))


@endpoints.route("me/exams/", name="my-exams")
class MyExamsView(APIView):
    @operation(
        "me_exams_list",
        {200: MyExamOut(many=True)},
        description=(
            "The examinee's exams, each with its notice (to confirm with confirm_notice when starting) and its "
            "start requirements: a proctored session lists what the identity check, the snapshots and the "
            "tab-switch limits ask, and the URLs to satisfy them."
        ),
    )
    def get(self, request: Request) -> Response:
        person = person_of(request.user)
        rows = selectors.exams_for_person(person) if person else []
        return Response(
            [
                {
                    "session_id": r["session"].pk,
                    "title": r["session"].title,
                    "opens_at": r["session"].opens_at,
                    "closes_at": r["session"].closes_at,
                    "duration_minutes": r["session"].duration_minutes,
                    "is_open": r["is_open"],
                    "attempts_allowed": r["session"].attempts_allowed,
                    "attempts_left": r["attempts_left"],
                    "running_attempt_id": r["running"].pk if r["running"] else None,
                    "latest_attempt_id": r["latest"].pk if r["latest"] else None,
                    "notice": NoticeOut(selectors.exam_notice(r["session"], attempts_left=r["attempts_left"])).data,
                    "requirements": [
                        req.as_dict() for req in preconditions.describe(session=r["session"], person=person)
                    ],
                }
                for r in rows
            ]
        )


@endpoints.route("exams/<id:session_id>/attempts/", name="exam-attempt-start")
class AttemptStartView(APIView):
    @operation(
        "exam_attempt_start",
        {201: AttemptStartOut, 400: START_REFUSED, 403: START_REFUSED, 409: START_REFUSED},
        refuses=(404,),
        request=ExamStartIn,
        description=(
            "Start this examinee's attempt, or resume the running one (this device takes over). A new start needs "
            '{"confirm_notice": true} (else 400 notice_not_confirmed) and every start requirement listed in '
            "/api/v1/me/exams/ (else 403 with the requirement's code, e.g. identity_check_required: pass the "
            "identity check first). Nothing is used up by a refusal: no paper is drawn and no question is sent. "
            "The deadline counts from the start that delivers the paper."
        ),
    )
    def post(self, request: Request, session_id: int) -> Response:
        return respond(start_reply(request.user, session_id, request.data))


class SavedOut(serializers.Serializer):
    question_id = serializers.IntegerField()
    answer = serializers.JSONField(allow_null=True)
    client_seq = serializers.IntegerField()
    server_time = serializers.DateTimeField()


@endpoints.route("attempts/<id:attempt_id>/answers/<id:question_id>/", name="exam-attempt-answer")
class AnswerView(APIView):
    @operation(
        "exam_answer_get",
        {200: SavedOut},
        refuses=(404,),
        description="The answer saved so far for this question (the examinee's own, never the key).",
    )
    def get(self, request: Request, attempt_id: int, question_id: int) -> Response:
        attempt = _answerable(request.user, attempt_id)
        row = attempt.questions.filter(pk=question_id).values("pk", "given", "client_seq").first()
        if row is None:
            raise Http404
        return Response(
            {
                "question_id": row["pk"],
                "answer": row["given"],
                "client_seq": row["client_seq"],
                "server_time": timezone.now(),
            }
        )

    @operation(
        "exam_answer_save",
        {200: AnswerOut},
        refuses=(400, 404, 409),
        request=AnswerIn,
        description=(
            "Autosave one answer. Idempotent on (attempt, question, client_seq): a replay of the saved "
            "seq is acknowledged, an older seq is refused with 409 stale_client_seq."
        ),
    )
    def put(self, request: Request, attempt_id: int, question_id: int) -> Response:
        return respond(save_reply(request.user, attempt_id, question_id, request.data))


@endpoints.route("attempts/<id:attempt_id>/submit/", name="exam-attempt-submit")
class SubmitView(APIView):
    @operation(
        "exam_attempt_submit",
        {200: ResultOut},
        refuses=(400, 404, 409),
        request=SubmitIn,
        description="Submit exactly once; a second submit (another tab) returns the same result.",
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        return respond(submit_reply(request.user, attempt_id, request.data))


@endpoints.route("attempts/<id:attempt_id>/result/", name="exam-attempt-result")
class ResultView(APIView):
    @operation(
        "exam_attempt_result",
        {200: ResultOut},
        refuses=(404, 409),
    )
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = selectors.attempts_visible_to(request.user).filter(pk=attempt_id).defer("payload").first()
        if attempt is None:
            raise Http404
        if not attempt.is_finished:
            return Response(
                {"detail": _("The attempt is not finished yet."), "code": "not_finished"},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(result_payload(attempt))
