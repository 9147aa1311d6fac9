"""Reads for training, scoped through organizations.selectors.

``is_eligible_for_exam`` is the 培考一体 gate the exams app calls.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.templatetags.typography import plain_number
from core.users import is_signed_in
from organizations import selectors as org
from organizations.models import Enterprise, Jurisdiction, Person, TrainingProvider
from training.models import (
    Assignment,
    Chapter,
    Course,
    CreditLedger,
    Lesson,
    LessonPlan,
    LibraryOffer,
    Plan,
    PlanCourse,
    Progress,
    PublicLearner,
    QuizAttempt,
)

ACTIVE = (Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS)


def courses_available_to_enterprise(enterprise: Enterprise) -> QuerySet[Course]:
    """Courses an enterprise may assign: its own, and providers' courses
    shared with a jurisdiction that contains the enterprise."""
    return Course.objects.filter(published=True).filter(
        Q(owner_enterprise=enterprise)
        | Q(owner_provider__isnull=False, shared_with__path__in=org.ancestor_paths(enterprise.jurisdiction.path))
        | Q(owner_provider__isnull=False, pk__in=courses_accepted_in(enterprise.jurisdiction.path))
    )


def courses_visible_to(user: Any) -> QuerySet[Course]:
    qs = Course.objects.select_related("owner_provider", "owner_enterprise", "shared_with")
    if not is_signed_in(user):
        return qs.none()
    if org.is_platform_admin(user):
        return qs
    q = Q(pk__in=[])
    provider_ids = org.provider_ids_managed_by(user)
    if provider_ids:
        q |= Q(owner_provider_id__in=provider_ids)
    for path in org.jurisdiction_paths_of(user, {org.Role.BUREAU_OFFICIAL}):
        q |= Q(shared_with__path__startswith=path) | Q(shared_with__path__in=org.ancestor_paths(path))
        q |= Q(
            pk__in=LibraryOffer.objects.filter(
                course__isnull=False, status=LibraryOffer.Status.ACCEPTED, district__path__startswith=path
            ).values("course_id")
        )
    for enterprise in org.enterprises_managed_by(user):
        q |= Q(pk__in=courses_available_to_enterprise(enterprise).values("pk"))
    q |= Q(pk__in=_assigned_course_ids(user))
    public = PublicLearner.objects.filter(user=user).select_related("jurisdiction").first()
    if public is not None:
        q |= Q(is_public=True, published=True, shared_with__path__in=org.ancestor_paths(public.jurisdiction.path))
    return qs.filter(q)


def public_courses_for(jurisdiction_path: str) -> QuerySet[Course]:
    return Course.objects.filter(
        is_public=True, published=True, shared_with__path__in=org.ancestor_paths(jurisdiction_path)
    )


def _assigned_course_ids(user: Any) -> QuerySet[Any]:
    active = Assignment.objects.filter(learner=user, status__in=(*ACTIVE, Assignment.Status.COMPLETED))
    return Course.objects.filter(
        Q(pk__in=active.filter(course__isnull=False).values("course_id"))
        | Q(pk__in=PlanCourse.objects.filter(plan__in=active.values("plan_id")).values("course_id"))
    ).values("pk")


def lesson_is_assigned(*, user: Any, lesson: Lesson) -> bool:
    """Whether the user studies this lesson for credit (a retired lesson credits nobody)."""
    if lesson.retired:
        return False
    return Course.objects.filter(pk=lesson.chapter.course_id, pk__in=_assigned_course_ids(user)).exists()


def lessons_visible_to(user: Any) -> QuerySet[Lesson]:
    """Lessons a user may open: assigned ones, and those of courses they administer or preview."""
    return Lesson.objects.select_related("chapter__course").filter(chapter__course__in=courses_visible_to(user))


# --- Course builder: who may edit which content ---------------------------------------


def courses_managed_by(user: Any) -> QuerySet[Course]:
    """Courses whose content this user may edit: a training admin their
    providers' courses, an enterprise admin their enterprises' private
    courses, a platform admin all. Bureau officials read, never edit."""
    qs = Course.objects.select_related("owner_provider", "owner_enterprise", "shared_with")
    if not is_signed_in(user):
        return qs.none()
    if org.is_platform_admin(user):
        return qs
    return qs.filter(
        Q(owner_provider_id__in=org.provider_ids_managed_by(user))
        | Q(owner_enterprise__in=org.enterprises_managed_by(user).values("pk"))
    )


def chapters_managed_by(user: Any) -> QuerySet[Chapter]:
    return Chapter.objects.select_related("course").filter(course__in=courses_managed_by(user).values("pk"))


def lessons_managed_by(user: Any) -> QuerySet[Lesson]:
    return Lesson.objects.select_related("chapter__course").filter(
        chapter__course__in=courses_managed_by(user).values("pk")
    )


def course_owners_for(user: Any) -> tuple[QuerySet[TrainingProvider], QuerySet[Enterprise]]:
    """Who a new course may belong to: the providers this user administers
    and the enterprises they manage (every one for a platform admin)."""
    if not is_signed_in(user):
        return TrainingProvider.objects.none(), Enterprise.objects.none()
    if org.is_platform_admin(user):
        return TrainingProvider.objects.all(), org.enterprises_managed_by(user)
    return TrainingProvider.objects.filter(pk__in=org.provider_ids_managed_by(user)), org.enterprises_managed_by(user)


def can_build_courses(user: Any) -> bool:
    providers, enterprises = course_owners_for(user)
    return providers.exists() or enterprises.exists()


def share_targets_for(user: Any) -> QuerySet[Jurisdiction]:
    """Jurisdictions a provider's course may be shared with: the subtree of
    the user's providers (every one for a platform admin)."""
    if not is_signed_in(user):
        return Jurisdiction.objects.none()
    if org.is_platform_admin(user):
        return Jurisdiction.objects.order_by("path")
    paths = org.jurisdiction_paths_of(user, {org.Role.TRAINING_ADMIN})
    return Jurisdiction.objects.filter(org.subtree_q(paths, "path")).order_by("path")


