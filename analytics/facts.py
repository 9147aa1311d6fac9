"""Pre-aggregated facts: per-subject rows maintained on write, read by ``compute``.

The live SQL (``analytics.definitions``) derives, for every subject of an
indicator and on every question, the enterprise status in force, the
employment on a day, whether a certificate was valid or an exam passed… with
correlated subqueries: over a district's million people that takes seconds.
Those derived columns do not depend on the question, only on the rows, so
they are kept in fact tables (``analytics.models``): one row per exam pair
(``ExamPairFact``), per stretch of a certificate-holding employment
(``HolderFact``), per completed assignment (``CompletionFact``), per
enterprise and day of training (``LedgerDayFact``) and per learner, day and
enterprise with the previous active day per partition (``LearnerDayFact``). An
indicator then counts one compact table with the same grouping code.

Maintained on write: triggers on the source tables (migration
``0002_facts_facts``) append the person, enterprise, exam session or user a
write touched to ``FactDirty``, in the writer's transaction, whatever door
wrote. ``facts_refresh`` (the periodic job, ``manage.py analytics_refresh``)
recomputes the facts of the people (and enterprises' ledger days) behind the markers with the live
querysets themselves, so facts and live SQL cannot disagree on a rule.

``compute`` reads facts only when they are exact (``facts_ready``): built,
and nothing pending once a short queue (``ANALYTICS_FACTS_INLINE_REFRESH``
markers) has been refreshed inline; otherwise it reads the live SQL.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from analytics.models import (
    AnnualFact,
    CompletionFact,
    ExamPairFact,
    FactDirty,
    FactState,
    HolderFact,
    LearnerDayFact,
    LedgerDayFact,
    NewHireFact,
)
from exams.models import Attempt, Certificate
from organizations.models import Employment, EnterpriseStatus, Industry, Jurisdiction, Person
from training.models import CreditLedger, RequirementProfile

OPEN_END = dt.date(9999, 12, 31)
BATCH = 5000  # people per incremental statement (SQLite's bound parameters, PostgreSQL's IN lists)
PERSON_FACTS = (ExamPairFact, HolderFact, CompletionFact, NewHireFact, AnnualFact)
FACT_MODELS = (*PERSON_FACTS, LedgerDayFact, LearnerDayFact)
# Markers that rebuild a whole table: no question refreshes them inline.
REBUILD_KINDS = ("all", "tree")
# The depths of the jurisdiction tree ``LearnerDayFact`` keeps a partition for (prev_j0 …).
LEARNER_LEVELS = 4

_reading: ContextVar[bool] = ContextVar("analytics_reading_facts", default=False)


def facts_active() -> bool:
    """Whether the indicator being evaluated should read the facts (set by ``compute``)."""
    return _reading.get()


@contextmanager
def reading_facts(on: bool = True) -> Iterator[None]:
    token = _reading.set(on)
    try:
        yield
    finally:
        _reading.reset(token)


def inline_limit() -> int:
    return int(getattr(settings, "ANALYTICS_FACTS_INLINE_REFRESH", 5000))


def facts_ready() -> bool:
    """Whether the facts are exact now: built once over the data, and no write
    pending (a queue of at most ``inline_limit`` markers is refreshed here)."""
    state = FactState.objects.order_by("pk").first()
    if state is None or state.built_at is None:
        return False
    limit = inline_limit()
    pending = FactDirty.objects.order_by()[: limit + 1].count()
    if pending == 0:
        return True
    if pending > limit or FactDirty.objects.filter(kind__in=REBUILD_KINDS).exists():
        return False  # a long queue or a full rebuild: the periodic refresh's work, not a question's
    facts_refresh(limit=limit)
    return not FactDirty.objects.exists()


def annual_years() -> tuple[int, int] | None:
    """The calendar years ``AnnualFact`` covers, if the facts are built."""
    state = FactState.objects.order_by("pk").first()
    if state is None or state.built_at is None or state.annual_from is None or state.annual_to is None:
        return None
    return state.annual_from, state.annual_to


def facts_pending() -> int:
    return FactDirty.objects.count()


# --- refresh ---------------------------------------------------------------------------------


def _people_of(markers: Iterable[tuple[str, int]]) -> set[int]:
    """The people whose facts a set of markers touches."""
    keys: dict[str, set[int]] = {}
    for kind, key in markers:
        keys.setdefault(kind, set()).add(key)
    people = set(keys.get("person", ()))
    for chunk in _chunks(sorted(keys.get("enterprise", ()))):
        people.update(Employment.objects.filter(enterprise_id__in=chunk).values_list("person_id", flat=True))
        people.update(Person.objects.filter(enterprise_id__in=chunk).values_list("pk", flat=True))
    for chunk in _chunks(sorted(keys.get("session", ()))):
        people.update(Attempt.objects.filter(session_id__in=chunk).values_list("person_id", flat=True))
    for chunk in _chunks(sorted(keys.get("user", ()))):
        people.update(Person.objects.filter(user_id__in=chunk).values_list("pk", flat=True))
    return people


def _chunks(items: list[int], size: int = BATCH) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def facts_refresh(*, limit: int | None = None) -> dict[str, Any]:
    """Recompute the facts of the people behind the pending markers (at most
    ``limit`` markers, else all, a transaction per 20,000). Markers are
    deleted before the rows are read, in the same transaction: a write that
    commits meanwhile keeps its marker for the next refresh.

    A whole-table marker (``all``: every fact, ``tree``: ``LearnerDayFact``)
    is rebuilt once, after the batches, however many batches the queue spans
    or markers it holds; the batches skip the part of their work that rebuild
    redoes. An inline refresh (``limit``) leaves those markers to the periodic one."""
    t0 = time.perf_counter()
    markers_done = people_done = 0
    _annual_roll_over()
    # Rebuilt at the end even if another refresh took the markers meanwhile: the batches
    # below skip work on the strength of it.
    whole = set() if limit is not None else _whole_pending()
    while True:
        step = min(limit - markers_done, 20000) if limit is not None else 20000
        if step <= 0:
            break
        with transaction.atomic():
            state = _locked_state()
            if state is None:
                break
            rows = list(
                FactDirty.objects.exclude(kind__in=REBUILD_KINDS).order_by("pk").values_list("pk", "kind", "key")[:step]
            )
            if not rows:
                break
            for chunk in _chunks([r[0] for r in rows]):
                FactDirty.objects.filter(pk__in=chunk).delete()
            people: list[int] = []
            if "all" not in whole:
                people = sorted(_people_of((kind, key) for _pk, kind, key in rows))
                for chunk in _chunks(people):
                    _rebuild_people(chunk)
                ledger = sorted({key for _pk, kind, key in rows if kind in ("ledger", "enterprise")})
                for chunk in _chunks(ledger):
                    _rebuild_ledger(chunk)
            if not whole:
                for chunk in _chunks(sorted(_learners_of((kind, key) for _pk, kind, key in rows))):
                    _learner_facts(chunk)
            state.refreshed_at = timezone.now()
            state.save(update_fields=["refreshed_at"])
        markers_done += len(rows)
        people_done += len(people)
        if len(rows) < step:
            break
    if limit is None:
        done, whole = _rebuild_whole(whole)
        markers_done += done
        people_done += 1 if "all" in whole else 0  # counted as one: everyone
        if whole:
            _vacuum()
    return {"markers": markers_done, "people": people_done, "seconds": round(time.perf_counter() - t0, 3)}


def _whole_pending() -> set[str]:
    """The whole-table marker kinds pending."""
    return set(FactDirty.objects.filter(kind__in=REBUILD_KINDS).order_by().values_list("kind", flat=True).distinct())


def _locked_state() -> FactState | None:
    """The facts' state row, locked against another refresh (call inside a transaction); ``None`` if never built."""
    state = FactState.objects.select_for_update().order_by("pk").first()
    if state is None or state.built_at is None:
        return None
    _annual.years = (state.annual_from, state.annual_to)
    return state


