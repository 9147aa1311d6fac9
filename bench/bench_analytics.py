"""Indicators over a district-sized platform: SQL aggregation against a Python-side baseline.

    .venv/bin/python bench/bench_analytics.py                       # 1M people, ~5M records
    .venv/bin/python bench/bench_analytics.py --people 100000       # a quick run
    .venv/bin/python bench/bench_analytics.py --keep                # keep the database, then
    .venv/bin/python bench/bench_analytics.py --reuse --only principal_certified_rate

Data (issue 14 §9), generated with COPY (psycopg ``cursor.copy``) after
``migrate`` into its own PostgreSQL database (``DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/bench_analytics``; created here and dropped
at the end unless ``--keep``): ``--people`` people with their logins and
employments (5 % transfers, 8 % leavers; 45 % hired in the last two years),
``--enterprises`` enterprises (default people / 20) in the seeded catalogue of
20 industries with their status rows (20 % changed industry, scale or
jurisdiction in the last two years), 101 jurisdictions (a city, 10 districts,
90 streets, with populations), and about 5 records per person: onboarding and
annual ledger entries, exam attempts in monthly sessions (with retakes) and
certificates (platform and imported, expired, revoked, renewed), plus public
learners, bureau staff and course completions.

Timing: every registered indicator at every ``group_by`` it supports (and
none), for the whole city over the last 365 days, through
``analytics.indicators.compute`` (the code every door calls): p50 of ``--runs``
runs after one warm-up. Baseline, same run, same data: the naive way: fetch
the raw rows the indicator reads (employments, statuses, certificates, ledger
entries, …) into Python and count there (``naive`` in the table; it also
checks that both give the same figures). Every indicator has its own naive
version; none reuses the indicator's queries (until 2026-12-07 the first-aid
and regulator rates were compared with their own subject query, ``rows``).

Targets (2 cores): every indicator < 1 s at p50 over the full data, and >= 50x
faster than the baseline.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import django_setup  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_analytics"
NOW_TZ = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, fixed: no DST


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(sql)


def _db_exists(url: str) -> bool:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


# --- COPY ---------------------------------------------------------------------------------


def _copy(model: Any, columns: str, rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` (values for ``columns``, attnames separated by spaces) into ``model``'s table;
    every other NOT NULL column gets its model default (``auto_now*`` → now). Prints the time it took
    (generating the rows included) and returns the number of rows."""
    from django.db import connection
    from django.utils import timezone

    t0 = time.perf_counter()
    names = columns.split()
    now = timezone.now()
    column_of = {f.attname: f.column for f in model._meta.concrete_fields}
    extra_cols: list[str] = []
    extra_vals: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.attname in names or f.null or f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = now
        elif f.has_default():
            value = f.get_default()
            if f.get_internal_type() == "JSONField":
                value = json.dumps(value)
        elif f.empty_strings_allowed:
            value = ""
        else:
            raise ValueError(f"{model.__name__}.{f.attname} needs a value")
        extra_cols.append(f.column)
        extra_vals.append(value)
    quoted = ", ".join(f'"{c}"' for c in [*(column_of[c] for c in names), *extra_cols])
    sql = f'COPY "{model._meta.db_table}" ({quoted}) FROM STDIN'
    tail = tuple(extra_vals)
    n = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((*row, *tail))
            n += 1
    print(f"{model._meta.db_table}: {n:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
    return n


def _reset_sequences(*models: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE(MAX(id), 1)) FROM \"{table}\""
            )


# --- data ---------------------------------------------------------------------------------


