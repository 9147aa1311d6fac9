"""The proctor's desk on the home page (core.fragments.HOME, drawn by core.todo.desk_html).

A proctor signs in on exam day to watch. Before, their home showed the counts of enterprises and
people in their jurisdiction and nothing about the exams: the sessions under way and the review queue
were two taps away, behind 监考. Now the home page lists the proctored sessions open now (each with
its live dashboard and how many are sitting), the next to open when none is, and the review queue.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core import todo
from exams.models import ExamSession
from exams.selectors import with_attempt_counts
from organizations.models import RoleGrant
from organizations.selectors import jurisdiction_paths_of
from proctoring import selectors

OPEN_SHOWN = 5


def _at(moment: Any) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _open_item(session: ExamSession) -> todo.Item:
    return todo.Item(
        title=session.title,
        url=reverse("proctoring:live", args=[session.pk]),
        action=_("Live dashboard"),
        lines=(
            _("Closes at %(t)s") % {"t": _at(session.closes_at)},
            _("%(n)s sitting now · %(m)s handed in") % {"n": session.sitting, "m": session.handed_in},  # type: ignore[attr-defined]
        ),
        badge=pgettext("exam session phase", "Under way"),
        tone="ok",
    )


def _next_item(session: ExamSession) -> todo.Item:
    return todo.Item(
        title=session.title,
        url=reverse("proctoring:live", args=[session.pk]),
        action=_("Live dashboard"),
        lines=(_("Opens at %(t)s") % {"t": _at(session.opens_at)},),
        badge=pgettext("exam session phase", "Not started"),
    )


def home_proctoring(*, request: Any) -> str:
    """The proctored sessions open now and the review queue, for a user with a proctor grant; "" otherwise.

    Only a proctor grant shows it: a platform admin may open every live dashboard, but their home is not
    an exam-day desk."""
    user = request.user
    if not jurisdiction_paths_of(user, {RoleGrant.Role.PROCTOR}):
        return ""
    now = timezone.now()
    proctored = selectors.sessions_proctored_by(user).filter(proctoring_policy__isnull=False)
    under_way = with_attempt_counts(proctored.filter(opens_at__lte=now, closes_at__gt=now))
    open_now = list(under_way.order_by("closes_at", "pk")[:OPEN_SHOWN])
    items = [_open_item(session) for session in open_now]
    following = None if open_now else proctored.filter(opens_at__gt=now).order_by("opens_at", "pk").first()
    if following is not None:
        items.append(_next_item(following))
    queue = selectors.review_queue(user).count()
    if queue:
        items.append(
            todo.Item(
                title=_("Review queue"),
                url=reverse("proctoring:review_queue"),
                action=pgettext("proctoring review", "Review"),
                lines=(_("%(n)s finished attempts with flags wait for a decision.") % {"n": queue},),
                badge=str(queue),
                tone="warn",
            )
        )
    section = todo.Section(
        key="proctoring",
        title=_("Proctoring today"),
        items=tuple(items),
        link=(reverse("proctoring:home"), _("All proctored sessions")),
        empty=_("No proctored exam is under way, and no attempt waits for review."),
    )
    return todo.desk_html(section, request=request)