def _rebuild_whole(kinds: set[str]) -> tuple[int, set[str]]:
    """Rebuild, once, the tables of the whole-table markers ``kinds`` and of those pending
    now; their markers are deleted first, in the same transaction. Returns how many
    markers it took and the kinds rebuilt."""
    with transaction.atomic():
        state = _locked_state()
        if state is None:
            return 0, set()
        taken = list(FactDirty.objects.filter(kind__in=REBUILD_KINDS).values_list("pk", "kind"))
        kinds = kinds | {kind for _pk, kind in taken}
        for chunk in _chunks([pk for pk, _kind in taken]):
            FactDirty.objects.filter(pk__in=chunk).delete()
        if "all" in kinds:
            _rebuild_people(None)
            _rebuild_ledger(None)
        if kinds:
            _learner_facts(None)
            state.refreshed_at = timezone.now()
            state.save(update_fields=["refreshed_at"])
    return len(taken), kinds


def _annual_roll_over() -> None:
    """On a new calendar year, move ``AnnualFact``'s years on (a rebuild of that table)."""
    this_year = timezone.localdate().year
    with transaction.atomic():
        state = FactState.objects.select_for_update().order_by("pk").first()
        if state is None or state.built_at is None or state.annual_to is None or state.annual_to >= this_year:
            return
        state.annual_from, state.annual_to = this_year - settings.ANALYTICS_FACTS_ANNUAL_YEARS + 1, this_year
        _annual.years = (state.annual_from, state.annual_to)
        qs = AnnualFact.objects.all()
        qs._raw_delete(qs.db)
        _annual_facts(None)
        state.save(update_fields=["annual_from", "annual_to"])


