"""The autosave path checks ownership in its own SQL: it must admit exactly the selector's attempts."""

from __future__ import annotations

from typing import Any

import pytest

from exams import selectors
from exams.models import Attempt, AttemptQuestion
from exams.services.attempts import attempt_answerable, attempt_save_answer, attempt_start
from exams.services.errors import UnknownAttempt
from exams.services.spot_tests import spot_test_open
from question_bank.models import Question
from tests import factories
from tests.exams.conftest import correct_answer


@pytest.mark.django_db
def test_autosave_admits_exactly_the_attempts_the_selector_calls_answerable(cast: Any, exam: dict[str, Any]) -> None:
    session = exam["session"]
    colleague = factories.make_person(cast.east.enterprises[1], username="east_colleague")
    own = attempt_start(notice_confirmed=True, session=session, person=cast.east.learner)
    other = attempt_start(notice_confirmed=True, session=session, person=colleague)
    spot = spot_test_open(
        inspector=cast.east.bureau, person=cast.east.learner, questions=Question.objects.filter(bank=exam["bank"])
    )
    inactive = factories.make_person(cast.east.enterprises[0], username="east_gone")
    inactive.user.is_active = False
    inactive.user.save()
    users = [
        cast.east.learner.user,
        colleague.user,
        inactive.user,
        cast.west.learner.user,
        cast.east.bureau,
        cast.west.bureau,
        cast.east.proctor,
        cast.east.training_admin,
        cast.platform_admin,
        cast.outsider,
    ]
    admitted_somewhere = 0
    for user in users:
        answerable = set(selectors.attempts_answerable_by(user).values_list("pk", flat=True))
        for attempt in (own, other, spot):
            aq = AttemptQuestion.objects.filter(attempt=attempt).first()
            assert aq is not None
            seq = AttemptQuestion.objects.get(pk=aq.pk).client_seq + 1
            try:
                attempt_save_answer(
                    attempt=attempt, question_id=aq.pk, answer=correct_answer(aq), client_seq=seq, user=user
                )
                admitted = True
            except UnknownAttempt:
                admitted = False
            assert admitted == (attempt.pk in answerable), (user.username, attempt.pk)
            # the submit path's check, the same raw condition without the save
            assert attempt_answerable(attempt_id=attempt.pk, user=user) == admitted, user.username
            admitted_somewhere += admitted
    # each examinee answers their own exam, the inspector the spot test they opened; nobody else anything
    assert admitted_somewhere == 3
    assert Attempt.objects.get(pk=spot.pk).opened_by == cast.east.bureau