def populate(args: argparse.Namespace) -> dict[str, int]:
    """Build the data set; returns row counts per table."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import User
    from exams.models import Attempt, Certificate, ExamSession, PaperTemplate
    from organizations import models as org
    from training.models import Assignment, Chapter, Course, CreditLedger, PublicLearner, RequirementProfile

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - t0:.1f} s", flush=True)
    rng = random.Random(9)  # noqa: S311 - synthetic data
    today = dt.date.today()
    counts: dict[str, int] = {}

    # Jurisdictions, provider, courses, paper, sessions: a few rows through the ORM.
    city = org.Jurisdiction(code="990100", name="基准市", kind="city")
    city.save()
    streets: list[org.Jurisdiction] = []
    for d in range(1, 11):
        district = org.Jurisdiction(code=f"9901{d:02d}", name=f"基准{d}区", kind="district", parent=city)
        district.save()
        for s in range(1, 10):
            street = org.Jurisdiction(
                code=f"9901{d:02d}{s:03d}",
                name=f"基准{d}区{s}街道",
                kind="street",
                parent=district,
                population=rng.randint(20_000, 80_000),
            )
            street.save()
            streets.append(street)
    industries = list(org.Industry.objects.order_by("code"))
    high_risk = {i.pk for i in industries if i.is_high_risk}
    key_ids = [i.pk for i in industries if i.is_key]
    other_ids = [i.pk for i in industries if not i.is_key]
    provider = org.TrainingProvider.objects.create(code="bench", name="基准培训中心", jurisdiction=city)
    courses = []
    for n in range(6):
        course = Course.objects.create(title=f"基准课程{n}", owner_provider=provider, is_public=n == 0)
        Chapter.objects.create(course=course, title="第一章")
        courses.append(course)
    paper = PaperTemplate.objects.create(provider=provider, name="基准试卷")
    profiles = {(p.high_risk, p.post): p for p in RequirementProfile.objects.all()}

    def aware(day: dt.date, hour: int = 9) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), NOW_TZ)

    sessions: dict[tuple[str, str], int] = {}
    month = dt.date(today.year - 2, today.month, 1)
    while month <= today:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        for onboarding in (True, False):
            s = ExamSession.objects.create(
                provider=provider,
                paper=paper,
                title=f"{'岗前' if onboarding else '年度'}考核 {month:%Y-%m}",
                opens_at=aware(month, 8),
                closes_at=aware(following - dt.timedelta(days=1), 20),
                attempts_allowed=2,
                is_onboarding=onboarding,
            )
            sessions[(f"{month:%Y-%m}", "onb" if onboarding else "ann")] = s.pk
        month = following

    # Enterprises and their status history.
    n_ent = args.enterprises or max(args.people // 20, 50)
    ent_status: list[list[tuple[dt.date, int, bool, int]]] = []
    with transaction.atomic():

        def enterprises() -> Iterator[tuple[Any, ...]]:
            for i in range(1, n_ent + 1):
                industry = rng.choice(key_ids) if rng.random() < 0.7 else rng.choice(other_ids)
                above = rng.random() < 0.7
                street = rng.choice(streets).pk
                history = [(org.BEGINNING, industry, above, street)]
                if rng.random() < 0.2:
                    day = today - dt.timedelta(days=rng.randint(30, 700))
                    kind = rng.randrange(3)
                    history.append(
                        (
                            day,
                            rng.choice(key_ids) if kind == 0 else industry,
                            (not above) if kind == 1 else above,
                            rng.choice(streets).pk if kind == 2 else street,
                        )
                    )
                ent_status.append(history)
                _, industry, above, street = history[-1]
                yield (i, f"基准企业{i}", f"91990100MA{i:08d}", industry, above, street)

        counts["enterprises"] = _copy(
            org.Enterprise, "id name credit_code industry_id above_scale jurisdiction_id", enterprises()
        )
        counts["enterprise statuses"] = _copy(
            org.EnterpriseStatus,
            "enterprise_id valid_from industry_id above_scale jurisdiction_id source",
            (
                (e, day, industry, above, street, "bench")
                for e, history in enumerate(ent_status, start=1)
                for day, industry, above, street in history
            ),
        )

    def industry_on(ent: int, day: dt.date) -> int:
        history = ent_status[ent - 1]
        return history[-1][1] if len(history) == 1 or history[1][0] <= day else history[0][1]

    # People: users, persons, employments.
    posts = ["principal"] * 4 + ["safety_manager"] * 5 + ["special_operator"] * 10 + ["employee"] * 81
    jobs: list[list[tuple[int, str, dt.date, dt.date | None]]] = []
    for _ in range(args.people):
        ent = rng.randint(1, n_ent)
        post = rng.choice(posts)
        recent = rng.random() < 0.45
        start = today - dt.timedelta(days=rng.randint(0, 730) if recent else rng.randint(731, 4000))
        end = None
        if rng.random() < 0.08:
            end = start + dt.timedelta(days=rng.randint(5, 400))
            end = end if end < today else None
        person_jobs = [(ent, post, start, end)]
        if end is None and rng.random() < 0.05:
            moved = today - dt.timedelta(days=rng.randint(10, 600))
            if moved > start + dt.timedelta(days=30):
                person_jobs = [
                    (ent, post, start, moved - dt.timedelta(days=1)),
                    (rng.randint(1, n_ent), post, moved, None),
                ]
        jobs.append(person_jobs)
    with transaction.atomic():
        counts["users"] = _copy(
            User,
            "id username password display_name",
            ((i, f"b{i:07d}", "!", f"员工{i}") for i in range(1, args.people + 1)),
        )
        counts["people"] = _copy(
            org.Person,
            "id user_id enterprise_id name post hire_date leave_date id_number",
            (
                (i, i, js[-1][0], f"员工{i}", js[-1][1], js[-1][2], js[-1][3], f"990100{i:011d}X")
                for i, js in enumerate(jobs, start=1)
            ),
        )
        counts["employments"] = _copy(
            org.Employment,
            "person_id enterprise_id post start_date end_date source",
            ((i, ent, post, start, end, "bench") for i, js in enumerate(jobs, start=1) for ent, post, start, end in js),
        )

    # Ledger entries, attempts, certificates, course completions (one COPY each commits on its own).
    two_years = today - dt.timedelta(days=730)
    years = (today.year - 1, today.year)

    def ledger() -> Iterator[tuple[Any, ...]]:
        for person, js in enumerate(jobs, start=1):
            for ent, post, start, end in js:
                last = min(end or today, today)
                if start >= two_years:
                    profile = profiles[(industry_on(ent, start) in high_risk, post)]
                    need = profile.initial_hours * 45 * 60
                    roll = rng.random()
                    seconds = need if roll < 0.7 else (int(need * rng.uniform(0.2, 0.9)) if roll < 0.9 else 0)
                    if seconds:
                        for piece in range(2):
                            day = min(start + dt.timedelta(days=rng.randint(-10, 20)), last)
                            passed = (rng.random() < 0.9) if piece == 1 and rng.random() < 0.4 else None
                            at = aware(day)
                            half = seconds // 2
                            yield (person, at, at + dt.timedelta(seconds=half), half, post, ent, "onboarding", passed)
                for year in years:
                    if start >= dt.date(year, 1, 1) or (end and end < dt.date(year, 12, 31)):
                        continue
                    roll = rng.random()
                    hours = 22 if roll < 0.65 else (rng.randint(2, 15) if roll < 0.85 else 0)
                    year_end = min(dt.date(year, 12, 31), today)
                    span = (year_end - dt.date(year, 1, 1)).days
                    for _ in range(3 if hours else 0):
                        at = aware(dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, span)))
                        secs = hours * 45 * 20
                        yield (person, at, at + dt.timedelta(seconds=secs), secs, post, ent, "annual", None)

    counts["ledger entries"] = _copy(
        CreditLedger, "learner_id started_at ended_at seconds post enterprise_id purpose assessment_passed", ledger()
    )

    def attempts() -> Iterator[tuple[Any, ...]]:
        for person, js in enumerate(jobs, start=1):
            ent, post, start, end = js[-1]
            for kind, day in (("onb", start + dt.timedelta(days=rng.randint(3, 25))), ("ann", None)):
                if kind == "onb" and (start < two_years or rng.random() < 0.3):
                    continue
                if kind == "ann":
                    if rng.random() < 0.55:
                        continue
                    day = today - dt.timedelta(days=rng.randint(0, 700))
                assert day is not None
                day = min(day, today)
                session = sessions.get((f"{day:%Y-%m}", kind))
                if session is None:
                    continue
                first = rng.randint(35, 100)
                scores = [first] if first >= 60 or rng.random() < 0.4 else [first, rng.randint(45, 100)]
                for seq, score in enumerate(scores, start=1):
                    at = aware(day, 9 + seq)
                    done = at + dt.timedelta(minutes=40)
                    yield (
                        session,
                        person,
                        seq,
                        "submitted",
                        100,
                        at,
                        at + dt.timedelta(hours=1),
                        done,
                        "examinee",
                        done,
                        score,
                        score >= 60,
                    )

    counts["exam attempts"] = _copy(
        Attempt,
        "session_id person_id seq status max_score started_at deadline"
        " submitted_at submit_reason graded_at score passed",
        attempts(),
    )

    cert_of = {"principal": "principal", "safety_manager": "safety_manager", "special_operator": "special_operator"}

    def certificates() -> Iterator[tuple[Any, ...]]:
        number = 0
        for person, js in enumerate(jobs, start=1):
            ent, post, start, end = js[-1]
            wanted = cert_of.get(post)
            if wanted is None:
                if start >= two_years and rng.random() < 0.25:
                    wanted = "new_employee"
                    issued = min(start + dt.timedelta(days=rng.randint(5, 40)), today)
                else:
                    continue
            else:
                roll = rng.random()
                if roll > 0.88:
                    continue
                issued = today - dt.timedelta(days=rng.randint(10, 1400))  # some of them expired
            history = [issued]
            if wanted != "new_employee" and rng.random() < 0.4:
                history.insert(0, issued - dt.timedelta(days=1095))  # the expired one it renewed
            for day in history:
                number += 1
                imported = wanted == "special_operator" or rng.random() < 0.4
                revoked = rng.random() < 0.04
                until = day + dt.timedelta(days=1095 if wanted != "special_operator" else 2190)
                yield (
                    f"BC{number:09d}",
                    wanted,
                    person,
                    f"员工{person}",
                    "990100********",
                    ent,
                    f"基准企业{ent}",
                    None if imported else provider.pk,
                    imported,
                    day,
                    until,
                    "revoked" if revoked else "valid",
                    aware(day + dt.timedelta(days=60)) if revoked else None,
                )

    counts["certificates"] = _copy(
        Certificate,
        "number cert_type holder_id holder_name masked_id_number enterprise_id enterprise_name"
        " provider_id imported issued_on valid_until status revoked_at",
        certificates(),
    )

    # Course completions, public learners, bureau staff.
    n_public = max(args.people // 20, 100)
    n_staff = 500
    first_extra = args.people + 1
    with transaction.atomic():
        counts["assignments"] = _copy(
            Assignment,
            "learner_id course_id status source completed_at",
            (
                (
                    p,
                    courses[1 + p % 5].pk,
                    "completed",
                    "onboarding",
                    aware(today - dt.timedelta(days=rng.randint(0, 700))),
                )
                for p in range(1, args.people + 1)
                if rng.random() < 0.3
            ),
        )
        counts["users"] += _copy(
            User,
            "id username password display_name",
            ((i, f"x{i:07d}", "!", f"居民{i}") for i in range(first_extra, first_extra + n_public + n_staff)),
        )
        counts["public learners"] = _copy(
            PublicLearner,
            "user_id jurisdiction_id name",
            ((i, rng.choice(streets).pk, f"居民{i}") for i in range(first_extra, first_extra + n_public)),
        )
        counts["assignments"] += _copy(
            Assignment,
            "learner_id course_id status source completed_at",
            (
                (i, courses[0].pk, "completed", "public", aware(today - dt.timedelta(days=rng.randint(0, 700))))
                for i in range(first_extra, first_extra + n_public)
                if rng.random() < 0.6
            ),
        )
        staff = range(first_extra + n_public, first_extra + n_public + n_staff)
        counts["role grants"] = _copy(
            org.RoleGrant,
            "user_id role jurisdiction_id",
            ((i, "bureau_official", rng.choice(streets).parent_id) for i in staff),
        )
        counts["assignments"] += _copy(
            Assignment,
            "learner_id course_id status source completed_at",
            (
                (
                    i,
                    course.pk,
                    "completed",
                    "manual",
                    aware(
                        dt.date(today.year, 1, 1)
                        + dt.timedelta(days=rng.randint(0, (today - dt.date(today.year, 1, 1)).days))
                    ),
                )
                for i in staff
                for course in rng.sample(courses[1:], rng.choice((0, 1, 2, 3)))
            ),
        )
    _reset_sequences(User, org.Person, org.Enterprise)
    t0 = time.perf_counter()
    if not connection.in_atomic_block:  # a test's transaction (tests/analytics/test_bench_naive.py)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"analyze: {time.perf_counter() - t0:.1f} s", flush=True)
    return counts


# --- the naive baseline -------------------------------------------------------------------


class _Statuses:
    """Every enterprise's status history, fetched once per baseline run of ``query``."""

    def __init__(self, query: Any) -> None:
        from organizations.models import EnterpriseStatus, Jurisdiction

        self.root = query.jurisdiction.path if query.jurisdiction else "/"

        self.by_ent: dict[int, tuple[list[dt.date], list[tuple[int, bool, int]]]] = {}
        for ent, day, industry, above, place in EnterpriseStatus.objects.order_by(
            "enterprise_id", "valid_from"
        ).values_list("enterprise_id", "valid_from", "industry_id", "above_scale", "jurisdiction_id"):
            days, values = self.by_ent.setdefault(ent, ([], []))
            days.append(day)
            values.append((industry, above, place))
        self.paths = dict(Jurisdiction.objects.values_list("pk", "path"))

    def on(self, ent: int, day: dt.date) -> tuple[int, bool, int] | None:
        days, values = self.by_ent[ent]
        i = bisect.bisect_right(days, day) - 1
        return values[i] if i >= 0 else None

    def placed(self, ent: int, day: dt.date) -> tuple[int, bool, int] | None:
        """The status in force on ``day`` if it places the enterprise in the query's jurisdiction."""
        status = self.on(ent, day)
        return status if status is not None and self.paths[status[2]].startswith(self.root) else None