def facts_rebuild() -> dict[str, Any]:
    """Rebuild every fact from the rows (after a bulk load, or to check)."""
    t0 = time.perf_counter()
    with transaction.atomic():
        state = FactState.objects.select_for_update().order_by("pk").first()
        if state is None:
            state = FactState.objects.create()
        FactDirty.objects.all().delete()
        this_year = timezone.localdate().year
        state.annual_from, state.annual_to = this_year - settings.ANALYTICS_FACTS_ANNUAL_YEARS + 1, this_year
        _annual.years = (state.annual_from, state.annual_to)
        _rebuild_people(None)
        _rebuild_ledger(None)
        _learner_facts(None)
        state.built_at = state.refreshed_at = timezone.now()
        state.save()
    _vacuum()
    counts = {m.__name__: m.objects.count() for m in FACT_MODELS}
    return {"seconds": round(time.perf_counter() - t0, 3), **counts}


def _vacuum() -> None:
    """Fresh statistics and visibility map (PostgreSQL, outside a transaction): the
    planner's estimates, and index-only scans. ``FactDirty`` too: a rebuild deletes
    every marker (after a bulk load, millions), and until vacuumed the dead rows make
    the pending-markers probe of every question (``facts_ready``) read them all
    (160 ms at 1M people after the bench's load, under 1 ms after)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for model in (*FACT_MODELS, FactDirty):
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def _rebuild_ledger(enterprises: list[int] | None) -> None:
    """Delete and recompute the ledger days of ``enterprises`` (``None``: all)."""
    from analytics import definitions

    qs = (
        LedgerDayFact.objects.all()
        if enterprises is None
        else LedgerDayFact.objects.filter(enterprise_id__in=enterprises)
    )
    qs._raw_delete(qs.db)
    days = definitions.ledger_days_all()
    if enterprises is not None:
        days = days.filter(enterprise_id__in=enterprises)
    columns = ("enterprise_id", "ref_date", "st_jurisdiction_id", "st_industry_id", "hours", "entries")
    _insert_select(LedgerDayFact, days, columns)


def _rebuild_people(people: list[int] | None) -> None:
    """Delete and recompute the facts of ``people`` (``None``: everyone)."""
    for model in PERSON_FACTS:
        qs = model.objects.all() if people is None else model.objects.filter(person_id__in=people)
        qs._raw_delete(qs.db)
    from analytics import definitions  # the live querysets; definitions reads facts through this module

    pairs = definitions.exam_pairs_all()
    completions = definitions.completions_all()
    if people is not None:
        pairs = pairs.filter(person_id__in=people)
        completions = completions.filter(learner__person__id__in=people)
    _insert_select(
        ExamPairFact,
        pairs,
        ("session_id", "person_id", "ref_date", "enterprise_id", "st_jurisdiction_id", "st_industry_id", "sat")
        + ("counted", "best_score"),
    )
    _insert_select(
        CompletionFact,
        completions,
        ("assignment_id", "person_id", "ref_date", "enterprise_id", "st_jurisdiction_id", "st_industry_id"),
    )
    _holder_facts(people)
    _new_hire_facts(people)
    _annual_facts(people)


def _insert_select(model: Any, qs: QuerySet[Any], columns: tuple[str, ...]) -> None:
    """``INSERT INTO <fact> SELECT … FROM (<the live queryset>)``: the rows never leave the database."""
    sql, params = qs.order_by().values(*columns).query.sql_with_params()
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(model._meta.db_table)} ({cols}) SELECT {cols} FROM ({sql}) facts_src",  # noqa: S608
            params,
        )


# --- certificate holding: stretches of employments ------------------------------------------


def holder_posts() -> dict[str, str]:
    """Every post a certificate rate counts, with the certificate type it must hold."""
    from analytics.indicators import indicators_all

    posts: dict[str, str] = {}
    for ind in indicators_all():
        posts.update(getattr(ind, "posts", None) or {})
    return posts


def _valid_on(cert: dict[str, Any], day: dt.date) -> bool:
    """As ``definitions._valid_certificates_on``: issued by ``day``, valid until it or later, not revoked by it."""
    if not (cert["issued_on"] <= day <= cert["valid_until"]):
        return False
    revoked = cert["revoked_day"]
    return not (cert["status"] == Certificate.Status.REVOKED and revoked is not None and revoked <= day)


def _status_histories(employments: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The status rows of the employments' enterprises, per enterprise, oldest first."""
    statuses: dict[int, list[dict[str, Any]]] = {}
    for s in (
        EnterpriseStatus.objects.filter(enterprise_id__in={e["enterprise_id"] for e in employments})
        .order_by("enterprise_id", "valid_from")
        .values("enterprise_id", "valid_from", "jurisdiction_id", "industry_id")
    ):
        statuses.setdefault(s["enterprise_id"], []).append(s)
    return statuses


