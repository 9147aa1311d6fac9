from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.lockout import lockout_response
from accounts.network import client_ip
from accounts.phone_reset import PhoneResetRefused, password_reset_by_phone, reset_code_send
from accounts.selectors import token_refusal
from core.api_errors import with_errors


class TokenRateThrottle(ScopedRateThrottle):
    """Per client address as ``accounts.network.client_ip`` sees it, not as X-Forwarded-For claims."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    code = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text=_("Current TOTP code, required when the account has MFA."),
    )


_ERROR = inline_serializer(
    "TokenError",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(required=False),
        "retry_after": serializers.IntegerField(required=False, help_text=_("Seconds until a locked account opens.")),
        "locked_until": serializers.DateTimeField(required=False),
    },
)


class TokenView(APIView):
    """Exchange a username and password (and TOTP code where enrolled) for a token.

    Refused with a ``code``: ``mfa_required`` / ``mfa_invalid`` (400) when the
    account has TOTP and the current code is missing or wrong;
    ``password_change_required`` / ``mfa_enrolment_required`` (403) until the
    user has changed the initial password or enrolled the TOTP their role
    requires, on the website; ``account_locked`` (429, with ``retry_after``
    seconds) after too many failed attempts for the account.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [TokenRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: _ERROR,
            403: _ERROR,
            429: _ERROR,
        },
    )
    def post(self, request: Request) -> Response | HttpResponse:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        http: HttpRequest = request._request
        username = data.validated_data["username"]
        # With the request, so that axes counts a failure against the account and refuses a locked one.
        user = authenticate(http, username=username, password=data.validated_data["password"])
        if getattr(http, "axes_locked_out", False):
            return lockout_response(http, None, {"username": username})
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
                # A wrong code counts towards the account's lockout like a wrong password.
                user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=http)
                if getattr(http, "axes_locked_out", False):
                    return lockout_response(http, None, {"username": user.get_username()})
                return Response(
                    {"detail": _("The two-factor code is not correct."), "code": "mfa_invalid"},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        refusal = token_refusal(user=user)
        if refusal is not None:
            return Response({"detail": refusal.message, "code": refusal.code}, status=status.HTTP_403_FORBIDDEN)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class PhoneResetCodeRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32, help_text=_("The mobile number the account signs in with."))


class PhoneResetSerializer(PhoneResetCodeRequestSerializer):
    code = serializers.CharField(max_length=6, min_length=6, help_text=_("The six-digit code from the text message."))
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


def _reset_refused(error: PhoneResetRefused) -> Response:
    body = {"detail": error.message, "code": error.code, **error.details}
    field = {"password": "new_password"}.get(error.details.get("field", ""), error.details.get("field"))
    body.pop("field", None)
    response = Response(with_errors(body, error.status, field=field), status=error.status)
    if "retry_after" in error.details:
        response["Retry-After"] = str(error.details["retry_after"])
    return response


class _SignedOutView(APIView):
    """For people who cannot sign in (the password reset): no authentication, anyone may call."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []


class PhoneResetCodeView(_SignedOutView):
    """Text a password-reset code to a mobile number (找回密码).

    The answer is the same whether or not an account signs in with the number
    (202, nothing sent when none does). Limits as for sign-in: the address's
    ``login`` limit, and one code a minute and five an hour per number (429 with
    ``retry_after``); 503 ``sms_unavailable`` where no SMS gateway is configured.
    """

    @extend_schema(
        request=PhoneResetCodeRequestSerializer,
        responses={202: inline_serializer("PhoneResetCodeSent", {"detail": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        data = PhoneResetCodeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            reset_code_send(request=request._request, phone=data.validated_data["phone"])
        except PhoneResetRefused as error:
            return _reset_refused(error)
        return Response(
            {"detail": _("If an account signs in with this number, a code has been sent to it.")},
            status=status.HTTP_202_ACCEPTED,
        )


class PhoneResetView(_SignedOutView):
    """Set a new password with the code from the text message.

    ``code_invalid`` (400, on ``code``) for a wrong, expired or spent code (five
    wrong tries spend it; wrong codes count like failed sign-ins);
    ``password_invalid`` (400, on ``new_password``) when the password validators
    refuse it (the code stays valid). A reset deletes the account's API tokens.
    """

    @extend_schema(
        request=PhoneResetSerializer,
        responses={200: inline_serializer("PhoneResetDone", {"detail": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        data = PhoneResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            password_reset_by_phone(
                request=request._request,
                phone=data.validated_data["phone"],
                code=data.validated_data["code"],
                password=data.validated_data["new_password"],
            )
        except PhoneResetRefused as error:
            return _reset_refused(error)
        return Response({"detail": _("Your password has been reset. Sign in with the new password.")})
