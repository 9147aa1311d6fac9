"""core.todo: every app adds its section of the learner's home; the page keeps one order whatever the app order."""

from __future__ import annotations

from typing import Any

import pytest

from core import todo
from core.registries import Positioned
from tests.conftest import Cast


@pytest.fixture
def saved_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(todo, "providers", Positioned())


def test_the_apps_register_their_sections_in_page_order() -> None:
    assert todo.providers.names() == [
        "training.courses",
        "classroom.classes",  # a class is a date to keep: after the courses, before the exams
        "exams.exams",
        "exams.certificates",
        "question_bank.practice",
    ]


@pytest.mark.usefixtures("saved_registry")
def test_sections_come_by_position_and_an_app_with_nothing_to_say_is_left_out() -> None:
    item = todo.Item(title="课程", url="/x/", action="继续学习")

    def late(**_: Any) -> todo.Section:
        return todo.Section(key="late", title="后", items=(item,))

    def early(**_: Any) -> todo.Section:
        return todo.Section(key="early", title="先", todo=False)

    todo.providers.register("late", late, position=50)
    todo.providers.register("silent", lambda **_: None, position=5)
    todo.providers.register("early", early, position=10)
    home = todo.home_for(user=object())
    assert [s.key for s in home.sections] == ["early", "late"]
    assert home.learner
    assert home.has_todo
    assert home.has_items
    todo.providers.unregister("late")
    home = todo.home_for(user=object())
    assert home.learner
    assert not home.has_todo
    assert not home.has_items


@pytest.mark.django_db
def test_someone_who_learns_nowhere_gets_no_list(cast: Cast) -> None:
    home = todo.home_for(user=cast.outsider)
    assert not home.learner
    assert todo.home_for(user=cast.east.bureau).sections == ()
    assert [s.key for s in todo.home_for(user=cast.east.learner.user).sections] == [
        "courses",
        "exams",
        "certificates",
        "practice",
    ]
