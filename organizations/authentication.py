"""Token authentication that reads the user's roster entry in the same query.

Nearly every call of the mobile client (start, autosave, submit) needs
``user.person``; DRF's TokenAuthentication would leave that to a second query
per request, which a class of 2,000 starting at once pays 2,000 times.

The query is written once per process from the models' own field lists and
run as SQL: on the autosave path the ORM's compiling of a three-table
``select_related`` cost more than running it (bench/bench_exam.py). The rows
become model instances through ``Model.from_db``, as a queryset would make them.

A token is refused while its user may not have one (``accounts.selectors.
token_refusal``: a forced password change, or MFA enrolment their role
requires), whenever it was issued. When ``MFA_REQUIRED_ROLES`` is set, the same
query also answers whether the user holds such a role and has TOTP, so the
check costs no second query. Every token door calls ``authenticate_credentials``:
DRF views (under daphne and gunicorn alike) and the websocket (``core.websocket_auth``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from core.authentication import TokenRefused
from core.db import instance_from_row


@cache
def _models() -> tuple[type[Any], type[Any], type[Any]]:
    # Imported late: DRF may import this module before the app registry is ready.
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from organizations.models import Person

    return Token, User, Person


@cache
def _query(mfa_roles: int) -> str:
    """The query, with two more columns when ``mfa_roles`` roles require MFA.

    Its parameters: the required roles and the TOTP type when there are some, then the key.
    """
    from allauth.mfa.models import Authenticator

    from organizations.models import RoleGrant

    Token, User, Person = _models()  # noqa: N806 - model classes
    q = connection.ops.quote_name

    def columns(alias: str, model: type[Any]) -> list[str]:
        return [f"{alias}.{q(f.column)}" for f in model._meta.concrete_fields]

    user_pk = q(User._meta.pk.column)
    token_user = q(Token._meta.get_field("user").column)
    person_user = q(Person._meta.get_field("user").column)
    selected = columns("t", Token) + columns("u", User) + columns("p", Person)
    if mfa_roles:
        grant_user, grant_role = (q(RoleGrant._meta.get_field(f).column) for f in ("user", "role"))
        auth_user, auth_type = (q(Authenticator._meta.get_field(f).column) for f in ("user", "type"))
        roles = ", ".join(["%s"] * mfa_roles)
        selected += [
            f"EXISTS (SELECT 1 FROM {q(RoleGrant._meta.db_table)} g "  # noqa: S608 - model names
            f"WHERE g.{grant_user} = u.{user_pk} AND g.{grant_role} IN ({roles}))",
            f"EXISTS (SELECT 1 FROM {q(Authenticator._meta.db_table)} a "  # noqa: S608 - model names
            f"WHERE a.{auth_user} = u.{user_pk} AND a.{auth_type} = %s)",
        ]
    return (
        f"SELECT {', '.join(selected)} "  # noqa: S608 - model names
        f"FROM {q(Token._meta.db_table)} t JOIN {q(User._meta.db_table)} u ON u.{user_pk} = t.{token_user} "
        f"LEFT JOIN {q(Person._meta.db_table)} p ON p.{person_user} = u.{user_pk} "
        f"WHERE t.{q(Token._meta.pk.column)} = %s"
    )


def _instance(model: type[Any], values: tuple[Any, ...]) -> Any:
    return instance_from_row(model, model._meta.concrete_fields, values)


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from allauth.mfa.models import Authenticator

        from accounts.selectors import MFA_FACTS_ATTR, MfaFacts, required_mfa_roles, token_refusal

        Token, User, Person = _models()  # noqa: N806 - model classes
        required = required_mfa_roles()
        params: list[Any] = [*required, Authenticator.Type.TOTP.value] if required else []
        with connection.cursor() as cursor:
            cursor.execute(_query(len(required)), [*params, key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        t = len(Token._meta.concrete_fields)
        u = t + len(User._meta.concrete_fields)
        p = u + len(Person._meta.concrete_fields)
        token = _instance(Token, row[:t])
        user = _instance(User, row[t:u])
        if required:
            setattr(user, MFA_FACTS_ATTR, MfaFacts(required, bool(row[p]), bool(row[p + 1])))
        person = None
        if row[u] is not None:
            person = _instance(Person, row[u:p])
            Person._meta.get_field("user").set_cached_value(person, user)
        User._meta.get_field("person").set_cached_value(user, person)
        Token._meta.get_field("user").set_cached_value(token, user)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        refusal = token_refusal(user=user)
        if refusal is not None:
            raise TokenRefused(code=refusal.code, message=str(refusal.message))
        return user, token