def quiz_banks_for(user: Any) -> QuerySet[Any]:
    """Question banks a course builder may draw lesson quizzes from: the ones they may see that
    are open to practice (never an exam-only bank)."""
    from question_bank import selectors as qb

    return qb.banks_for_lesson_quizzes(user)


def lesson_has_credit(lesson: Lesson) -> bool:
    return CreditLedger.objects.filter(lesson=lesson).exists()


# --- Lesson quizzes ---------------------------------------------------------------------


def lesson_study_done(lesson: Lesson, progress: Progress | None) -> bool:
    """Time earned and end reached: what a lesson needs besides its quiz."""
    if progress is None or progress.credited_seconds < lesson.credit_minutes * 60:
        return False
    end = lesson.end_position
    return progress.furthest >= (end - 1 if lesson.kind == Lesson.Kind.VIDEO else end)


def quiz_question_ids(lesson: Lesson) -> list[int]:
    """Active questions of the lesson's bank that a quiz may draw: none from an exam-only bank, and
    no subjective one."""
    from question_bank import selectors as qb
    from question_bank.models import AUTO_GRADED_TYPES, Question

    if lesson.quiz_bank_id is None:
        return []
    # A subjective question has no automatic grading: a quiz never draws one.
    return list(
        Question.objects.filter(
            bank_id=lesson.quiz_bank_id,
            bank_id__in=qb.practice_allowed_bank_ids(),
            is_active=True,
            type__in=AUTO_GRADED_TYPES,
        ).values_list("pk", flat=True)
    )


def quiz_bank_is_exam_only(lesson: Lesson) -> bool:
    """The lesson names a bank reserved for exams (set through the admin, or turned exam-only since)."""
    from question_bank import selectors as qb

    if lesson.quiz_bank_id is None:
        return False
    return not qb.practice_allowed_bank_ids().filter(pk=lesson.quiz_bank_id).exists()


def quiz_attempts_of(user: Any) -> QuerySet[QuizAttempt]:
    if not is_signed_in(user):
        return QuizAttempt.objects.none()
    return QuizAttempt.objects.filter(learner=user).select_related("lesson")


