"""Training API for the web player and mobile / mini-program clients.

Every lesson route is scoped: a lesson is found only among
``lessons_visible_to(user)``, and studying needs an assignment.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.ids import MAX_ID, MAX_INT32
from training import selectors
from training.file_responses import lesson_media_response, lesson_page_response, page_urls
from training.models import Lesson, Progress
from training.pdf_pages import PAGE_CONTENT_TYPE
from training.routes import endpoints
from training.services.crediting import Refusal, heartbeat_record, lesson_start, lesson_stop, presence_confirm
from training.services.errors import LeaseHeld, LessonNotAssigned


class AssignmentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=["course", "plan"])
    required_minutes = serializers.IntegerField()
    earned_minutes = serializers.IntegerField()
    percent = serializers.IntegerField(min_value=0, max_value=100)
    due_date = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    overdue = serializers.BooleanField()
    next_lesson_id = serializers.IntegerField(allow_null=True)


class PlaceSerializer(serializers.Serializer):
    """Where the learner is in a lesson, as the server counted it (training.models.Progress)."""

    position = serializers.IntegerField(
        min_value=0, help_text="Where the learner is: seconds (video), page (document) or percent read (article)."
    )
    furthest = serializers.IntegerField(min_value=0, help_text="The furthest position reached, in the same unit.")
    credited_seconds = serializers.IntegerField(
        min_value=0, help_text="Study time the server has credited, in seconds."
    )


class ProgressOutSerializer(PlaceSerializer):
    lesson_id = serializers.IntegerField()
    required_seconds = serializers.IntegerField(help_text="Credited seconds the lesson needs: its credit minutes × 60.")
    completed = serializers.BooleanField(
        help_text="Complete: its credit minutes credited, its end reached and its quiz, if any, passed."
    )
    quiz_passed = serializers.BooleanField(help_text="The lesson's quiz was passed (false when it has none).")


class LessonOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Lesson.Kind.choices)
    course_id = serializers.IntegerField()
    course_title = serializers.CharField()
    credit_minutes = serializers.IntegerField()
    media_url = serializers.CharField(
        allow_null=True,
        help_text="The lesson's file (video or PDF) on this API (lessons/{id}/media/): send the token with it; "
        "Range requests are answered, so a player can seek. Null when the lesson has no file (an article).",
    )
    media_type = serializers.CharField()
    page_urls = serializers.ListField(
        child=serializers.CharField(),
        help_text="A document lesson's pages as images (lessons/{id}/pages/{number}/), in order: the first is "
        "page 1. A URL changes when the file is replaced, so a client may keep page images by URL. "
        "Empty for a video or article lesson.",
    )
    body_html = serializers.CharField(help_text="Sanitised HTML of an article lesson.")
    duration_seconds = serializers.IntegerField()
    page_count = serializers.IntegerField()
    assigned = serializers.BooleanField()
    progress = ProgressOutSerializer(allow_null=True)


class StartInSerializer(serializers.Serializer):
    takeover = serializers.BooleanField(
        default=False, help_text="End the study session in another window or device and continue here."
    )


class StartOutSerializer(PlaceSerializer):
    token = serializers.CharField(help_text="The study session's token: send it with every heartbeat and to stop.")
    heartbeat_seconds = serializers.IntegerField(min_value=1, help_text="Send a heartbeat this often, in seconds.")
    idle_lock_seconds = serializers.IntegerField(
        help_text="Seconds without presence after which the lesson locks until the learner confirms they are there."
    )
    max_playback_rate = serializers.FloatField(
        help_text="The fastest playback rate allowed (1.5 = 1.5×); faster playback is refused."
    )


class TokenInSerializer(serializers.Serializer):
    # Optional so that a call without one is a harmless no-op, not an error.
    token = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)


class HeartbeatInSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=64)
    client_seq = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Increases by one with every heartbeat."
    )
    position = serializers.IntegerField(
        min_value=0, max_value=MAX_INT32, help_text="Seconds (video), page (document) or percent read (article)."
    )
    visible = serializers.BooleanField()
    playback_rate = serializers.FloatField(default=1.0)
    client_time = serializers.DateTimeField(required=False, allow_null=True)
    interaction = serializers.BooleanField(
        default=False, help_text="The user touched, clicked or typed since the last heartbeat."
    )
    extra = serializers.DictField(required=False, help_text="Fields for registered credit checks (proctoring).")


class HeartbeatOutSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()
    reason = serializers.CharField(
        help_text="ok, or why this heartbeat credits nothing (replayed, too_frequent, seek_ahead, idle_locked, …)."
    )
    credited = serializers.IntegerField(help_text="Seconds credited by this heartbeat.")
    credited_total = serializers.IntegerField(help_text="Seconds credited in this lesson so far.")
    position = serializers.IntegerField()
    furthest = serializers.IntegerField()
    locked = serializers.BooleanField(help_text="Idle lock: ask “are you still there?” and call presence.")
    completed = serializers.BooleanField()
    extras = serializers.DictField()


class PresenceOutSerializer(serializers.Serializer):
    unlocked = serializers.BooleanField()


def _assignment_payload(assignment: Any, summary: selectors.Summary) -> dict[str, Any]:
    return {
        "id": assignment.pk,
        "title": assignment.title,
        "kind": assignment.kind,
        "required_minutes": summary.required_minutes,
        "earned_minutes": summary.earned_minutes,
        "percent": summary.percent,
        "due_date": assignment.due_date,
        "status": assignment.status,
        "overdue": selectors.is_overdue(assignment),
        "next_lesson_id": summary.next_lesson_id,
    }


def progress_payload(lesson: Lesson, progress: Progress | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    return {
        "lesson_id": lesson.pk,
        "position": progress.position,
        "furthest": progress.furthest,
        "credited_seconds": progress.credited_seconds,
        "required_seconds": lesson.credit_minutes * 60,
        "completed": progress.completed_at is not None,
        "quiz_passed": progress.quiz_passed,
    }


@endpoints.route("me/assignments/", name="my-assignments")
class MyAssignmentsView(APIView):
    @extend_schema(responses=AssignmentOutSerializer(many=True), summary="My training assignments with progress")
    def get(self, request: Request) -> Response:
        rows = [_assignment_payload(a, s) for a, s in selectors.my_assignments(request.user)]
        return Response(AssignmentOutSerializer(rows, many=True).data)


def _lesson(request: Request, pk: int) -> Lesson:
    return get_object_or_404(selectors.lessons_visible_to(request.user), pk=pk)


@endpoints.route("lessons/<id:pk>/", name="lesson-detail")
class LessonView(APIView):
    @extend_schema(responses=LessonOutSerializer, summary="Lesson content and my progress")
    def get(self, request: Request, pk: int) -> Response:
        lesson = _lesson(request, pk)
        progress = Progress.objects.filter(learner=request.user, lesson=lesson).first()
        data = {
            "id": lesson.pk,
            "title": lesson.title,
            "kind": lesson.kind,
            "course_id": lesson.chapter.course_id,
            "course_title": lesson.chapter.course.title,
            "credit_minutes": lesson.credit_minutes,
            "media_url": reverse("api:lesson-media", args=[lesson.pk]) if lesson.media else None,
            "media_type": lesson.media_type,
            "page_urls": _page_urls(lesson),
            "body_html": lesson.body_html,
            "duration_seconds": lesson.duration_seconds,
            "page_count": lesson.page_count,
            "assigned": selectors.lesson_is_assigned(user=request.user, lesson=lesson),
            "progress": progress_payload(lesson, progress),
        }
        return Response(LessonOutSerializer(data).data)


def _page_urls(lesson: Lesson) -> list[str]:
    if lesson.kind != Lesson.Kind.DOCUMENT or not lesson.media:
        return []
    return page_urls("api:lesson-page", lesson.pk, version=lesson.media.name, count=lesson.page_count)


class FileAPIView(APIView):
    """An API view that answers with a file. A client asking for the file's own type (``Accept: video/mp4``,
    ``image/webp``) is served, not refused with 406 for want of a renderer of that type; a refusal is
    still the API's JSON error."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)


