"""Training's section of the learner's home (``core.todo``): the courses to continue, each one tap from its next lesson."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import todo
from training import selectors
from training.models import Assignment, Lesson


def _due_line(assignment: Assignment, today: dt.date) -> tuple[str, str, str]:
    """(line, badge, tone) for the assignment's due date."""
    due = assignment.due_date
    if due is None:
        return _("No due date"), "", ""
    date = due.strftime("%Y-%m-%d")
    if due < today:
        return _("Was due on %(date)s") % {"date": date}, _("Overdue"), "bad"
    days = (due - today).days
    if days == 0:
        return _("Due on %(date)s") % {"date": date}, _("Due today"), "warn"
    line = _("Due on %(date)s") % {"date": date}
    if days <= 7:
        return line, ngettext("%(days)d day left", "%(days)d days left", days) % {"days": days}, "warn"
    return line, "", ""


def todo_courses(*, user: Any, now: dt.datetime) -> todo.Section | None:
    rows = selectors.courses_to_continue(user, timezone.localdate(now))
    if not rows and not selectors.studies_here(user):
        return None
    today = timezone.localdate(now)
    next_titles = dict(
        Lesson.objects.filter(pk__in=[s.next_lesson_id for _a, s in rows if s.next_lesson_id]).values_list(
            "pk", "title"
        )
    )
    items = []
    for assignment, summary in rows:
        line, badge, tone = _due_line(assignment, today)
        lines = [
            line,
            _("%(done)s of %(total)s lessons done") % {"done": summary.lessons_done, "total": summary.lessons_total},
        ]
        if summary.next_lesson_id:
            # One tap: straight into the player of the first unfinished lesson, not the course outline.
            url = reverse("training:lesson_player", args=[summary.next_lesson_id])
            action = _("Continue studying") if summary.started else _("Start studying")
            lines.append(_("Next: %(lesson)s") % {"lesson": next_titles.get(summary.next_lesson_id, "")})
        elif assignment.course_id:
            url, action = reverse("training:course_detail", args=[assignment.course_id]), _("Course outline")
        else:
            url, action = reverse("training:dashboard"), _("My training")
        items.append(
            todo.Item(
                title=assignment.title,
                url=url,
                action=action,
                lines=tuple(lines),
                percent=summary.percent,
                badge=badge,
                tone=tone,
            )
        )
    return todo.Section(
        key="courses",
        title=_("Courses to continue"),
        items=tuple(items),
        link=(reverse("training:dashboard"), _("My training")),
    )
