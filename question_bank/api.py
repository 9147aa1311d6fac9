"""Question-bank API: bank and question management for admins, practice for learners.

Practice endpoints never carry an answer in a question; the answer and the
explanation come only in the response to ``POST …/answer/``. A subjective
question's answer is the learner's text: the response carries the reference
answer and ``correct: null``, and ``POST …/self_mark/`` records 掌握了 / 没掌握.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.ids import query_id
from core.uploads import UploadRejected
from organizations.models import Jurisdiction, TrainingProvider
from organizations.selectors import is_platform_admin, provider_ids_managed_by
from question_bank import importers, selectors, services
from question_bank.models import QUESTION_DETAILS, Bank, ImportJob, PracticeSession, Question

# --- serializers -----------------------------------------------------------------


class BankSerializer(serializers.ModelSerializer):
    """A bank. Who may own it and where it may be shared is checked by the service
    (``services.bank_check_scope``): a refusal is a 400 naming ``owner`` or ``shared_with``."""

    owner = serializers.SlugRelatedField(
        slug_field="code",
        queryset=TrainingProvider.objects.all(),
        allow_null=True,
        required=False,
        help_text="Code of the training provider that owns the bank (one you administer); null: a platform bank.",
    )
    shared_with = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Jurisdiction.objects.all(),
        allow_null=True,
        required=False,
        help_text=(
            "Code of the jurisdiction whose learners may practise on a shared bank: the owner's jurisdiction "
            "or one below it (platform admins: any)."
        ),
    )
    purpose = serializers.ChoiceField(
        choices=Bank.Purpose.choices,
        default=Bank.Purpose.EXAM_ONLY,
        help_text=(
            "practice: learners it is shared with may practise on it (each answer is revealed after one try) "
            "and lesson quizzes may use it; exam_only (the default for a new bank): its questions appear only "
            "in exam papers."
        ),
    )

    class Meta:
        model = Bank
        fields = ["id", "code", "name", "owner", "visibility", "shared_with", "purpose", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        visibility = attrs.get("visibility", getattr(self.instance, "visibility", Bank.Visibility.PRIVATE))
        shared_with = attrs.get("shared_with", getattr(self.instance, "shared_with", None))
        owner = attrs.get("owner", getattr(self.instance, "owner", None))
        if visibility == Bank.Visibility.SHARED and shared_with is None and owner is not None:
            raise serializers.ValidationError({"shared_with": _("Choose the jurisdiction the bank is shared with.")})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Bank:
        return _django_errors(
            lambda: services.bank_create(
                actor=self.context["request"].user,
                code=validated_data["code"],
                name=validated_data["name"],
                owner=validated_data.get("owner"),
                visibility=validated_data.get("visibility", Bank.Visibility.PRIVATE),
                shared_with=validated_data.get("shared_with"),
                purpose=validated_data.get("purpose", Bank.Purpose.EXAM_ONLY),
            )
        )

    def update(self, instance: Bank, validated_data: dict[str, Any]) -> Bank:
        return _django_errors(
            lambda: services.bank_update(actor=self.context["request"].user, bank=instance, data=validated_data)
        )


class QuestionSerializer(serializers.ModelSerializer):
    """``answer`` is the canonical JSON form; write ``answer_text`` in the import layout (``ACD``, ``正确``, ``119|火警/火灾报警``)."""

    answer_text = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField(), max_length=8, required=False)
    answer = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = [
            "id",
            "bank",
            "type",
            "stem",
            "options",
            "answer",
            "answer_text",
            *QUESTION_DETAILS,
            "version",
            "updated_at",
        ]
        read_only_fields = ["source", "is_active", "version", "updated_at"]

    @extend_schema_field(OpenApiTypes.ANY)
    def get_answer(self, obj: Question) -> Any:
        return obj.answer

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and "bank" in fields:
            fields["bank"].queryset = selectors.banks_managed_by(request.user)
        return fields

    def import_values(self) -> dict[str, str]:
        return importers.edit_values({**self._instance_values(), **self.validated_data})

    def _instance_values(self) -> dict[str, Any]:
        q = self.instance
        if q is None:
            return {}
        return {
            "type": q.type,
            "stem": q.stem,
            "options": q.options,
            "answer_text": importers.answer_text(q.type, q.answer),
            "explanation": q.explanation,
            "difficulty": q.difficulty,
            "knowledge_point": q.knowledge_point,
            "industry_tags": q.industry_tags,
            "post_tags": q.post_tags,
        }


class ImportJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportJob
        fields = [
            "id",
            "bank",
            "file_name",
            "valid_only",
            "column_map",
            "status",
            "progress",
            "result",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    valid_only = serializers.BooleanField(default=False)
    column_map = serializers.JSONField(
        required=False,
        help_text=(
            "Spreadsheets only: which column holds what, instead of recognising the header's titles. "
            "A JSON object from column number (0 = A) to field name, null to ignore the column: "
            '{"0": "type", "1": "stem", "2": "option_a", "3": "option_b", "4": "answer", "5": null}. '
            "Fields: " + ", ".join(importers.FIELDS) + ". type, stem and answer are required; a field takes one column."
        ),
    )

    def validate_column_map(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("The column mapping must map column numbers to field names."))
        problems = importers.check_column_map(value)
        if problems:
            raise serializers.ValidationError(problems)
        return value


class PracticeQuestionSerializer(serializers.ModelSerializer):
    """A question as a learner sees it before answering: no answer, no explanation."""

    blanks = serializers.SerializerMethodField()
    bank_name = serializers.CharField(source="bank.name", read_only=True)

    class Meta:
        model = Question
        fields = ["id", "bank", "bank_name", "type", "stem", "options", "blanks", "difficulty", "knowledge_point"]
        read_only_fields = fields

    def get_blanks(self, obj: Question) -> int:
        return len(obj.answer) if obj.type == "fill_blank" else 0


class PracticeAnswerInSerializer(serializers.Serializer):
    answer = serializers.JSONField(
        help_text='Letters ("AC" or ["A","C"]), true/false (true, "正确", "对"…), a list with one string per blank, '
        "or for a subjective question the learner's own text."
    )


class PracticeSelfMarkInSerializer(serializers.Serializer):
    mastered = serializers.BooleanField(
        help_text="The learner's own mark after comparing with the reference answer: true 掌握了, false 没掌握."
    )


class PracticeResultSerializer(serializers.Serializer):
    correct = serializers.BooleanField(
        allow_null=True,
        help_text="null: a subjective answer waiting for the learner's self-mark (POST …/self_mark/).",
    )
    given = serializers.JSONField(help_text="The answer as the learner gave it.")
    answer = serializers.JSONField(help_text="The key, in the same form as the answer.")
    answer_text = serializers.CharField(help_text="The key written out as text.")
    explanation = serializers.CharField()


class AccuracySerializer(serializers.Serializer):
    knowledge_point = serializers.CharField()
    total = serializers.IntegerField(help_text="Practice answers given on this knowledge point (marked ones only).")
    correct = serializers.IntegerField(help_text="Of them, right.")
    rate = serializers.IntegerField(help_text="Percent right.")


_QUESTION_FILTERS = [
    OpenApiParameter("bank", int, description="Bank id"),
    OpenApiParameter("type", str, enum=["single", "multiple", "true_false", "fill_blank", "subjective"]),
    OpenApiParameter("difficulty", int),
    OpenApiParameter("knowledge_point", str),
    OpenApiParameter("tag", str, description="Industry or post tag"),
    OpenApiParameter("search", str, description="Words in the stem or explanation"),
    OpenApiParameter("active", str, enum=["1", "0"]),
]


# --- viewsets --------------------------------------------------------------------


class BankViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Banks: read those you manage or supervise; create and change those of your provider."""

    serializer_class = BankSerializer

    def get_queryset(self) -> QuerySet[Bank]:
        if self.request.method in ("GET", "HEAD", "OPTIONS") and self.action != "imports":
            return selectors.banks_browsable_by(self.request.user)
        return selectors.banks_managed_by(self.request.user)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        if not (is_platform_admin(self.request.user) or provider_ids_managed_by(self.request.user)):
            raise exceptions.PermissionDenied()
        serializer.save()  # BankSerializer.create: services.bank_create with the requesting user

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: ImportJobSerializer(many=True)},
        summary="The bank's imports, newest first.",
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportJobSerializer},
        summary="Upload a question file; it is imported in the background.",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="imports",
        parser_classes=[parsers.MultiPartParser],
        pagination_class=None,
    )
    def imports(self, request: Request, pk: str | None = None) -> Response:
        if request.method == "GET":
            bank = self.get_object()
            jobs = selectors.import_jobs_visible_to(request.user).filter(bank=bank)[:50]
            return Response(ImportJobSerializer(jobs, many=True).data)
        bank = self.get_object()
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            job = services.import_job_create(
                bank=bank,
                user=request.user,
                upload=upload.validated_data["file"],
                valid_only=upload.validated_data["valid_only"],
                language=translation.get_language() or "zh-hans",
                column_map=upload.validated_data.get("column_map"),
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from None
        except (UploadRejected, importers.ImportRefused) as exc:
            raise exceptions.ValidationError({"file": [str(exc)]}) from None
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Background imports of the banks you manage: status, progress and the row errors."""

    serializer_class = ImportJobSerializer

    def get_queryset(self) -> QuerySet[ImportJob]:
        return selectors.import_jobs_visible_to(self.request.user)


@extend_schema(parameters=_QUESTION_FILTERS)
class QuestionViewSet(viewsets.ModelViewSet):
    """Questions with their answers, for the banks you manage or supervise. DELETE retires a question."""

    serializer_class = QuestionSerializer

    def get_queryset(self) -> QuerySet[Question]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            qs = selectors.questions_visible_to(self.request.user)
        else:
            qs = selectors.questions_managed_by(self.request.user)
        params = self.request.query_params
        if (bank := query_id(params, "bank")) is not None:
            qs = qs.filter(bank_id=bank)
        return selectors.filter_questions(
            qs,
            search=params.get("search", ""),
            qtype=params.get("type", ""),
            difficulty=params.get("difficulty", ""),
            knowledge_point=params.get("knowledge_point", ""),
            tag=params.get("tag", ""),
            active=params.get("active", ""),
        ).order_by("pk")

    def perform_create(self, serializer: QuestionSerializer) -> None:  # type: ignore[override]
        bank = serializer.validated_data["bank"]
        serializer.instance = _django_errors(
            lambda: services.question_create(bank=bank, values=serializer.import_values(), source="api")
        )

    def perform_update(self, serializer: QuestionSerializer) -> None:  # type: ignore[override]
        if "bank" in serializer.validated_data and serializer.validated_data["bank"] != serializer.instance.bank:
            raise exceptions.ValidationError({"bank": ["A question cannot move to another bank."]})
        question = serializer.instance
        serializer.instance = _django_errors(
            lambda: services.question_update(question=question, values=serializer.import_values())
        )

    def perform_destroy(self, instance: Question) -> None:
        services.question_set_active(question=instance, active=False)


def _django_errors(fn: Any) -> Any:
    from django.core.exceptions import ValidationError

    try:
        return fn()
    except ValidationError as exc:
        raise exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from None


class PracticeBankViewSet(viewsets.ReadOnlyModelViewSet):
    """Banks open to you for practice."""

    serializer_class = BankSerializer

    def get_queryset(self) -> QuerySet[Bank]:
        return selectors.banks_practisable_by(self.request.user)


@extend_schema(
    parameters=[
        OpenApiParameter("bank", int, description="Bank id"),
        OpenApiParameter("knowledge_point", str),
        OpenApiParameter("industry", str),
        OpenApiParameter(
            "mode", str, enum=list(PracticeSession.Mode.values), description="order (default), random, wrong"
        ),
    ]
)
class PracticeQuestionViewSet(viewsets.ReadOnlyModelViewSet):
    """Practice questions without answers; ``POST {id}/answer/`` grades one and reveals the answer."""

    serializer_class = PracticeQuestionSerializer

    def get_queryset(self) -> QuerySet[Question]:
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return Question.objects.none()
        if selectors.person_of(self.request.user) is None:
            return Question.objects.none()
        qs = selectors.practice_questions_for(self.request.user)
        params = self.request.query_params
        if (bank := query_id(params, "bank")) is not None:
            qs = qs.filter(bank_id=bank)
        if params.get("knowledge_point"):
            qs = qs.filter(knowledge_point=params["knowledge_point"])
        if params.get("industry"):
            qs = qs.filter(selectors.tag_q("industry_tags", params["industry"]))
        mode = params.get("mode", PracticeSession.Mode.ORDER)
        if mode == PracticeSession.Mode.WRONG:
            qs = qs.filter(pk__in=selectors.wrong_question_ids(self.request.user))
        if mode == PracticeSession.Mode.RANDOM and self.action == "list":
            return qs.order_by("?")
        return qs.order_by("pk")

    @extend_schema(request=PracticeAnswerInSerializer, responses={200: PracticeResultSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        question = self.get_object()
        given = PracticeAnswerInSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        outcome = services.practice_answer(user=request.user, question=question, given=given.validated_data["answer"])
        return Response(_practice_result(outcome))

    @extend_schema(
        request=PracticeSelfMarkInSerializer,
        responses={200: PracticeResultSerializer},
        summary="Mark your own answer to a subjective question (after answering it).",
    )
    @action(detail=True, methods=["post"], url_path="self_mark")
    def self_mark(self, request: Request, pk: str | None = None) -> Response:
        question = self.get_object()
        mark = PracticeSelfMarkInSerializer(data=request.data)
        mark.is_valid(raise_exception=True)
        outcome = services.practice_self_mark(
            user=request.user, question=question, mastered=mark.validated_data["mastered"]
        )
        return Response(_practice_result(outcome))

    @extend_schema(parameters=[], responses={200: AccuracySerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None)
    def accuracy(self, request: Request) -> Response:
        if selectors.person_of(request.user) is None:
            raise DjangoPermissionDenied
        return Response(AccuracySerializer(selectors.accuracy_by_knowledge_point(request.user), many=True).data)


def _practice_result(outcome: services.PracticeOutcome) -> dict[str, Any]:
    question = outcome.question
    return PracticeResultSerializer(
        {
            "correct": outcome.correct,
            "given": outcome.given,
            "answer": question.answer,
            "answer_text": importers.answer_text(question.type, question.answer),
            "explanation": question.explanation,
        }
    ).data
