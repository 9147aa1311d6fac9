"""Writes for organizations. Keyword-only, typed; callers validate first."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction

from accounts.models import User
from organizations.models import Enterprise, Person, RoleGrant
from organizations.validators import normalize_id_number


def initial_password() -> str:
    # Handed to the enterprise admin once; the account must change it at first login.
    return secrets.token_urlsafe(9)


def username_for_id_number(id_number: str) -> str:
    # Imported employees log in with their phone number or this username;
    # it must not reveal the ID number, so it is derived from the last 6 chars
    # plus a random suffix only when that collides.
    base = f"u{normalize_id_number(id_number)[-6:].lower()}"
    candidate = base
    while User.objects.filter(username=candidate).exists():
        candidate = f"{base}{secrets.randbelow(10_000):04d}"
    return candidate


@transaction.atomic
def person_create(
    *,
    enterprise: Enterprise,
    name: str,
    id_number: str,
    hire_date: dt.date,
    post: str = Person.Post.EMPLOYEE,
    department: str = "",
    phone: str | None = None,
    email: str = "",
    leave_date: dt.date | None = None,
    password: str | None = None,
    username: str | None = None,
) -> tuple[Person, str | None]:
    """Create a person with a login. Returns the person and the one-time
    initial password (None when a password was given)."""
    one_time = None
    if password is None:
        password = one_time = initial_password()
    user = User(
        username=username or username_for_id_number(id_number),
        display_name=name,
        phone=phone or None,
        email=email,
        must_change_password=one_time is not None,
    )
    user.set_password(password)
    user.save()
    person = Person.objects.create(
        user=user,
        enterprise=enterprise,
        name=name,
        id_number=normalize_id_number(id_number),
        hire_date=hire_date,
        leave_date=leave_date,
        post=post,
        department=department,
    )
    return person, one_time


def role_grant(*, user: User, role: str, **scope: object) -> RoleGrant:
    grant, _ = RoleGrant.objects.get_or_create(user=user, role=role, **scope)
    return grant
