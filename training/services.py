"""Writes for training. Keyword-only, typed; callers validate first.

The heartbeat (``heartbeat_record``) is the hot path: one cache read for the
lease, one SELECT, one conditional UPDATE and, when time is credited, one
INSERT into the append-only ledger.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import nh3
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from organizations.models import Enterprise, Industry, Jurisdiction, Person, TrainingProvider
from training import heartbeat_checks as hooks
from training import selectors
from training.models import (
    Assignment,
    Chapter,
    Course,
    CreditLedger,
    Lesson,
    Plan,
    PlanCourse,
    PlanLevel,
    PlanTemplate,
    Progress,
    PublicLearner,
    QuizAttempt,
    RequirementProfile,
)

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS)


# --- Content -------------------------------------------------------------------


class MediaRejected(ValueError):
    """An uploaded lesson file was refused; the message is for the user."""


ARTICLE_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "em", "b", "i", "u", "ul", "ol", "li",
    "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td", "img", "figure", "figcaption", "hr",
}  # fmt: skip
ARTICLE_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"}}


def sanitize_article_html(html: str) -> str:
    """Allow-list sanitising (nh3/ammonia): scripts, event handlers, styles
    and javascript: URLs are dropped, links get rel=noopener."""
    return nh3.clean(
        html,
        tags=ARTICLE_TAGS,
        attributes=ARTICLE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def check_lesson_media(data: bytes, *, kind: str, size: int | None = None) -> str:
    """Return the media type of an upload judged by its magic bytes; raise
    MediaRejected for the wrong type or an oversized file. ``data`` may be
    just the head of the file when ``size`` gives the full size."""
    limit = settings.TRAINING_MEDIA_MAX_BYTES
    size = len(data) if size is None else size
    if size > limit:
        raise MediaRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)}
        )
    if not data or not size:
        raise MediaRejected(_("The file is empty."))
    if kind == Lesson.Kind.VIDEO:
        if data[4:8] == b"ftyp":
            return "video/mp4"
        if data[:4] == b"\x1a\x45\xdf\xa3":
            return "video/webm"
        raise MediaRejected(_("A video lesson needs an MP4 or WebM file; this file is neither."))
    if kind == Lesson.Kind.DOCUMENT:
        if data[:5] == b"%PDF-":
            return "application/pdf"
        raise MediaRejected(_("A document lesson needs a PDF file; this file is not a PDF."))
    raise MediaRejected(_("An article lesson has no file."))


_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_page_count(data: bytes) -> int:
    return max(1, len(_PDF_PAGE.findall(data)))


_EXTENSIONS = {"video/mp4": "mp4", "video/webm": "webm", "application/pdf": "pdf"}


def _attach_media(lesson: Lesson, *, data: bytes | None, upload: Any | None) -> None:
    """Check an upload by its magic bytes and size, then store it on ``lesson``
    (not saved). ``upload`` is a Django UploadedFile: only its head is read
    for the check, so an oversized file is refused without reading it."""
    if upload is not None:
        head = upload.read(64)
        upload.seek(0)
        lesson.media_type = check_lesson_media(head, kind=lesson.kind, size=upload.size)
        if lesson.kind == Lesson.Kind.DOCUMENT:
            lesson.page_count = pdf_page_count(upload.read())
            upload.seek(0)
        content: Any = upload
    elif data is not None:
        lesson.media_type = check_lesson_media(data, kind=lesson.kind)
        if lesson.kind == Lesson.Kind.DOCUMENT:
            lesson.page_count = pdf_page_count(data)
        content = ContentFile(data)
    else:
        raise MediaRejected(_("Choose a file for this lesson."))
    old = lesson.media.name if lesson.media else ""
    lesson.media.save(f"{secrets.token_hex(8)}.{_EXTENSIONS[lesson.media_type]}", content, save=False)
    if old:
        # The replaced file goes only once the new row is committed.
        storage = lesson.media.storage
        transaction.on_commit(lambda: storage.delete(old))


def _next_order(qs: Any) -> int:
    last = qs.order_by("-order").values_list("order", flat=True).first()
    return (last or 0) + 1


# --- Lesson quiz banks ---------------------------------------------------------------


def lesson_check_quiz_bank(*, actor: Any | None, quiz_bank_id: int | None, lesson: Lesson | None = None) -> None:
    """Refuse a quiz bank a lesson may not draw on: ``ValidationError`` naming ``quiz_bank``.

    The one rule for every door that sets a lesson's quiz bank (course builder, Django admin,
    ``lesson_create`` / ``lesson_update`` themselves):

    - the bank exists and is open to practice: a quiz shows its questions to learners and
      marks them, so an exam-only bank (``Bank.Purpose.EXAM_ONLY``) never becomes a quiz;
    - ``actor`` may use it for quizzes (``selectors.quiz_banks_for``), unless the lesson
      already draws on it (it keeps its bank when the builder no longer sees it).

    ``actor`` is the user acting, or None for the system itself (demo data, commands): then
    only the first rule is checked.
    """
    from question_bank import selectors as qb
    from question_bank.models import Bank

    if quiz_bank_id is None:
        return
    if not Bank.objects.filter(pk=quiz_bank_id).exists():
        raise ValidationError({"quiz_bank": _("There is no question bank with this id.")})
    if not qb.practice_allowed_bank_ids().filter(pk=quiz_bank_id).exists():
        raise ValidationError(
            {
                "quiz_bank": _(
                    "This question bank is for exams only: a lesson quiz would show its questions and answers "
                    "to learners. Choose a bank open to practice."
                )
            }
        )
    kept = lesson is not None and lesson.pk is not None and _stored_quiz_bank_id(lesson) == quiz_bank_id
    if actor is not None and not kept and not selectors.quiz_banks_for(actor).filter(pk=quiz_bank_id).exists():
        raise ValidationError({"quiz_bank": _("Choose a question bank you may use.")})


def _stored_quiz_bank_id(lesson: Lesson) -> int | None:
    return Lesson.objects.filter(pk=lesson.pk).values_list("quiz_bank_id", flat=True).first()


def _lock_quiz_bank(quiz_bank_id: int | None) -> None:
    """Hold the bank's row until the lesson is saved, so that ``bank_update`` cannot turn it
    exam-only in between (it locks the same row and asks ``check_bank_change_keeps_lesson_quizzes``).
    Call inside the lesson's transaction."""
    from question_bank.models import Bank

    if quiz_bank_id is not None:
        list(Bank.objects.select_for_update().filter(pk=quiz_bank_id).values_list("pk", flat=True))