def _status_on(history: list[dict[str, Any]], day: dt.date) -> tuple[int | None, int | None]:
    """(jurisdiction, industry) of the status in force on ``day`` (``history`` by ``valid_from``), else (None, None)."""
    status = next((s for s in reversed(history) if s["valid_from"] <= day), None)
    return (status["jurisdiction_id"], status["industry_id"]) if status else (None, None)


def _stretches(starts: list[dt.date], last: dt.date, value: Any) -> list[tuple[dt.date, dt.date, tuple]]:
    """``[start, next start - 1]`` stretches up to ``last``, each with ``value(start)``;
    neighbours with the same value merged."""
    out: list[tuple[dt.date, dt.date, tuple]] = []
    for i, day in enumerate(starts):
        end = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else last
        got = value(day)
        if out and out[-1][2] == got:
            out[-1] = (out[-1][0], end, got)
        else:
            out.append((day, end, got))
    return out


def _stretch(e: dict[str, Any], day_from: dt.date, day_to: dt.date, juris: int | None, industry: int | None) -> dict:
    """The columns every employment stretch fact has."""
    return {
        "employment_id": e["pk"],
        "person_id": e["person_id"],
        "enterprise_id": e["enterprise_id"],
        "day_from": day_from,
        "day_to": day_to,
        "st_jurisdiction_id": juris,
        "st_industry_id": industry,
    }


def _holder_facts(people: list[int] | None) -> None:
    posts = holder_posts()
    if not posts:
        return
    employments = Employment.objects.filter(post__in=list(posts))
    if people is not None:
        employments = employments.filter(person_id__in=people)
    ids = sorted(set(employments.values_list("person_id", flat=True)))
    for chunk in _chunks(ids):
        _holder_chunk(chunk, posts)


