"""Builders for valid objects. Codes carry correct check characters."""

from __future__ import annotations

import datetime as dt
import itertools

from accounts.models import User
from exams.models import Certificate
from organizations.models import Enterprise, Industry, Jurisdiction, Person, RoleGrant, TrainingProvider
from organizations.validators import complete_credit_code, complete_id_number, mask_id_number

PASSWORD = "test-pass-2026"
_seq = itertools.count(1)


def next_seq() -> int:
    return next(_seq)


def credit_code(region: str = "990101") -> str:
    return complete_credit_code(f"91{region}MA{next_seq():07d}")


def id_number(region: str = "990101", birth: str = "19900101") -> str:
    return complete_id_number(f"{region}{birth}{next_seq() % 1000:03d}")


def make_user(username: str | None = None, **fields: object) -> User:
    user = User(username=username or f"user{next_seq()}", **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_jurisdiction(
    code: str, name: str, parent: Jurisdiction | None = None, kind: str | None = None
) -> Jurisdiction:
    j = Jurisdiction(
        code=code,
        name=name,
        parent=parent,
        kind=kind or (Jurisdiction.Kind.STREET if parent else Jurisdiction.Kind.DISTRICT),
    )
    j.save()
    return j


def make_enterprise(
    jurisdiction: Jurisdiction, name: str | None = None, industry_code: str = "machinery", above_scale: bool = True
) -> Enterprise:
    return Enterprise.objects.create(
        name=name or f"企业{next_seq()}",
        credit_code=credit_code(jurisdiction.code[:6]),
        industry=Industry.objects.get(code=industry_code),
        jurisdiction=jurisdiction,
        above_scale=above_scale,
    )


def make_person(
    enterprise: Enterprise,
    username: str | None = None,
    post: str = Person.Post.EMPLOYEE,
    hire_date: dt.date | None = None,
    **user_fields: object,
) -> Person:
    user = make_user(username, **user_fields)
    return Person.objects.create(
        user=user,
        enterprise=enterprise,
        name=f"员工{user.pk}",
        post=post,
        hire_date=hire_date or dt.date(2026, 1, 5),
        id_number=id_number(enterprise.jurisdiction.code[:6]),
    )


def make_certificate(
    person: Person,
    cert_type: str,
    *,
    issued_on: dt.date,
    valid_until: dt.date,
    masked_id_number: str | None = None,
    **fields: object,
) -> Certificate:
    """A certificate held by ``person`` at their current enterprise (names copied as issued)."""
    return Certificate.objects.create(
        number=f"C{next_seq():08d}",
        cert_type=cert_type,
        holder=person,
        holder_name=person.name,
        masked_id_number=mask_id_number(person.id_number) if masked_id_number is None else masked_id_number,
        enterprise=person.enterprise,
        enterprise_name=person.enterprise.name,
        issued_on=issued_on,
        valid_until=valid_until,
        **fields,
    )


def grant(user: User, role: str, **scope: object) -> RoleGrant:
    return RoleGrant.objects.create(user=user, role=role, **scope)


def make_provider(jurisdiction: Jurisdiction, code: str | None = None) -> TrainingProvider:
    return TrainingProvider.objects.create(
        code=code or f"prov{next_seq()}", name=f"培训中心{next_seq()}", jurisdiction=jurisdiction
    )