def check_bank_change_keeps_lesson_quizzes(*, actor: Any | None, bank: Any, changes: dict[str, Any]) -> None:
    """Guard for ``question_bank.services.bank_update`` (registered in ``TrainingConfig.ready``):
    refuse turning a bank exam-only while lessons that are not retired draw their quizzes from it,
    which would silently leave those quizzes without questions. ``ValidationError`` on ``purpose``
    with how many lessons and courses (only counts: the courses may belong to other tenants)."""
    from question_bank.models import Bank

    if changes.get("purpose", Bank.Purpose.PRACTICE) == Bank.Purpose.PRACTICE:
        return
    lessons = Lesson.objects.filter(quiz_bank_id=bank.pk, retired=False)
    count = lessons.count()
    if not count:
        return
    courses = lessons.values("chapter__course_id").distinct().count()
    raise ValidationError(
        {
            "purpose": _(
                "The quizzes of %(lessons)d lesson(s) in %(courses)d course(s) draw on this bank: give those "
                "lessons another quiz bank (or retire them) before making it exam-only."
            )
            % {"lessons": count, "courses": courses}
        }
    )


@transaction.atomic
def lesson_create(
    *,
    actor: Any | None,
    chapter: Chapter,
    title: str,
    kind: str,
    credit_minutes: int,
    data: bytes | None = None,
    upload: Any | None = None,
    filename: str = "",
    body_html: str = "",
    duration_seconds: int = 0,
    order: int | None = None,
    quiz_bank_id: int | None = None,
    quiz_question_count: int = 0,
    quiz_pass_percent: int = 60,
) -> Lesson:
    """Create a lesson; raises MediaRejected (nothing saved) for a wrong or
    oversized file, ValidationError on ``quiz_bank`` for a bank it may not draw
    its quiz from (``lesson_check_quiz_bank``; ``actor``: the user acting, None
    for the system). Without ``order`` the lesson goes last in its chapter."""
    _lock_quiz_bank(quiz_bank_id)
    lesson_check_quiz_bank(actor=actor, quiz_bank_id=quiz_bank_id)
    if order is None:
        order = _next_order(chapter.lessons.all())
    lesson = Lesson(
        chapter=chapter,
        title=title,
        kind=kind,
        credit_minutes=credit_minutes,
        order=order,
        quiz_bank_id=quiz_bank_id,
        quiz_question_count=quiz_question_count if quiz_bank_id else 0,
        quiz_pass_percent=quiz_pass_percent,
    )
    if kind == Lesson.Kind.ARTICLE:
        lesson.body_html = sanitize_article_html(body_html)
    else:
        if kind == Lesson.Kind.VIDEO:
            lesson.duration_seconds = duration_seconds
        _attach_media(lesson, data=data, upload=upload)
    try:
        lesson.save()
    except Exception:
        if lesson.media:
            lesson.media.delete(save=False)
        raise
    return lesson


@transaction.atomic
def lesson_update(
    *,
    actor: Any | None,
    lesson: Lesson,
    chapter: Chapter,
    title: str,
    credit_minutes: int,
    upload: Any | None = None,
    body_html: str = "",
    duration_seconds: int | None = None,
    quiz_bank_id: int | None = None,
    quiz_question_count: int = 0,
    quiz_pass_percent: int = 60,
) -> Lesson:
    """Edit a lesson; its kind stays. A new file replaces the old one (checked
    like a new upload); without one the stored file stays. The quiz bank is
    checked as in ``lesson_create`` (ValidationError on ``quiz_bank``, nothing
    saved); a lesson keeps a bank its editor no longer sees, not an exam-only one."""
    if chapter.course_id != lesson.chapter.course_id:
        raise ValueError("A lesson moves only between chapters of its course.")
    _lock_quiz_bank(quiz_bank_id)
    lesson_check_quiz_bank(actor=actor, quiz_bank_id=quiz_bank_id, lesson=lesson)
    if chapter.pk != lesson.chapter_id:
        lesson.chapter = chapter
        lesson.order = _next_order(chapter.lessons.all())
    lesson.title = title
    lesson.credit_minutes = credit_minutes
    lesson.quiz_bank_id = quiz_bank_id
    lesson.quiz_question_count = quiz_question_count if quiz_bank_id else 0
    lesson.quiz_pass_percent = quiz_pass_percent
    if lesson.kind == Lesson.Kind.ARTICLE:
        lesson.body_html = sanitize_article_html(body_html)
    else:
        if lesson.kind == Lesson.Kind.VIDEO and duration_seconds is not None:
            lesson.duration_seconds = duration_seconds
        if upload is not None:
            _attach_media(lesson, data=None, upload=upload)
    lesson.save()
    return lesson