def _holder_chunk(people: list[int], posts: dict[str, str]) -> None:
    employments = list(
        Employment.objects.filter(person_id__in=people, post__in=list(posts)).values(
            "pk", "person_id", "enterprise_id", "post", "start_date", "end_date"
        )
    )
    certs: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for c in Certificate.objects.filter(holder_id__in=people, cert_type__in=set(posts.values())).values(
        "holder_id", "cert_type", "issued_on", "valid_until", "status", "revoked_at"
    ):
        c["revoked_day"] = timezone.localdate(c["revoked_at"]) if c["revoked_at"] is not None else None
        certs.setdefault((c["holder_id"], c["cert_type"]), []).append(c)
    statuses = _status_histories(employments)
    facts = []
    for e in employments:
        lo, hi = e["start_date"], e["end_date"] or OPEN_END
        if hi < lo:
            continue
        own = certs.get((e["person_id"], posts[e["post"]]), [])
        history = statuses.get(e["enterprise_id"], [])
        days = {lo}
        days.update(s["valid_from"] for s in history)
        for c in own:
            days.add(c["issued_on"])
            if c["valid_until"] < OPEN_END:
                days.add(c["valid_until"] + dt.timedelta(days=1))
            if c["revoked_day"] is not None and c["status"] == Certificate.Status.REVOKED:
                days.add(c["revoked_day"])
        starts = sorted(d for d in days if lo <= d <= hi)

        def holding(day: dt.date, own: list[dict[str, Any]] = own, history: list[dict[str, Any]] = history) -> tuple:
            status = _status_on(history, day)
            valid = [c["valid_until"] for c in own if _valid_on(c, day)]
            return (*status, max(valid) if valid else None)

        for day_from, day_to, (juris, industry, holds) in _stretches(starts, hi, holding):
            facts.append(
                HolderFact(**_stretch(e, day_from, day_to, juris, industry), post=e["post"], holds_until=holds)
            )
    HolderFact.objects.bulk_create(facts, batch_size=2000)


# --- new hires: the days their onboarding hours and assessment were reached --------------


def _new_hire_facts(people: list[int] | None) -> None:
    from analytics import definitions

    days = definitions.NewEmployeeTrainingRate.param("pretraining_days").default
    hires = definitions.new_hires_all(days)
    if people is None:
        ids = sorted(set(hires.values_list("person_id", flat=True)))
    else:
        ids = sorted(set(hires.filter(person_id__in=people).values_list("person_id", flat=True)))
    for chunk in _chunks(ids):
        _new_hire_chunk(definitions.new_hires_all(days).filter(person_id__in=chunk), chunk, days)


# The columns a new-hire fact copies from its row of ``definitions.new_hires_all``.
_NEW_HIRE_COLUMNS = (
    "person_id",
    "enterprise_id",
    "start_date",
    "end_date",
    "st_jurisdiction_id",
    "st_industry_id",
    "required_seconds",
)


def _new_hire_chunk(hires: QuerySet[Any], people: list[int], days: int) -> None:
    rows = list(hires.values("pk", "person__user_id", *_NEW_HIRE_COLUMNS))
    users = {r["person__user_id"] for r in rows}
    entries: dict[tuple[int, int], list[tuple[dt.date, int, bool]]] = {}
    for e in CreditLedger.objects.filter(learner_id__in=users, purpose=CreditLedger.Purpose.ONBOARDING).values(
        "learner_id", "enterprise_id", "started_at", "seconds", "assessment_passed"
    ):
        day = timezone.localdate(e["started_at"])
        entries.setdefault((e["learner_id"], e["enterprise_id"]), []).append(
            (day, e["seconds"], e["assessment_passed"] is True)
        )
    for got in entries.values():
        got.sort()
    exams: dict[int, list[dt.date]] = {}
    for a in Attempt.objects.filter(
        person_id__in=people,
        session__is_onboarding=True,
        status=Attempt.Status.SUBMITTED,
        passed=True,
        submitted_at__isnull=False,
    ).values("person_id", "submitted_at"):
        exams.setdefault(a["person_id"], []).append(timezone.localdate(a["submitted_at"]))
    facts = []
    for r in rows:
        window_from = r["start_date"] - dt.timedelta(days=days)  # (PostgreSQL gives date - interval as a timestamp)
        own = [e for e in entries.get((r["person__user_id"], r["enterprise_id"]), []) if e[0] >= window_from]
        hours_done_on = dt.date.min if r["required_seconds"] <= 0 else None
        total = 0
        for day, seconds, _passed in own:
            if hours_done_on is not None:
                break
            total += seconds
            if total >= r["required_seconds"]:
                hours_done_on = day
        assessed = [day for day, _seconds, passed in own if passed]
        assessed += [day for day in exams.get(r["person_id"], []) if day >= window_from]
        facts.append(
            NewHireFact(
                employment_id=r["pk"],
                **{column: r[column] for column in _NEW_HIRE_COLUMNS},
                pretraining_days=days,
                hours_done_on=hours_done_on,
                assessed_on=min(assessed) if assessed else None,
            )
        )
    NewHireFact.objects.bulk_create(facts, batch_size=2000)


