"""Scheduling a class, changing or cancelling it, and inviting people by post, department or name.

Every check names its field (``ClassInvalid(errors={field: [message]})``) and a
refused call writes nothing. Who may do what: ``by`` must run classes for the
owner (``classroom.selectors.classes_run_by`` for an existing class; the
owner's admins or a platform admin for a new one); the trainer must be someone
who may run classes for that owner (see ``trainer_allowed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from classroom import selectors
from classroom.models import Invitation, TrainingClass
from classroom.services import reminders
from classroom.services.errors import ClassClosed, ClassInvalid, NotAllowed
from core.audit import audit_record
from organizations import selectors as org
from organizations.models import Enterprise, Person, TrainingProvider
from training import selectors as training_selectors
from training.models import Course, Lesson, LessonPlan, PlanTemplateStage

# Fields a class_update may change.
UPDATABLE = (
    "topic",
    "level",
    "trainer",
    "starts_at",
    "ends_at",
    "place",
    "credit_minutes",
    "tolerance_minutes",
    "course",
    "requires_face",
    "onboarding_stage",
    "quiz_lesson",
    "lesson_plans",
)
# Once somebody has signed in, these would change what they are credited: frozen.
CREDIT_FIELDS = ("starts_at", "ends_at", "credit_minutes", "tolerance_minutes")


def may_schedule_for(
    user: Any, *, owner_enterprise: Enterprise | None, owner_provider: TrainingProvider | None
) -> bool:
    """Whether ``user`` may schedule classes for this owner: its admins and platform admins."""
    if org.is_platform_admin(user):
        return True
    if owner_enterprise is not None:
        return owner_enterprise.pk in org.enterprise_ids_managed_by(user)
    if owner_provider is not None:
        return owner_provider.pk in org.provider_ids_managed_by(user)
    return False


def trainer_allowed(user: Any, *, owner_enterprise: Enterprise | None, owner_provider: TrainingProvider | None) -> bool:
    """Who may give a class for the owner: whoever may schedule for it, and for an enterprise class also
    its principal or safety managers on the roster (the plant- and workshop-level talks are theirs)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    if may_schedule_for(user, owner_enterprise=owner_enterprise, owner_provider=owner_provider):
        return True
    if owner_enterprise is not None:
        person = org.person_of(user)
        return (
            person is not None
            and person.enterprise_id == owner_enterprise.pk
            and person.leave_date is None
            and person.post in (Person.Post.PRINCIPAL, Person.Post.SAFETY_MANAGER)
        )
    return False


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _validate(values: dict[str, Any], *, by: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    owner_enterprise = values.get("owner_enterprise")
    owner_provider = values.get("owner_provider")
    if (owner_enterprise is None) == (owner_provider is None):
        _add(errors, "owner", _("Choose the enterprise or the training provider that holds the class (one of them)."))
    if not str(values.get("topic") or "").strip():
        _add(errors, "topic", _("Give the class a topic."))
    if values.get("level") not in TrainingClass.Level.values:
        _add(errors, "level", _("Choose the level: plant, workshop, team or provider class."))
    if not str(values.get("place") or "").strip():
        _add(errors, "place", _("Say where the class is held."))
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if not isinstance(starts_at, dt.datetime):
        _add(errors, "starts_at", _("Give the start date and time."))
    if not isinstance(ends_at, dt.datetime):
        _add(errors, "ends_at", _("Give the end date and time."))
    duration = 0
    if isinstance(starts_at, dt.datetime) and isinstance(ends_at, dt.datetime):
        if ends_at <= starts_at:
            _add(errors, "ends_at", _("The class must end after it starts."))
        else:
            duration = int((ends_at - starts_at).total_seconds() // 60)
    credit = values.get("credit_minutes")
    if not isinstance(credit, int) or isinstance(credit, bool) or credit <= 0:
        _add(errors, "credit_minutes", _("The study time to credit must be a whole number of minutes above 0."))
    elif duration and credit > duration:
        _add(
            errors,
            "credit_minutes",
            _("The class lasts %(duration)d minutes: it cannot credit %(credit)d minutes.")
            % {"duration": duration, "credit": credit},
        )
    tolerance = values.get("tolerance_minutes")
    if not isinstance(tolerance, int) or isinstance(tolerance, bool) or tolerance < 0:
        _add(errors, "tolerance_minutes", _("The tolerance must be a whole number of minutes, 0 or more."))
    elif duration and tolerance >= duration:
        _add(errors, "tolerance_minutes", _("The tolerance must be shorter than the class."))
    trainer = values.get("trainer")
    if "owner" not in errors and not trainer_allowed(
        trainer, owner_enterprise=owner_enterprise, owner_provider=owner_provider
    ):
        _add(errors, "trainer", _("This person may not give classes for this enterprise or provider."))
    stage = values.get("onboarding_stage")
    if stage is not None:
        if not isinstance(stage, PlanTemplateStage):
            _add(errors, "onboarding_stage", _("Unknown onboarding stage."))
        elif owner_enterprise is None:
            _add(errors, "onboarding_stage", _("Only an enterprise's own class can fulfil an onboarding stage."))
    quiz = values.get("quiz_lesson")
    if quiz is not None and (not isinstance(quiz, Lesson) or not quiz.has_quiz):
        _add(errors, "quiz_lesson", _("The end-of-class quiz must be a lesson that has a quiz."))
    course = values.get("course")
    if course is not None:
        if not isinstance(course, Course):
            _add(errors, "course", _("Unknown course."))
        elif owner_enterprise is not None and not (
            training_selectors.courses_available_to_enterprise(owner_enterprise).filter(pk=course.pk).exists()
        ):
            _add(errors, "course", _("This course is not available to the enterprise."))
        elif owner_provider is not None and course.owner_provider_id not in (None, owner_provider.pk):
            _add(errors, "course", _("This course belongs to another provider."))
    plans = list(values.get("lesson_plans") or ())
    if plans:
        if not all(isinstance(p, LessonPlan) for p in plans):
            _add(errors, "lesson_plans", _("Unknown lesson plan."))
        else:
            # The lesson-plan library (training.selectors.lesson_plans_attachable_by) decides which plans
            # a user may attach; until it exists every plan may be attached.
            attachable = getattr(training_selectors, "lesson_plans_attachable_by", None)
            if attachable is not None:
                allowed = set(attachable(by).filter(pk__in=[p.pk for p in plans]).values_list("pk", flat=True))
                if any(p.pk not in allowed for p in plans):
                    _add(errors, "lesson_plans", _("You may not attach one of these lesson plans."))
    return errors


def class_schedule(
    *,
    by: Any,
    owner_enterprise: Enterprise | None = None,
    owner_provider: TrainingProvider | None = None,
    trainer: Any = None,
    topic: str,
    level: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    credit_minutes: int,
    tolerance_minutes: int = 10,
    course: Course | None = None,
    requires_face: bool = False,
    onboarding_stage: PlanTemplateStage | None = None,
    quiz_lesson: Lesson | None = None,
    lesson_plans: Iterable[LessonPlan] = (),
) -> TrainingClass:
    """Schedule a class; ``trainer`` defaults to ``by``. ``ClassInvalid`` names every wrong field."""
    if not may_schedule_for(by, owner_enterprise=owner_enterprise, owner_provider=owner_provider) and (
        owner_enterprise is not None or owner_provider is not None
    ):
        raise NotAllowed(_("You may not schedule classes for this enterprise or provider."))
    values: dict[str, Any] = {
        "owner_enterprise": owner_enterprise,
        "owner_provider": owner_provider,
        "trainer": trainer if trainer is not None else by,
        "topic": (topic or "").strip(),
        "level": level,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": (place or "").strip(),
        "credit_minutes": credit_minutes,
        "tolerance_minutes": tolerance_minutes,
        "course": course,
        "requires_face": bool(requires_face),
        "onboarding_stage": onboarding_stage,
        "quiz_lesson": quiz_lesson,
        "lesson_plans": list(lesson_plans),
    }
    errors = _validate(values, by=by)
    if errors:
        raise ClassInvalid(_("Please correct the marked fields."), errors=errors)
    plans = values.pop("lesson_plans")
    with transaction.atomic():
        training_class = TrainingClass.objects.create(created_by=by if getattr(by, "pk", None) else None, **values)
        if plans:
            training_class.lesson_plans.set(plans)
    return training_class


def _run_by(training_class: TrainingClass, by: Any) -> TrainingClass:
    """The class locked for a write by ``by``, who must run it; refused when it is closed or cancelled."""
    locked = selectors.classes_run_by(by).select_for_update(of=("self",)).filter(pk=training_class.pk).first()
    if locked is None:
        raise NotAllowed(_("You do not run this class."))
    if locked.status != TrainingClass.Status.SCHEDULED:
        raise ClassClosed(_("This class is closed or cancelled: it cannot change."))
    return locked


@transaction.atomic
def class_update(*, training_class: TrainingClass, by: Any, **fields: Any) -> TrainingClass:
    """Change some of a scheduled class's fields (``UPDATABLE``), checked as a new schedule would be.
    Once somebody has signed in, the times, the credit and the tolerance no longer change."""
    unknown = sorted(set(fields) - set(UPDATABLE))
    if unknown:
        raise ClassInvalid(
            _("These fields cannot be changed."),
            errors={name: [_("This field cannot be changed.")] for name in unknown},
        )
    locked = _run_by(training_class, by)
    values: dict[str, Any] = {
        name: getattr(locked, name)
        for name in (*UPDATABLE, "owner_enterprise", "owner_provider")
        if name != "lesson_plans"
    }
    values["lesson_plans"] = list(locked.lesson_plans.all())
    values.update(fields)
    if isinstance(values.get("topic"), str):
        values["topic"] = values["topic"].strip()
    if isinstance(values.get("place"), str):
        values["place"] = values["place"].strip()
    errors = _validate(values, by=by)
    if locked.attendances.exists():
        for name in CREDIT_FIELDS:
            if name in fields and fields[name] != getattr(locked, name):
                _add(errors, name, _("People have already signed in: this no longer changes."))
    if errors:
        raise ClassInvalid(_("Please correct the marked fields."), errors=errors)
    plans = values.pop("lesson_plans")
    changed = [name for name in fields if name != "lesson_plans"]
    for name in changed:
        setattr(locked, name, values[name])
    if changed:
        locked.save(update_fields=changed)
    if "lesson_plans" in fields:
        locked.lesson_plans.set(plans)
    return locked


@transaction.atomic
def class_cancel(
    *, training_class: TrainingClass, by: Any, reason: str, now: dt.datetime | None = None
) -> TrainingClass:
    """Cancel a class nobody has signed into (a class with attendance is closed instead); recorded in the audit log."""
    reason = (reason or "").strip()
    if not reason:
        raise ClassInvalid(
            _("Say why the class is cancelled."), errors={"reason": [_("Say why the class is cancelled.")]}
        )
    locked = _run_by(training_class, by)
    if locked.attendances.exists():
        raise ClassInvalid(
            _("People have already signed in: close the class instead of cancelling it."),
            errors={"status": [_("People have already signed in: close the class instead of cancelling it.")]},
        )
    now = now or timezone.now()
    locked.status = TrainingClass.Status.CANCELLED
    locked.closed_at = now
    locked.save(update_fields=["status", "closed_at"])
    audit_record(actor=by, action="classroom.class_cancel", obj=locked, reason=reason, at=now)
    reminders.cancellation_notify(training_class=locked)
    return locked


def _person_ids(people: Iterable[Any]) -> list[int]:
    ids = []
    for p in people:
        ids.append(p.pk if isinstance(p, Person) else int(p))
    return ids


@transaction.atomic
def invite(
    *,
    training_class: TrainingClass,
    by: Any,
    posts: Iterable[str] = (),
    departments: Iterable[str] = (),
    people: Iterable[Any] = (),
) -> int:
    """Invite the people the class may invite (``people_invitable_by``, still employed) who hold one of
    ``posts``, work in one of ``departments`` or are named in ``people`` (Person or id). Inviting again is
    harmless; returns how many were newly invited, who then get the invitation notice after commit."""
    locked = _run_by(training_class, by)
    posts, departments = [str(p) for p in posts], [str(d).strip() for d in departments if str(d).strip()]
    errors: dict[str, list[str]] = {}
    bad_posts = [p for p in posts if p not in Person.Post.values]
    if bad_posts:
        _add(errors, "posts", _("Unknown post: %(posts)s.") % {"posts": ", ".join(bad_posts)})
    try:
        named = _person_ids(people)
    except (TypeError, ValueError):
        named = []
        _add(errors, "people", _("People are given by their ids."))
    today = timezone.localdate(locked.starts_at)
    invitable = org.people_working(selectors.people_invitable_by(locked), today=today)
    if named:
        found = set(invitable.filter(pk__in=named).values_list("pk", flat=True))
        missing = [str(pk) for pk in named if pk not in found]
        if missing:
            _add(
                errors,
                "people",
                _("These people cannot be invited to this class: %(ids)s.") % {"ids": ", ".join(missing)},
            )
    if errors:
        raise ClassInvalid(_("Please correct the marked fields."), errors=errors)
    reasons: dict[int, str] = {}
    if posts:
        for pk in invitable.filter(post__in=posts).values_list("pk", flat=True):
            reasons[pk] = Invitation.Reason.POST
    if departments:
        for pk in invitable.filter(department__in=departments).values_list("pk", flat=True):
            reasons[pk] = Invitation.Reason.DEPARTMENT
    for pk in named:
        reasons[pk] = Invitation.Reason.NAME
    already = set(
        Invitation.objects.filter(training_class=locked, person_id__in=reasons).values_list("person_id", flat=True)
    )
    new = [
        Invitation(
            training_class=locked, person_id=pk, reason=reason, invited_by=by if getattr(by, "pk", None) else None
        )
        for pk, reason in reasons.items()
        if pk not in already
    ]
    Invitation.objects.bulk_create(new, ignore_conflicts=True)
    created = list(
        Invitation.objects.filter(training_class=locked, person_id__in=[i.person_id for i in new]).values_list(
            "pk", flat=True
        )
    )
    if created:
        reminders.invitation_notify(invitation_ids=created)
    return len(created)


@transaction.atomic
def uninvite(*, training_class: TrainingClass, by: Any, people: Iterable[Any]) -> int:
    """Withdraw invitations of people who have not signed in; returns how many were withdrawn."""
    locked = _run_by(training_class, by)
    ids = _person_ids(people)
    attended = set(locked.attendances.filter(person_id__in=ids).values_list("person_id", flat=True))
    if attended:
        raise ClassInvalid(
            _("Someone has already signed in: their invitation stays."),
            errors={"people": [_("Someone has already signed in: their invitation stays.")]},
        )
    deleted, _rows = Invitation.objects.filter(training_class=locked, person_id__in=ids).delete()
    return deleted
