from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from organizations.selectors import scope_summary


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    code = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text=_("Current TOTP code, required when the account has MFA."),
    )


class TokenView(APIView):
    """Exchange a username and password (and TOTP code where enrolled) for a token."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None or not user.is_active:
            return Response(
                {"detail": _("Unable to log in with the credentials provided.")}, status=status.HTTP_400_BAD_REQUEST
            )
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is not None:
            code = (data.validated_data.get("code") or "").strip()
            if not code:
                return Response(
                    {
                        "detail": _("This account uses two-factor authentication: send the current code as 'code'."),
                        "code": "mfa_required",
                    },
                    status=status.HTTP_400_BAD_REQUEST,
                )
            if not totp.wrap().validate_code(code):
                return Response(
                    {"detail": _("The two-factor code is not correct."), "code": "mfa_invalid"},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        if user.must_change_password:
            return Response(
                {
                    "detail": _("You must change your initial password on the website first."),
                    "code": "password_change_required",
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


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
        return Response({"username": user.get_username(), "display_name": str(user), **scope_summary(user)})