def assignments_visible_to(user: Any) -> QuerySet[Assignment]:
    qs = Assignment.objects.select_related("learner", "course", "plan", "learner__person__enterprise")
    if not is_signed_in(user):
        return qs.none()
    if org.is_platform_admin(user):
        return qs
    q = Q(learner=user) | Q(learner__person__in=org.people_visible_to(user).values("pk"))
    jurisdictions = org.jurisdictions_visible_to(user)
    q |= Q(learner__public_learner__jurisdiction__in=jurisdictions.values("pk"))
    return qs.filter(q)


def ledger_visible_to(user: Any) -> QuerySet[CreditLedger]:
    qs = CreditLedger.objects.select_related("learner", "learner__person__enterprise", "lesson__chapter__course")
    if not is_signed_in(user):
        return qs.none()
    if org.is_platform_admin(user):
        return qs
    q = Q(learner=user) | Q(learner__person__in=org.people_visible_to(user).values("pk"))
    q |= Q(learner__public_learner__jurisdiction__in=org.jurisdictions_visible_to(user).values("pk"))
    return qs.filter(q)


# --- Progress -----------------------------------------------------------------------


@dataclass
class Summary:
    required_minutes: int
    earned_minutes: int
    lessons_total: int
    lessons_done: int
    complete: bool
    started: bool
    next_lesson_id: int | None = None
    courses_done: list[int] = field(default_factory=list)
    # The assignment is marked completed: by its lessons, or by hours credited outside them
    # (classroom attendance, imported records), which never reach the lessons' minutes.
    assignment_completed: bool = False

    @property
    def credited_minutes(self) -> int:
        """Minutes counted towards the requirement: all of it once the assignment is completed."""
        if self.assignment_completed:
            return self.required_minutes
        return min(self.earned_minutes, self.required_minutes)

    @property
    def completed_outside_lessons(self) -> bool:
        return self.assignment_completed and self.earned_minutes < self.required_minutes

    @property
    def percent(self) -> int:
        if self.required_minutes <= 0:
            return 100 if self.complete or self.assignment_completed else 0
        return min(100, int(self.credited_minutes * 100 / self.required_minutes))


def credit_hours(minutes: float) -> float:
    """学时 as every page shows them, to one decimal (``settings.MINUTES_PER_CREDIT_HOUR`` minutes each)."""
    return round(minutes / settings.MINUTES_PER_CREDIT_HOUR, 1)


def credit_hours_text(minutes: float) -> str:
    """学时 written out: one decimal, a whole number without ".0" ("30", "1.5")."""
    return plain_number(credit_hours(minutes))


def under_a_tenth_of_an_hour(minutes: float) -> bool:
    """Some time, but less than 学时 to one decimal can show: write it in minutes, never as "0 学时"."""
    return minutes > 0 and credit_hours(minutes) == 0


def _whole_minutes(minutes: float) -> int:
    return max(1, round(minutes)) if minutes > 0 else 0


def credit_amount_text(minutes: float) -> str:
    """ "12 学时", or "1 分钟" for less than a tenth of a 学时."""
    if under_a_tenth_of_an_hour(minutes):
        return _("%(minutes)s min") % {"minutes": _whole_minutes(minutes)}
    return _("%(hours)s credit hours") % {"hours": credit_hours_text(minutes)}


def credit_progress_text(*, earned_minutes: float, required_minutes: float) -> str:
    """ "已获 30 / 应修 72 学时", in minutes when the requirement is less than a tenth of a 学时."""
    if under_a_tenth_of_an_hour(required_minutes):
        return _("%(earned)s of %(required)s minutes") % {
            "earned": round(earned_minutes),
            "required": _whole_minutes(required_minutes),
        }
    return _("%(earned)s of %(required)s credit hours") % {
        "earned": credit_hours_text(earned_minutes),
        "required": credit_hours_text(required_minutes),
    }


def _lessons_by_course(course_ids: set[int]) -> dict[int, list[dict[str, Any]]]:
    lessons: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        Lesson.objects.filter(chapter__course_id__in=course_ids)
        .order_by("chapter__order", "chapter_id", "order", "pk")
        .values("id", "chapter__course_id", "credit_minutes", "retired")
    )
    for row in rows:
        lessons[row["chapter__course_id"]].append(row)
    return lessons


