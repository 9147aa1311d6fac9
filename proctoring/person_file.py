"""一人一档, proctoring's part: the decisions that concern the person (core.person_file).

Outcomes and times only: no face image, photo, distance or threshold leaves the proctoring pages.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.person_file import NONE, Section, moment
from organizations.models import Person
from proctoring import selectors

NAME = "proctoring"


def _reviews(person: Person, user: Any) -> Section:
    decisions = selectors.review_decisions_visible_to(user).filter(attempt__person=person).order_by("decided_at", "pk")
    return Section(
        key="reviews",
        title=_("Proctoring review decisions"),
        columns=(_("Exam"), _("Attempt"), _("Decision"), _("Reason"), pgettext("person file", "Decided at")),
        rows=[
            (
                d.attempt.session.title,
                str(d.attempt.seq),
                d.get_decision_display() + (f"（{pgettext('person file', 'revised')}）" if d.revises_id else ""),
                d.reason or NONE,
                moment(d.decided_at),
            )
            for d in decisions
        ],
        empty=_("No proctoring review concerned this person."),
    )


def _identity_checks(person: Person, user: Any) -> Section:
    checks = selectors.identity_checks_visible_to(user).filter(person=person).order_by("created_at", "pk")
    return Section(
        key="identity_checks",
        title=pgettext("person file", "Identity checks"),
        columns=(_("Exam"), _("Kind"), pgettext("person file", "Outcome"), _("Time")),
        rows=[
            (c.session.title, c.get_kind_display(), c.get_result_display(), moment(c.decided_at or c.created_at))
            for c in checks
        ],
        empty=_("No identity check."),
    )


def sections(*, person: Person, user: Any) -> list[Section]:
    return [_reviews(person, user), _identity_checks(person, user)]
