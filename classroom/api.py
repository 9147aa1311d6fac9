"""Classroom API: trainers list and schedule classes and show the rotating code; learners list the classes
they are invited to and sign in or out with a scanned code.

Every route is scoped through ``classroom.selectors``: a class the user may not
see is a 404; the code only for those who run the class. Refusals of the
services answer in the one error shape (``detail``, ``code``, ``errors`` on a
400) and change nothing.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from classroom import selectors
from classroom.models import Attendance, TrainingClass
from classroom.routes import endpoints
from classroom.services.attendance import sign_by_code, sign_state
from classroom.services.codes import KINDS, class_code, sign_path
from classroom.services.errors import ClassClosed, ClassNotOpen
from classroom.services.schedule import class_schedule, invite
from core.api_errors import operation_schema, refusal_response, refusal_serializer
from core.errors import ServiceError
from core.ids import MAX_ID, MAX_INT32
from organizations import selectors as org
from organizations.models import Person, TrainingProvider
from training import selectors as training_selectors
from training.models import Course, LessonPlan, PlanTemplateStage

ERROR = refusal_serializer(
    "ClassroomError",
    codes="class_invalid, not_allowed, code_expired, code_invalid, not_invited, already_signed_in, "
    "already_signed_out, not_signed_in, class_not_open, class_closed, face_required (ask the trainer for a "
    "manual sign-in), face_check_failed, too_many_photos, …",
    errors=serializers.DictField(
        required=False, help_text="400 only: messages by field (a list field's by item index)."
    ),
    reason=serializers.CharField(required=False, help_text="face_check_failed only: why."),
    retry_after=serializers.IntegerField(required=False, help_text="too_many_photos only."),
)
operation = operation_schema(tag="classroom", error=ERROR)


class ClassOut(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.CharField()
    level = serializers.ChoiceField(choices=TrainingClass.Level.choices)
    owner_enterprise_id = serializers.IntegerField(allow_null=True, help_text="Set when an enterprise holds the class.")
    owner_provider_id = serializers.IntegerField(
        allow_null=True, help_text="Set when a training provider holds the class."
    )
    owner_name = serializers.CharField(help_text="The name of the enterprise or provider that holds the class.")
    trainer_id = serializers.IntegerField(help_text="User id.")
    trainer_name = serializers.CharField()
    starts_at = serializers.DateTimeField(help_text="Signing in opens 30 minutes before.")
    ends_at = serializers.DateTimeField(help_text="Signing in is refused after it.")
    place = serializers.CharField()
    credit_minutes = serializers.IntegerField(help_text="The study time (学时) credited when attended in full.")
    tolerance_minutes = serializers.IntegerField(
        help_text="Late arrival or early leave up to this many minutes is not deducted; beyond it, all of it is."
    )
    requires_face = serializers.BooleanField(
        help_text="Signing in by code needs a photo matching the enrolled face (frame)."
    )
    course_id = serializers.IntegerField(allow_null=True)
    onboarding_stage_id = serializers.IntegerField(
        allow_null=True, help_text="The onboarding (三级教育) stage the class counts toward."
    )
    quiz_lesson_id = serializers.IntegerField(
        allow_null=True, help_text="The end-of-class quiz: credit for the onboarding stage waits until it is passed."
    )
    status = serializers.ChoiceField(choices=TrainingClass.Status.choices)


class TrainerClassOut(ClassOut):
    invited = serializers.IntegerField(help_text="How many people are invited.")
    signed_in = serializers.IntegerField(help_text="How many have signed in.")
    signed_out = serializers.IntegerField(help_text="How many have signed out.")


class SignStateOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=["invited", "signed_in", "signed_out"])
    signed_in_at = serializers.DateTimeField(allow_null=True)
    signed_out_at = serializers.DateTimeField(allow_null=True)
    credited_minutes = serializers.IntegerField()


class MyClassOut(ClassOut):
    attendance = SignStateOut()


class ClassIn(serializers.Serializer):
    owner_enterprise = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="An enterprise you administer."
    )
    owner_provider = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="A training provider you administer."
    )
    trainer = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="User id; default: you."
    )
    topic = serializers.CharField(max_length=200)
    level = serializers.ChoiceField(choices=TrainingClass.Level.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)
    credit_minutes = serializers.IntegerField(min_value=1, max_value=MAX_INT32)
    tolerance_minutes = serializers.IntegerField(min_value=0, max_value=32767, default=10)
    course = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    requires_face = serializers.BooleanField(default=False)
    onboarding_stage = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    quiz_lesson = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    lesson_plans = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=50
    )
    posts = serializers.ListField(
        child=serializers.ChoiceField(choices=Person.Post.choices), required=False, max_length=10
    )
    departments = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=200)
    people = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=5000,
        help_text="Person ids.",
    )


class CodeOut(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=list(KINDS))
    expires_at = serializers.DateTimeField(help_text="The code is refused from this moment on.")
    refresh_at = serializers.DateTimeField(help_text="Show the next code from this moment on (every 30 s).")
    path = serializers.CharField(help_text="The web path the QR code encodes.")


class SignIn(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    frame = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=settings.PROCTORING_PHOTO_MAX_BYTES * 4 // 3 + 4,
        help_text="Base64 JPEG or PNG of the face, when the class checks faces at sign-in.",
    )


def _class_payload(c: TrainingClass) -> dict[str, Any]:
    owner = c.owner_enterprise or c.owner_provider
    trainer_person = org.person_of(c.trainer)
    return {
        "id": c.pk,
        "topic": c.topic,
        "level": c.level,
        "owner_enterprise_id": c.owner_enterprise_id,
        "owner_provider_id": c.owner_provider_id,
        "owner_name": owner.name if owner else "",
        "trainer_id": c.trainer_id,
        "trainer_name": trainer_person.name if trainer_person else (c.trainer.get_full_name() or c.trainer.username),
        "starts_at": c.starts_at,
        "ends_at": c.ends_at,
        "place": c.place,
        "credit_minutes": c.credit_minutes,
        "tolerance_minutes": c.tolerance_minutes,
        "requires_face": c.requires_face,
        "course_id": c.course_id,
        "onboarding_stage_id": c.onboarding_stage_id,
        "quiz_lesson_id": c.quiz_lesson_id,
        "status": c.status,
    }


def _trainer_payload(c: Any) -> dict[str, Any]:
    return {**_class_payload(c), "invited": c.n_invited, "signed_in": c.n_in, "signed_out": c.n_out}


def _with_counts(qs: Any) -> Any:
    return qs.annotate(
        n_invited=Count("invitations", distinct=True),
        n_in=Count("attendances", distinct=True),
        n_out=Count("attendances", filter=Q(attendances__signed_out_at__isnull=False), distinct=True),
    )


def _state_payload(attendance: Attendance | None) -> dict[str, Any]:
    state = sign_state(attendance)
    return {k: state[k] for k in ("status", "signed_in_at", "signed_out_at", "credited_minutes")}


def _resolve(data: dict[str, Any], user: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Ids of the body turned into objects the user may name; unknown ones are field errors."""
    errors: dict[str, list[str]] = {}
    unknown = _("Unknown, or not yours to use.")
    values: dict[str, Any] = {}

    def one(field: str, qs: Any) -> Any:
        pk = data.get(field)
        if pk is None:
            return None
        found = qs.filter(pk=pk).first()
        if found is None:
            errors[field] = [unknown]
        return found

    values["owner_enterprise"] = one("owner_enterprise", org.enterprises_managed_by(user))
    providers = TrainingProvider.objects.all()
    if not org.is_platform_admin(user):
        providers = providers.filter(pk__in=org.provider_ids_managed_by(user))
    values["owner_provider"] = one("owner_provider", providers)
    values["trainer"] = one("trainer", User.objects.filter(is_active=True))
    values["course"] = one("course", Course.objects.all())
    values["onboarding_stage"] = one("onboarding_stage", PlanTemplateStage.objects.all())
    values["quiz_lesson"] = one("quiz_lesson", training_selectors.lessons_visible_to(user))
    plan_ids = data.get("lesson_plans") or []
    plans = list(LessonPlan.objects.filter(pk__in=plan_ids))
    if len(plans) != len(set(plan_ids)):
        errors["lesson_plans"] = [unknown]
    values["lesson_plans"] = plans
    return values, errors