class ContentHasCredit(ValueError):
    """Deleting would orphan credit-ledger rows (append-only evidence)."""


@transaction.atomic
def lesson_delete(*, lesson: Lesson) -> None:
    """Delete a lesson nobody has been credited for; raises ContentHasCredit
    otherwise (retire it with lesson_set_retired instead)."""
    if CreditLedger.objects.filter(lesson=lesson).exists():
        raise ContentHasCredit(
            _("“%(title)s” has credited study time on record and cannot be deleted; retire it instead.")
            % {"title": lesson.title}
        )
    name, storage = (lesson.media.name, lesson.media.storage) if lesson.media else ("", None)
    lesson.delete()
    if name and storage is not None:
        transaction.on_commit(lambda: storage.delete(name))


def lesson_set_retired(*, lesson: Lesson, retired: bool) -> Lesson:
    """Retire (or bring back) a lesson: retired lessons are hidden from
    learners, credit nothing and are no longer required for completion."""
    if lesson.retired != retired:
        lesson.retired = retired
        lesson.save(update_fields=["retired"])
        for learner_id in set(Progress.objects.filter(lesson=lesson).values_list("learner_id", flat=True)):
            assignments_refresh(learner=User(pk=learner_id))
    return lesson


def _move(item: Any, siblings: Any, offset: int) -> None:
    """Swap ``item`` with its neighbour and renumber the siblings 1..n."""
    ordered = list(siblings.order_by("order", "pk"))
    index = next(i for i, other in enumerate(ordered) if other.pk == item.pk)
    target = index + offset
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, other in enumerate(ordered, start=1):
        if other.order != position:
            type(other).objects.filter(pk=other.pk).update(order=position)


@transaction.atomic
def lesson_move(*, lesson: Lesson, offset: int) -> None:
    _move(lesson, Lesson.objects.select_for_update().filter(chapter_id=lesson.chapter_id), offset)


@transaction.atomic
def course_save(
    *,
    course: Course | None,
    title: str,
    description: str,
    owner_provider: TrainingProvider | None,
    owner_enterprise: Enterprise | None,
    shared_with: Jurisdiction | None,
    industries: list[Industry],
    posts: list[str],
    is_public: bool,
    published: bool,
) -> Course:
    """Create (``course=None``) or update a course. An enterprise's private
    course is shared with no one and never public."""
    if owner_enterprise is not None:
        shared_with, is_public = None, False
    course = course or Course()
    course.title = title
    course.description = description
    course.owner_provider = owner_provider
    course.owner_enterprise = owner_enterprise
    course.shared_with = shared_with
    course.posts = list(posts)
    course.is_public = is_public
    course.published = published
    course.save()
    course.industries.set(industries)
    return course


@transaction.atomic
def chapter_create(*, course: Course, title: str) -> Chapter:
    return Chapter.objects.create(course=course, title=title, order=_next_order(course.chapters.all()))


def chapter_rename(*, chapter: Chapter, title: str) -> Chapter:
    chapter.title = title
    chapter.save(update_fields=["title"])
    return chapter


@transaction.atomic
def chapter_move(*, chapter: Chapter, offset: int) -> None:
    _move(chapter, Chapter.objects.select_for_update().filter(course_id=chapter.course_id), offset)


@transaction.atomic
def chapter_delete(*, chapter: Chapter) -> None:
    """Delete a chapter and its lessons, unless one of them has credited time."""
    credited = Lesson.objects.filter(chapter=chapter, pk__in=CreditLedger.objects.values("lesson_id")).first()
    if credited is not None:
        raise ContentHasCredit(
            _("The chapter’s lesson “%(title)s” has credited study time on record; retire lessons instead.")
            % {"title": credited.title}
        )
    for lesson in list(chapter.lessons.all()):
        lesson_delete(lesson=lesson)
    chapter.delete()


# --- Requirements, plans and assignments ----------------------------------------


def requirement_for(*, industry: Industry, post: str) -> RequirementProfile | None:
    return RequirementProfile.objects.filter(high_risk=industry.is_high_risk, post=post).first()


def course_matches(course: Course, *, industry: Industry, post: str) -> bool:
    posts_ok = not course.posts or post in course.posts
    industry_ids = [i.pk for i in course.industries.all()]
    return posts_ok and (not industry_ids or industry.pk in industry_ids)


@transaction.atomic
def onboarding_plan_for(*, enterprise: Enterprise, post: str) -> Plan | None:
    """The enterprise's onboarding plan for a post, built from the default
    three-level template on first use. None when no profile applies."""
    template = PlanTemplate.objects.filter(kind=PlanTemplate.Kind.ONBOARDING, is_default=True).first()
    profile = requirement_for(industry=enterprise.industry, post=post)
    if template is None or profile is None:
        return None
    plan = Plan.objects.filter(enterprise=enterprise, template=template, post=post).first()
    if plan is not None:
        return plan
    plan = Plan.objects.create(
        name=f"{template.name} · {Person.Post(post).label}",
        kind=PlanTemplate.Kind.ONBOARDING,
        enterprise=enterprise,
        template=template,
        post=post,
        required_minutes=profile.initial_hours * settings.MINUTES_PER_CREDIT_HOUR,
    )
    available = set(selectors.courses_available_to_enterprise(enterprise).values_list("pk", flat=True))
    order = 0
    for stage in template.stages.prefetch_related("courses__industries"):
        for course in stage.courses.all():
            if course.pk in available and course_matches(course, industry=enterprise.industry, post=post):
                PlanCourse.objects.get_or_create(
                    plan=plan, course=course, defaults={"level": stage.level, "order": order}
                )
                order += 1
    return plan


