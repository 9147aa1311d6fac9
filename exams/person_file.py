"""一人一档, exams' part: exam attempts with their scores, and certificates (core.person_file)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.person_file import NONE, Section, day, moment
from exams import selectors
from exams.models import Attempt, ExamSession
from organizations.models import Person

NAME = "exams"


def _score(attempt: Attempt) -> str:
    if attempt.score is None:
        return NONE
    return f"{attempt.score} / {attempt.max_score}"


def _result(attempt: Attempt) -> str:
    if attempt.status != Attempt.Status.SUBMITTED or attempt.passed is None:
        return attempt.get_status_display()
    return _("Passed") if attempt.passed else _("Failed")


def _exam_title(attempt: Attempt) -> str:
    session = attempt.session
    if session.kind == ExamSession.Kind.SPOT:
        return f"{session.title}（{session.get_kind_display()}）"
    return session.title


def _attempts(person: Person, user: Any) -> Section:
    attempts = selectors.attempts_visible_to(user).filter(person=person).defer("payload").order_by("created_at", "pk")
    return Section(
        key="attempts",
        title=_("Exam attempts and scores"),
        columns=(_("Exam"), _("Attempt"), _("Submitted"), _("Score"), _("Result")),
        rows=[
            (
                _exam_title(a),
                str(a.seq),
                moment(a.submitted_at),
                _score(a),
                _result(a) + (f"：{a.invalidated_reason}" if a.invalidated_reason else ""),
            )
            for a in attempts
        ],
        empty=_("No exam taken."),
    )


def _certificates(person: Person, user: Any) -> Section:
    certificates = selectors.certificates_visible_to(user).filter(holder=person).order_by("issued_on", "pk")
    return Section(
        key="certificates",
        title=_("Certificates"),
        columns=(_("Certificate number"), _("Certificate type"), _("Status"), _("Issued on"), _("Valid until")),
        rows=[
            (c.number, c.get_cert_type_display(), str(c.state_label()), day(c.issued_on), day(c.valid_until))
            for c in certificates
        ],
        empty=_("No certificate."),
    )


def sections(*, person: Person, user: Any) -> list[Section]:
    return [_attempts(person, user), _certificates(person, user)]
