"""Scoping: the one place that answers "what may this user see".

Views, the API, websockets, exports and the admin all call these functions;
nothing else filters by tenant. Subtrees are path-prefix queries.

The building blocks every app's selectors compose their scoping from live
here and only here: ``grants_of``, ``jurisdiction_paths_of``, ``subtree_q``,
``ancestor_paths``, ``provider_ids_managed_by``, ``enterprise_ids_managed_by`` and ``visible_rows``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from core.users import is_signed_in
from organizations.models import Enterprise, Jurisdiction, Person, RoleGrant, TrainingProvider

Role = RoleGrant.Role
M = TypeVar("M", bound=Model)


def grants_of(user: Any) -> list[RoleGrant]:
    """The user's role grants, with their scope rows; none for an anonymous user.

    Cached on the user object for the duration of a request.
    """
    if not is_signed_in(user):
        return []
    cached = getattr(user, "_role_grants_cache", None)
    if cached is None:
        cached = list(
            RoleGrant.objects.filter(user=user).select_related("jurisdiction", "provider__jurisdiction", "enterprise")
        )
        user._role_grants_cache = cached
    return cached


def roles_of(user: Any) -> set[str]:
    if not is_signed_in(user):
        return set()
    roles = {g.role for g in grants_of(user)}
    if user.is_superuser:
        roles.add(Role.PLATFORM_ADMIN)
    if hasattr(user, "person"):
        roles.add("learner")
    return roles


def is_platform_admin(user: Any) -> bool:
    return Role.PLATFORM_ADMIN in roles_of(user)


def person_of(user: Any) -> Person | None:
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def subtree_q(paths: Iterable[str], field: str) -> Q:
    """Rows whose jurisdiction path ``field`` lies in the subtree of any of ``paths``; none for no paths."""
    paths = list(paths)
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def ancestor_paths(path: str) -> list[str]:
    """The paths of a jurisdiction and of every jurisdiction above it, root first.

    ``"/110105/110105001/"`` -> ``["/110105/", "/110105/110105001/"]``. Built from
    the codes, so a path given without its trailing slash still names itself.
    """
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def jurisdiction_paths_of(user: Any, roles: Iterable[str]) -> list[str]:
    """Where the user's grants of ``roles`` reach: the granted jurisdiction, or the
    jurisdiction a granted training provider serves. Subtree roots, for ``subtree_q``."""
    roles = set(roles)
    paths = []
    for g in grants_of(user):
        if g.role in roles and g.jurisdiction_id:
            paths.append(g.jurisdiction.path)
        if g.role in roles and g.provider_id:
            paths.append(g.provider.jurisdiction.path)
    return paths


def provider_ids_managed_by(user: Any) -> list[int]:
    """Training providers this user administers (a training admin's grants)."""
    return [g.provider_id for g in grants_of(user) if g.role == Role.TRAINING_ADMIN and g.provider_id]


def enterprise_ids_managed_by(user: Any) -> list[int]:
    """Enterprises this user administers (an enterprise admin's grants); see ``enterprises_managed_by``."""
    return [g.enterprise_id for g in grants_of(user) if g.role == Role.ENTERPRISE_ADMIN and g.enterprise_id]


# The grants that reach a jurisdiction subtree of enterprises and people.
_REGIONAL_ROLES = {Role.BUREAU_OFFICIAL, Role.PROCTOR, Role.TRAINING_ADMIN}


def visible_rows(qs: QuerySet[M], user: Any, rule: Callable[[], Q]) -> QuerySet[M]:
    """``qs`` as ``user`` may see it: none of it when signed out, all of it for a platform admin,
    and otherwise the rows ``rule()`` selects (called only then, so it may read the user's grants)."""
    if not is_signed_in(user):
        return qs.none()
    if is_platform_admin(user):
        return qs
    return qs.filter(rule())


def jurisdictions_visible_to(user: Any) -> QuerySet[Jurisdiction]:
    return visible_rows(
        Jurisdiction.objects.all(), user, lambda: subtree_q(jurisdiction_paths_of(user, _REGIONAL_ROLES), "path")
    )


def _regional_or_enterprise_q(user: Any, *, path: str, enterprise: str, also: Sequence[int] = ()) -> Q:
    """Rows in the jurisdiction subtree of the user's regional grants (``path`` names the jurisdiction
    path), or of an enterprise the user manages or is in ``also`` (``enterprise`` names its id)."""
    q = subtree_q(jurisdiction_paths_of(user, _REGIONAL_ROLES), path)
    enterprise_ids = [*enterprise_ids_managed_by(user), *also]
    if enterprise_ids:
        q |= Q(**{f"{enterprise}__in": enterprise_ids})
    return q


def enterprises_visible_to(user: Any) -> QuerySet[Enterprise]:
    def rule() -> Q:
        person = person_of(user)
        own = [person.enterprise_id] if person is not None else []
        return _regional_or_enterprise_q(user, path="jurisdiction__path", enterprise="pk", also=own)

    return visible_rows(Enterprise.objects.select_related("industry", "jurisdiction"), user, rule)


def enterprises_managed_by(user: Any) -> QuerySet[Enterprise]:
    """Enterprises whose roster this user may edit and import."""
    qs = Enterprise.objects.select_related("industry", "jurisdiction")
    if is_platform_admin(user):
        return qs
    return qs.filter(pk__in=enterprise_ids_managed_by(user))


def people_visible_to(user: Any) -> QuerySet[Person]:
    def rule() -> Q:
        q = _regional_or_enterprise_q(user, path="enterprise__jurisdiction__path", enterprise="enterprise_id")
        return q | Q(user_id=user.pk)

    return visible_rows(Person.objects.select_related("enterprise", "user"), user, rule)


def people_managed_by(user: Any) -> QuerySet[Person]:
    """People whose full records (unmasked ID number) this user may see and edit."""
    return Person.objects.filter(enterprise__in=enterprises_managed_by(user)).select_related("enterprise", "user")


def can_see_full_id_number(user: Any, person: Person) -> bool:
    return people_managed_by(user).filter(pk=person.pk).exists()


def id_numbers_shown_to(user: Any, people: list[Person]) -> dict[int, str]:
    """The ID number each person is shown with: in full to whoever manages
    them, masked to everyone else. One query for the whole page."""
    from organizations.validators import mask_id_number

    managed = set(people_managed_by(user).filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True))
    return {p.pk: p.id_number if p.pk in managed else mask_id_number(p.id_number) for p in people}