@transaction.atomic
def assignment_create(
    *,
    learner: User,
    course: Course | None = None,
    plan: Plan | None = None,
    due_date: dt.date | None = None,
    source: str = Assignment.Source.MANUAL,
    assigned_by: User | None = None,
) -> Assignment:
    """Assign a course or a plan; an active assignment of the same thing is returned unchanged."""
    existing = (
        Assignment.objects.filter(learner=learner, course=course, plan=plan)
        .exclude(status=Assignment.Status.CANCELLED)
        .first()
    )
    if existing is not None:
        return existing
    assignment = Assignment.objects.create(
        learner=learner, course=course, plan=plan, due_date=due_date, source=source, assigned_by=assigned_by
    )
    assignments_refresh(learner=learner, assignments=[assignment])
    return assignment


def onboarding_assign(*, person: Person, today: dt.date | None = None) -> Assignment | None:
    """Called by organizations.services.person_create: a recent hire gets the
    onboarding plan for their industry and post."""
    today = today or timezone.localdate()
    if person.hire_date < today - dt.timedelta(
        days=settings.NEW_HIRE_WINDOW_DAYS
    ) or person.hire_date > today + dt.timedelta(days=settings.NEW_HIRE_WINDOW_DAYS):
        return None
    plan = onboarding_plan_for(enterprise=person.enterprise, post=person.post)
    if plan is None:
        return None
    due = max(person.hire_date, today) + dt.timedelta(days=settings.TRAINING_ONBOARDING_DUE_DAYS)
    return assignment_create(learner=person.user, plan=plan, due_date=due, source=Assignment.Source.ONBOARDING)


@transaction.atomic
def assign_to_people(
    *,
    people: list[Person],
    course: Course | None = None,
    plan: Plan | None = None,
    due_date: dt.date | None,
    assigned_by: User,
) -> int:
    """Assign to a selection (by post, department or individuals, chosen by
    the caller from a scoped queryset). Returns how many were newly assigned."""
    created = 0
    for person in people:
        before = Assignment.objects.filter(learner=person.user, course=course, plan=plan).exclude(
            status=Assignment.Status.CANCELLED
        )
        if before.exists():
            continue
        assignment_create(learner=person.user, course=course, plan=plan, due_date=due_date, assigned_by=assigned_by)
        created += 1
    return created


def assignments_refresh(*, learner: User, assignments: list[Assignment] | None = None) -> None:
    """Recompute the status of a learner's active assignments from progress.

    Called when a lesson is completed or started, never per heartbeat."""
    if assignments is None:
        assignments = list(
            Assignment.objects.filter(learner=learner, status__in=ACTIVE_STATUSES).select_related("course", "plan")
        )
    now = timezone.now()
    for assignment in assignments:
        summary = selectors.assignment_summary(assignment)
        if summary.complete:
            status, completed_at = Assignment.Status.COMPLETED, now
        elif summary.started:
            status, completed_at = Assignment.Status.IN_PROGRESS, None
        else:
            status, completed_at = Assignment.Status.ASSIGNED, None
        if status != assignment.status:
            Assignment.objects.filter(pk=assignment.pk).update(status=status, completed_at=completed_at)
            assignment.status, assignment.completed_at = status, completed_at


# --- Studying: lease, heartbeat, presence -------------------------------------------


class LessonNotAssigned(PermissionError):
    pass


class LeaseHeld(RuntimeError):
    """The learner is studying in another window or device."""


def _lease_key(user_id: int) -> str:
    return f"training:lease:{user_id}"


def _lease_set(key: str, holder: str) -> None:
    # The value carries its own expiry so that a heartbeat renews the lease
    # only when half of it has run out, not with a cache write every time.
    ttl = settings.TRAINING_LEASE_SECONDS
    cache.set(key, f"{holder}:{int(time.time()) + ttl}", ttl)


def _post_of(user: User) -> str:
    person = Person.objects.filter(user=user).only("post").first()
    return person.post if person else "public"


@dataclass
class StartResult:
    token: str
    position: int
    furthest: int
    credited_seconds: int
    heartbeat_seconds: int
    idle_lock_seconds: int
    max_playback_rate: float


def lesson_start(*, user: User, lesson: Lesson, takeover: bool = False, now: dt.datetime | None = None) -> StartResult:
    """Open a lesson: check it is assigned, take the one-lesson-at-a-time lease
    and create the progress row the heartbeat will update.

    Raises LessonNotAssigned, or LeaseHeld unless ``takeover``: the other
    window's heartbeats are then refused."""
    if not selectors.lesson_is_assigned(user=user, lesson=lesson):
        logger.info("training start refused user=%s lesson=%s reason=not_assigned", user.pk, lesson.pk)
        raise LessonNotAssigned
    now = now or timezone.now()
    key = _lease_key(user.pk)
    held = cache.get(key)
    if held and not takeover:
        logger.info("training start refused user=%s lesson=%s reason=another_session", user.pk, lesson.pk)
        raise LeaseHeld
    token = secrets.token_urlsafe(12)
    _lease_set(key, f"{lesson.pk}:{token}:{_post_of(user)}")
    progress, created = Progress.objects.get_or_create(learner=user, lesson=lesson)
    # A fresh window starts a fresh span: time before this start is never credited.
    Progress.objects.filter(pk=progress.pk).update(last_heartbeat_at=None, last_presence_at=now)
    if created:
        assignments_refresh(learner=user)
    return StartResult(
        token=token,
        position=progress.position,
        furthest=progress.furthest,
        credited_seconds=progress.credited_seconds,
        heartbeat_seconds=settings.TRAINING_HEARTBEAT_SECONDS,
        idle_lock_seconds=settings.TRAINING_IDLE_LOCK_SECONDS,
        max_playback_rate=settings.TRAINING_MAX_PLAYBACK_RATE_PERCENT / 100,
    )