# The types check_lesson_media lets in.
_LESSON_MEDIA_TYPES = ("video/mp4", "video/webm", "application/pdf")
# The body of every API error (core.api_errors.document_error_responses adds the component).
ERROR_BODY = {"$ref": "#/components/schemas/Error"}
# The query of a page image's URL (file_responses.page_url_pattern), on the lessons' and the plans' pages.
PAGE_VERSION_PARAMETER = OpenApiParameter(
    "v", str, description="Which file the page is of (from `page_urls`); the server does not need it."
)


def _range_refused(size: int) -> Response:
    """The API's 416: a JSON error like its others (``file_responses`` adds ``Content-Range``)."""
    detail = _("The Range header asks for bytes the file does not have: it is %(size)s bytes long.") % {"size": size}
    return Response(
        {"detail": detail, "code": "range_not_satisfiable"}, status=status.HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE
    )


@endpoints.route("lessons/<id:pk>/media/", name="lesson-media")
class LessonMediaView(FileAPIView):
    @extend_schema(
        summary="The lesson's file (video or PDF)",
        description="The same file, with the same scope, as the lesson player's. Send `Range: bytes=START-END` "
        "to get part of it (206), as video players do to seek. Never to be kept by a shared cache.",
        parameters=[
            OpenApiParameter(
                "Range",
                str,
                OpenApiParameter.HEADER,
                description="One byte range: `bytes=START-END`, `bytes=START-` or `bytes=-LAST_N`.",
            )
        ],
        responses={
            **{
                (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The whole file.")
                for media_type in _LESSON_MEDIA_TYPES
            },
            **{
                (206, media_type): OpenApiResponse(
                    OpenApiTypes.BINARY, description="The range asked for; `Content-Range` says which bytes."
                )
                for media_type in _LESSON_MEDIA_TYPES
            },
            416: OpenApiResponse(
                ERROR_BODY,
                description="The range starts past the end of the file (`code`: range_not_satisfiable); "
                "`Content-Range: bytes */SIZE` gives its size.",
            ),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return lesson_media_response(request, _lesson(request, pk), refuse_range=_range_refused)


@endpoints.route("lessons/<id:pk>/pages/<id:number>/", name="lesson-page")
class LessonPageView(FileAPIView):
    @extend_schema(
        summary="One page of a document lesson as an image",
        description="Page `number` (from 1 to the lesson's `page_count`) as the lesson player shows it. "
        "Not found for a lesson that is not a document, a page it does not have, or a PDF that cannot be read.",
        parameters=[PAGE_VERSION_PARAMETER],
        responses={(200, PAGE_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The page image.")},
    )
    def get(self, request: Request, pk: int, number: int) -> HttpResponse:
        return lesson_page_response(_lesson(request, pk), number)


def _my_progress(request: Request, pk: int) -> Response:
    lesson = _lesson(request, pk)
    progress = get_object_or_404(Progress, learner=request.user, lesson=lesson)
    return Response(ProgressOutSerializer(progress_payload(lesson, progress)).data)


@endpoints.route("lessons/<id:pk>/progress/", name="lesson-progress")
class LessonProgressView(APIView):
    @extend_schema(responses=ProgressOutSerializer, summary="My progress in a lesson")
    def get(self, request: Request, pk: int) -> Response:
        return _my_progress(request, pk)


@endpoints.route("lessons/<id:pk>/start/", name="lesson-start")
class LessonStartView(APIView):
    @extend_schema(
        request=StartInSerializer,
        responses={200: StartOutSerializer, 403: None, 409: None},
        summary="Open a lesson: take the one-lesson-at-a-time lease",
    )
    def post(self, request: Request, pk: int) -> Response:
        lesson = _lesson(request, pk)
        incoming = StartInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            result = lesson_start(user=request.user, lesson=lesson, takeover=incoming.validated_data["takeover"])
        except LessonNotAssigned:
            return Response({"detail": "This lesson is not assigned to you."}, status=status.HTTP_403_FORBIDDEN)
        except LeaseHeld:
            return Response(
                {"detail": "You are studying in another window or device.", "code": "another_session"},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(StartOutSerializer(result.__dict__).data)


@endpoints.route("lessons/<id:pk>/heartbeat/", name="lesson-heartbeat")
class LessonHeartbeatView(APIView):
    @extend_schema(responses=ProgressOutSerializer, summary="What the server has counted so far")
    def get(self, request: Request, pk: int) -> Response:
        return _my_progress(request, pk)

    @extend_schema(
        request=HeartbeatInSerializer,
        responses={200: HeartbeatOutSerializer, 404: None, 409: HeartbeatOutSerializer},
        summary="Report study time; the server decides what to credit",
    )
    def post(self, request: Request, pk: int) -> Response:
        # Hot path: no lesson lookup here; heartbeat_record finds the
        # learner's own progress row or refuses.
        incoming = HeartbeatInSerializer(data=request.data)
        if not incoming.is_valid():
            # Scope before explaining what was wrong with the input.
            if not Progress.objects.filter(learner=request.user, lesson_id=pk).exists():
                return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
            incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        result = heartbeat_record(
            user=request.user,
            lesson=pk,
            token=data["token"],
            client_seq=data["client_seq"],
            position=data["position"],
            visible=data["visible"],
            playback_rate=data["playback_rate"],
            client_time=data.get("client_time"),
            interaction=data["interaction"],
            extra=data.get("extra") or {},
        )
        if result.reason == Refusal.NOT_ASSIGNED:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        code = status.HTTP_409_CONFLICT if result.reason == Refusal.ANOTHER_SESSION else status.HTTP_200_OK
        return Response(HeartbeatOutSerializer(result.__dict__).data, status=code)


@endpoints.route("lessons/<id:pk>/presence/", name="lesson-presence")
class LessonPresenceView(APIView):
    @extend_schema(request=TokenInSerializer, responses=PresenceOutSerializer, summary="Answer “are you still there?”")
    def post(self, request: Request, pk: int) -> Response:
        lesson = _lesson(request, pk)
        incoming = TokenInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        unlocked = presence_confirm(user=request.user, lesson=lesson, token=incoming.validated_data["token"])
        return Response({"unlocked": unlocked})


@endpoints.route("lessons/<id:pk>/stop/", name="lesson-stop")
class LessonStopView(APIView):
    @extend_schema(request=TokenInSerializer, responses={204: None}, summary="Leave a lesson: release the lease")
    def post(self, request: Request, pk: int) -> Response:
        lesson = _lesson(request, pk)
        incoming = TokenInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        lesson_stop(user=request.user, lesson_id=lesson.pk, token=incoming.validated_data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)
