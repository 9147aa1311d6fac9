"""Exam reads and scoping: the one place that answers who sees which session, attempt and certificate."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.users import is_signed_in
from exams.models import Attempt, AttemptQuestion, Certificate, ExamSession, PaperTemplate
from organizations.models import Person, RoleGrant
from organizations.selectors import (
    ancestor_paths,
    enterprise_ids_managed_by,
    is_platform_admin,
    jurisdiction_paths_of,
    person_of,
    provider_ids_managed_by,
    roles_of,
    subtree_q,
    visible_rows,
)
from training.selectors import is_eligible_for_exam

Role = RoleGrant.Role


def is_exam_manager(user: Any) -> bool:
    return is_platform_admin(user) or bool(provider_ids_managed_by(user))


# --- papers and sessions (admins) ---------------------------------------------------


def _of_managed_providers(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """Rows of ``qs`` whose provider the user manages: none when signed out, all for a platform admin."""
    return visible_rows(qs, user, lambda: Q(provider_id__in=provider_ids_managed_by(user)))


def papers_managed_by(user: Any) -> QuerySet[PaperTemplate]:
    return _of_managed_providers(PaperTemplate.objects.select_related("provider").filter(provider__isnull=False), user)


def sessions_managed_by(user: Any) -> QuerySet[ExamSession]:
    """Sessions this user may schedule, edit and read statistics of."""
    return _of_managed_providers(
        ExamSession.objects.select_related("provider", "paper").filter(kind=ExamSession.Kind.EXAM), user
    )


def sessions_in_schedule_order(sessions: QuerySet[ExamSession], *, now: dt.datetime) -> QuerySet[ExamSession]:
    """Under way first (the soonest to close first), then not started (the soonest to open first), then ended
    (the latest first): what a trainer looks for is on the first page."""
    phase = Case(
        When(closes_at__lte=now, then=Value(2)),
        When(opens_at__gt=now, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return sessions.annotate(schedule_phase=phase).order_by(
        "schedule_phase",
        Case(When(opens_at__gt=now, then=F("opens_at")), default=None).asc(nulls_last=True),
        Case(When(closes_at__gt=now, then=F("closes_at")), default=None).asc(nulls_last=True),
        F("closes_at").desc(),
        "-pk",
    )


def with_attempt_counts(sessions: QuerySet[ExamSession]) -> QuerySet[ExamSession]:
    """``sessions`` with ``sitting`` (attempts in progress) and ``handed_in`` (submitted or invalidated):
    the counts the home page's desks show beside a session under way."""
    return sessions.annotate(
        sitting=Count("attempts", filter=Q(attempts__status=Attempt.Status.IN_PROGRESS)),
        handed_in=Count(
            "attempts", filter=Q(attempts__status__in=[Attempt.Status.SUBMITTED, Attempt.Status.INVALIDATED])
        ),
    )


def sessions_supervised_by(user: Any) -> QuerySet[ExamSession]:
    """Sessions whose statistics this user may read: managed ones, and a bureau's subtree."""
    qs = ExamSession.objects.select_related("provider", "paper").filter(kind=ExamSession.Kind.EXAM)
    return visible_rows(qs, user, lambda: _supervisors_q(user))


def _supervisors_q(user: Any) -> Q:
    q = Q(provider_id__in=provider_ids_managed_by(user))
    paths = jurisdiction_paths_of(user, {Role.BUREAU_OFFICIAL})
    if paths:
        q |= subtree_q(paths, "provider__jurisdiction__path")
    return q


# --- who may sit ---------------------------------------------------------------------


def session_population(session: ExamSession) -> QuerySet[Person]:
    """People admitted by the session, within the provider's jurisdiction subtree.

    Listed people are always admitted. Posts, enterprises and jurisdictions
    narrow together (e.g. principals and safety managers of one district);
    with no list set at all, everyone in the subtree is admitted.
    """
    qs = Person.objects.filter(leave_date__isnull=True).select_related("enterprise")
    if session.provider_id:
        qs = qs.filter(enterprise__jurisdiction__path__startswith=session.provider.jurisdiction.path)
    people_ids = list(session.eligible_people.values_list("pk", flat=True))
    enterprise_ids = list(session.eligible_enterprises.values_list("pk", flat=True))
    paths = list(session.eligible_jurisdictions.values_list("path", flat=True))
    posts = list(session.eligible_posts or [])
    if not (people_ids or enterprise_ids or paths or posts):
        return qs
    group: Q | None = None
    if enterprise_ids or paths or posts:
        group = Q()
        if posts:
            group &= Q(post__in=posts)
        if enterprise_ids:
            group &= Q(enterprise_id__in=enterprise_ids)
        if paths:
            group &= subtree_q(paths, "enterprise__jurisdiction__path")
    listed = Q(pk__in=people_ids) if people_ids else Q(pk__in=[])
    return qs.filter(listed | group if group is not None else listed)


