"""Building a ``Query`` from what a door received, checked, and scoped to the caller.

Every door (the API, the statistics pages, exports, published reports, the
``export_indicators`` command) calls ``query_build``: the same checks, the
same errors naming the parameter, the same scope rule. ``user=None`` is an
operator at the command line, who may read everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.errors import InvalidQuery, OutOfScope
from analytics.indicators import GROUP_BYS, Query, group_by_label, indicator_get
from organizations.models import Enterprise, EnterpriseStatus, Jurisdiction, RoleGrant
from organizations.selectors import enterprise_ids_managed_by, is_platform_admin, jurisdiction_paths_of
from organizations.validators import validate_credit_code

READER_ROLES = (RoleGrant.Role.BUREAU_OFFICIAL,)


def _date(value: Any, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidQuery(_("“%(name)s” must be a date as YYYY-MM-DD.") % {"name": name}, field=name) from None


def _period(params: Mapping[str, Any], today: dt.date) -> tuple[dt.date, dt.date]:
    date_from = _date(params.get("from"), "from")
    date_to = _date(params.get("to"), "to") or today
    if date_from is None:
        date_from = dt.date(date_to.year, 1, 1)
    if date_from > date_to:
        raise InvalidQuery(_("The period starts after it ends."), field="from")
    longest = settings.ANALYTICS_MAX_PERIOD_DAYS
    if (date_to - date_from).days + 1 > longest:
        raise InvalidQuery(
            _("The period is longer than %(days)s days; ask for a shorter one.") % {"days": longest}, field="to"
        )
    return date_from, date_to


def reader_scope(user: Any) -> tuple[list[str], list[int]] | None:
    """``(jurisdiction paths, enterprise ids)`` the user may read statistics for;
    ``None`` for everything (a platform admin, or an operator with no user)."""
    if user is None or is_platform_admin(user):
        return None
    return jurisdiction_paths_of(user, READER_ROLES), enterprise_ids_managed_by(user)


def may_read_statistics(user: Any) -> bool:
    scope = reader_scope(user)
    return scope is None or bool(scope[0] or scope[1])


def _jurisdiction(code: str, scope: tuple[list[str], list[int]] | None) -> Jurisdiction:
    node = Jurisdiction.objects.filter(code=code).first()
    if node is None:
        raise InvalidQuery(_("No jurisdiction has the code %(code)s.") % {"code": code}, field="jurisdiction")
    if scope is not None and not any(node.path.startswith(p) for p in scope[0]):
        raise OutOfScope(_("You may not read statistics for %(name)s.") % {"name": node.name})
    return node


def _enterprise(code: str, scope: tuple[list[str], list[int]] | None) -> Enterprise:
    try:
        validate_credit_code(code)
    except ValidationError:
        raise InvalidQuery(
            _("“%(code)s” is not a valid unified social credit code.") % {"code": code}, field="enterprise"
        ) from None
    enterprise = Enterprise.objects.select_related("jurisdiction").filter(credit_code=code).first()
    if enterprise is None:
        raise InvalidQuery(_("No enterprise has the credit code %(code)s.") % {"code": code}, field="enterprise")
    if (
        scope is not None
        and enterprise.pk not in scope[1]
        and not any(enterprise.jurisdiction.path.startswith(p) for p in scope[0])
    ):
        raise OutOfScope(_("You may not read statistics for %(name)s.") % {"name": enterprise.name})
    return enterprise


def _enterprise_within(enterprise: Enterprise, jurisdiction: Jurisdiction) -> None:
    """Both filters given: the enterprise must have been registered in the jurisdiction's
    subtree at some time (today's registration, or a status row there), else every figure
    would be an empty 0 / 0 that reads as a fact. An enterprise that moved in or out during
    the period passes: its figures there are those of the days it was there."""
    if enterprise.jurisdiction.path.startswith(jurisdiction.path):
        return
    inside = EnterpriseStatus.objects.filter(enterprise=enterprise, jurisdiction__path__startswith=jurisdiction.path)
    if not inside.exists():
        raise InvalidQuery(
            _(
                "%(enterprise)s has never been registered in %(jurisdiction)s: choose another jurisdiction or enterprise."
            )
            % {"enterprise": enterprise.name, "jurisdiction": jurisdiction.name},
            field="enterprise",
        )


def _default_scope(
    scope: tuple[list[str], list[int]] | None,
) -> tuple[Jurisdiction | None, Enterprise | None]:
    if scope is None:
        return None, None
    paths, enterprise_ids = scope
    if paths:
        # The widest grant: the shortest path (a district above its streets).
        return Jurisdiction.objects.get(path=min(paths, key=len)), None
    if enterprise_ids:
        return None, Enterprise.objects.select_related("jurisdiction").get(pk=min(enterprise_ids))
    raise OutOfScope(_("Your account may not read statistics."))


def query_build(*, user: Any, code: str, params: Mapping[str, Any], today: dt.date | None = None) -> Query:
    """Check every parameter (``from``, ``to``, ``jurisdiction``, ``enterprise``,
    ``group_by`` and the indicator's own) and the caller's scope.

    Raises ``InvalidQuery`` (400, naming the parameter), ``UnknownIndicator``
    or ``OutOfScope`` (403). An enterprise admin without a bureau grant is
    always narrowed to an enterprise of their own.
    """
    indicator = indicator_get(code)
    today = today or timezone.localdate()
    date_from, date_to = _period(params, today)
    group_by = params.get("group_by") or None
    if group_by is not None and group_by not in indicator.group_bys:
        offered = indicator.group_bys if group_by in GROUP_BYS else GROUP_BYS
        allowed = ", ".join(f"{g} ({group_by_label(g)})" for g in offered)
        raise InvalidQuery(
            _("“%(value)s” is not a supported grouping; use one of %(allowed)s.")
            % {"value": group_by, "allowed": allowed},
            field="group_by",
        )
    scope = reader_scope(user)
    jurisdiction = _jurisdiction(str(params["jurisdiction"]), scope) if params.get("jurisdiction") else None
    enterprise = _enterprise(str(params["enterprise"]).strip().upper(), scope) if params.get("enterprise") else None
    if jurisdiction is not None and enterprise is not None:
        _enterprise_within(enterprise, jurisdiction)
    if jurisdiction is None and enterprise is None:
        jurisdiction, enterprise = _default_scope(scope)
    if scope is not None and enterprise is None and jurisdiction is None:
        raise OutOfScope(_("Your account may not read statistics."))
    if scope is not None and not scope[0] and enterprise is None:
        # An enterprise admin reads their enterprise, never a jurisdiction.
        raise OutOfScope(_("You may read statistics for your own enterprise only."))
    values: dict[str, int] = {}
    for p in indicator.params:
        raw = params.get(p.name)
        if raw in (None, ""):
            continue
        try:
            number = int(str(raw))
        except ValueError:
            raise InvalidQuery(_("“%(name)s” must be a whole number.") % {"name": p.name}, field=p.name) from None
        if not p.minimum <= number <= p.maximum:
            raise InvalidQuery(
                _("“%(name)s” must be between %(low)s and %(high)s.")
                % {"name": p.name, "low": p.minimum, "high": p.maximum},
                field=p.name,
            )
        values[p.name] = number
    return Query(
        code=indicator.code,
        date_from=date_from,
        date_to=date_to,
        jurisdiction=jurisdiction,
        enterprise=enterprise,
        group_by=group_by,
        params=values,
        today=today,
    )