def _high_risk_ids() -> set[int]:
    from organizations.models import Industry

    return set(Industry.objects.filter(is_high_risk=True).values_list("pk", flat=True))


def _profile_seconds(hours: str | None = None) -> dict[tuple[bool, str], int]:
    """Per requirement profile (high-risk, post): the seconds of one 学时, or with ``hours``
    (``initial_hours``, ``annual_hours``) the seconds the profile requires."""
    from django.conf import settings

    from training.models import RequirementProfile

    minutes = settings.MINUTES_PER_CREDIT_HOUR
    return {
        (p.high_risk, p.post): (getattr(p, hours) if hours else 1) * (p.minutes_per_hour or minutes) * 60
        for p in RequirementProfile.objects.all()
    }


def _group_key(query: Any, statuses: _Statuses, status: tuple[int, bool, int], ent: int, day: dt.date) -> Any:
    by = query.group_by
    if by is None:
        return None
    if by == "industry":
        return status[0]
    if by == "enterprise":
        return ent
    if by == "jurisdiction":
        rest = statuses.paths[status[2]][len(statuses.root) :].split("/")
        return rest[0] or statuses.root
    return _period_key(by, day)


def _period_key(by: str, day: dt.date) -> str:
    if by == "month":
        return f"{day:%Y-%m}"
    if by == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def naive_holders(query: Any, posts: dict[str, str]) -> tuple[int, int, int]:
    """principal_certified_rate / special_operator_certified_rate, the naive way:
    every employment in the posts, every status row and every certificate of
    the types into Python; count there."""
    from exams.models import Certificate
    from organizations.models import Employment

    as_of = query.as_of
    statuses = _Statuses(query)
    valid: set[tuple[int, str]] = set()
    for holder, kind, issued, until, state, revoked in Certificate.objects.filter(
        cert_type__in=list(posts.values())
    ).values_list("holder_id", "cert_type", "issued_on", "valid_until", "status", "revoked_at"):
        if issued <= as_of <= until and not (state == "revoked" and revoked.astimezone(NOW_TZ).date() <= as_of):
            valid.add((holder, kind))
    den: Counter[Any] = Counter()
    num: Counter[Any] = Counter()
    for person, ent, post, start, end in Employment.objects.filter(post__in=list(posts)).values_list(
        "person_id", "enterprise_id", "post", "start_date", "end_date"
    ):
        if start > as_of or (end is not None and end < as_of):
            continue
        if (status := statuses.placed(ent, as_of)) is None:
            continue
        key = _group_key(query, statuses, status, ent, as_of)
        den[key] += 1
        if (person, posts[post]) in valid:
            num[key] += 1
    return sum(num.values()), sum(den.values()), len(den)


