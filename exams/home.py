"""Exams' sections of the learner's home (``core.todo``): exams open now or soon, and certificates to renew;
and the training admin's desk (``core.fragments.HOME``): the exams they run that are under way or coming up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core import todo
from exams import selectors
from organizations.selectors import person_of, provider_ids_managed_by
from training.selectors import is_eligible_for_exam

# An exam shows on the home from this many days before it opens.
EXAMS_SOON_DAYS = 7


def _window(opens: dt.datetime, closes: dt.datetime) -> str:
    """``2026-12-08 09:00 – 11:00`` (the closing date repeated only when it differs)."""
    opens, closes = timezone.localtime(opens), timezone.localtime(closes)
    end = closes.strftime("%H:%M") if closes.date() == opens.date() else closes.strftime("%Y-%m-%d %H:%M")
    return f"{opens.strftime('%Y-%m-%d %H:%M')} – {end}"


def _exam_item(row: dict[str, Any], person: Any) -> todo.Item:
    session = row["session"]
    lines = [
        _window(session.opens_at, session.closes_at),
        ngettext("%(minutes)d minute", "%(minutes)d minutes", session.duration_minutes)
        % {"minutes": session.duration_minutes}
        + " · "
        + _("%(left)s of %(total)s attempts left") % {"left": row["attempts_left"], "total": session.attempts_allowed},
    ]
    if row["running"] is not None:
        return todo.Item(
            title=session.title,
            url=reverse("exams:attempt", args=[row["running"].pk]),
            action=_("Continue the exam"),
            lines=tuple(lines),
            badge=_("Exam in progress"),
            tone="warn",
        )
    may_start = row["is_open"]
    if session.required_course is not None and not is_eligible_for_exam(person=person, course=session.required_course):
        lines.append(_("Finish the course first: %(title)s") % {"title": session.required_course.title})
        may_start = False
    open_now = row["is_open"]
    return todo.Item(
        title=session.title,
        url=reverse("exams:notice", args=[session.pk]),
        action=_("Exam notice and start") if may_start else _("Exam notice"),
        lines=tuple(lines),
        badge=_("Open now") if open_now else _("Opens soon"),
        tone="ok" if open_now else "",
    )


def todo_exams(*, user: Any, now: dt.datetime) -> todo.Section | None:
    person = person_of(user)
    if person is None:
        return None
    rows = selectors.exams_to_do(person, now, soon_days=EXAMS_SOON_DAYS)
    return todo.Section(
        key="exams",
        title=_("Exams to take"),
        items=tuple(_exam_item(row, person) for row in rows),
        link=(reverse("exams:my_exams"), _("My exams")),
    )


def todo_certificates(*, user: Any, now: dt.datetime) -> todo.Section | None:
    if person_of(user) is None:
        return None
    today = timezone.localdate(now)
    due = selectors.certificates_to_renew(user, today, within_days=settings.EXAMS_CERTIFICATE_REMINDER_DAYS)
    url = reverse("exams:my_certificates")
    items = []
    for certificate in due:
        title = certificate.get_cert_type_display()
        if certificate.operation_category:
            title = f"{title} · {certificate.operation_category}"
        days = (certificate.valid_until - today).days
        if days < 0:
            badge, tone = _("Expired"), "bad"
        else:
            badge, tone = ngettext("Expires in %(days)d day", "Expires in %(days)d days", days) % {"days": days}, "warn"
        items.append(
            todo.Item(
                title=title,
                url=url,
                action=_("My certificates"),
                lines=(
                    _("Certificate number %(number)s") % {"number": certificate.number},
                    _("Valid until %(date)s") % {"date": certificate.valid_until.strftime("%Y-%m-%d")},
                ),
                badge=badge,
                tone=tone,
            )
        )
    return todo.Section(
        key="certificates", title=_("Certificates to renew"), items=tuple(items), link=(url, _("My certificates"))
    )


# --- the training admin's desk (core.fragments.HOME) ---------------------------------------------

# The exams a training admin sees on their home: under way, or opening within this many days.
DESK_DAYS = 14
DESK_SHOWN = 3


def _desk_item(session: Any, now: dt.datetime) -> todo.Item:
    """No "may sit" count here: a district-wide session's population is a count over every person of the
    district, too dear for a page opened at every sign-in (the statistics page, one tap away, has it)."""
    under_way = session.opens_at <= now
    lines = [_window(session.opens_at, session.closes_at)]
    if under_way:
        lines.append(_("%(n)s sitting now · %(m)s handed in") % {"n": session.sitting, "m": session.handed_in})
    else:
        minutes = session.duration_minutes
        lines.append(ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes) % {"minutes": minutes})
    return todo.Item(
        title=session.title,
        url=reverse("exams:session_stats", args=[session.pk]),
        action=_("Session statistics"),
        lines=tuple(lines),
        badge=pgettext("exam session phase", "Under way")
        if under_way
        else pgettext("exam session phase", "Not started"),
        tone="ok" if under_way else "",
    )


def home_exam_desk(*, request: Any) -> str:
    """The exams a training admin runs that are under way or open within ``DESK_DAYS``, soonest first, with
    who is sitting and who has handed in (or how long it lasts); "" for anyone who manages no training
    provider (a platform admin included: their home is not one provider's desk)."""
    user = request.user
    if not provider_ids_managed_by(user):
        return ""
    now = timezone.now()
    coming = selectors.sessions_managed_by(user).filter(
        closes_at__gt=now, opens_at__lt=now + dt.timedelta(days=DESK_DAYS)
    )
    sessions = selectors.with_attempt_counts(selectors.sessions_in_schedule_order(coming, now=now))
    section = todo.Section(
        key="exam_desk",
        title=_("Exams coming up"),
        items=tuple(_desk_item(session, now) for session in sessions[:DESK_SHOWN]),
        link=(reverse("exams:admin_home"), _("All exams")),
        empty=_("No exam of yours is under way or opens in the next %(days)s days.") % {"days": DESK_DAYS},
    )
    return todo.desk_html(section, request=request)
