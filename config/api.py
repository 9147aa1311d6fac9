"""API error shape: always JSON with a ``detail`` message, never an HTML page."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.ids import InvalidId

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, InvalidId):
        exc = exceptions.ValidationError(detail={exc.name: [str(exc)]})
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # ApiJsonErrorsMiddleware turns it into a JSON 500
    if isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": _first_message(response.data), "errors": response.data}
    elif isinstance(response.data, list):
        response.data = {"detail": _first_message(response.data), "errors": response.data}
    return response


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
        "errors": {"description": "Per field or parameter, as DRF words them (object or list)."},
    },
    "required": ["detail"],
}


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error answers every operation can give are in the schema."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result


__all__ = ["document_error_responses", "exception_handler"]