def naive_new_employee(query: Any) -> tuple[int, int, int]:
    """new_employee_training_rate, the naive way: the period's employments,
    every status row, the onboarding ledger entries, passed onboarding exams
    and new-employee certificates into Python; count there."""
    from exams.models import Attempt, Certificate
    from organizations.models import Employment, Industry, Person
    from training.models import CreditLedger

    as_of = query.as_of
    days = dt.timedelta(days=query.param("pretraining_days"))
    statuses = _Statuses(query)
    key = set(Industry.objects.filter(is_key=True).values_list("pk", flat=True))
    high = _high_risk_ids()
    need = _profile_seconds("initial_hours")
    user_of = dict(Person.objects.values_list("pk", "user_id"))
    entries: dict[tuple[int, int], list[tuple[dt.date, int, bool | None]]] = {}
    for learner, ent, started, seconds, passed in CreditLedger.objects.filter(
        purpose="onboarding", started_at__date__gte=query.date_from - days, started_at__date__lte=as_of
    ).values_list("learner_id", "enterprise_id", "started_at", "seconds", "assessment_passed"):
        entries.setdefault((learner, ent), []).append((started.astimezone(NOW_TZ).date(), seconds, passed))
    exams: dict[int, list[dt.date]] = {}
    for person, submitted in Attempt.objects.filter(
        session__is_onboarding=True, status="submitted", passed=True, submitted_at__date__lte=as_of
    ).values_list("person_id", "submitted_at"):
        exams.setdefault(person, []).append(submitted.astimezone(NOW_TZ).date())
    certs: dict[int, list[tuple[dt.date, dt.date, dt.date | None]]] = {}
    for holder, issued, until, state, revoked in Certificate.objects.filter(cert_type="new_employee").values_list(
        "holder_id", "issued_on", "valid_until", "status", "revoked_at"
    ):
        gone = revoked.astimezone(NOW_TZ).date() if state == "revoked" else None
        certs.setdefault(holder, []).append((issued, until, gone))
    # A change of post at the same enterprise (an employment following on from
    # one there) is not a new hire.
    spans: dict[tuple[int, int], list[tuple[dt.date, dt.date | None]]] = {}
    for person, ent, start, end in Employment.objects.filter(start_date__lte=min(query.date_to, as_of)).values_list(
        "person_id", "enterprise_id", "start_date", "end_date"
    ):
        spans.setdefault((person, ent), []).append((start, end))
    den: Counter[Any] = Counter()
    num: Counter[Any] = Counter()
    for person, ent, post, start, end in Employment.objects.filter(
        start_date__gte=query.date_from, start_date__lte=min(query.date_to, as_of)
    ).values_list("person_id", "enterprise_id", "post", "start_date", "end_date"):
        if any(s < start and (e is None or e >= start - dt.timedelta(days=1)) for s, e in spans[(person, ent)]):
            continue
        status = statuses.placed(ent, start)
        if status is None or not status[1] or status[0] not in key:
            continue
        lo, hi = start - days, min(as_of, end or as_of)
        rows = [e for e in entries.get((user_of[person], ent), []) if lo <= e[0] <= hi]
        hours = sum(e[1] for e in rows) >= need.get((status[0] in high, post), 0)
        assessed = (
            any(e[2] for e in rows)
            or any(lo <= d <= hi for d in exams.get(person, []))
            or any(i <= hi <= u and not (g and g <= hi) for i, u, g in certs.get(person, []))
        )
        k = _group_key(query, statuses, status, ent, start)
        den[k] += 1
        num[k] += hours and assessed
    return sum(num.values()), sum(den.values()), len(den)


