from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from organizations import selectors
from organizations.models import Enterprise, Industry, Jurisdiction, Person
from organizations.validators import mask_id_number


class JurisdictionSerializer(serializers.ModelSerializer):
    # A district (the root of its tree) has no parent: null, documented as such.
    parent_code = serializers.CharField(source="parent.code", default=None, allow_null=True, read_only=True)

    class Meta:
        model = Jurisdiction
        fields = ["id", "code", "name", "kind", "parent_code", "path"]


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["id", "code", "name", "is_key", "is_high_risk", "is_manufacturing"]


class EnterpriseSerializer(serializers.ModelSerializer):
    industry = IndustrySerializer(read_only=True)
    jurisdiction_code = serializers.CharField(source="jurisdiction.code", read_only=True)
    jurisdiction_name = serializers.CharField(source="jurisdiction.name", read_only=True)

    class Meta:
        model = Enterprise
        fields = ["id", "name", "credit_code", "industry", "above_scale", "jurisdiction_code", "jurisdiction_name"]


class PersonSerializer(serializers.ModelSerializer):
    id_number = serializers.SerializerMethodField()
    enterprise = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "enterprise", "post", "department", "hire_date", "leave_date", "id_number"]

    def get_id_number(self, obj: Person) -> str:
        shown: dict[int, str] = self.context.get("id_numbers", {})
        return shown.get(obj.pk) or mask_id_number(obj.id_number)


class JurisdictionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = JurisdictionSerializer

    def get_queryset(self) -> QuerySet[Jurisdiction]:
        return selectors.jurisdictions_visible_to(self.request.user).select_related("parent")


class EnterpriseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EnterpriseSerializer

    def get_queryset(self) -> QuerySet[Enterprise]:
        return selectors.enterprises_visible_to(self.request.user)


class PersonViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PersonSerializer

    def get_queryset(self) -> QuerySet[Person]:
        return selectors.people_visible_to(self.request.user)

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        # Decide full vs masked ID numbers for just the people being serialised
        # (one page or one object), not for the caller's whole roster.
        if args:
            instance = args[0]
            people = list(instance) if kwargs.get("many") else [instance]
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["id_numbers"] = selectors.id_numbers_shown_to(self.request.user, people)
        return super().get_serializer(*args, **kwargs)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: inline_serializer(
                "Me",
                {
                    "username": serializers.CharField(),
                    "display_name": serializers.CharField(),
                    "roles": serializers.ListField(child=serializers.CharField()),
                    "grants": serializers.ListField(child=serializers.DictField()),
                    "person": serializers.DictField(allow_null=True),
                },
            )
        }
    )
    def get(self, request: Request) -> Response:
        user = request.user
        return Response({"username": user.get_username(), "display_name": str(user), **selectors.scope_summary(user)})
