"""Object ids in URLs, query strings and bodies never exceed what the database stores.

Primary keys are 64-bit (``BigAutoField``). A larger number used to reach the
database driver and end in a 500 (SQLite's OverflowError). Every door now
refuses it before any query runs:

* the ``id`` path converter (registered by ``core.apps``) for every id in a
  URLconf (``path("attempts/<id:attempt_id>/", …)``, also the websocket routes):
  a number beyond ``MAX_ID`` does not match, so the answer is Django's 404;
* ``IdRouter`` / ``IdDefaultRouter`` for DRF viewsets: the same converter on
  the detail routes' lookup;
* ``query_id(request.GET, "enterprise")`` for an id in a query string or form:
  ``InvalidId`` (a ``BadRequest``: 400, and a JSON 400 naming the parameter
  through ``core.api_errors.exception_handler``);
* ``ID_FIELD_LIMITS`` (``max_value``) for DRF ``IntegerField``s that hold ids;
* ``RelatedExactInRange`` (registered by ``core.apps`` for every foreign key):
  ``filter(enterprise=<huge>)`` matches nothing, as Django already does for
  integer fields, instead of failing in the driver. This covers the Django
  admin's list filters and any filter built from a query string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import BadRequest, EmptyResultSet
from django.db.models.fields.related_lookups import RelatedExact
from django.utils.translation import gettext as _
from rest_framework.routers import DefaultRouter, SimpleRouter

MAX_ID = 2**63 - 1
# The largest value of an IntegerField / PositiveIntegerField column (PostgreSQL ``integer``).
MAX_INT32 = 2**31 - 1
ID_FIELD_LIMITS: dict[str, int] = {"min_value": 1, "max_value": MAX_ID}


class IdConverter:
    """A positive id that fits a signed 64-bit integer; anything else does not match."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("id out of range")  # no match: Django answers 404
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


class InvalidId(BadRequest):
    """An id parameter that is not a whole number within range; names the parameter."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(_("%(name)s: not a valid id.") % {"name": name})


def parse_id(value: Any, *, name: str) -> int:
    """``value`` as an id, or ``InvalidId`` naming ``name``."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > MAX_ID:
        raise InvalidId(name)
    return int(text)


def query_id(params: Mapping[str, Any], name: str) -> int | None:
    """The id in ``params[name]`` (a QueryDict or a dict), None when absent or empty."""
    value = params.get(name)
    if value is None or str(value).strip() == "":
        return None
    return parse_id(value, name=name)


class _IdLookup:
    """Detail routes look objects up by an ``id`` path converter unless the viewset names another."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("use_regex_path", False)
        super().__init__(*args, **kwargs)

    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        lookup_field = getattr(viewset, "lookup_field", "pk")
        if getattr(viewset, "lookup_value_converter", None) is not None or lookup_field not in ("pk", "id"):
            return super().get_lookup_regex(viewset, lookup_prefix)  # type: ignore[misc]
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        return f"<id:{lookup_prefix}{kwarg}>"


class IdRouter(_IdLookup, SimpleRouter):
    pass


class IdDefaultRouter(_IdLookup, DefaultRouter):
    pass


class RelatedExactInRange(RelatedExact):
    """``fk=value`` where no key could be ``value`` matches nothing (Django's ``IntegerFieldOverflow``, for relations)."""

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        rhs = self.rhs
        target = getattr(self.lhs.output_field, "target_field", None)
        if isinstance(rhs, int) and not isinstance(rhs, bool) and target is not None:
            internal_type = target.get_internal_type()
            if internal_type in connection.ops.integer_field_ranges:
                low, high = connection.ops.integer_field_range(internal_type)
                if (low is not None and rhs < low) or (high is not None and rhs > high):
                    raise EmptyResultSet
        return super().process_rhs(compiler, connection)