def naive_exam_pass(query: Any) -> tuple[int, int, int]:
    """exam_pass_rate, the naive way: the sessions closing in the period, all
    their attempts, every employment and status into Python; count there."""
    from exams.models import Attempt, ExamSession
    from organizations.models import Employment, Person

    as_of = query.as_of
    closing = {
        pk: closes.astimezone(NOW_TZ).date()
        for pk, closes in ExamSession.objects.values_list("pk", "closes_at")
        if query.date_from <= closes.astimezone(NOW_TZ).date() <= as_of
    }
    pairs: dict[tuple[int, int], list[bool]] = {}
    for session, person, state, passed in Attempt.objects.filter(session_id__in=list(closing)).values_list(
        "session_id", "person_id", "status", "passed"
    ):
        flags = pairs.setdefault((session, person), [False, False])
        if state == "submitted":
            flags[0] = True
            flags[1] = flags[1] or bool(passed)
    statuses = _Statuses(query)
    jobs: dict[int, list[tuple[dt.date, dt.date | None, int]]] = {}
    for person, ent, start, end in Employment.objects.values_list(
        "person_id", "enterprise_id", "start_date", "end_date"
    ):
        jobs.setdefault(person, []).append((start, end, ent))
    current = dict(Person.objects.values_list("pk", "enterprise_id"))
    den: Counter[Any] = Counter()
    num: Counter[Any] = Counter()
    for (session, person), (sat, passed) in pairs.items():
        if not sat:
            continue
        day = closing[session]
        ents = [e for s, f, e in sorted(jobs.get(person, [])) if s <= day and (f is None or f >= day)]
        ent = ents[-1] if ents else current[person]
        if (status := statuses.placed(ent, day)) is None:
            continue
        k = _group_key(query, statuses, status, ent, day)
        den[k] += 1
        num[k] += passed
    return sum(num.values()), sum(den.values()), len(den)


def naive_ledger(query: Any, *, distinct: bool) -> tuple[float, int, int]:
    """training_hours (``distinct`` False) and active_learners (True), the naive
    way: every ledger entry of the period and every status row into Python."""
    from django.conf import settings

    from training.models import CreditLedger

    statuses = _Statuses(query)
    high = _high_risk_ids()
    minutes = settings.MINUTES_PER_CREDIT_HOUR
    hour = _profile_seconds()
    sums: defaultdict[Any, float] = defaultdict(float)
    learners: defaultdict[Any, set[int]] = defaultdict(set)
    for learner, ent, started, seconds, post in CreditLedger.objects.filter(
        started_at__date__gte=query.date_from, started_at__date__lte=query.as_of, enterprise__isnull=False
    ).values_list("learner_id", "enterprise_id", "started_at", "seconds", "post"):
        day = started.astimezone(NOW_TZ).date()
        if (status := statuses.placed(ent, day)) is None:
            continue
        k = _group_key(query, statuses, status, ent, day)
        if distinct:
            learners[k].add(learner)
        else:
            sums[k] += seconds / hour.get((status[0] in high, post), minutes * 60)
    if distinct:
        everyone: set[int] = set().union(*learners.values()) if learners else set()
        return len(everyone), 0, len(learners)
    return sum(sums.values()), 0, len(sums)