def unmet_prerequisite(session: ExamSession, person: Person) -> str:
    """Why ``person`` may not start ``session`` yet for want of its training ("" when met or none is required)."""
    if session.required_course_id is None:
        return ""
    eligibility = is_eligible_for_exam(person=person, course=session.required_course)
    return "" if eligibility else eligibility.reason or _("Finish the required training first.")


def session_admits(session: ExamSession, person: Person) -> bool:
    return session_population(session).filter(pk=person.pk).exists()


def exams_for_person(person: Person, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The person's exams: open or upcoming sessions that admit them, and those they sat."""
    now = now or timezone.now()
    sat = set(Attempt.objects.filter(person=person).values_list("session_id", flat=True))
    candidates = (
        ExamSession.objects.filter(kind=ExamSession.Kind.EXAM)
        .filter(
            Q(pk__in=sat)
            | Q(
                closes_at__gt=now,
                provider__jurisdiction__path__in=ancestor_paths(person.enterprise.jurisdiction.path),
            )
        )
        .select_related("provider__jurisdiction", "paper", "required_course")
    )
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for a in Attempt.objects.filter(person=person).defer("payload").order_by("seq"):
        attempts[a.session_id].append(a)
    rows = []
    for session in candidates.order_by("opens_at"):
        mine = attempts.get(session.pk, [])
        if session.pk not in sat and not session_admits(session, person):
            continue
        finished = [a for a in mine if a.is_finished]
        running = next((a for a in mine if a.status == Attempt.Status.IN_PROGRESS), None)
        rows.append(
            {
                "session": session,
                "attempts": mine,
                "finished": finished,
                "running": running,
                "attempts_left": attempts_left(session, mine),
                "is_open": session.is_open(now),
                "latest": finished[-1] if finished else None,
            }
        )
    return rows


def exams_to_do(person: Person, now: dt.datetime, *, soon_days: int) -> list[dict[str, Any]]:
    """The person's exams to act on (the home's to-do list): one in progress, and those open now or opening
    within ``soon_days`` with an attempt left; never one already passed (once its result is out, so the list
    does not tell a result early). In progress first, then open ones by closing time, then upcoming ones."""
    horizon = now + dt.timedelta(days=soon_days)
    rows = []
    for row in exams_for_person(person, now):
        session = row["session"]
        if row["running"] is None:
            if not row["attempts_left"] or session.closes_at <= now or session.opens_at > horizon:
                continue
            if session.results_released(now) and any(a.passed for a in row["finished"]):
                continue
        rows.append(row)
    return sorted(
        rows,
        key=lambda row: (
            row["running"] is None,
            not row["is_open"],
            row["session"].closes_at if row["is_open"] else row["session"].opens_at,
        ),
    )


def attempts_left(session: ExamSession, attempts: list[Attempt]) -> int:
    """Attempts this person can still start, as ``services.attempt_start`` counts them.

    Every attempt whose paper was delivered is used up: a finished one, the one in
    progress (it stays resumable: callers offer ``running`` before a new start) and
    any with a start time. A paper only prepared in advance uses nothing."""
    used = sum(1 for a in attempts if a.is_finished or a.status == Attempt.Status.IN_PROGRESS or a.started_at)
    return max(session.attempts_allowed - used, 0)


def paper_summary(paper: PaperTemplate) -> tuple[int, Decimal]:
    """(number of questions, total score) of every paper drawn from this template."""
    if paper.kind == PaperTemplate.Kind.FIXED:
        scores = list(paper.items.values_list("score", flat=True))
        return len(scores), sum(scores, Decimal(0))
    rules = list(paper.rules.values_list("count", "score"))
    return sum(c for c, _s in rules), sum((c * s for c, s in rules), Decimal(0))


def exam_notice(session: ExamSession, *, attempts_left: int) -> dict[str, Any]:
    """The exam notice (考试须知) shown before anything is used up: the web page and the API say the same."""
    questions, total = paper_summary(session.paper)
    rules = [
        ngettext(
            "The clock starts when the paper is shown to you and runs for %(minutes)d minute; "
            "it does not stop if you leave the page.",
            "The clock starts when the paper is shown to you and runs for %(minutes)d minutes; "
            "it does not stop if you leave the page.",
            session.duration_minutes,
        )
        % {"minutes": session.duration_minutes},
        _("Every answer is saved as you go. Opening the exam on another device moves it there."),
        _("When time is up, your saved answers are submitted automatically."),
        _("Each start uses one attempt, whether or not you submit."),
        _("Work alone: no notes, other people or other devices."),
    ]
    return {
        "duration_minutes": session.duration_minutes,
        "question_count": questions,
        "total_score": total,
        "pass_score": session.pass_score,
        "attempts_allowed": session.attempts_allowed,
        "attempts_left": attempts_left,
        "opens_at": session.opens_at,
        "closes_at": session.closes_at,
        "rules": rules,
    }


# --- attempts ------------------------------------------------------------------------


def attempts_answerable_by(user: Any) -> QuerySet[Attempt]:
    """Attempts this user may start, answer and submit: their own, and spot tests they opened."""
    qs = Attempt.objects.select_related("session")
    if not is_signed_in(user):
        return qs.none()
    # By user id through a join, not person_of(): one query less on the autosave path.
    q = Q(opened_by_id=user.pk, session__kind=ExamSession.Kind.SPOT) | Q(
        person__user_id=user.pk, session__kind=ExamSession.Kind.EXAM
    )
    return qs.filter(q)


# attempts_answerable_by as one raw condition over an attempt ``a`` joined to its session ``s``.
# tests/exams/test_answer_scope_property.py holds the two equal over generated users and
# attempts: change both or neither.
_ANSWERABLE_BY_SQL = (
    f"((s.kind = '{ExamSession.Kind.EXAM.value}' AND EXISTS (SELECT 1 FROM {Person._meta.db_table} p "  # noqa: S608 - our names
    "WHERE p.id = a.person_id AND p.user_id = %s)) "
    f"OR (s.kind = '{ExamSession.Kind.SPOT.value}' AND a.opened_by_id = %s))"
)


def attempts_answerable_by_sql(user: Any) -> tuple[str, list[Any]]:
    """``attempts_answerable_by(user)`` as a raw SQL condition and its params, for the
    autosave and submit paths, which need only a yes or no.

    The condition reads an attempt aliased ``a`` joined to its session aliased ``s``
    (``FROM exams_attempt a JOIN exams_examsession s ON s.id = a.session_id``).
    Compiling the selector's queryset was a quarter of a submit's CPU
    (bench/bench_exam.py). The caller checks ``user.is_authenticated`` first.
    """
    return _ANSWERABLE_BY_SQL, [user.pk, user.pk]


def results_readers_q(user: Any, q: Q, *, person: str, provider: str, enterprise: str) -> Q:
    """``q`` widened to the exam results ``user`` may read: of their own person, of a training
    provider they manage, in their bureau's subtree, of an enterprise they manage. ``person``,
    ``provider`` and ``enterprise`` name those relations on the model (attempts and certificates)."""
    me = person_of(user)
    if me is not None:
        q |= Q(**{f"{person}_id": me.pk})
    providers = provider_ids_managed_by(user)
    if providers:
        q |= Q(**{f"{provider}_id__in": providers})
    paths = jurisdiction_paths_of(user, {Role.BUREAU_OFFICIAL})
    if paths:
        q |= subtree_q(paths, f"{enterprise}__jurisdiction__path")
    enterprises = enterprise_ids_managed_by(user)
    if enterprises:
        q |= Q(**{f"{enterprise}_id__in": enterprises})
    return q


def attempts_visible_to(user: Any) -> QuerySet[Attempt]:
    """Attempts whose results this user may read."""
    qs = Attempt.objects.select_related("session", "person__enterprise")
    return visible_rows(
        qs,
        user,
        lambda: results_readers_q(
            user,
            Q(opened_by_id=user.pk),
            person="person",
            provider="session__provider",
            enterprise="person__enterprise",
        ),
    )


def result_visible(attempt: Attempt, now: dt.datetime | None = None) -> bool:
    return attempt.status == Attempt.Status.SUBMITTED and attempt.session.results_released(now)


def review_rows(attempt: Attempt) -> list[AttemptQuestion]:
    """The questions with answers: only once the attempt is finished (never before)."""
    if not attempt.is_finished:
        return []
    return list(attempt.questions.all())


# --- spot tests ----------------------------------------------------------------------


def may_inspect(user: Any) -> bool:
    if is_platform_admin(user):
        return True
    return bool(roles_of(user) & {Role.BUREAU_OFFICIAL, Role.PROCTOR})


def people_inspectable_by(user: Any) -> QuerySet[Person]:
    qs = Person.objects.select_related("enterprise__industry")
    return visible_rows(
        qs,
        user,
        lambda: subtree_q(
            jurisdiction_paths_of(user, {Role.BUREAU_OFFICIAL, Role.PROCTOR}), "enterprise__jurisdiction__path"
        ),
    )


def people_to_inspect_matching(user: Any, query: str) -> QuerySet[Person]:
    """The inspector's search (逢查必考), within :func:`people_inspectable_by` only: part of a name or of the
    enterprise's name, a mobile number or 4+ of its digits, a whole ID number or its last four characters
    (as the masked form shows them: "123X" or "***123X"). Nobody for an empty query."""
    query = "".join(query.split())
    if not query:
        return Person.objects.none()
    q = Q(name__icontains=query) | Q(enterprise__name__icontains=query)
    code = query.rsplit("*", 1)[-1].upper()
    if len(code) in (15, 18):
        q |= Q(id_number=code)
    elif code and len(code) <= 4 and all(c.isdigit() or c == "X" for c in code):
        q |= Q(id_number__endswith=code)
    if query.isdigit() and len(query) >= 4:
        q |= Q(user__phone__contains=query)
    return people_inspectable_by(user).filter(q).order_by("name", "enterprise__name", "pk")


def spot_tests_visible_to(user: Any) -> QuerySet[Attempt]:
    return attempts_visible_to(user).filter(session__kind=ExamSession.Kind.SPOT)


# --- certificates --------------------------------------------------------------------


def certificates_visible_to(user: Any) -> QuerySet[Certificate]:
    qs = Certificate.objects.select_related("holder", "enterprise", "provider")
    return visible_rows(
        qs,
        user,
        lambda: results_readers_q(user, Q(pk__in=[]), person="holder", provider="provider", enterprise="enterprise"),
    )


def certificates_to_renew(user: Any, today: dt.date, *, within_days: int) -> list[Certificate]:
    """The user's own certificates expired or expiring within ``within_days`` (the home's to-do list),
    soonest first: never a revoked one, nor one already renewed by a later certificate of the same type."""
    person = person_of(user) if is_signed_in(user) else None
    if person is None:
        return []
    held = certificates_visible_to(user).filter(holder=person, status=Certificate.Status.VALID)
    # Ordered by expiry, so the last of each type is the one that counts.
    latest = {(c.cert_type, c.operation_category): c for c in held.order_by("valid_until", "pk")}
    horizon = today + dt.timedelta(days=within_days)
    return sorted((c for c in latest.values() if c.valid_until <= horizon), key=lambda c: (c.valid_until, c.pk))


# --- statistics (分数统计) -----------------------------------------------------------


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sx * sy)


