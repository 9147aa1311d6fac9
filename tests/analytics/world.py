"""A small certificate world on top of the cast, shared by the view and report tests.

East district: at its street's chemical plant a certified principal (``certified``) and
an uncertified safety manager (``uncertified``); at the district's machinery plant a
principal whose certificate expired on 2021-01-01 (``expired``). West: one uncertified
principal. Every enterprise has one status row from the beginning and every person one
open employment, as migration 0004 leaves them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from exams.models import Certificate, CertificateType
from organizations.models import BEGINNING, Employment, Enterprise, EnterpriseStatus, Person
from tests import factories

Post = Person.Post
START = dt.date(2020, 1, 1)


def status_rows() -> None:
    for e in Enterprise.objects.all():
        EnterpriseStatus.objects.get_or_create(
            enterprise=e,
            valid_from=BEGINNING,
            defaults={"industry": e.industry, "above_scale": e.above_scale, "jurisdiction": e.jurisdiction},
        )


def staff(enterprise: Enterprise, post: str, name: str) -> Person:
    person = factories.make_person(enterprise, post=post, hire_date=START)
    person.name = name
    person.save()
    Employment.objects.create(person=person, enterprise=enterprise, post=post, start_date=START)
    return person


def certify(person: Person, cert_type: str, *, valid_until: dt.date = dt.date(2099, 12, 31)) -> Certificate:
    return factories.make_certificate(
        person, cert_type, issued_on=dt.date(2019, 1, 1), valid_until=valid_until, imported=True
    )


def build(cast: Any) -> dict[str, Person]:
    east, west = cast.east, cast.west
    status_rows()
    certified = staff(east.enterprises[0], Post.PRINCIPAL, "张持证")
    certify(certified, CertificateType.PRINCIPAL)
    uncertified = staff(east.enterprises[0], Post.SAFETY_MANAGER, "李无证")
    expired = staff(east.enterprises[1], Post.PRINCIPAL, "王过期")
    certify(expired, CertificateType.PRINCIPAL, valid_until=dt.date(2021, 1, 1))
    west_person = staff(west.enterprises[0], Post.PRINCIPAL, "赵西区")
    return {"certified": certified, "uncertified": uncertified, "expired": expired, "west": west_person}