def providers_visible_to(user: Any) -> QuerySet[TrainingProvider]:
    def rule() -> Q:
        paths = jurisdiction_paths_of(user, {Role.BUREAU_OFFICIAL})
        return Q(pk__in=provider_ids_managed_by(user)) | subtree_q(paths, "jurisdiction__path")

    return visible_rows(TrainingProvider.objects.select_related("jurisdiction"), user, rule)


def scope_summary(user: Any) -> dict[str, Any]:
    """What /api/v1/me/ reports: roles and the scope each role covers."""
    grants = []
    for g in grants_of(user):
        entry: dict[str, Any] = {"role": g.role}
        if g.jurisdiction_id:
            entry["jurisdiction"] = {"code": g.jurisdiction.code, "name": g.jurisdiction.name}
        if g.provider_id:
            entry["provider"] = {"code": g.provider.code, "name": g.provider.name}
        if g.enterprise_id:
            entry["enterprise"] = {"credit_code": g.enterprise.credit_code, "name": g.enterprise.name}
        grants.append(entry)
    person = person_of(user)
    return {
        "roles": sorted(roles_of(user)),
        "grants": grants,
        "person": (
            {"name": person.name, "enterprise": person.enterprise.name, "post": person.post} if person else None
        ),
    }


# --- the staff list ------------------------------------------------------------------


def people_working(people: QuerySet[Person], *, today: dt.date) -> QuerySet[Person]:
    """Who still works here on ``today``: no leave date, or one still to come. A leave date of
    today or earlier means the person has left (the leave form's default is today)."""
    return people.filter(Q(leave_date__isnull=True) | Q(leave_date__gt=today))


def people_left(people: QuerySet[Person], *, today: dt.date) -> QuerySet[Person]:
    """Who has left by ``today``: the complement of :func:`people_working`."""
    return people.filter(leave_date__lte=today)


def people_matching(people: QuerySet[Person], query: str, *, with_phone: bool = False) -> QuerySet[Person]:
    """The staff-list search: part of a name or department, a post's name, the tail of an ID
    number as the masked form shows it (its last four characters, "1234" or "***1234"), and,
    for whoever manages the people (``with_phone``), part of a mobile phone number."""
    query = query.strip()
    if not query:
        return people
    q = Q(name__icontains=query) | Q(department__icontains=query)
    tail = query.rsplit("*", 1)[-1].upper()
    if tail and len(tail) <= 4 and all(c.isdigit() or c == "X" for c in tail):
        q |= Q(id_number__endswith=tail)
    posts = [value for value, label in Person.Post.choices if query.lower() in str(label).lower()]
    if posts:
        q |= Q(post__in=posts)
    if with_phone and query.isdigit():
        q |= Q(user__phone__contains=query)
    return people.filter(q)