def lesson_stop(*, user: User, lesson_id: int, token: str) -> None:
    """Release the lease (page closed), only if this window holds it."""
    key = _lease_key(user.pk)
    held = cache.get(key)
    if held and held.split(":")[:2] == [str(lesson_id), token]:
        cache.delete(key)


@dataclass
class HeartbeatResult:
    accepted: bool
    reason: str = "ok"
    credited: int = 0
    credited_total: int = 0
    position: int = 0
    furthest: int = 0
    locked: bool = False
    completed: bool = False
    extras: dict[str, Any] = field(default_factory=dict)


class Refusal:
    # Reasons a heartbeat credits nothing; they go to the log and the client.
    NOT_ASSIGNED = "not_assigned"
    ANOTHER_SESSION = "another_session"
    REPLAYED = "replayed"
    FUTURE_TIMESTAMP = "future_timestamp"
    TOO_FREQUENT = "too_frequent"
    RATE_TOO_HIGH = "rate_too_high"
    SEEK_AHEAD = "seek_ahead"
    TAMPERED = "tampered_position"
    HIDDEN = "hidden"
    IDLE_LOCKED = "idle_locked"
    PAUSED = "paused"
    FIRST = "started"
    FULL = "lesson_credit_full"
    CONFLICT = "conflict"


_PROGRESS_FIELDS = (
    "id",
    "position",
    "furthest",
    "credited_seconds",
    "client_seq",
    "last_heartbeat_at",
    "last_presence_at",
    "completed_at",
    "quiz_passed",
    "lesson__kind",
    "lesson__credit_minutes",
    "lesson__duration_seconds",
    "lesson__page_count",
    "lesson__quiz_bank_id",
    "lesson__quiz_question_count",
)


def _refuse(user_id: int, lesson_id: int, reason: str, **fields: Any) -> HeartbeatResult:
    logger.info("training heartbeat refused user=%s lesson=%s reason=%s", user_id, lesson_id, reason)
    return HeartbeatResult(accepted=False, reason=reason, **fields)


