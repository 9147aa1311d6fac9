"""Spot tests (逢查必考): an inspector opens a short test for one person on the spot."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from exams.models import Attempt, ExamSession
from exams.services.attempts import attempt_start
from exams.services.errors import PoolTooSmall
from exams.services.papers import PaperDrawer, as_decimal, keyed_by_sibling, paper_create_fixed
from exams.services.sessions import attempts_prepare
from organizations.models import Person
from question_bank.models import Question, QuestionType
from question_bank.selectors import sibling_keys, tag_q


def spot_test_open(
    *, inspector: Any, person: Person, questions: QuerySet[Question], count: int | None = None
) -> Attempt:
    """An inspector opens a short random quiz for a named worker, answered on the inspector's phone.

    ``questions`` is already scoped to banks the inspector may read.
    """
    count = count or settings.EXAMS_SPOT_TEST_QUESTIONS
    industry = person.enterprise.industry.name
    pool = questions.filter(
        is_active=True, type__in=[QuestionType.SINGLE, QuestionType.TRUE_FALSE, QuestionType.MULTIPLE]
    )
    # At most one question of each sibling group (questions that ask the same thing): keyed by group.
    groups = sibling_keys(pool)
    matched = keyed_by_sibling(
        list(pool.filter(tag_q("industry_tags", industry)).values_list("pk", flat=True)[:2000]), groups
    )
    everything = keyed_by_sibling(list(pool.values_list("pk", flat=True)[:2000]), groups)
    chosen = matched if len(matched) >= count else everything
    if len(chosen) < count:
        questions_found = sum(len(ids) for ids in chosen.values())
        if questions_found >= count:
            raise PoolTooSmall(
                _(
                    "Not enough questions for a spot test: %(available)d found, but they ask only %(distinct)d "
                    "different things (a spot test takes at most one question of each sibling group); "
                    "%(count)d needed."
                )
                % {"available": questions_found, "distinct": len(chosen), "count": count},
                siblings=True,
            )
        raise PoolTooSmall(
            _("Not enough questions for a spot test: %(available)d found, %(count)d needed.")
            % {"available": questions_found, "count": count}
        )
    picked = [random.choice(chosen[key]) for key in random.sample(sorted(chosen), count)]
    now = timezone.now()
    score = as_decimal(Decimal(100) / count)
    with transaction.atomic():
        paper = paper_create_fixed(
            provider=None,
            name=_("Spot test for %(name)s") % {"name": person.name},
            questions=[(q, score) for q in Question.objects.filter(pk__in=picked)],
            created_by=inspector,
        )
        session = ExamSession.objects.create(
            provider=None,
            paper=paper,
            kind=ExamSession.Kind.SPOT,
            title=paper.name,
            opens_at=now,
            closes_at=now + dt.timedelta(hours=1),
            duration_minutes=settings.EXAMS_SPOT_TEST_MINUTES,
            pass_score=Decimal(60),
            review_answers=True,
            created_by=inspector,
        )
        session.eligible_people.set([person])
        attempt = attempts_prepare(session, PaperDrawer(paper), [person], {}, now)[0]
        Attempt.objects.filter(pk=attempt.pk).update(opened_by=inspector)
        attempt.opened_by = inspector
    return attempt_start(session=session, person=person, now=now)
