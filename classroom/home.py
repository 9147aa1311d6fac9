"""Classroom's section of the learner's home (``core.todo``): the classes they are invited to that have not ended;
and the trainer's desk (``core.fragments.HOME``): the classes they run that are under way or coming up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from classroom import selectors
from classroom.models import Attendance, TrainingClass
from core import todo
from organizations import selectors as org

# Between the courses to continue and the exams: a class is a date to keep.
POSITION = todo.COURSES + 5


def _when(training_class: TrainingClass) -> str:
    starts = timezone.localtime(training_class.starts_at)
    ends = timezone.localtime(training_class.ends_at)
    return f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M}"


def todo_classes(*, user: Any, now: dt.datetime) -> todo.Section | None:
    invited = selectors.classes_invited(user)
    if not invited.exists():
        return None
    open_classes = list(invited.filter(status=TrainingClass.Status.SCHEDULED, ends_at__gt=now)[:10])
    signed_out = set(
        Attendance.objects.filter(
            training_class__in=open_classes, person__user=user, signed_out_at__isnull=False
        ).values_list("training_class_id", flat=True)
    )
    items = []
    for training_class in open_classes:
        if training_class.pk in signed_out:
            continue
        in_progress = training_class.starts_at <= now
        items.append(
            todo.Item(
                title=training_class.topic,
                url=reverse("classroom:detail", args=[training_class.pk]),
                action=_("Class details"),
                lines=(
                    _("Time: %(when)s") % {"when": _when(training_class)},
                    _("Place: %(place)s") % {"place": training_class.place},
                ),
                badge=pgettext("class", "In progress") if in_progress else _("Classroom"),
                tone="warn" if in_progress else "",
            )
        )
    return todo.Section(
        key="classes",
        title=_("Classes to attend"),
        items=tuple(items),
        link=(reverse("classroom:mine"), _("My classes")),
    )


# --- the trainer's desk (core.fragments.HOME) -----------------------------------------------------

# The classes a trainer sees on their home: under way, or starting within this many days.
DESK_DAYS = 7
DESK_SHOWN = 3


def _desk_item(training_class: TrainingClass, now: dt.datetime) -> todo.Item:
    in_progress = training_class.starts_at <= now
    return todo.Item(
        title=training_class.topic,
        url=reverse("classroom:detail", args=[training_class.pk]),
        action=_("Sign-in codes and attendance"),
        lines=(
            _("Time: %(when)s") % {"when": _when(training_class)},
            _("Place: %(place)s") % {"place": training_class.place},
            _("%(signed)s of %(invited)s invited signed in")
            % {"signed": training_class.signed, "invited": training_class.invited},  # type: ignore[attr-defined]
        ),
        badge=pgettext("class", "In progress") if in_progress else _("Classroom"),
        tone="warn" if in_progress else "",
    )


def home_class_desk(*, request: Any) -> str:
    """The classes this user runs (as their trainer, or for the provider or enterprise they administer) that
    are under way or start within ``DESK_DAYS``, soonest first, with who has signed in; "" for someone who
    runs no class and may schedule none (a platform admin's home is no trainer's desk)."""
    user = request.user
    if org.is_platform_admin(user) or not (
        org.provider_ids_managed_by(user) or selectors.classes_run_by(user).exists()
    ):
        return ""
    now = timezone.now()
    classes = (
        selectors.classes_run_by(user)
        .filter(
            status=TrainingClass.Status.SCHEDULED, ends_at__gt=now, starts_at__lt=now + dt.timedelta(days=DESK_DAYS)
        )
        .annotate(
            invited=Count("invitations", distinct=True),
            signed=Count("attendances", distinct=True),
        )
        .order_by("starts_at", "pk")[:DESK_SHOWN]
    )
    section = todo.Section(
        key="class_desk",
        title=_("Classes coming up"),
        items=tuple(_desk_item(training_class, now) for training_class in classes),
        link=(reverse("classroom:list"), _("All classes")),
        empty=_("No class of yours is under way or starts in the next %(days)s days.") % {"days": DESK_DAYS},
    )
    return todo.desk_html(section, request=request)