def summaries(assignments: list[Assignment]) -> dict[int, Summary]:
    """Progress of many assignments in three queries (dashboards)."""
    if not assignments:
        return {}
    plan_ids = {a.plan_id for a in assignments if a.plan_id}
    plan_courses: dict[int, list[int]] = defaultdict(list)
    for pc in PlanCourse.objects.filter(plan_id__in=plan_ids).order_by("plan_id", "order", "pk"):
        plan_courses[pc.plan_id].append(pc.course_id)
    course_ids = {a.course_id for a in assignments if a.course_id} | {c for cs in plan_courses.values() for c in cs}
    lessons = _lessons_by_course(course_ids)
    lesson_ids = [row["id"] for rows in lessons.values() for row in rows]
    learner_ids = {a.learner_id for a in assignments}
    progress: dict[tuple[int, int], tuple[int, bool]] = {}
    for row in Progress.objects.filter(learner_id__in=learner_ids, lesson_id__in=lesson_ids).values(
        "learner_id", "lesson_id", "credited_seconds", "completed_at"
    ):
        progress[(row["learner_id"], row["lesson_id"])] = (row["credited_seconds"], row["completed_at"] is not None)
    plan_required = dict(Plan.objects.filter(pk__in=plan_ids).values_list("pk", "required_minutes"))

    result: dict[int, Summary] = {}
    for a in assignments:
        courses = plan_courses.get(a.plan_id, []) if a.plan_id else [a.course_id]
        seconds = total = done = 0
        started = False
        next_lesson = None
        courses_done = []
        for course_id in courses:
            course_lessons = lessons.get(course_id, [])
            course_complete = any(not row["retired"] for row in course_lessons)
            for row in course_lessons:
                key = (a.learner_id, row["id"])
                credited, completed = progress.get(key, (0, False))
                seconds += min(credited, row["credit_minutes"] * 60)
                started = started or key in progress  # a lesson was opened
                if row["retired"]:
                    # Time studied stays earned; the lesson is no longer required.
                    continue
                total += 1
                if completed:
                    done += 1
                else:
                    course_complete = False
                    if next_lesson is None:
                        next_lesson = row["id"]
            if course_complete:
                courses_done.append(course_id)
        course_minutes = sum(row["credit_minutes"] for c in courses for row in lessons.get(c, []) if not row["retired"])
        required = plan_required.get(a.plan_id, 0) if a.plan_id else course_minutes
        earned = seconds // 60
        complete = total > 0 and done == total and earned >= required
        result[a.pk] = Summary(
            required_minutes=required,
            earned_minutes=earned,
            lessons_total=total,
            lessons_done=done,
            complete=complete,
            started=started,
            next_lesson_id=next_lesson,
            courses_done=courses_done,
            assignment_completed=a.status == Assignment.Status.COMPLETED,
        )
    return result


def assignment_summary(assignment: Assignment) -> Summary:
    return summaries([assignment])[assignment.pk]