def heartbeat_record(
    *,
    user: User,
    lesson: Lesson | int,
    token: str,
    client_seq: int,
    position: int,
    visible: bool,
    playback_rate: float = 1.0,
    client_time: dt.datetime | None = None,
    interaction: bool = False,
    now: dt.datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> HeartbeatResult:
    """Credit the time since the learner's previous heartbeat, if it was
    really spent studying. Never raises for bad input: the result says why
    nothing was credited, and the reason is logged (user and lesson ids only).
    """
    now = now or timezone.now()
    user_id = user.pk
    lesson_id = lesson if isinstance(lesson, int) else lesson.pk
    lease = cache.get(_lease_key(user_id))
    parts = lease.split(":") if lease else []
    row = Progress.objects.filter(learner_id=user_id, lesson_id=lesson_id).values(*_PROGRESS_FIELDS).first()
    if row is None:
        return _refuse(user_id, lesson_id, Refusal.NOT_ASSIGNED)
    state = {"position": row["position"], "furthest": row["furthest"], "credited_total": row["credited_seconds"]}
    if parts[:2] != [str(lesson_id), token]:
        return _refuse(user_id, lesson_id, Refusal.ANOTHER_SESSION, **state)
    post = parts[2] if len(parts) > 2 else ""
    lease_expires = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
    if client_seq <= row["client_seq"]:
        return _refuse(user_id, lesson_id, Refusal.REPLAYED, **state)
    if client_time is not None and client_time > now + dt.timedelta(seconds=settings.TRAINING_CLOCK_SKEW_SECONDS):
        return _refuse(user_id, lesson_id, Refusal.FUTURE_TIMESTAMP, **state)
    last = row["last_heartbeat_at"]
    gap = (now - last).total_seconds() if last else None
    if gap is not None and gap < settings.TRAINING_HEARTBEAT_MIN_INTERVAL_SECONDS:
        # Nothing is written, so a flood of heartbeats cannot slice time finer.
        return _refuse(user_id, lesson_id, Refusal.TOO_FREQUENT, **state)

    kind = row["lesson__kind"]
    end = {
        Lesson.Kind.VIDEO: row["lesson__duration_seconds"],
        Lesson.Kind.DOCUMENT: row["lesson__page_count"],
    }.get(kind, 100)
    max_rate = settings.TRAINING_MAX_PLAYBACK_RATE_PERCENT / 100
    capped_gap = min(gap or 0.0, settings.TRAINING_HEARTBEAT_MAX_GAP_SECONDS)
    violation = ""
    paused = False
    new_position = row["position"]
    if position < 0 or position > end + 1:
        violation = Refusal.TAMPERED
    elif playback_rate > max_rate + 1e-6 or playback_rate <= 0:
        violation = Refusal.RATE_TOO_HIGH
    else:
        if kind == Lesson.Kind.VIDEO:
            allowance = capped_gap * max_rate + 2
        elif kind == Lesson.Kind.DOCUMENT:
            allowance = 1  # the next page, never further
        else:
            allowance = end  # reading an article may scroll anywhere
        if position > row["furthest"] + allowance:
            violation = Refusal.SEEK_AHEAD
        else:
            paused = kind == Lesson.Kind.VIDEO and position == row["position"]
            new_position = min(position, end)
    presence = row["last_presence_at"] or now
    locked = now - presence > dt.timedelta(seconds=settings.TRAINING_IDLE_LOCK_SECONDS)
    if not locked and interaction:
        presence = now
    if violation:
        reason = violation
    elif gap is None:
        reason = Refusal.FIRST
    elif locked:
        reason = Refusal.IDLE_LOCKED
    elif not visible:
        reason = Refusal.HIDDEN
    elif paused:
        reason = Refusal.PAUSED
    else:
        reason = ""
    cap = row["lesson__credit_minutes"] * 60
    credit = 0 if reason else int(min(capped_gap, cap - row["credited_seconds"]))
    if not reason and credit <= 0:
        reason = Refusal.FULL
        credit = 0
    ctx = hooks.HeartbeatContext(
        user_id=user_id,
        lesson_id=lesson_id,
        lesson_kind=kind,
        position=new_position,
        visible=visible,
        now=now,
        credit_seconds=credit,
        extra=extra or {},
    )
    if credit:
        veto = hooks.veto_reason(ctx)
        if veto:
            reason, credit = veto, 0
    new_furthest = max(row["furthest"], new_position)
    new_credited = row["credited_seconds"] + credit
    has_quiz = row["lesson__quiz_bank_id"] is not None and row["lesson__quiz_question_count"] > 0
    done_position = new_furthest >= (end - 1 if kind == Lesson.Kind.VIDEO else end)
    newly_completed = (
        row["completed_at"] is None and new_credited >= cap and done_position and (row["quiz_passed"] or not has_quiz)
    )
    fields = {
        "position": new_position,
        "furthest": new_furthest,
        "credited_seconds": new_credited,
        "client_seq": client_seq,
        "last_heartbeat_at": now,
        "last_presence_at": presence,
    }
    entry = None
    if credit:
        entry = {
            "learner_id": user_id,
            "lesson_id": lesson_id,
            "started_at": now - dt.timedelta(seconds=credit),
            "ended_at": now,
            "seconds": credit,
            "method": CreditLedger.Method.HEARTBEAT,
            "detail": f"seq={client_seq} gap={gap:.0f}s rate={playback_rate:g} pos={new_position}",
            "post": post,
        }
    if newly_completed:
        fields["completed_at"] = now
    if not _progress_update_and_log(row["id"], row["client_seq"], fields, entry):
        # Another request for the same row won the race: it credited, this one doesn't.
        return _refuse(user_id, lesson_id, Refusal.CONFLICT, **state)
    if lease_expires - time.time() < settings.TRAINING_LEASE_SECONDS / 2:
        _lease_set(_lease_key(user_id), ":".join(parts[:3]))
    if newly_completed:
        assignments_refresh(learner=user)
    if reason and reason not in (Refusal.FIRST, Refusal.PAUSED, Refusal.FULL):
        logger.info("training heartbeat credited nothing user=%s lesson=%s reason=%s", user_id, lesson_id, reason)
    return HeartbeatResult(
        accepted=True,
        reason=reason or "ok",
        credited=credit,
        credited_total=new_credited,
        position=new_position,
        furthest=new_furthest,
        locked=locked,
        completed=newly_completed or row["completed_at"] is not None,
        extras=hooks.response_extras(ctx),
    )


def _progress_update_and_log(
    progress_id: int, read_seq: int, fields: dict[str, Any], entry: dict[str, Any] | None
) -> bool:
    """Apply a heartbeat: update the progress row if nobody else did since it
    was read (``client_seq`` unchanged) and append the ledger entry, both or
    neither. Returns whether the row was updated."""
    if connection.vendor == "postgresql":
        # One statement, one round trip, atomic on its own: the ledger row is
        # inserted only from the row the UPDATE returned.
        progress, ledger = Progress._meta.db_table, CreditLedger._meta.db_table
        columns = list(fields)
        assignments = ", ".join(f"{name} = %s" for name in columns)
        params: list[Any] = [fields[name] for name in columns] + [progress_id, read_seq]
        sql = f"WITH upd AS (UPDATE {progress} SET {assignments} WHERE id = %s AND client_seq = %s RETURNING id)"  # noqa: S608 - names from model meta
        if entry:
            names = [*entry, "recorded_at"]
            sql += (
                f", ins AS (INSERT INTO {ledger} ({', '.join(names)}) "  # noqa: S608
                f"SELECT {', '.join(['%s'] * len(names))} FROM upd)"
            )
            params += [*entry.values(), timezone.now()]
        sql += " SELECT count(*) FROM upd"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0] == 1
    with transaction.atomic():
        if Progress.objects.filter(pk=progress_id, client_seq=read_seq).update(**fields) != 1:
            return False
        if entry:
            CreditLedger.objects.create(**entry)
    return True


def presence_confirm(*, user: User, lesson: Lesson, token: str, now: dt.datetime | None = None) -> bool:
    """ "Are you still there?" answered: unlock. The idle time is not credited
    because the next heartbeat's span starts now."""
    lease = cache.get(_lease_key(user.pk))
    if not lease or lease.split(":")[:2] != [str(lesson.pk), token]:
        return False
    now = now or timezone.now()
    return bool(
        Progress.objects.filter(learner=user, lesson=lesson).update(last_presence_at=now, last_heartbeat_at=None)
    )


