"""A small, hand-counted world for the statistics API, command and export tests.

On 2026-06-30 (``AS_OF``):

* EAST street enterprise (``east.enterprises[0]``, 化工厂): principal ``east_p1``
  with a valid principal's certificate (counted); safety manager ``east_s1``
  with none (missing: no certificate).
* EAST district enterprise (``east.enterprises[1]``, 机械厂, placed on the
  district node itself): principal ``east_p2`` whose certificate expired on
  2026-03-01 (missing: expired).
* WEST street enterprise: principal ``west_p1``, certified.

So EAST: 1 of 3; by jurisdiction: street 1/2, district node 0/1. Nobody is a
special operator: that rate has a zero denominator (``None``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from exams.models import Certificate, CertificateType
from organizations.models import BEGINNING, Employment, EnterpriseStatus, Person
from tests import factories
from tests.conftest import Cast

FROM, TO = "2026-01-01", "2026-06-30"
AS_OF = dt.date(2026, 6, 30)
Post = Person.Post


def _status(enterprise: Any) -> None:
    EnterpriseStatus.objects.get_or_create(
        enterprise=enterprise,
        valid_from=BEGINNING,
        defaults={
            "industry_id": enterprise.industry_id,
            "above_scale": enterprise.above_scale,
            "jurisdiction_id": enterprise.jurisdiction_id,
        },
    )


def _holder(enterprise: Any, username: str, post: str, name: str) -> Person:
    person = factories.make_person(enterprise, username=username, post=post)
    person.name = name
    person.save(update_fields=["name"])
    Employment.objects.create(person=person, enterprise=enterprise, post=post, start_date=dt.date(2025, 1, 1))
    return person


def certificate(person: Person, cert_type: str, issued: dt.date, until: dt.date) -> Certificate:
    return factories.make_certificate(person, cert_type, issued_on=issued, valid_until=until)


def stats_world(cast: Cast) -> dict[str, Person]:
    for district in (cast.east, cast.west):
        for enterprise in district.enterprises:
            _status(enterprise)
    east_a, east_b = cast.east.enterprises
    people = {
        "east_p1": _holder(east_a, "east_p1", Post.PRINCIPAL, "张一"),
        "east_s1": _holder(east_a, "east_s1", Post.SAFETY_MANAGER, "李二"),
        "east_p2": _holder(east_b, "east_p2", Post.PRINCIPAL, "王三"),
        "west_p1": _holder(cast.west.enterprises[0], "west_p1", Post.PRINCIPAL, "赵四"),
    }
    certificate(people["east_p1"], CertificateType.PRINCIPAL, dt.date(2025, 2, 1), dt.date(2028, 2, 1))
    certificate(people["east_p2"], CertificateType.PRINCIPAL, dt.date(2023, 3, 1), dt.date(2026, 3, 1))
    certificate(people["west_p1"], CertificateType.PRINCIPAL, dt.date(2025, 2, 1), dt.date(2028, 2, 1))
    return people


def east_export_job(cast: Cast) -> Any:
    """A finished export of the EAST bureau (its file in private storage), for the route walker."""
    from analytics.exports import export_job_run
    from analytics.models import ExportJob

    job = ExportJob.objects.filter(requested_by=cast.east.bureau, status=ExportJob.Status.DONE).first()
    if job is None:
        job = ExportJob.objects.create(
            requested_by=cast.east.bureau, code="principal_certified_rate", params={"from": FROM, "to": TO}, kind="csv"
        )
        export_job_run(job_id=job.pk)
    return job