def naive_annual(query: Any) -> tuple[int, int, int]:
    """annual_retraining_rate, the naive way: for each calendar year of the
    period, the employments, every status row and the year's annual ledger
    entries into Python; count there."""
    from organizations.models import Employment, Person
    from training.models import CreditLedger

    statuses = _Statuses(query)
    high = _high_risk_ids()
    need = _profile_seconds("annual_hours")
    user_of = dict(Person.objects.values_list("pk", "user_id"))
    den: Counter[Any] = Counter()
    num: Counter[Any] = Counter()
    for year in range(query.date_from.year, query.as_of.year + 1):
        first = dt.date(year, 1, 1)
        ref = min(dt.date(year, 12, 31), query.as_of)
        if ref < query.date_from:
            continue
        seconds: Counter[int] = Counter()
        for learner, _started, secs in CreditLedger.objects.filter(
            purpose="annual", started_at__date__gte=first, started_at__date__lte=ref
        ).values_list("learner_id", "started_at", "seconds"):
            seconds[learner] += secs
        for person, ent, post, _start, end in Employment.objects.filter(start_date__lt=first).values_list(
            "person_id", "enterprise_id", "post", "start_date", "end_date"
        ):
            if end is not None and end < ref:
                continue
            if (status := statuses.placed(ent, ref)) is None:
                continue
            k = _group_key(query, statuses, status, ent, ref)
            den[k] += 1
            num[k] += seconds[user_of[person]] >= need.get((status[0] in high, post), 0)
    return sum(num.values()), sum(den.values()), len(den)


def naive_completions(query: Any) -> tuple[int, int, int]:
    """course_completions, the naive way: the period's completed assignments,
    every employee's employments and every status row into Python; each
    completion goes to the employment active on its local day (the latest
    started, else the person's current enterprise), counted there."""
    from organizations.models import Employment, Person
    from training.models import Assignment

    person_of = dict(Person.objects.filter(user__isnull=False).values_list("user_id", "pk"))
    current = dict(Person.objects.values_list("pk", "enterprise_id"))
    jobs: dict[int, list[tuple[dt.date, int, dt.date | None, int]]] = {}
    for pk, person, ent, start, end in Employment.objects.values_list(
        "pk", "person_id", "enterprise_id", "start_date", "end_date"
    ):
        jobs.setdefault(person, []).append((start, pk, end, ent))
    statuses = _Statuses(query)
    den: Counter[Any] = Counter()
    for learner, completed in Assignment.objects.filter(
        status="completed",
        completed_at__date__gte=query.date_from - dt.timedelta(days=1),
        completed_at__date__lte=query.as_of + dt.timedelta(days=1),
    ).values_list("learner_id", "completed_at"):
        day = completed.astimezone(NOW_TZ).date()
        person = person_of.get(learner)
        if person is None or not query.date_from <= day <= query.as_of:
            continue
        active = [j for j in sorted(jobs.get(person, [])) if j[0] <= day and (j[2] is None or j[2] >= day)]
        ent = active[-1][3] if active else current[person]
        if ent is None or (status := statuses.placed(ent, day)) is None:
            continue
        den[_group_key(query, statuses, status, ent, day)] += 1
    return sum(den.values()), -1, len(den)


def _jurisdiction_key(query: Any, paths: dict[int, str], root: str, place: int, day: dt.date) -> Any:
    """The group of a resident or a regulator placed at ``place`` (no enterprise, no industry)."""
    by = query.group_by
    if by == "jurisdiction":
        return paths[place][len(root) :].split("/")[0] or root
    return None if by is None else _period_key(by, day)


def naive_first_aid(query: Any) -> tuple[int, int, int]:
    """public_first_aid_coverage, the naive way: every registered resident and the
    period's completed public assignments into Python; a resident counts once, on
    the local day of their first completion in the period. Only the numerator is
    compared (the denominator is the configured population)."""
    from organizations.models import Jurisdiction
    from training.models import Assignment, PublicLearner

    root = query.jurisdiction.path if query.jurisdiction else "/"
    paths = dict(Jurisdiction.objects.values_list("pk", "path"))
    first: dict[int, dt.date] = {}
    for learner, completed in Assignment.objects.filter(
        source="public",
        status="completed",
        completed_at__date__gte=query.date_from - dt.timedelta(days=1),
        completed_at__date__lte=query.as_of + dt.timedelta(days=1),
    ).values_list("learner_id", "completed_at"):
        day = completed.astimezone(NOW_TZ).date()
        if query.date_from <= day <= query.as_of and (learner not in first or day < first[learner]):
            first[learner] = day
    num: Counter[Any] = Counter()
    if query.enterprise is None:
        for user, place in PublicLearner.objects.values_list("user_id", "jurisdiction_id"):
            if user in first and paths[place].startswith(root):
                num[_jurisdiction_key(query, paths, root, place, first[user])] += 1
    return sum(num.values()), -1, len(num)


def naive_regulators(query: Any) -> tuple[int, int, int]:
    """regulator_training_rate, the naive way: every bureau official grant and,
    for each calendar year of the period, the completed assignments from
    1 January to its reference day into Python; a regulator (placed on the
    widest granted jurisdiction of the scope) counts when they completed at
    least ``min_trainings`` of them."""
    from organizations.models import Jurisdiction, RoleGrant
    from training.models import Assignment

    root = query.jurisdiction.path if query.jurisdiction else "/"
    paths = dict(Jurisdiction.objects.values_list("pk", "path"))
    widest: dict[int, int] = {}
    for user, place in RoleGrant.objects.filter(role="bureau_official").values_list("user_id", "jurisdiction_id"):
        path = paths[place]
        if path.startswith(root) and (
            user not in widest or (len(path), path) < (len(paths[widest[user]]), paths[widest[user]])
        ):
            widest[user] = place
    need = query.param("min_trainings")
    den: Counter[Any] = Counter()
    num: Counter[Any] = Counter()
    for year in range(query.date_from.year, query.as_of.year + 1):
        ref = min(dt.date(year, 12, 31), query.as_of)
        done: Counter[int] = Counter()
        for learner, completed in Assignment.objects.filter(
            learner_id__in=list(widest),
            status="completed",
            completed_at__date__gte=dt.date(year, 1, 1) - dt.timedelta(days=1),
            completed_at__date__lte=ref + dt.timedelta(days=1),
        ).values_list("learner_id", "completed_at"):
            if dt.date(year, 1, 1) <= completed.astimezone(NOW_TZ).date() <= ref:
                done[learner] += 1
        for user, place in widest.items() if query.enterprise is None else ():
            k = _jurisdiction_key(query, paths, root, place, ref)
            den[k] += 1
            num[k] += done[user] >= need
    return sum(num.values()), sum(den.values()), len(den)