def session_statistics(session: ExamSession) -> dict[str, Any]:
    """Score distribution, pass rate, average, item analysis and per-enterprise figures.

    Counts each examinee's best submitted attempt. Item discrimination is the
    upper-minus-lower 27% facility difference (Kelley); ``point_biserial`` is
    given alongside.
    """
    attempts = list(
        Attempt.objects.filter(session=session, status=Attempt.Status.SUBMITTED)
        .select_related("person__enterprise")
        .defer("payload")
        .order_by("person_id", "-score", "seq")
    )
    best: dict[int, Attempt] = {}
    for a in attempts:
        best.setdefault(a.person_id, a)
    finals = list(best.values())
    max_score = max((a.max_score for a in finals), default=Decimal(0)) or Decimal(100)
    scores = [float(a.score or 0) for a in finals]
    n = len(finals)
    passed = sum(1 for a in finals if a.passed)
    bins = 10
    distribution = [0] * bins
    for s in scores:
        index = min(int(s / float(max_score) * bins), bins - 1) if max_score else 0
        distribution[index] += 1
    labels = [f"{int(float(max_score) * i / bins)}–{int(float(max_score) * (i + 1) / bins)}" for i in range(bins)]

    # Item analysis over the questions of the final attempts, keyed by bank question.
    ranked = sorted(finals, key=lambda a: a.score or 0)
    k = max(1, round(n * 0.27)) if n else 0
    lower = {a.pk for a in ranked[:k]}
    upper = {a.pk for a in ranked[-k:]} if k else set()
    rows = AttemptQuestion.objects.filter(attempt__in=[a.pk for a in finals]).values(
        "attempt_id", "question_id", "stem", "knowledge_point", "is_correct", "qtype"
    )
    score_of = {a.pk: float(a.score or 0) for a in finals}
    items: dict[Any, dict[str, Any]] = {}
    itemised: set[int] = set()
    for r in rows:
        itemised.add(r["attempt_id"])
        key = r["question_id"] or r["stem"]
        item = items.setdefault(
            key,
            {
                "question_id": r["question_id"],
                "stem": r["stem"],
                "knowledge_point": r["knowledge_point"],
                "type": r["qtype"],
                "answered": 0,
                "correct": 0,
                "upper": [0, 0],
                "lower": [0, 0],
                "xs": [],
                "ys": [],
            },
        )
        ok = bool(r["is_correct"])
        item["answered"] += 1
        item["correct"] += int(ok)
        item["xs"].append(float(ok))
        item["ys"].append(score_of[r["attempt_id"]])
        if r["attempt_id"] in upper:
            item["upper"][0] += int(ok)
            item["upper"][1] += 1
        if r["attempt_id"] in lower:
            item["lower"][0] += int(ok)
            item["lower"][1] += 1
    item_rows = []
    for item in items.values():
        facility = item["correct"] / item["answered"] if item["answered"] else 0.0
        up = item["upper"][0] / item["upper"][1] if item["upper"][1] else 0.0
        low = item["lower"][0] / item["lower"][1] if item["lower"][1] else 0.0
        item_rows.append(
            {
                "question_id": item["question_id"],
                "stem": item["stem"],
                "knowledge_point": item["knowledge_point"],
                "type": item["type"],
                "answered": item["answered"],
                "facility": round(facility, 3),
                "discrimination": round(up - low, 3),
                "point_biserial": (round(pb, 3) if (pb := _pearson(item["xs"], item["ys"])) is not None else None),
            }
        )
    item_rows.sort(key=lambda r: r["facility"])

    per_enterprise: dict[int, dict[str, Any]] = {}
    for a in finals:
        e = a.person.enterprise
        row = per_enterprise.setdefault(e.pk, {"enterprise": e.name, "examinees": 0, "passed": 0, "total": 0.0})
        row["examinees"] += 1
        row["passed"] += int(bool(a.passed))
        row["total"] += float(a.score or 0)
    enterprise_rows = [
        {
            "enterprise": r["enterprise"],
            "examinees": r["examinees"],
            "passed": r["passed"],
            "pass_rate": round(r["passed"] / r["examinees"], 3),
            "average": round(r["total"] / r["examinees"], 1),
        }
        for r in sorted(per_enterprise.values(), key=lambda r: r["enterprise"])
    ]
    return {
        "examinees": n,
        "passed": passed,
        "pass_rate": round(passed / n, 3) if n else 0.0,
        # No result, no figure: the page shows "—" rather than a score nobody got.
        "average": round(sum(scores) / n, 1) if n else None,
        "highest": max(scores, default=None),
        "lowest": min(scores, default=None),
        "max_score": float(max_score),
        "distribution": list(zip(labels, distribution, strict=True)),
        "items": item_rows,
        # Results with per-question answers: imported totals have none and are left out of ``items``.
        "itemised": len(itemised),
        "enterprises": enterprise_rows,
        "finals": finals,
    }


# --- the exam wizard ------------------------------------------------------------------


def bank_type_counts(bank_id: int) -> dict[str, int]:
    """How many questions of each machine-graded type one paper can always draw from the bank.

    A paper draws at most one question of a sibling group (``question_bank.selectors.sibling_keys``),
    and a group may hold questions of several types (a choice question and its true/false twin).
    So each group counts once, for the type of its first question; questions in no group count
    for their own type. Counts within these figures can be drawn together whatever the others are.
    """
    from question_bank.models import AUTO_GRADED_TYPES, Question
    from question_bank.selectors import sibling_keys

    questions = Question.objects.filter(bank_id=bank_id, is_active=True, type__in=AUTO_GRADED_TYPES)
    groups = sibling_keys(questions)
    counts: dict[str, int] = {}
    seen: set[int] = set()
    for pk, qtype in questions.order_by("pk").values_list("pk", "type"):
        group = groups.get(pk)
        if group is not None:
            if group in seen:
                continue
            seen.add(group)
        counts[qtype] = counts.get(qtype, 0) + 1
    return counts
