"""API error shape: always JSON with a ``detail`` message, never an HTML page."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceError
from core.http import FileGone
from core.ids import InvalidId

logger = logging.getLogger(__name__)


class FileGoneError(exceptions.NotFound):
    default_code = "file_gone"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, InvalidId):
        exc = exceptions.ValidationError(detail={exc.name: [str(exc)]})
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, FileGone):
        exc = FileGoneError(str(exc))
    elif isinstance(exc, Http404):
        # Django's get_object_or_404 says "No Bank matches the given query." in English whatever the
        # language, and names a model: the API says DRF's translated "Not found." instead.
        exc = exceptions.NotFound()
    if isinstance(exc, BadRequest | SuspiciousOperation | MultiPartParserError):
        # Django refused the request (a body it cannot parse, too many fields, …): a 400, not a 500.
        exc = exceptions.ParseError(_("The request could not be read."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # ApiJsonErrorsMiddleware turns it into a JSON 500
    if isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": _first_message(response.data), "errors": response.data}
    elif isinstance(response.data, list):
        response.data = {"detail": _first_message(response.data), "errors": response.data}
    if isinstance(response.data, dict):
        # One shape for every error (ERROR_SCHEMA): a ``code`` for programs, and on a 400 the
        # ``errors`` by field, also when the body could not even be parsed (ParseError).
        response.data.setdefault("code", getattr(exc, "default_code", "error"))
        if response.status_code == 400:
            errors = response.data.get("errors")
            if not errors:
                errors = [str(response.data["detail"])]
            if not isinstance(errors, dict):
                errors = {api_settings.NON_FIELD_ERRORS_KEY: errors}
            response.data["errors"] = errors
    return response


def with_errors(body: dict[str, Any], status: int, *, field: str | None = None) -> dict[str, Any]:
    """A service error's body (``detail``, ``code``, …) in the shape every 400 of the API has: with
    ``errors`` naming ``field`` (or ``body["field"]``, else the whole request). Other statuses as they are."""
    if status != 400 or "errors" in body:
        return body
    name = field or body.get("field") or api_settings.NON_FIELD_ERRORS_KEY
    return {**body, "errors": {name: [str(body["detail"])]}}


def refusal_body(exc: ServiceError, *, field: str | None = None) -> dict[str, Any]:
    """A service's refusal as an API body: ``detail``, ``code`` and its details, with ``errors`` on a 400."""
    return with_errors({"detail": exc.message, "code": exc.code, **exc.details}, exc.status, field=field)


def refusal_response(exc: ServiceError, *, field: str | None = None) -> Response:
    """The refusal answered with its status; ``Retry-After`` too when it says when to try again."""
    response = Response(refusal_body(exc, field=field), status=exc.status)
    if "retry_after" in exc.details:
        response["Retry-After"] = str(exc.details["retry_after"])
    return response


def refusal_serializer(name: str, *, codes: str, **details: serializers.Field) -> Any:
    """The OpenAPI body of an app's refusals (``refusal_response``): ``detail`` for the user, a ``code`` among
    ``codes`` for programs, and the keyword details its errors carry (declare them ``required=False``)."""
    fields = {
        "detail": serializers.CharField(help_text="For the user, in their language."),
        "code": serializers.CharField(required=False, help_text=codes),
        **details,
    }
    return inline_serializer(name, fields)


def operation_schema(*, tag: str, error: Any) -> Callable[..., Any]:
    """``extend_schema`` for one app's API: ``operation(operation_id, answers, refuses=(…), …)`` documents
    ``answers`` (status → body), ``error`` (its ``refusal_serializer``) on each status in ``refuses``, under ``tag``.
    Other keywords go to ``extend_schema`` as they are."""

    def operation(operation_id: str, answers: dict[int, Any], *, refuses: Iterable[int] = (), **kwargs: Any) -> Any:
        responses = {**answers, **dict.fromkeys(refuses, error)}
        return extend_schema(operation_id=operation_id, responses=responses, tags=[tag], **kwargs)

    return operation


def _first_message(data: Any) -> str:
    if isinstance(data, dict):
        for key, value in data.items():
            message = _first_message(value)
            return message if key == "non_field_errors" else f"{key}: {message}"
    if isinstance(data, list) and data:
        return _first_message(data[0])
    return str(data)


# Every operation may answer these; each with the body ``exception_handler`` gives it.
ERROR_RESPONSES = {
    "400": "The request is invalid: ``detail`` says why, ``errors`` names each field or parameter.",
    "401": "No credentials, or a bad token.",
    "403": "Authenticated, but this user may not do this.",
    "404": "No such object, or not one this user may see.",
    "429": "Too many requests: retry later.",
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every 4xx and 5xx answer of the API.",
    "properties": {
        "detail": {"type": "string", "description": "A message for people."},
        "code": {"type": "string", "description": "For programs: not_found, permission_denied, parse_error, …"},
        "errors": {
            "type": "object",
            "description": "400 only: the messages by field or parameter (non_field_errors for the whole body).",
        },
    },
    "required": ["detail"],
}
BAD_REQUEST_SCHEMA = {
    **ERROR_SCHEMA,
    "description": "A 400 answer of the API: ``detail`` says why, ``errors`` names each field or parameter.",
    "required": ["detail", "errors"],
}


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error answers every operation can give are in the schema."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["BadRequest"] = BAD_REQUEST_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                reference = {"$ref": "#/components/schemas/" + ("BadRequest" if code == "400" else "Error")}
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result


__all__ = ["document_error_responses", "exception_handler", "operation_schema", "refusal_serializer", "with_errors"]
