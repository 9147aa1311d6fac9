"""Hand-built analytics fixtures for the indicator tests: rows made directly with the ORM, so each
test can work out its expected figures from what it sees here.

One credit hour (学时) is 45 minutes (2700 seconds), the seeded profiles
require 24 onboarding hours of an employee (72 in a high-risk industry).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from analytics.indicators import Query
from exams.models import Attempt, Certificate, CertificateType, ExamSession, PaperTemplate
from organizations import models as org
from tests import factories
from training.models import Assignment, Course, CreditLedger, PublicLearner

HOUR = 45 * 60
Post = org.Person.Post


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A local (Asia/Shanghai) instant on ``day``."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def enterprise(
    jurisdiction: org.Jurisdiction, name: str, industry: str = "machinery", above_scale: bool = True
) -> org.Enterprise:
    """An enterprise with its first status holding since the beginning."""
    e = factories.make_enterprise(jurisdiction, name=name, industry_code=industry, above_scale=above_scale)
    status(e, org.BEGINNING, industry=industry, above_scale=above_scale, jurisdiction=jurisdiction)
    return e


def status(
    e: org.Enterprise, valid_from: dt.date, *, industry: str, above_scale: bool, jurisdiction: org.Jurisdiction
) -> org.EnterpriseStatus:
    return org.EnterpriseStatus.objects.create(
        enterprise=e,
        valid_from=valid_from,
        industry=org.Industry.objects.get(code=industry),
        above_scale=above_scale,
        jurisdiction=jurisdiction,
    )


def person(e: org.Enterprise, name: str, start: dt.date | None = None, *, post: str = Post.EMPLOYEE) -> org.Person:
    """A person at ``e``; with ``start``, also their employment there from that day."""
    p = factories.make_person(e, post=post, hire_date=start or dt.date(2020, 1, 1))
    p.name = name
    p.save(update_fields=["name"])
    if start is not None:
        employ(p, e, start, post=post)
    return p


def employ(
    p: org.Person, e: org.Enterprise, start: dt.date, end: dt.date | None = None, *, post: str = Post.EMPLOYEE
) -> org.Employment:
    return org.Employment.objects.create(person=p, enterprise=e, post=post, start_date=start, end_date=end)


def credit(
    p: org.Person | User,
    e: org.Enterprise | None,
    day: dt.date,
    hours: float,
    purpose: str = CreditLedger.Purpose.ONBOARDING,
    *,
    assessment_passed: bool | None = None,
    hour: int = 10,
    minute: int = 0,
) -> CreditLedger:
    """``hours`` 学时 credited on ``day`` (from ``hour``:``minute`` local time) under ``e`` for ``purpose``."""
    start = at(day, hour) + dt.timedelta(minutes=minute)
    seconds = round(hours * HOUR)
    return CreditLedger.objects.create(
        learner=p.user if isinstance(p, org.Person) else p,
        started_at=start,
        ended_at=start + dt.timedelta(seconds=seconds),
        seconds=seconds,
        method=CreditLedger.Method.IMPORT,
        enterprise=e,
        purpose=purpose,
        assessment_passed=assessment_passed,
        source="fixture",
        post=p.post if isinstance(p, org.Person) else "",
    )


def provider() -> org.TrainingProvider:
    root = org.Jurisdiction.objects.order_by("path").first()
    return org.TrainingProvider.objects.get_or_create(
        code="fixture-center", defaults={"name": "中心", "jurisdiction": root}
    )[0]


def session(
    closes: dt.date,
    *,
    onboarding: bool = False,
    title: str = "考试",
    mark: int = 60,
) -> ExamSession:
    prov = provider()
    paper = PaperTemplate.objects.get_or_create(provider=prov, name="试卷")[0]
    return ExamSession.objects.create(
        provider=prov,
        paper=paper,
        title=title,
        opens_at=at(closes, 8) - dt.timedelta(days=1),
        closes_at=at(closes, 18),
        is_onboarding=onboarding,
        attempts_allowed=3,
        pass_score=Decimal(mark),
    )


def attempt(
    s: ExamSession, p: org.Person, *, score: int | None, seq: int = 1, day: dt.date | None = None, status: str = ""
) -> Attempt:
    """An attempt: ``score=None`` is one never started (prepared); otherwise
    submitted (or ``status``) with that score, passed at the session's mark."""
    if score is None:
        return Attempt.objects.create(session=s, person=p, seq=seq)
    when = at(day or timezone.localdate(s.closes_at), 12)
    return Attempt.objects.create(
        session=s,
        person=p,
        seq=seq,
        status=status or Attempt.Status.SUBMITTED,
        started_at=when - dt.timedelta(minutes=30),
        deadline=when + dt.timedelta(minutes=30),
        submitted_at=when,
        score=Decimal(score),
        max_score=Decimal(100),
        passed=Decimal(score) >= s.pass_score,
    )


def certificate(
    p: org.Person,
    cert_type: str,
    issued: dt.date,
    until: dt.date,
    *,
    revoked: dt.date | None = None,
    imported: bool = False,
) -> Certificate:
    return factories.make_certificate(
        p,
        cert_type,
        issued_on=issued,
        valid_until=until,
        masked_id_number=p.id_number[:6] + "********",
        status=Certificate.Status.REVOKED if revoked else Certificate.Status.VALID,
        revoked_at=at(revoked) if revoked else None,
        imported=imported,
        issuer_name="省应急管理厅" if imported else "",
    )


def public_course(owner: org.TrainingProvider | None = None) -> Course:
    return Course.objects.create(title="群众应急救护", owner_provider=owner or provider(), is_public=True)


def resident(jurisdiction: org.Jurisdiction, name: str) -> PublicLearner:
    user = factories.make_user()
    return PublicLearner.objects.create(user=user, jurisdiction=jurisdiction, name=name)


def complete(user: User, course: Course, day: dt.date, source: str = Assignment.Source.MANUAL) -> Assignment:
    return Assignment.objects.create(
        learner=user, course=course, status=Assignment.Status.COMPLETED, source=source, completed_at=at(day)
    )


def q(code: str, date_from: dt.date, date_to: dt.date, *, today: dt.date | None = None, **kw: object) -> Query:
    return Query(code=code, date_from=date_from, date_to=date_to, today=today or dt.date(2027, 1, 1), **kw)  # type: ignore[arg-type]


__all__ = [
    "CertificateType",
    "HOUR",
    "Post",
]


STREET_NAMES = ["第一街道", "第二街道", "第三街道"]


def east_district(streets: int = 1) -> tuple[org.Jurisdiction, list[org.Jurisdiction]]:
    """东城区 (330101) with its first ``streets`` streets (330101001, …), on a
    seeded industry catalogue."""
    from tests.conftest import ensure_industries

    ensure_industries()
    root = factories.make_jurisdiction("330101", "东城区")
    return root, [
        factories.make_jurisdiction(f"330101{i + 1:03d}", STREET_NAMES[i], parent=root) for i in range(streets)
    ]
