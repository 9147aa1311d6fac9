"""The learner's home, practice's section: the last practice (bank, when, how far, how many right), one tap
from going on; it never counts as a to-do, and it is never someone else's."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from question_bank.models import Bank, PracticeSession, Question
from tests import factories
from tests.conftest import login_client
from tests.question_bank.conftest import make_east_practice_bank
from tests.support.home_todo import home_todo, says_nothing_to_do

pytestmark = pytest.mark.django_db


def _english(user: Any) -> Any:
    client = login_client(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _start(client: Any, bank: Bank) -> PracticeSession:
    response = client.post(reverse("question_bank:practice_home"), {"bank": bank.pk, "mode": "order"})
    assert response.status_code == 302
    return PracticeSession.objects.latest("pk")


def _answer_right(client: Any, session: PracticeSession, count: int) -> None:
    url = reverse("question_bank:practice_question", args=[session.pk])
    for pk in session.question_ids[:count]:
        question = Question.objects.get(pk=pk)
        if question.type == "fill_blank":
            body: dict[str, Any] = {f"blank{i}": blank[-1] for i, blank in enumerate(question.answer)}
        elif question.type == "true_false":
            body = {"choice": "正确" if question.answer else "错误"}
        else:
            body = {"choice": list(question.answer)}
        assert 'data-result="correct"' in client.post(url, {"question": pk, **body}).content.decode()


def test_the_last_practice_is_one_tap_from_its_next_question(cast: Any, east_bank: Bank) -> None:
    client = _english(cast.east.learner.user)
    session = _start(client, east_bank)
    _answer_right(client, session, 2)
    todo = home_todo(client)
    [item] = todo["practice"]
    assert item.title == east_bank.name
    assert item.action == "Continue practising"
    assert item.href == reverse("question_bank:practice_question", args=[session.pk])
    assert item.percent == 50
    assert f"2 of {session.total} questions answered, 2 correct" in item.lines
    assert item.lines[0].startswith(f"Last practised {timezone.localtime():%Y-%m-%d}")
    # A practice is a shortcut, not a duty: with nothing else, the home still says there is nothing to do.
    assert says_nothing_to_do(client.get("/").content.decode())


def test_the_latest_of_several_practices_is_shown(cast: Any, east_bank: Bank) -> None:
    client = _english(cast.east.learner.user)
    other = make_east_practice_bank(cast, code="east-fire", name="东区消防题库")
    first = _start(client, east_bank)
    _start(client, other)
    _answer_right(client, first, 1)  # worked in the first one last
    [item] = home_todo(client)["practice"]
    assert item.title == east_bank.name


def test_a_finished_practice_offers_another_round(cast: Any, east_bank: Bank) -> None:
    client = _english(cast.east.learner.user)
    session = _start(client, east_bank)
    _answer_right(client, session, session.total)
    [item] = home_todo(client)["practice"]
    assert item.action == "Practise again"
    assert item.href == reverse("question_bank:practice_home")
    assert item.badge == "Finished"


def test_without_practice_the_section_is_only_a_suggestion(cast: Any) -> None:
    client = _english(cast.east.learner.user)
    assert "practice" not in home_todo(client)
    html = client.get("/").content.decode()
    assert f'href="{reverse("question_bank:practice_home")}"' in html  # the empty state points to practice


def test_another_persons_practice_is_never_shown(cast: Any, east_bank: Bank) -> None:
    _start(login_client(cast.east.learner.user), east_bank)
    colleague_client = _english(factories.make_person(cast.east.enterprises[0]).user)
    assert "practice" not in home_todo(colleague_client)
    assert home_todo(login_client(cast.east.training_admin)) is None
