"""Moodle's own GIFT and Aiken test fixtures (GPL test data, see real_world/README.md), imported
as a training admin would: how many questions each file holds (counted by hand), how many are
stored, five keys checked by hand (all of them where fewer are stored), and the message for every
question that cannot be imported, as the admin reads it (zh-hans)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from question_bank import services
from question_bank.models import Bank, Question

pytestmark = pytest.mark.django_db

HERE = Path(__file__).parent / "real_world"


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def bank() -> Bank:
    return services.bank_create(actor=None, code="moodle-fixtures", name="Moodle 测试题", owner=None)


def _import(bank: Bank, name: str, fmt: str) -> services.ImportResult:
    return services.import_file(bank=bank, data=(HERE / name).read_bytes(), name=name, fmt=fmt, valid_only=True)


def _stored(bank: Bank, stem: str, **more: Any) -> Question:
    return Question.objects.get(bank=bank, stem=stem, **more)


def _messages(items: list[Any]) -> list[tuple[int, str]]:
    return [(item.row, item.message) for item in items]


def test_gift_questions_fixture(bank: Bank) -> None:
    # 9 items by hand: essay, matching, single, multiple response, numerical, short answer,
    # true/false with feedback, and the same true/false twice ({T} and {TRUE}).
    result = _import(bank, "gift_moodle_questions.gift", "gift")
    assert result.rows == 9
    assert (result.created, result.duplicates, result.counts["error"]) == (5, 1, 3)
    assert result.written
    assert Question.objects.filter(bank=bank).count() == 5

    q2 = Question.objects.get(bank=bank, type="single")
    assert (q2.stem, q2.options, q2.answer) == (
        "What's between orange and green in the spectrum?",
        ["yellow", "red", "blue"],
        "A",
    )
    colours = Question.objects.get(bank=bank, type="multiple")
    # ~%50%yellow ~%-100%red ~%50%off-beige ~%-100%blue: the two 50 % options, never one of them alone.
    assert (colours.options, colours.answer) == (["yellow", "red", "off-beige", "blue"], "AC")
    animal = _stored(bank, "Which is the best animal?")
    assert (animal.type, animal.answer) == ("fill_blank", [["Frog"]])  # not Cat (50 %), not * (0 %)
    absolute = Question.objects.get(bank=bank, stem__startswith="42 is the Absolute Answer")
    assert (absolute.type, absolute.answer) == ("true_false", False)
    assert absolute.explanation == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    assert _stored(bank, "TSL is blablabla.").answer is True

    assert _messages(result.errors) == [
        (2, "第 1 题：问答题（GIFT essay）暂不支持，未导入。"),
        (5, "第 2 题：匹配题（GIFT matching）暂不支持，未导入。"),
        (31, "第 5 题：数值题（GIFT numerical）暂不支持，未导入。"),
    ]
    assert _messages(result.notices) == [
        (34, "第 6 题：答案“Cat”（50%）不是完全正确答案，未保存；只有“Frog”算对。"),
    ]
    assert [w.row for w in result.warnings] == [49]  # {TRUE} repeats {T}
    assert not any("答案为空" in e.message for e in result.errors)


def test_gift_questions_in_category_fixture(bank: Bank) -> None:
    # 4 questions by hand under one $CATEGORY: matching, single choice, short answer, true/false.
    result = _import(bank, "gift_moodle_questions_in_category.gift", "gift")
    assert result.rows == 4
    assert (result.created, result.counts["error"]) == (3, 1)
    greeting = Question.objects.get(bank=bank, type="single")
    # [html]: the link is read as its text; the markup and the escapes are gone.
    assert greeting.stem == "Listen to this greeting:\nWhat language is being spoken?"
    assert (greeting.options, greeting.answer) == (["English", "French", "German", "Spanish"], "B")
    assert greeting.knowledge_point == "Default for New Features"
    assert _stored(bank, "Anyone who uses Moodle is a ...").answer == [["Moodler"]]  # =%100%Moodler
    acronym = Question.objects.get(bank=bank, type="true_false")
    assert acronym.stem == "Moodle is an acronym for Modular Object-Oriented Dynamic Learning Environment."
    assert acronym.answer is True
    assert not Question.objects.filter(bank=bank, stem__contains="<").exists()
    assert _messages(result.errors) == [(5, "第 1 题：匹配题（GIFT matching）暂不支持，未导入。")]
    assert _messages(result.notices) == [
        (
            14,
            "第 2 题：题干中的链接和图片（http://demo.moodle.net/file.php/5/media/bonjour.mp3）未保存，只保存了文字。",
        )
    ]


def test_gift_examples_file(bank: Bank) -> None:
    # 43 items by hand (blocks between blank lines, comments left out); 14 repeat an earlier one.
    result = _import(bank, "gift_moodle_examples.gift", "gift")
    assert result.rows == 43
    assert (result.created, result.duplicates, result.counts["error"]) == (18, 14, 11)

    tomb = _stored(bank, "Who's buried in Grant's tomb?", type="single")  # ~Grant ~Jefferson =no one
    assert tomb.options[OPTION_INDEX[tomb.answer]] == "no one"
    difficult = _stored(bank, "Difficult question.")  # ~wrong ~%50%half credit =full credit
    assert (difficult.type, difficult.answer) == ("single", "C")
    hometown = _stored(bank, "Jesus Christ was from ____.", type="single")  # {…}. : the block is the blank
    assert hometown.options[OPTION_INDEX[hometown.answer]] == "Nazareth"
    short = _stored(bank, "Jesus Christ was from")  # {…} at the end: no blank, as in Moodle
    assert short.answer == [["Nazareth"]]  # not Nazereth (75 %) nor Bethlehem (25 %)
    assert _stored(bank, "Jesus Christ was from ____.", type="fill_blank").answer == [["Nazareth"]]
    entombed = Question.objects.get(bank=bank, type="multiple")
    assert [entombed.options[OPTION_INDEX[c]] for c in entombed.answer] == ["Grant", "Grant's wife"]
    control = _stored(bank, "Which of the following is NOT a control character for the GIFT import format?")
    assert control.options == ["~", "=", "#", "{", "}", "\\"]
    assert control.answer == "F"
    assert _stored(bank, "Two plus two equals ____.").answer == [["four", "4"]]
    # {=no one =nobody}, and the same again in [markdown] with **bold**: one question.
    assert _stored(bank, "Who's buried in Grant's tomb?", type="fill_blank").answer == [["no one", "nobody"]]

    kinds = [e.message.split("：", 1)[1] for e in result.errors]
    assert kinds.count("数值题（GIFT numerical）暂不支持，未导入。") == 8
    assert kinds.count("匹配题（GIFT matching）暂不支持，未导入。") == 3
    assert (55, "第 14 题：匹配题（GIFT matching）暂不支持，未导入。") in _messages(result.errors)
    assert _messages(result.notices) == [
        (115, "第 27 题：选项 B（50%）的部分得分未保存，只有选 C 得分。"),
        (117, "第 28 题：选项 B（25%）、C（50%）的部分得分未保存，只有选 D 得分。"),
        (123, "第 29 题：答案“Nazereth”（75%）、“Bethlehem”（25%）不是完全正确答案，未保存；只有“Nazareth”算对。"),
        (190, "第 41 题：选项 B（50%）的部分得分未保存，只有选 C 得分。"),
        (195, "第 42 题：答案“Nazereth”（75%）、“Bethlehem”（25%）不是完全正确答案，未保存；只有“Nazareth”算对。"),
    ]


def test_aiken_questions_fixture(bank: Bank) -> None:
    # 2 questions by hand; the second has True/False options, so it is a true/false question.
    result = _import(bank, "aiken_moodle_questions.txt", "aiken")
    assert (result.rows, result.created, result.errors) == (2, 2, [])
    moodle = _stored(bank, "The Moodle project was started by:")
    assert moodle.options[OPTION_INDEX[moodle.answer]] == "Martin Dougiamas"
    html = Question.objects.get(bank=bank, type="true_false")
    assert html.stem == 'Moodle\'s abilities include handling user input that includes <html class="cool"> & images:'
    assert html.answer is True


def test_aiken_errors_fixture(bank: Bank) -> None:
    # By hand: 4 question stems (2 good, one with a single option, one without ANSWER:)
    # and 2 lines that belong to no question.
    result = _import(bank, "aiken_moodle_errors.txt", "aiken")
    assert result.created == 2
    good = _stored(bank, "A good question")
    assert (good.options, good.answer) == (["Correct", "Incorrect"], "A")
    second = _stored(bank, "A second good question")  # "A)Incorrect (No space)": no space after the label
    assert (second.options, second.answer) == (["Incorrect (No space)", "Correct (No space)"], "B")
    assert _messages(result.errors) == [
        (1, "选择题至少需要两个选项。"),
        (5, "第 5 行：“A) Question not started”前面没有题干，不属于任何题目。"),
        (7, "第 7 行：“ANSWER: Question not started”前面没有题干，不属于任何题目。"),
        (14, "第 3 题（第 14 行起）没有“ANSWER:”行，未导入。"),
    ]
    # The unfinished question did not swallow the next one.
    assert not Question.objects.filter(bank=bank, stem__contains="started but not finished").exists()


OPTION_INDEX = {c: i for i, c in enumerate("ABCDEFGH")}