def _baseline(code: str) -> tuple[str, Callable[[Any], tuple[int, int, int]]]:
    """The indicator's naive version: the raw rows read into Python and counted there."""
    posts = {
        "principal_certified_rate": {"principal": "principal", "safety_manager": "safety_manager"},
        "special_operator_certified_rate": {"special_operator": "special_operator"},
    }
    naive: dict[str, Callable[[Any], tuple[int, int, int]]] = {
        **{c: (lambda q, p=p: naive_holders(q, p)) for c, p in posts.items()},
        "new_employee_training_rate": naive_new_employee,
        "annual_retraining_rate": naive_annual,
        "exam_pass_rate": naive_exam_pass,
        "training_hours": lambda q: naive_ledger(q, distinct=False),
        "active_learners": lambda q: naive_ledger(q, distinct=True),
        "course_completions": naive_completions,
        "public_first_aid_coverage": naive_first_aid,
        "regulator_training_rate": naive_regulators,
    }
    if code not in naive:
        raise SystemExit(f"no naive baseline for {code}: write one (a baseline must not reuse the indicator's query)")
    return "naive", naive[code]


# --- timing -------------------------------------------------------------------------------


def _p50(fn: Callable[[], Any], runs: int, warmup: bool = True) -> tuple[float, Any]:
    result = fn() if warmup else None  # warm-up: plans and caches
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def facts_prepare(args: argparse.Namespace, *, fresh: bool = False) -> None:
    """Build the pre-aggregated facts (``analytics.facts``) when they are not
    (a fresh load, a database from before them) or ``--rebuild-facts``, timed;
    then time an incremental refresh after ``--refresh-writes`` written rows.
    After a fresh load (``fresh``) always a full rebuild: the COPY left a marker
    per row written (the facts of an empty database count as built), which a
    refresh would work through person by person."""
    from analytics.facts import facts_rebuild, facts_refresh
    from analytics.models import FactDirty, FactState

    state = FactState.objects.order_by("pk").first()
    if fresh or args.rebuild_facts or state is None or state.built_at is None:
        print(f"facts: full rebuild ({FactDirty.objects.count():,} markers pending) …", flush=True)
        got = facts_rebuild()
        print("facts: full rebuild " + ", ".join(f"{k}={v:,}" for k, v in got.items()) + " (seconds)", flush=True)
    else:
        got = facts_refresh()
        print(f"facts: refresh of what was pending: {got}", flush=True)
    if args.refresh_writes:
        facts_refresh_cost(args.refresh_writes)