# --- annual retraining: per year, the day the annual hours were reached -------------------


class _AnnualRange:
    years: tuple[int | None, int | None] = (None, None)


_annual = _AnnualRange()


def _annual_facts(people: list[int] | None) -> None:
    first, last = _annual.years
    if first is None or last is None:
        return
    employments = Employment.objects.filter(start_date__lt=dt.date(last, 1, 1))
    if people is not None:
        employments = employments.filter(person_id__in=people)
    ids = sorted(set(employments.values_list("person_id", flat=True)))
    high = set(Industry.objects.filter(is_high_risk=True).values_list("pk", flat=True))
    default = settings.MINUTES_PER_CREDIT_HOUR
    profiles = [
        (p.post, p.high_risk, p.annual_hours * (p.minutes_per_hour or default) * 60)
        for p in RequirementProfile.objects.all()
    ]
    for chunk in _chunks(ids):
        _annual_chunk(chunk, first, last, high, profiles)


def _required(post: str, industry: int | None, high: set[int], profiles: list[tuple[str, bool, int]]) -> int:
    """As ``definitions._profile_cases`` (the first matching profile; none, or no status: 0)."""
    if industry is None:
        return 0
    for p_post, p_high, seconds in profiles:
        if p_post == post and p_high == (industry in high):
            return seconds
    return 0


def _annual_chunk(
    people: list[int], first: int, last: int, high: set[int], profiles: list[tuple[str, bool, int]]
) -> None:
    employments = list(
        Employment.objects.filter(person_id__in=people, start_date__lt=dt.date(last, 1, 1)).values(
            "pk", "person_id", "person__user_id", "enterprise_id", "post", "start_date", "end_date"
        )
    )
    users = {e["person__user_id"] for e in employments}
    seconds: dict[tuple[int, int], list[tuple[dt.date, int]]] = {}
    for e in CreditLedger.objects.filter(
        learner_id__in=users,
        purpose=CreditLedger.Purpose.ANNUAL,
        started_at__gte=_day_start(dt.date(first, 1, 1)),
        started_at__lt=_day_start(dt.date(last + 1, 1, 1)),
    ).values("learner_id", "started_at", "seconds"):
        day = timezone.localdate(e["started_at"])
        seconds.setdefault((e["learner_id"], day.year), []).append((day, e["seconds"]))
    for got in seconds.values():
        got.sort()
    statuses = _status_histories(employments)

    def done_on(user: int, year: int, required: int) -> dt.date | None:
        if required <= 0:
            return dt.date.min
        total = 0
        for day, got in seconds.get((user, year), []):
            total += got
            if total >= required:
                return day
        return None

    facts = []
    for e in employments:
        history = statuses.get(e["enterprise_id"], [])
        for year in range(first, last + 1):
            lo = dt.date(year, 1, 1)
            hi = min(dt.date(year, 12, 31), e["end_date"] or OPEN_END)
            if not e["start_date"] < lo or hi < lo:
                continue
            starts = sorted({lo} | {s["valid_from"] for s in history if lo < s["valid_from"] <= hi})

            def reached(day: dt.date, e: dict[str, Any] = e, year: int = year, history: list[Any] = history) -> tuple:
                juris, industry = _status_on(history, day)
                return (
                    juris,
                    industry,
                    done_on(e["person__user_id"], year, _required(e["post"], industry, high, profiles)),
                )

            for day_from, day_to, (juris, industry, done) in _stretches(starts, hi, reached):
                facts.append(AnnualFact(**_stretch(e, day_from, day_to, juris, industry), year=year, done_on=done))
    AnnualFact.objects.bulk_create(facts, batch_size=2000)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- active learners: (learner, day, enterprise, status) rows with the previous active day ---


