"""Writes for organizations. Keyword-only, typed; callers validate first."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import User
from core import registries
from organizations.models import Enterprise, Person, RoleGrant
from organizations.validators import normalize_id_number

# Letters and digits only, without look-alikes (0/O, 1/l/I): the password is read off a page or a
# spreadsheet and typed on a phone, and it never starts with a character a spreadsheet would take
# for a formula (token_urlsafe's "-" was turned into "'-" by the safe writer, a wrong password).
INITIAL_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - an alphabet, not a password
INITIAL_PASSWORD_LENGTH = 12  # about 70 bits

# The follow-up event person_create runs (core.registries).
PERSON_CREATED = "organizations.person_create"


def initial_password() -> str:
    # Handed to the enterprise admin once; the account must change it at first login.
    return "".join(secrets.choice(INITIAL_PASSWORD_ALPHABET) for _ in range(INITIAL_PASSWORD_LENGTH))


def new_username() -> str:
    # Imported employees log in with their phone number or this handed-out
    # username. It is random so that it reveals nothing about the person
    # (an earlier scheme used ID-number digits).
    while True:
        candidate = f"u{secrets.token_hex(4)}"
        if not User.objects.filter(username=candidate).exists():
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
        username=username or new_username(),
        display_name=name,
        phone=phone or None,
        email=email,
        must_change_password=one_time is not None,
    )
    # A one-time password is a random 72-bit secret that must be replaced at
    # first login, so it takes the cheap hasher: a roster of 1,000 new hires
    # would otherwise spend ~10 minutes in PBKDF2. Django re-hashes with the
    # default hasher when the person signs in.
    user.password = make_password(password, hasher="onetime_pbkdf2" if one_time else "default")
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
    # Whatever the apps above must do when someone joins a roster: training assigns a recent
    # hire the onboarding plan for their industry and post (core.registries).
    registries.run_follow_ups(PERSON_CREATED, person=person)
    return person, one_time


def role_grant(*, user: User, role: str, **scope: object) -> RoleGrant:
    grant, _ = RoleGrant.objects.get_or_create(user=user, role=role, **scope)
    return grant
