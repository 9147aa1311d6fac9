"""一人一档, exams' part: exam attempts with their scores, and certificates (core.person_file)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.person_file import NONE, Section, day, moment
from exams import selectors
from exams.models import Attempt, ExamSession
from exams.templatetags.exam_format import points
from organizations.models import Person

NAME = "exams"


def _score(attempt: Attempt) -> str:
    if attempt.score is None:
        return NONE
    # As the result page writes it (exams/result.html): 79 / 100, 62.5 / 100.
    return f"{points(attempt.score)} / {points(attempt.max_score)}"


def _result(attempt: Attempt) -> str:
    if attempt.status != Attempt.Status.SUBMITTED or attempt.passed is None:
        return attempt.get_status_display()
    # The result page's words (exams/result.html): 合格 / 不合格.
    return _("Passed") if attempt.passed else _("Not passed")


def _exam_title(attempt: Attempt) -> str:
    session = attempt.session
    if session.kind == ExamSession.Kind.SPOT:
        return f"{session.title}（{session.get_kind_display()}）"
    return session.title


def _attempt_row(attempt: Attempt) -> tuple[str, ...]:
    result = _result(attempt)
    if attempt.invalidated_reason:
        result = f"{result}：{attempt.invalidated_reason}"
    return (_exam_title(attempt), str(attempt.seq), moment(attempt.submitted_at), _score(attempt), result)


def sections(*, person: Person, user: Any) -> list[Section]:
    """Started attempts and certificates as ``user`` may read them (attempts_visible_to,
    certificates_visible_to)."""
    # Papers prepared ahead of time (PREPARED) are no exam the person took: only attempts they started.
    attempts = (
        selectors.attempts_visible_to(user)
        .filter(person=person)
        .exclude(status=Attempt.Status.PREPARED)
        .defer("payload")
        .order_by("created_at", "pk")
    )
    certificates = selectors.certificates_visible_to(user).filter(holder=person).order_by("issued_on", "pk")
    attempt_columns = (_("Exam"), _("Attempt"), _("Submitted"), _("Score"), _("Result"))
    certificate_columns = (
        _("Certificate number"),
        _("Certificate type"),
        _("Status"),
        _("Issued on"),
        _("Valid until"),
    )
    certificate_rows = [
        (c.number, c.get_cert_type_display(), str(c.state_label()), day(c.issued_on), day(c.valid_until))
        for c in certificates
    ]
    return [
        Section(
            "attempts",
            _("Exam attempts and scores"),
            attempt_columns,
            list(map(_attempt_row, attempts)),
            _("No exam taken."),
        ),
        Section("certificates", _("Certificates"), certificate_columns, certificate_rows, _("No certificate.")),
    ]
