"""Classroom's section of the learner's home (``core.todo``): the classes they are invited to that have not ended."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from classroom import selectors
from classroom.models import Attendance, TrainingClass
from core import todo

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
