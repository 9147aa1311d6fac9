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
from proctoring.models import ReviewDecision

NAME = "proctoring"


def _decision_row(decision: ReviewDecision) -> tuple[str, ...]:
    label = decision.get_decision_display()
    if decision.revises_id:
        label = f"{label}（{pgettext('person file', 'revised')}）"
    attempt = decision.attempt
    return (attempt.session.title, str(attempt.seq), label, decision.reason or NONE, moment(decision.decided_at))


def sections(*, person: Person, user: Any) -> list[Section]:
    """Review decisions (every row of each chain) and identity checks as ``user`` may read them."""
    decisions = selectors.review_decisions_visible_to(user).filter(attempt__person=person).order_by("decided_at", "pk")
    checks = selectors.identity_checks_visible_to(user).filter(person=person).order_by("created_at", "pk")
    decided_at, outcome = pgettext("person file", "Decided at"), pgettext("person file", "Outcome")
    check_rows = [
        (c.session.title, c.get_kind_display(), c.get_result_display(), moment(c.decided_at or c.created_at))
        for c in checks
    ]
    reviews = Section(
        "reviews",
        _("Proctoring review decisions"),
        (_("Exam"), _("Attempt"), _("Decision"), pgettext("decision", "Reason"), decided_at),
        [_decision_row(d) for d in decisions],
        _("No proctoring review concerned this person."),
    )
    identity = Section(
        "identity_checks",
        pgettext("person file", "Identity checks"),
        (_("Exam"), _("Kind"), outcome, _("Time")),
        check_rows,
        _("No identity check."),
    )
    return [reviews, identity]
