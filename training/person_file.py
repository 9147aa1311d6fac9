"""一人一档, training's part: assignments with their progress, and the 学时 ledger (core.person_file)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max, Min, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core import ledger_evidence
from core.person_file import NONE, Section, day, moment
from organizations.models import Person
from training import selectors
from training.models import CreditLedger, ledger_source_text

NAME = "training"


def _hours(seconds: int) -> str:
    """A ledger line's 学时 as every training page writes them; minutes when under a tenth of one."""
    minutes = seconds / 60
    if selectors.under_a_tenth_of_an_hour(minutes):
        return selectors.credit_amount_text(minutes)
    return selectors.credit_hours_text(minutes)


def _span(first: dt.datetime, last: dt.datetime) -> str:
    """ "2026-03-02 09:00 – 09:45", the end's day written out only when it is another day."""
    start, end = moment(first), moment(last)
    return f"{start} – {end[-5:] if end[:10] == start[:10] else end}"


def _assignments(person: Person, user: Any) -> Section:
    assignments = list(
        selectors.assignments_visible_to(user).filter(learner_id=person.user_id).order_by("created_at", "pk")
    )
    summaries = selectors.summaries(assignments)
    rows = []
    for a in assignments:
        s = summaries[a.pk]
        status = a.get_status_display()
        if selectors.is_overdue(a):
            status = _("%(status)s, overdue") % {"status": status}
        rows.append(
            (
                a.title,
                pgettext("person file", "Plan") if a.kind == "plan" else _("Course"),
                status,
                # The learner's own page's words and figures: credited minutes, as the percentage counts them.
                f"{s.percent}% · "
                + selectors.credit_progress_text(
                    earned_minutes=s.credited_minutes, required_minutes=s.required_minutes
                ),
                day(a.due_date),
                moment(a.completed_at),
            )
        )
    return Section(
        key="assignments",
        title=_("Assignments and progress"),
        columns=(_("Training"), _("Kind"), _("Status"), _("Progress"), _("Due date"), _("Completed")),
        rows=rows,
        empty=_("No training assigned."),
    )


def _ledger(person: Person, user: Any) -> Section:
    # A heartbeat credits every ~15 s: the file shows one line per day, lesson and source, not each span.
    entries = list(
        selectors.ledger_visible_to(user)
        .filter(learner_id=person.user_id)
        .annotate(day=TruncDate("started_at"))
        .values("day", "lesson__title", "lesson__chapter__course__title", "method", "purpose", "source", "detail")
        .annotate(seconds=Sum("seconds"), first=Min("started_at"), last=Max("ended_at"), entry=Min("pk"))
        .order_by("first")
    )
    methods = dict(CreditLedger.Method.choices)
    purposes = dict(CreditLedger.Purpose.choices)
    # The evidence of entries not counted here (a classroom entry: the class, its sheet, its photos).
    evidence = ledger_evidence.links_for(
        entry_ids=[e["entry"] for e in entries if e["method"] != CreditLedger.Method.HEARTBEAT], user=user
    )
    rows, links, total = [], [], 0
    for e in entries:
        links.append(evidence.get(e["entry"], []))
        total += e["seconds"]
        training = " · ".join(t for t in (e["lesson__chapter__course__title"], e["lesson__title"]) if t)
        source = str(methods.get(e["method"], e["method"]))
        said = ledger_source_text(e["source"])
        if not training and e["method"] == CreditLedger.Method.CLASSROOM and said:
            training, said = said, e["detail"]  # a class: its topic is the training, the credit detail the source
        if e["method"] != CreditLedger.Method.HEARTBEAT and (said or e["detail"]):
            source = f"{source}：{said or e['detail']}"
        rows.append(
            (
                _span(e["first"], e["last"]),
                training or e["detail"] or NONE,
                str(purposes.get(e["purpose"], e["purpose"])),
                _hours(e["seconds"]),
                source,
            )
        )
    return Section(
        key="ledger",
        title=_("Credit hour ledger"),
        columns=(
            pgettext("person file", "When"),
            _("Training"),
            _("Purpose"),
            pgettext("person file", "Credit hours"),
            pgettext("person file", "Source"),
        ),
        rows=rows,
        empty=_("No credit hours recorded."),
        summary=_("Total: %(amount)s") % {"amount": selectors.credit_amount_text(total / 60)} if rows else "",
        row_links=links,
    )


def sections(*, person: Person, user: Any) -> list[Section]:
    return [_assignments(person, user), _ledger(person, user)]