def lesson_quiz_record(*, user: User, lesson: Lesson, passed: bool) -> Progress:
    """Record a lesson quiz result (called by whoever grades the quiz)."""
    progress, _ = Progress.objects.get_or_create(learner=user, lesson=lesson)
    if passed and not progress.quiz_passed:
        progress.quiz_passed = True
        fields = ["quiz_passed"]
        if progress.completed_at is None and progress.credited_seconds >= lesson.credit_minutes * 60:
            end = lesson.end_position
            if progress.furthest >= (end - 1 if lesson.kind == Lesson.Kind.VIDEO else end):
                progress.completed_at = timezone.now()
                fields.append("completed_at")
        progress.save(update_fields=fields)
        assignments_refresh(learner=user)
    return progress


class QuizUnavailable(ValueError):
    """The quiz can't be taken now; the message is for the learner."""


def quiz_attempt_open(*, user: User, lesson: Lesson) -> QuizAttempt:
    """The learner's open quiz attempt for a lesson, drawing a new set of
    questions when there is none. Call only for an assigned lesson whose
    time is earned (selectors.lesson_study_done). Raises QuizUnavailable for
    a lesson whose bank is exam-only."""
    if selectors.quiz_bank_is_exam_only(lesson):
        # Exam questions never reach a quiz, whichever door set the bank (admin, an old row).
        raise QuizUnavailable(
            _("This quiz uses a question bank reserved for exams. Please tell your training administrator.")
        )
    open_attempt = QuizAttempt.objects.filter(learner=user, lesson=lesson, submitted_at__isnull=True).first()
    if open_attempt is not None:
        return open_attempt
    pool = selectors.quiz_question_ids(lesson)
    if not pool:
        raise QuizUnavailable(_("This quiz has no questions yet. Please tell your training administrator."))
    drawn = random.sample(pool, min(len(pool), lesson.quiz_question_count))  # noqa: S311 - not security
    try:
        with transaction.atomic():
            return QuizAttempt.objects.create(learner=user, lesson=lesson, question_ids=drawn, total=len(drawn))
    except IntegrityError:
        # Two tabs opened the quiz at once: the other one drew first.
        return QuizAttempt.objects.get(learner=user, lesson=lesson, submitted_at__isnull=True)


def quiz_attempt_submit(*, attempt: QuizAttempt, answers: dict[int, Any]) -> QuizAttempt:
    """Grade an open attempt with question_bank's own answer checking and
    record the result (lesson_quiz_record). ``answers`` maps question id to
    the raw answer as posted. Submitting twice grades once: the first wins.

    An unanswered question counts as wrong; an answer its question cannot take (a
    letter beyond its options, a word that is not true or false) raises
    ``ValidationError`` naming each such question's field (``q<id>``), writing nothing."""
    from question_bank.models import Question
    from question_bank.services import is_correct, validate_given

    questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_ids)}
    canonical: dict[int, Any] = {}
    errors: dict[str, list[str]] = {}
    for question_id, question in questions.items():
        try:
            canonical[question_id] = validate_given(
                question, answers.get(question_id), field=f"q{question_id}", allow_blank=True
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    graded: dict[str, Any] = {}
    correct = 0
    for question_id in attempt.question_ids:
        question = questions.get(question_id)
        if question is None:  # deleted since the draw: it counts for the learner
            correct += 1
            continue
        given = canonical[question_id]
        right = is_correct(question, given)
        correct += right
        graded[str(question_id)] = {"given": given, "correct": right}
    total = len(attempt.question_ids)
    passed = total > 0 and correct * 100 >= attempt.lesson.quiz_pass_percent * total
    now = timezone.now()
    with transaction.atomic():
        claimed = QuizAttempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
            answers=graded, correct=correct, total=total, passed=passed, submitted_at=now
        )
        attempt.refresh_from_db()
        if claimed != 1:
            return attempt
        if passed:
            lesson_quiz_record(user=attempt.learner, lesson=attempt.lesson, passed=True)
    logger.info(
        "training quiz user=%s lesson=%s correct=%s/%s passed=%s",
        attempt.learner_id,
        attempt.lesson_id,
        correct,
        total,
        passed,
    )
    return attempt


# --- Annual retraining ----------------------------------------------------------------------


@dataclass
class AnnualResult:
    year: int
    assigned: int = 0
    already: int = 0
    plans_created: int = 0
    # (enterprise, post label) groups skipped because no course matches.
    no_courses: list[str] = field(default_factory=list)


def _annual_courses(enterprise: Enterprise, post: str) -> list[Course]:
    template = (
        PlanTemplate.objects.filter(kind=PlanTemplate.Kind.ANNUAL, is_default=True)
        .prefetch_related("stages__courses__industries")
        .first()
    )
    available = selectors.courses_available_to_enterprise(enterprise).prefetch_related("industries")
    if template is not None and any(stage.courses.exists() for stage in template.stages.all()):
        ids = set(available.values_list("pk", flat=True))
        candidates = [c for stage in template.stages.all() for c in stage.courses.all() if c.pk in ids]
    else:
        candidates = list(available.order_by("title", "pk"))
    seen: set[int] = set()
    courses = []
    for course in candidates:
        if course.pk not in seen and course_matches(course, industry=enterprise.industry, post=post):
            seen.add(course.pk)
            courses.append(course)
    return courses


