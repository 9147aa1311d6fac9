"""EAST-district exam objects for tests/route_params.py (built once per cast)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from exams.models import Attempt, Certificate, CertificateType
from exams.services.attempts import attempt_save_answer, attempt_start, attempt_submit

Kwargs = dict[str, Any]


def east_exam(cast: Any) -> dict[str, Any]:
    cached = cast.east.extra.get("exam")
    if cached:
        return cached
    from tests.exams.conftest import correct_answer, make_bank, make_paper, make_session

    provider = cast.east.provider
    bank = make_bank(provider, code="route-bank")
    paper = make_paper(provider, bank)
    running = make_session(provider, paper, title="东区进行中考试")
    finished = make_session(
        provider, paper, title="东区已考考试", certificate_type=CertificateType.NEW_EMPLOYEE, pass_score=Decimal("10")
    )
    person = cast.east.learner
    in_progress = attempt_start(notice_confirmed=True, session=running, person=person)
    done = attempt_start(notice_confirmed=True, session=finished, person=person)
    for aq in done.questions.all():
        attempt_save_answer(attempt=done, question_id=aq.pk, answer=correct_answer(aq), client_seq=1)
    done = attempt_submit(attempt=done, reason=Attempt.SubmitReason.EXAMINEE).attempt
    data = {
        "paper": paper,
        "running": running,
        "finished": finished,
        "in_progress": in_progress,
        "done": done,
        "certificate": Certificate.objects.get(attempt=done),
        "question": in_progress.questions.first(),
    }
    cast.east.extra["exam"] = data
    return data


def exam_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    def learner(build: Callable[[dict[str, Any]], Kwargs]) -> Callable[[Any], Kwargs]:
        return lambda cast: {**build(east_exam(cast)), "_as": cast.east.learner.user}

    def admin(build: Callable[[dict[str, Any]], Kwargs]) -> Callable[[Any], Kwargs]:
        return lambda cast: build(east_exam(cast))

    return {
        "exams:notice": learner(lambda d: {"session_id": d["running"].pk}),
        "exams:start": learner(lambda d: {"session_id": d["running"].pk}),
        "exams:attempt": learner(lambda d: {"attempt_id": d["in_progress"].pk}),
        "exams:result": learner(lambda d: {"attempt_id": d["done"].pk}),
        "exams:paper_detail": admin(lambda d: {"pk": d["paper"].pk}),
        "exams:session_stats": admin(lambda d: {"pk": d["finished"].pk}),
        "exams:session_export": admin(lambda d: {"pk": d["finished"].pk}),
        "exams:certificate_detail": admin(lambda d: {"pk": d["certificate"].pk}),
        "exams:certificate_pdf": admin(lambda d: {"pk": d["certificate"].pk}),
        # Public behind the QR code's signature; without it (as here) other users get 404.
        "exams:certificate_verify": admin(lambda d: {"number": d["certificate"].number}),
        "exams:spot_person": lambda cast: {"person_id": cast.east.learner.pk},
        "api:exam-attempt-start": learner(lambda d: {"session_id": d["running"].pk}),
        "api:exam-attempt-answer": learner(
            lambda d: {"attempt_id": d["in_progress"].pk, "question_id": d["question"].pk}
        ),
        "api:exam-attempt-submit": learner(lambda d: {"attempt_id": d["done"].pk}),
        "api:exam-attempt-result": learner(lambda d: {"attempt_id": d["done"].pk}),
        # Django admin object pages (exams/admin.py)
        **{
            re.compile(rf"admin/exams/{model}/<path:object_id>/(?:(?:change|delete|history)/)?"): admin(
                lambda d, key=key: {"object_id": d[key].pk}
            )
            for model, key in (
                ("papertemplate", "paper"),
                ("examsession", "finished"),
                ("attempt", "done"),
                ("certificate", "certificate"),
            )
        },
    }