@endpoints.route("classes/", name="classes")
class ClassListView(APIView):
    @operation(
        "classroom_classes_list",
        {200: TrainerClassOut(many=True)},
        refuses=(401,),
        summary="The classes I run (trainer, the owner's admins), newest first",
    )
    def get(self, request: Request) -> Response:
        qs = _with_counts(selectors.classes_run_by(request.user)).order_by("-starts_at", "-pk")[:500]
        return Response(TrainerClassOut([_trainer_payload(c) for c in qs], many=True).data)

    @operation(
        "classroom_classes_create",
        {201: TrainerClassOut},
        refuses=(400, 401, 403),
        request=ClassIn,
        summary="Schedule a class and invite people by post, department and person id",
        description="400 class_invalid names every wrong field (errors); 403 not_allowed when you do not "
        "administer the owner. Nothing is written on a refusal.",
    )
    def post(self, request: Request) -> Response:
        data = ClassIn(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        values, errors = _resolve(body, request.user)
        if errors:
            raise ValidationError(errors)
        # The body's ids are objects in ``values``; whom to invite goes to ``invite`` after the class exists.
        invitees = {name: body.get(name, []) for name in ("posts", "departments", "people")}
        class_fields = {name: value for name, value in body.items() if name not in invitees} | values
        try:
            with transaction.atomic():
                c = class_schedule(by=request.user, **class_fields)
                if any(invitees.values()):
                    invite(training_class=c, by=request.user, **invitees)
        except ServiceError as exc:
            return refusal_response(exc)
        c = (
            _with_counts(TrainingClass.objects.filter(pk=c.pk))
            .select_related("owner_enterprise", "owner_provider", "trainer")
            .get()
        )
        return Response(TrainerClassOut(_trainer_payload(c)).data, status=status.HTTP_201_CREATED)


@endpoints.route("me/classes/", name="my-classes")
class MyClassesView(APIView):
    @operation(
        "classroom_my_classes",
        {200: MyClassOut(many=True)},
        refuses=(401,),
        summary="The classes I am invited to (not cancelled), soonest first, with my attendance",
    )
    def get(self, request: Request) -> Response:
        classes = list(selectors.classes_invited(request.user)[:500])
        person = org.person_of(request.user)
        mine = (
            {
                a.training_class_id: a
                for a in Attendance.objects.filter(person=person, training_class__in=[c.pk for c in classes])
            }
            if person
            else {}
        )
        rows = [{**_class_payload(c), "attendance": _state_payload(mine.get(c.pk))} for c in classes]
        return Response(MyClassOut(rows, many=True).data)


@endpoints.route("classes/<id:pk>/code/", name="class-code")
class ClassCodeView(APIView):
    @operation(
        "classroom_class_code",
        {200: CodeOut},
        refuses=(400, 401, 404, 409),
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=list(KINDS), required=True)],
        summary="The current sign-in or sign-out code of a class I run (changes every 30 seconds)",
        description="404 for a class you do not run; 409 class_closed / class_not_open for a closed or "
        "cancelled class.",
    )
    def get(self, request: Request, pk: int) -> Response:
        c = get_object_or_404(selectors.classes_run_by(request.user), pk=pk)
        kind = request.query_params.get("kind", "")
        if kind not in KINDS:
            raise ValidationError({"kind": [_("Give kind=in or kind=out.")]})
        if c.status == TrainingClass.Status.CANCELLED:
            return refusal_response(ClassNotOpen(_("This class was cancelled.")))
        if c.status == TrainingClass.Status.CLOSED:
            return refusal_response(ClassClosed(_("This class is closed: signing in or out is over.")))
        code = class_code(c, kind)
        return Response(
            CodeOut(
                {
                    "code": code.code,
                    "kind": code.kind,
                    "expires_at": code.expires_at,
                    "refresh_at": code.refresh_at,
                    "path": sign_path(c, code.code),
                }
            ).data
        )


@endpoints.route("classes/<id:pk>/sign/", name="class-sign")
class ClassSignView(APIView):
    @operation(
        "classroom_class_sign",
        {200: SignStateOut},
        refuses=(400, 401, 403, 404, 409, 429),
        request=SignIn,
        summary="Sign in or out of a class with the scanned code (its kind decides)",
        description="400 code_expired / code_invalid / face_required / face_check_failed; 403 not_invited; "
        "409 already_signed_in, already_signed_out, not_signed_in, class_not_open, class_closed. "
        "A refusal changes nothing.",
    )
    def post(self, request: Request, pk: int) -> Response:
        c = get_object_or_404(selectors.classes_visible_to(request.user), pk=pk)
        data = SignIn(data=request.data)
        data.is_valid(raise_exception=True)
        frame = None
        if data.validated_data.get("frame"):
            try:
                frame = base64.b64decode(data.validated_data["frame"], validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError({"frame": [_("The photo is not valid base64.")]}) from None
        try:
            attendance = sign_by_code(
                training_class=c, user=request.user, code=data.validated_data["code"], frame=frame
            )
        except ServiceError as exc:
            return refusal_response(exc)
        return Response(SignStateOut(_state_payload(attendance)).data)