def annual_training_assign(*, year: int, dry_run: bool = False) -> AnnualResult:
    """Assign each year's retraining (年度再培训) to everyone on a roster whose
    requirement profile asks for annual hours.

    Per enterprise and post, one annual plan for the year holds the courses
    available to the enterprise that match its industry and post tags (the
    default annual plan template's courses when it has any); its required
    minutes are the profile's annual hours. People hired during ``year`` (their
    onboarding covers it) and people who have left are skipped. Idempotent:
    the plan is found again by (enterprise, post, year) and an active
    assignment of it is never duplicated. ``dry_run`` counts without writing.
    """
    result = AnnualResult(year=year)
    due = dt.date(year, 12, 31)
    profiles = {(p.high_risk, p.post): p for p in RequirementProfile.objects.filter(annual_hours__gt=0)}
    if not profiles:
        return result
    people = (
        Person.objects.filter(leave_date__isnull=True, hire_date__lt=dt.date(year, 1, 1))
        .select_related("enterprise__industry", "enterprise__jurisdiction", "user")
        .order_by("enterprise_id", "post", "pk")
    )
    groups: dict[tuple[int, str], list[Person]] = {}
    for person in people.iterator(chunk_size=2000):
        if (person.enterprise.industry.is_high_risk, person.post) in profiles:
            groups.setdefault((person.enterprise_id, person.post), []).append(person)
    for (_enterprise_id, post), members in groups.items():
        enterprise = members[0].enterprise
        profile = profiles[(enterprise.industry.is_high_risk, post)]
        plan = Plan.objects.filter(enterprise=enterprise, kind=PlanTemplate.Kind.ANNUAL, post=post, year=year).first()
        if plan is None:
            courses = _annual_courses(enterprise, post)
            if not courses:
                result.no_courses.append(f"{enterprise.name} · {Person.Post(post).label}")
                continue
            if dry_run:
                result.plans_created += 1
                result.assigned += len(members)
                continue
            with transaction.atomic():
                plan = Plan.objects.create(
                    name=_("Annual retraining %(year)s · %(post)s") % {"year": year, "post": Person.Post(post).label},
                    kind=PlanTemplate.Kind.ANNUAL,
                    enterprise=enterprise,
                    post=post,
                    year=year,
                    required_minutes=profile.annual_hours * settings.MINUTES_PER_CREDIT_HOUR,
                )
                PlanCourse.objects.bulk_create(
                    [PlanCourse(plan=plan, course=c, order=i) for i, c in enumerate(courses, start=1)]
                )
            result.plans_created += 1
        have = set(
            Assignment.objects.filter(plan=plan, learner_id__in=[m.user_id for m in members])
            .exclude(status=Assignment.Status.CANCELLED)
            .values_list("learner_id", flat=True)
        )
        for person in members:
            if person.user_id in have:
                result.already += 1
                continue
            result.assigned += 1
            if not dry_run:
                assignment_create(learner=person.user, plan=plan, due_date=due, source=Assignment.Source.ANNUAL)
    return result


# --- Ledger retention ------------------------------------------------------------------


def ledger_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete ledger rows older than their post's retention period. The only
    path that removes ledger rows; it bypasses the append-only queryset."""
    now = now or timezone.now()
    removed = 0
    for post, years in settings.TRAINING_LEDGER_RETENTION_YEARS.items():
        cutoff = now - dt.timedelta(days=365 * years + years // 4)
        qs = CreditLedger.objects.filter(post=post, ended_at__lt=cutoff)
        removed += qs._raw_delete(qs.db)  # noqa: SLF001
    return removed


# --- Public learners --------------------------------------------------------------------


@transaction.atomic
def public_learner_register(*, jurisdiction: Jurisdiction, name: str, phone: str, password: str) -> PublicLearner:
    user = User(username=f"p{phone}", display_name=name, phone=phone)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return PublicLearner.objects.create(user=user, jurisdiction=jurisdiction, name=name)


def public_enrol(*, user: User, course: Course) -> Assignment:
    return assignment_create(learner=user, course=course, source=Assignment.Source.PUBLIC)


# --- Reminders ---------------------------------------------------------------------------


def reminders_send(*, today: dt.date | None = None) -> int:
    """Email learners whose assignments are due soon or overdue, once a day at most."""
    if settings.EMAIL_BACKEND.endswith("dummy.EmailBackend"):
        return 0
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=settings.TRAINING_REMINDER_DAYS)
    since = timezone.now() - dt.timedelta(hours=20)
    due = (
        Assignment.objects.filter(status__in=ACTIVE_STATUSES, due_date__lte=soon)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=since))
        .exclude(learner__email="")
        .select_related("learner", "course", "plan")
    )
    sent = 0
    for assignment in due:
        overdue = assignment.due_date < today  # type: ignore[operator]
        subject = _("Training overdue: %(title)s") if overdue else _("Training due soon: %(title)s")
        send_mail(
            subject % {"title": assignment.title},
            _("Please finish “%(title)s” by %(due)s.") % {"title": assignment.title, "due": assignment.due_date},
            settings.DEFAULT_FROM_EMAIL,
            [assignment.learner.email],
            fail_silently=True,
        )
        Assignment.objects.filter(pk=assignment.pk).update(reminded_at=timezone.now())
        sent += 1
    return sent


__all__ = [
    "LeaseHeld",
    "LessonNotAssigned",
    "MediaRejected",
    "PlanLevel",
    "heartbeat_record",
    "lesson_start",
    "onboarding_assign",
]