def is_overdue(assignment: Assignment, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return assignment.status in ACTIVE and assignment.due_date is not None and assignment.due_date < today


def my_assignments(user: Any) -> list[tuple[Assignment, Summary]]:
    assignments = list(
        Assignment.objects.filter(learner=user)
        .exclude(status=Assignment.Status.CANCELLED)
        .select_related("course", "plan")
        .prefetch_related("plan__plan_courses__course")
    )
    sums = summaries(assignments)
    return [(a, sums[a.pk]) for a in assignments]


def courses_to_continue(user: Any, today: dt.date | None = None) -> list[tuple[Assignment, Summary]]:
    """The user's own assignments still to study (the home's to-do list): overdue first, then by due date,
    those without one last."""
    today = today or timezone.localdate()
    rows = [(a, s) for a, s in my_assignments(user) if a.status in ACTIVE]
    return sorted(
        rows,
        key=lambda row: (not is_overdue(row[0], today), row[0].due_date is None, row[0].due_date or today, row[0].pk),
    )


def studies_here(user: Any) -> bool:
    """A person on a roster or a resident registered for public courses: someone who learns."""
    if not is_signed_in(user):
        return False
    return Person.objects.filter(user=user).exists() or PublicLearner.objects.filter(user=user).exists()


def lesson_progress_for(user: Any, lessons: list[Lesson]) -> dict[int, Progress]:
    return {p.lesson_id: p for p in Progress.objects.filter(learner=user, lesson__in=lessons)}


# --- 培考一体 --------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str

    def __bool__(self) -> bool:
        return self.eligible


def is_eligible_for_exam(
    *, person: Person | Any, course: Course | None = None, plan: Plan | None = None
) -> Eligibility:
    """May this person sit an exam that requires ``course`` and/or ``plan``?

    Eligible when every lesson is completed (credit reached, end reached,
    quiz passed) and the required minutes are earned. Truthy/falsy; ``reason``
    explains a refusal to the examinee. ``person`` may be a Person or a User.
    """
    user = person.user if isinstance(person, Person) else person
    checks = []
    if course is not None:
        checks.append(Assignment(pk=-1, learner=user, course=course))
    if plan is not None:
        checks.append(Assignment(pk=-2, learner=user, plan=plan))
    if not checks:
        return Eligibility(True, "")
    sums = summaries(checks)
    for check in checks:
        summary = sums[check.pk]
        title = plan.name if check.plan_id and plan else course.title if course else ""
        if summary.lessons_total == 0:
            return Eligibility(False, _("“%(title)s” has no lessons yet.") % {"title": title})
        if not summary.complete:
            return Eligibility(
                False,
                _("Finish the training “%(title)s” first: %(done)d of %(total)d lessons done, %(progress)s.")
                % {
                    "title": title,
                    "done": summary.lessons_done,
                    "total": summary.lessons_total,
                    # In 学时 as the training pages count (minutes only under a tenth of one).
                    "progress": credit_progress_text(
                        earned_minutes=summary.credited_minutes, required_minutes=summary.required_minutes
                    ),
                },
            )
    return Eligibility(True, "")


# --- Enterprise dashboard -----------------------------------------------------------------


@dataclass
class EmployeeRow:
    """One person on the progress dashboard. Minutes are the sums of the learner page's per-assignment
    figures (``Summary.credited_minutes``), so both pages show the same 学时 for the same person."""

    person: Person
    required_minutes: int = 0
    credited_minutes: int = 0
    # Credited in the ledger outside any lesson: classroom attendance and imported records.
    outside_lessons_minutes: int = 0
    completed_outside_lessons: int = 0
    assignments: int = 0
    completed: int = 0
    overdue: int = 0
    next_due: dt.date | None = None

    @property
    def status(self) -> str:
        if self.assignments == 0:
            return "none"
        if self.overdue:
            return "overdue"
        if self.completed == self.assignments:
            return "completed"
        return "on_track"

    @property
    def percent(self) -> int:
        if self.required_minutes <= 0:
            return 100 if self.status == "completed" else 0
        return min(100, int(self.credited_minutes * 100 / self.required_minutes))


def employee_progress(
    user: Any, *, enterprise: Enterprise | None = None, department: str = "", post: str = "", status: str = ""
) -> list[EmployeeRow]:
    """Every current employee the user may see (of ``enterprise``), in a bounded number of queries."""
    people = org.people_visible_to(user).filter(leave_date__isnull=True)
    if enterprise is not None:
        people = people.filter(enterprise=enterprise)
    people_list = list(people.order_by("department", "name", "pk"))
    rows = {p.user_id: EmployeeRow(person=p) for p in people_list}
    assignments = list(
        assignments_visible_to(user).filter(learner_id__in=rows.keys()).exclude(status=Assignment.Status.CANCELLED)
    )
    sums = summaries(assignments)
    today = timezone.localdate()
    for a in assignments:
        row, summary = rows[a.learner_id], sums[a.pk]
        row.assignments += 1
        row.required_minutes += summary.required_minutes
        row.credited_minutes += summary.credited_minutes
        row.completed_outside_lessons += int(summary.completed_outside_lessons)
        if a.status == Assignment.Status.COMPLETED:
            row.completed += 1
        elif is_overdue(a, today):
            row.overdue += 1
        if a.status in ACTIVE and a.due_date and (row.next_due is None or a.due_date < row.next_due):
            row.next_due = a.due_date
    outside = (
        ledger_visible_to(user)
        .filter(learner_id__in=rows.keys(), lesson__isnull=True)
        .values("learner_id")
        .annotate(seconds=Sum("seconds"))
        .order_by()
    )
    for entry in outside:
        rows[entry["learner_id"]].outside_lessons_minutes = entry["seconds"] // 60
    return employee_rows_matching(list(rows.values()), department=department, post=post, status=status)


def employee_rows_matching(
    rows: list[EmployeeRow], *, department: str = "", post: str = "", status: str = ""
) -> list[EmployeeRow]:
    """The dashboard's filters, applied to rows already computed (the charts read all of them)."""
    return [
        r
        for r in rows
        if (not department or r.person.department == department)
        and (not post or r.person.post == post)
        and (not status or r.status == status)
    ]


# --- The lesson-plan library (教案库) --------------------------------------------------------
#
# Where a user stands in the tree decides which shared plans reach them: a training admin at
# the jurisdiction their provider serves, an enterprise admin at their enterprise's
# jurisdiction, a bureau official at their jurisdiction. A plan shared with a subtree (or
# accepted by a district through a LibraryOffer) reaches everyone standing inside it; bureau
# officials also see what is shared below them. Acceptors of a district's offers: its bureau
# officials (a grant on the district or above it) and the training admins of a provider marked
# as a district training centre serving it (docs/LESSON_PLAN_LIBRARY.md).

LIBRARY_ROLES = {org.Role.PLATFORM_ADMIN, org.Role.TRAINING_ADMIN, org.Role.ENTERPRISE_ADMIN, org.Role.BUREAU_OFFICIAL}


def _library_standpoints(user: Any) -> list[str]:
    """The jurisdiction paths the user works at (not their subtrees)."""
    paths = org.jurisdiction_paths_of(user, {org.Role.TRAINING_ADMIN, org.Role.BUREAU_OFFICIAL})
    paths += list(
        Enterprise.objects.filter(pk__in=org.enterprise_ids_managed_by(user)).values_list(
            "jurisdiction__path", flat=True
        )
    )
    return paths


def uses_library(user: Any) -> bool:
    """Whether the library pages are for this user: a trainer, an administrator or an official."""
    return bool(org.roles_of(user) & LIBRARY_ROLES) or (
        is_signed_in(user) and LessonPlan.objects.filter(classes__trainer=user).exists()
    )


def library_districts_accepted_by(user: Any) -> QuerySet[Jurisdiction]:
    """Districts whose library offers this user may accept or reject."""
    districts = Jurisdiction.objects.filter(kind__in=(Jurisdiction.Kind.DISTRICT, Jurisdiction.Kind.CITY))
    if not is_signed_in(user):
        return districts.none()
    if org.is_platform_admin(user):
        return districts
    paths = org.jurisdiction_paths_of(user, {org.Role.BUREAU_OFFICIAL})
    paths += list(
        TrainingProvider.objects.filter(
            pk__in=org.provider_ids_managed_by(user), kind=TrainingProvider.Kind.DISTRICT_CENTRE
        ).values_list("jurisdiction__path", flat=True)
    )
    return districts.filter(org.subtree_q(paths, "path"))


def _reaches(paths: list[str], field: str) -> Q:
    """Rows whose jurisdiction ``field`` contains one of ``paths`` (the users stand inside it)."""
    ancestors = {a for p in paths for a in org.ancestor_paths(p)}
    return Q(**{f"{field}__path__in": sorted(ancestors)}) if ancestors else Q(pk__in=[])


def lesson_plans_visible_to(user: Any) -> QuerySet[LessonPlan]:
    """Plans a user may find, preview and download: their organisations' own, those shared with a
    subtree they stand in (or below them, for officials), the platform's, those a district they
    stand in accepted, those offered to a district they accept for, and those of classes they teach."""
    qs = LessonPlan.objects.select_related("owner_provider", "owner_enterprise", "shared_with", "industry")

    def rule() -> Q:
        q = Q(owner_provider_id__in=org.provider_ids_managed_by(user)) | Q(
            owner_enterprise_id__in=org.enterprise_ids_managed_by(user)
        )
        q |= Q(pk__in=LessonPlan.objects.filter(classes__trainer=user).values("pk"))
        if not org.roles_of(user) & LIBRARY_ROLES:
            return q
        standpoints = _library_standpoints(user)
        official = org.jurisdiction_paths_of(user, {org.Role.BUREAU_OFFICIAL})
        q |= Q(share=LessonPlan.Share.PLATFORM)
        q |= Q(share=LessonPlan.Share.SUBTREE) & (
            _reaches(standpoints, "shared_with") | org.subtree_q(official, "shared_with__path")
        )
        accepted = LibraryOffer.objects.filter(lesson_plan__isnull=False, status=LibraryOffer.Status.ACCEPTED).filter(
            _reaches(standpoints, "district") | org.subtree_q(official, "district__path")
        )
        pending = LibraryOffer.objects.filter(
            lesson_plan__isnull=False,
            status=LibraryOffer.Status.PENDING,
            district__in=library_districts_accepted_by(user),
        )
        return q | Q(pk__in=accepted.values("lesson_plan_id")) | Q(pk__in=pending.values("lesson_plan_id"))

    return org.visible_rows(qs, user, rule)


def lesson_plans_managed_by(user: Any) -> QuerySet[LessonPlan]:
    """Plans this user may edit, replace, delete and offer: their organisations' own."""
    qs = LessonPlan.objects.select_related("owner_provider", "owner_enterprise", "shared_with", "industry")
    return org.visible_rows(
        qs,
        user,
        lambda: (
            Q(owner_provider_id__in=org.provider_ids_managed_by(user))
            | Q(owner_enterprise_id__in=org.enterprise_ids_managed_by(user))
        ),
    )


def lesson_plans_attachable_by(user: Any, training_class: Any = None) -> QuerySet[LessonPlan]:
    """Plans a trainer may attach to a class: every plan they may see (the class's own plans stay
    attachable even when the trainer could no longer find them in the library)."""
    qs = lesson_plans_visible_to(user)
    if training_class is not None and getattr(training_class, "pk", None):
        qs = LessonPlan.objects.filter(Q(pk__in=qs.values("pk")) | Q(classes=training_class)).distinct()
    return qs


def lesson_plans_matching(
    plans: QuerySet[LessonPlan], *, q: str = "", industry: str = "", level: str = "", file_type: str = ""
) -> QuerySet[LessonPlan]:
    """The library search: part of the title or topic; an industry by code; a level; a file type."""
    q = q.strip()
    if q:
        plans = plans.filter(Q(title__icontains=q) | Q(topic__icontains=q))
    if industry:
        plans = plans.filter(Q(industry__code=industry) | Q(industry__isnull=True))
    if level:
        plans = plans.filter(level=level)
    if file_type:
        plans = plans.filter(file_type=file_type)
    return plans


def library_owners_for(user: Any) -> tuple[QuerySet[TrainingProvider], QuerySet[Enterprise]]:
    """Who a new lesson plan may belong to: the same organisations a new course may."""
    return course_owners_for(user)


def library_offers_visible_to(user: Any) -> QuerySet[LibraryOffer]:
    """Offers of the providers the user administers, and offers to districts they accept for."""
    qs = LibraryOffer.objects.select_related("provider", "district", "course", "lesson_plan", "offered_by")
    return org.visible_rows(
        qs,
        user,
        lambda: (
            Q(provider_id__in=org.provider_ids_managed_by(user)) | Q(district__in=library_districts_accepted_by(user))
        ),
    )


def library_offers_awaiting(user: Any) -> QuerySet[LibraryOffer]:
    """The 待接收 queue: pending offers to districts this user accepts for."""
    return library_offers_visible_to(user).filter(
        status=LibraryOffer.Status.PENDING, district__in=library_districts_accepted_by(user)
    )


def courses_accepted_in(path: str) -> QuerySet[Any]:
    """Ids of courses offered by providers and accepted by a district containing ``path``."""
    return LibraryOffer.objects.filter(
        course__isnull=False, status=LibraryOffer.Status.ACCEPTED, district__path__in=org.ancestor_paths(path)
    ).values("course_id")