def _learners_of(markers: Iterable[tuple[str, int]]) -> set[int]:
    """The learners (users) whose ``LearnerDayFact`` rows a set of markers touches: a
    ledger entry's learner, and whoever trained at an enterprise whose status changed."""
    learners: set[int] = set()
    enterprises: set[int] = set()
    for kind, key in markers:
        if kind == "learner":
            learners.add(key)
        elif kind == "enterprise":
            enterprises.add(key)
    for chunk in _chunks(sorted(enterprises)):
        learners.update(
            CreditLedger.objects.filter(enterprise_id__in=chunk).order_by().values_list("learner_id", flat=True)
        )
    return learners


def jurisdiction_ancestors() -> dict[int, tuple[int, ...]]:
    """Each jurisdiction's partition at depths 0 … ``LEARNER_LEVELS`` - 1: its
    ancestor at that depth, or itself when it is shallower."""
    paths = dict(Jurisdiction.objects.values_list("pk", "path"))
    by_path = {path: pk for pk, path in paths.items()}
    out: dict[int, tuple[int, ...]] = {}
    for pk, path in paths.items():
        codes = path.strip("/").split("/")
        out[pk] = tuple(
            by_path.get("/" + "/".join(codes[: k + 1]) + "/", pk) if k < len(codes) else pk
            for k in range(LEARNER_LEVELS)
        )
    return out


def _learner_facts(learners: list[int] | None) -> None:
    """Delete and recompute the ``LearnerDayFact`` rows of ``learners`` (user ids;
    ``None``: all) in one ``INSERT … SELECT``: the live rows (``learner_days_all``)
    with each partition's previous day by a window function (``LAG``), the
    jurisdiction partitions joined from a literal table of the tree's ancestors."""
    from analytics import definitions

    qs = LearnerDayFact.objects.all() if learners is None else LearnerDayFact.objects.filter(learner_id__in=learners)
    qs._raw_delete(qs.db)
    days = definitions.learner_days_all()
    if learners is not None:
        days = days.filter(learner_id__in=learners)
    sql, params = days.query.sql_with_params()
    levels = range(LEARNER_LEVELS)
    # A row that matches nothing keeps the list non-empty; ids are integers from the database.
    anc = [(0,) * (LEARNER_LEVELS + 1)] + [(pk, *a) for pk, a in sorted(jurisdiction_ancestors().items())]
    values = ", ".join("(" + ", ".join(str(int(v)) for v in row) + ")" for row in anc)
    names = ", ".join(f"a{k}" for k in levels)
    qn = connection.ops.quote_name
    partitions = {
        "prev_all": "",
        "prev_enterprise": ", s.enterprise_id",
        "prev_industry": ", s.st_industry_id",
        **{f"prev_j{k}": f", a.a{k}" for k in levels},
    }
    # Rows of one day are ordered too, so a rebuild gives the same rows as any refresh.
    order = "s.ref_date, s.enterprise_id, s.st_jurisdiction_id, s.st_industry_id"
    lags = ", ".join(
        f"LAG(s.ref_date) OVER (PARTITION BY s.learner_id{by} ORDER BY {order})" for by in partitions.values()
    )
    base = ("learner_id", "ref_date", "enterprise_id", "st_jurisdiction_id", "st_industry_id")
    columns = ", ".join(qn(c) for c in (*base, *partitions))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH analytics_anc (jid, {names}) AS (VALUES {values}) "  # noqa: S608
            f"INSERT INTO {qn(LearnerDayFact._meta.db_table)} ({columns}) "
            f"SELECT {', '.join(f's.{c}' for c in base)}, {lags} "
            f"FROM ({sql}) s LEFT JOIN analytics_anc a ON a.jid = s.st_jurisdiction_id",
            params,
        )
