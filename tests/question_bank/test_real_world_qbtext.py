"""The Word and text banks of the corpus (tests/question_bank/real_world/README.md, the qbtext sections).

For each file: the number of questions counted by hand, how many import, five keys checked by hand,
and the message of every question that cannot import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from question_bank import importers, services
from question_bank.models import Bank, Question

CORPUS = Path(__file__).parent / "real_world"


def _parse(name: str) -> importers.ParseResult:
    return importers.validate(importers.read_file((CORPUS / name).read_bytes(), name))


def _by_stem(result: importers.ParseResult, start: str) -> importers.CleanQuestion:
    (found,) = [q for q in result.questions if q.stem.startswith(start)]
    return found


def test_safety_law_txt_in_gb18030_with_crlf() -> None:
    result = _parse("txt_safety_law_numbered.txt")
    assert result.rows == 18  # 8 single + 4 multiple + 5 true/false + 1 short answer, counted by hand
    # Subjective questions are qbsubj's part of issue 15: once 简答题 is a type, question 1 of 四、简答题 imports.
    subjective = importers.type_of("简答题") is not None
    assert len(result.questions) == (17 if subjective else 16)
    assert _by_stem(result, "生产经营单位的（ ）是本单位安全生产第一责任人").answer == "A"
    assert _by_stem(result, "特种作业操作证每（ ）年复审一次").answer == "C"  # options run on: A、1B、2C、3D、5
    assert _by_stem(result, "特种作业操作证").options == ("1", "2", "3", "5")
    assert _by_stem(result, "造成3人以上10人以下死亡的事故").answer == "C"
    assert _by_stem(result, "事故调查处理的“四不放过”").answer == "ABCD"
    assert _by_stem(result, "可以用水扑灭带电设备的火灾").answer is False
    expected = ["Question 5 (line 22): The answer is empty."]
    if not subjective:
        expected.append("Question 1 (line 70): Unknown question type “简答题”: use 单选题, 多选题, 判断题 or 填空题.")
    assert [e.message for e in result.errors] == expected


def test_fire_txt_with_keys_in_brackets() -> None:
    result = _parse("txt_fire_bracket_keys.txt")
    assert result.rows == 11  # 5 single + 1 multiple + 5 true/false, counted by hand
    assert len(result.questions) == 10
    phone = _by_stem(result, "我国的火警电话是")
    assert (phone.answer, phone.stem) == ("B", "我国的火警电话是（ ）。")  # the key is not left for learners to see
    assert _by_stem(result, "电器设备着火时").answer == "A"
    assert _by_stem(result, "禁止标志的几何图形").answer == "ABD"
    assert _by_stem(result, "楼房着火时").answer is False
    assert _by_stem(result, "油锅起火时").answer is True
    assert all("√" not in q.stem and "×" not in q.stem for q in result.questions)
    assert [e.message for e in result.errors] == ["Question 5 (line 14): The answer is empty."]


def test_safety_signs_docx_with_pictures_automatic_numbering_and_a_table() -> None:
    result = _parse("docx_safety_signs_images.docx")
    assert result.rows == 9  # 6 single (4 with a sign picture) + 3 true/false in a table, counted by hand
    assert len(result.questions) == 8
    signs = [q for q in result.questions if q.stem == "下图所示的安全标志属于（ ）。"]
    # The pictures, in order: warning triangle, prohibition ring, information square, mandatory disc.
    assert [q.answer for q in signs] == ["B", "A", "D", "C"]
    assert all(q.image.startswith(b"\x89PNG") for q in signs)
    assert len({q.fingerprint for q in signs}) == 4
    assert _by_stem(result, "进入受限空间作业前").options == ("气体检测", "照明", "清扫", "拍照")
    assert _by_stem(result, "警告标志的基本几何图形是圆形").answer is False
    assert [e.message for e in result.errors] == [
        "Question 5 (line 32): The question has 2 pictures; only one picture (the stem's) can be stored per question."
    ]


def test_hazchem_docx_with_typed_numbers_and_bracketed_labels() -> None:
    result = _parse("docx_hazchem_typed.docx")
    assert result.rows == 8  # 4 single + 2 multiple + 2 fill-in, counted by hand
    assert len(result.questions) == 6
    assert _by_stem(result, "危险化学品储存场所").answer == "A"
    assert _by_stem(result, "发现有人硫化氢中毒").answer == "B"
    assert _by_stem(result, "发现有人硫化氢中毒").explanation == "盲目施救易造成伤亡扩大。"
    assert _by_stem(result, "下列属于个体防护装备").answer == "ABC"
    assert _by_stem(result, "我国的火警电话是").answer == [["119"], ["120"]]
    assert _by_stem(result, "动火作业前").answer == [["可燃"]]
    assert [e.message for e in result.errors] == [
        "Question 4 (line 14): The answer is empty.",
        "Question 2 (line 20): A multiple-choice question has at least two answers; “A” gives one.",
    ]


@pytest.mark.django_db
def test_the_sign_bank_imports_its_valid_questions_with_their_pictures(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    bank = Bank.objects.create(code="signs", name="安全标志")
    data = (CORPUS / "docx_safety_signs_images.docx").read_bytes()
    refused = services.import_file(bank=bank, data=data, name="docx_safety_signs_images.docx")
    assert (refused.written, Question.objects.filter(bank=bank).count()) == (False, 0)
    assert not list(tmp_path.rglob("*.png"))
    result = services.import_file(bank=bank, data=data, name="docx_safety_signs_images.docx", valid_only=True)
    assert result.counts["created"] == 8
    assert Question.objects.filter(bank=bank).exclude(image="").count() == 4