def facts_refresh_cost(writes: int) -> None:
    """Write ``writes`` rows the way the services do (half certificates, half
    graded attempts: each changed and changed back, so the data set stays
    the same), then time the refresh of the facts those writes touched."""
    import random

    from django.db import transaction
    from django.db.models import F

    from analytics.facts import facts_refresh
    from analytics.models import FactDirty
    from exams.models import Attempt, Certificate

    rng = random.Random(writes)

    def sample(model: Any, n: int, **more: Any) -> list[int]:
        ids = list(model.objects.filter(**more).order_by("pk").values_list("pk", flat=True))
        return rng.sample(ids, min(n, len(ids)))

    certs = sample(Certificate, writes // 2)
    attempts = sample(Attempt, writes - len(certs), score__isnull=False)
    t0 = time.perf_counter()
    with transaction.atomic():
        for step in (1, -1):
            Certificate.objects.filter(pk__in=certs).update(valid_until=F("valid_until") + dt.timedelta(days=step))
            Attempt.objects.filter(pk__in=attempts).update(score=F("score") + step)
    write_s = time.perf_counter() - t0
    markers = FactDirty.objects.count()
    got = facts_refresh()
    print(
        f"facts: incremental refresh after {len(certs) + len(attempts):,} written rows "
        f"({len(certs):,} certificates, {len(attempts):,} attempts, each changed and changed back; "
        f"writes {write_s:.2f} s with their triggers): {markers:,} markers, {got['people']:,} people, "
        f"{got['seconds']:.2f} s",
        flush=True,
    )


def questions() -> Iterator[tuple[Any, Any]]:
    """Every (indicator, query) the bench times: each registered indicator at each grouping it
    offers (and none), for the whole city over the last 365 days (also used by
    tests/analytics/test_bench_naive.py)."""
    from analytics.indicators import Query, indicators_all
    from organizations.models import Jurisdiction

    today = dt.date.today()
    city = Jurisdiction.objects.get(code="990100")
    for indicator in indicators_all():
        for group_by in (None, *indicator.group_bys):
            query = Query(
                code=indicator.code,
                date_from=today - dt.timedelta(days=364),
                date_to=today,
                jurisdiction=city,
                group_by=group_by,
                today=today,
            )
            yield indicator, query


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    from analytics.facts import facts_ready
    from analytics.indicators import compute

    out = []
    for indicator, query in questions():
        if args.only and indicator.code not in args.only:
            continue
        group_by = query.group_by
        if args.group_bys and (group_by or "-") not in args.group_bys:
            continue
        path = "facts" if indicator.has_facts and facts_ready() else "live"
        sql_s, result = _p50(lambda q=query: compute(q, live=args.live), args.runs, not args.no_warmup)
        path = "live" if args.live else path
        kind, naive = _baseline(indicator.code)
        if args.no_baseline:
            base_s, base = float("nan"), None
        else:
            base_s, base = _p50(lambda q=query, f=naive: f(q), args.baseline_runs, not args.no_warmup)
        same = base is None or (
            abs(base[0] - result.total.numerator) <= 1e-6 * max(1.0, abs(result.total.numerator))
            and base[1] in (-1, result.total.denominator or 0)
        )
        row = {
            "indicator": indicator.code,
            "group_by": group_by or "-",
            "p50_s": sql_s,
            "baseline": kind,
            "baseline_s": base_s,
            "ratio": base_s / sql_s if sql_s else float("nan"),
            "numerator": result.total.numerator,
            "denominator": result.total.denominator,
            "rows": len(result.rows),
            "same": same,
            "path": path,
        }
        out.append(row)
        print(
            f"{row['indicator']:<34} {row['group_by']:<12} {sql_s * 1000:9.1f} ms  "
            f"{kind:>5} {base_s * 1000:10.1f} ms  {row['ratio']:7.1f}x  "
            f"{_number(row['numerator']):>12}/{_number(row['denominator']):<10} rows={row['rows']:<4} "
            f"{'same' if same else 'DIFFERENT'} {path}",
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=0, help="default: people / 20")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per indicator and group_by (p50)")
    parser.add_argument("--baseline-runs", type=int, default=1)
    parser.add_argument("--only", nargs="*", help="indicator codes to time")
    parser.add_argument("--group-bys", nargs="*", help="group_bys to time (default: every one; '-' is none)")
    parser.add_argument(
        "--jit", choices=("server", "off"), default="server", help="PostgreSQL JIT: the server's setting, or off"
    )
    parser.add_argument(
        "--refresh-writes",
        type=int,
        default=1000,
        help="rows written (and written back) before timing an incremental facts refresh; 0: skip",
    )
    switches = {
        "--no-baseline": "time the indicators only, without the naive baseline",
        "--no-warmup": "skip the untimed first run (for multi-second runs)",
        "--keep": "keep the database afterwards",
        "--reuse": "time against the database a --keep run left (and keep it)",
        "--rebuild-facts": "rebuild the analytics facts even if they are built (timed)",
        "--live": "time compute(live=True), the live SQL, not the facts",
    }
    for switch, help_text in switches.items():
        parser.add_argument(switch, action="store_true", help=help_text)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the targets are measured on PostgreSQL.")
    name = urlsplit(url).path.lstrip("/")
    if name in ("test", "postgres", "root", ""):
        sys.exit(f"Refusing to use the database {name!r}: give the bench its own (it is dropped afterwards).")
    reuse = args.reuse and _db_exists(url)
    if not reuse:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(url, f'CREATE DATABASE "{name}"')
    if args.jit == "off":
        os.environ["PGOPTIONS"] = (os.environ.get("PGOPTIONS", "") + " -c jit=off").strip()
    try:
        django_setup(url)
        if reuse:  # indexes a later migration adds
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        else:
            t0 = time.perf_counter()
            counts = populate(args)
            total = sum(counts.values())
            print(f"generated in {time.perf_counter() - t0:.0f} s: {total:,} rows")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE n_live_tup > 1000 ORDER BY 2 DESC"
            )
            sizes = cursor.fetchall()
        print("rows: " + ", ".join(f"{t} {n:,}" for t, n in sizes))
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            jit = cursor.fetchone()[0]
            cursor.execute("SHOW max_parallel_workers_per_gather")
            workers = cursor.fetchone()[0]
        print(
            f"db=postgresql jit={jit} parallel_workers={workers} cores={os.cpu_count()} runs={args.runs} "
            f"baseline_runs={args.baseline_runs} load average {os.getloadavg()[0]:.1f}"
        )
        facts_prepare(args, fresh=not reuse)
        print(f"{'indicator':<34} {'group_by':<12} {'p50':>12}  {'baseline':>16}  {'ratio':>8}")
        rows = measure(args)
        timed = [r for r in rows if r["p50_s"] == r["p50_s"]]
        worst = max(timed, key=lambda r: r["p50_s"]) if timed else None
        ratios = [r["ratio"] for r in rows if r["ratio"] == r["ratio"]]
        if worst:
            print(f"slowest: {worst['indicator']} by {worst['group_by']}: {worst['p50_s'] * 1000:.0f} ms p50")
        if ratios:
            print(f"ratio baseline/SQL: min {min(ratios):.1f}x, median {statistics.median(ratios):.1f}x")
        met_time = all(r["p50_s"] < 1.0 for r in rows)
        met_ratio = bool(ratios) and min(ratios) >= 50
        print(
            f"target < 1 s p50 each: {'MET' if met_time else 'NOT MET'}; >= 50x baseline: {'MET' if met_ratio else 'NOT MET'}"
        )
        if not all(r["same"] for r in rows):
            print("WARNING: the baseline and the SQL figures differ (see DIFFERENT above)")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep and not reuse:  # a reused database was kept on purpose: never drop it
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
