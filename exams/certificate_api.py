"""The public certificate lookup's API door: the same service, the same rules as the page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.network import client_ip
from core.api_errors import refusal_response
from exams.api import ERROR
from exams.models import CertificateType
from exams.routes import endpoints
from exams.services.certificate_lookup import NAME_MAX_LENGTH, NUMBER_MAX_LENGTH, certificate_lookup
from exams.services.errors import ExamError


class CertificateVerifyIn(serializers.Serializer):
    number = serializers.CharField(max_length=NUMBER_MAX_LENGTH, help_text="The certificate number (证书编号).")
    name = serializers.CharField(
        max_length=NAME_MAX_LENGTH, help_text="The holder's name as printed on the certificate (持证人姓名)."
    )


class CertificateVerifyOut(serializers.Serializer):
    number = serializers.CharField()
    holder = serializers.CharField(help_text="The holder's name, masked: 张*三.")
    cert_type = serializers.ChoiceField(choices=CertificateType.choices)
    cert_type_label = serializers.CharField(help_text="In the request's language.")
    operation_category = serializers.CharField(help_text="Special operations certificates: 操作项目; else empty.")
    issuer = serializers.CharField(help_text="The issuing body; may be empty for an imported certificate.")
    issued_on = serializers.DateField()
    valid_until = serializers.DateField()
    # Not a ChoiceField: its enum would take the name StateEnum from proctoring's identity state.
    state = serializers.CharField(help_text="valid, expired or revoked.")
    state_label = serializers.CharField(help_text="In the request's language.")


@endpoints.route("certificates/verify/", name="certificate-verify")
class CertificateVerifyView(APIView):
    # Public: no token needed, and a stale one must not turn the answer into a 401.
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        operation_id="certificate_verify",
        parameters=[CertificateVerifyIn],
        responses={200: CertificateVerifyOut, 404: ERROR, 429: ERROR},
        description=(
            "Public certificate lookup (证书查询), no sign-in: the certificate whose number AND holder's name "
            "match, with its state (valid, expired, revoked) and nothing private (the name masked, no ID "
            "number, no enterprise). Imported certificates are found too. 404 certificate_not_found when "
            "either does not match (which one is not said). Every lookup, found or not, counts against the "
            "client's address together with the web page's (EXAMS_CERTIFICATE_LOOKUPS_PER_MINUTE); beyond "
            "it 429 too_many_lookups with retry_after (seconds) and a Retry-After header."
        ),
        tags=["certificates"],
    )
    def get(self, request: Request) -> Response:
        data = CertificateVerifyIn(data=request.query_params)
        data.is_valid(raise_exception=True)
        try:
            found = certificate_lookup(
                number=data.validated_data["number"],
                name=data.validated_data["name"],
                client=client_ip(request._request),
            )
        except ExamError as exc:
            return refusal_response(exc)
        response = Response(CertificateVerifyOut(found).data)
        response["Cache-Control"] = "no-store"
        return response
