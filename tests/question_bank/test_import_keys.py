"""Keys a file states twice, and reference answers kept where other systems put them (issue 15)."""

from __future__ import annotations

from tests.question_bank.conftest import parse, xlsx_bytes


def _row(n: int, qtype: str, stem: str, answer: str, *options: str) -> list[object]:
    cells = [*options, "", "", "", ""][:4]
    return [n, qtype, stem, *cells, answer, "", "中", "", "", ""]


def test_a_question_keyed_two_ways_in_one_file_is_refused_on_every_row() -> None:
    rows = [
        _row(1, "单选题", "火警电话是（ ）。", "B", "110", "119", "120"),
        _row(2, "单选题", "火警电话是（ ）。", "B", "110", "119", "120"),  # a plain repeat…
        _row(3, "单选题", "火警电话是（ ）。", "C", "110", "119", "120"),  # …until another key shows up
        _row(4, "判断题", "电气设备着火时可以用水扑救。", "错误"),
        _row(5, "判断题", "电气设备着火时可以用水扑救。", "正确"),
        _row(6, "单选题", "急救电话是（ ）。", "C", "110", "119", "120"),
    ]
    result = parse(xlsx_bytes(rows))
    # Neither key is stored: which one is right is not the importer's to guess.
    assert [q.stem for q in result.questions] == ["急救电话是（ ）。"]
    assert sorted(e.row for e in result.errors) == [2, 3, 4, 5, 6]
    messages = {e.row: e.message for e in result.errors}
    # (Excel rows: the header is row 1.)
    assert "row 4: “C”" in messages[2]
    assert "row 4: “C”" in messages[3]
    assert "row 2: “B”" in messages[4]
    assert "row 3: “B”" in messages[4]
    assert "row 6: “正确”" in messages[5]
    assert "row 5: “错误”" in messages[6]
    # The plain repeat is no longer a duplicate "imported once": nothing of it was imported.
    assert result.duplicates == 0
    assert result.warnings == []


def test_a_repeat_with_the_same_key_is_imported_once() -> None:
    rows = [
        _row(1, "多选题", "灭火的基本方法有（ ）。", "ABC", "冷却", "窒息", "隔离", "吹风"),
        _row(2, "多选题", "灭火的基本方法有（ ）。", "A、B、C", "冷却", "窒息", "隔离", "吹风"),
    ]
    result = parse(xlsx_bytes(rows))
    assert [(q.row, q.answer) for q in result.questions] == [(2, "ABC")]
    assert result.duplicates == 1
    assert "Duplicate of row 2" in result.warnings[0].message


def test_an_answer_kept_in_option_a_is_read_as_such() -> None:
    rows = [
        _row(1, "简答题", "简述量变和质变的关系。", "A", "量变是质变的必要准备；质变是量变的必然结果。"),
        _row(2, "简答题", "带两个选项的简答题？", "A", "甲", "乙"),  # a mistyped choice question
        _row(3, "填空题", "（ ）是一事物区别于其他事物的内在规定性。", "A", "质"),
    ]
    result = parse(xlsx_bytes(rows))
    question, fill = result.questions
    assert (fill.type, fill.options, fill.answer) == ("fill_blank", (), [["质"]])
    assert (question.type, question.options, question.answer) == (
        "subjective",
        (),
        "量变是质变的必要准备；质变是量变的必然结果。",
    )
    assert "taken from option A" in result.warnings[0].message
    assert [e.row for e in result.errors] == [3]


def test_a_subjective_repeat_with_another_reference_is_imported_once_and_said_so() -> None:
    rows = [
        _row(1, "简答题", "什么是三级安全教育？", "厂级、车间级、班组级安全教育。"),
        _row(2, "简答题", "什么是三级安全教育？", "入厂、车间、岗位三级教育。"),
    ]
    result = parse(xlsx_bytes(rows))
    assert [q.answer for q in result.questions] == ["厂级、车间级、班组级安全教育。"]
    assert "another reference answer" in result.warnings[0].message
    assert result.errors == []


def test_a_conflict_withdraws_only_the_duplicate_warnings_it_makes_untrue() -> None:
    rows = [
        _row(1, "不定项选择题", "火警电话是（ ）。", "B", "110", "119"),  # stored as single choice: a warning
        _row(2, "不定项选择题", "火警电话是（ ）。", "B", "110", "119"),  # a repeat…
        _row(3, "不定项选择题", "火警电话是（ ）。", "A", "110", "119"),  # …until another key shows up
        _row(4, "单选题", "急救电话是（ ）。", "C", "110", "119", "120"),
        _row(5, "单选题", "急救电话是（ ）。", "C", "110", "119", "120"),  # a true repeat, imported once
    ]
    result = parse(xlsx_bytes(rows))
    assert [q.row for q in result.questions] == [5]
    assert sorted(e.row for e in result.errors) == [2, 3, 4]
    assert result.duplicates == 1  # the 急救 repeat only
    messages = [(w.row, w.message) for w in result.warnings]
    assert [row for row, message in messages if "Duplicate of row" in message] == [6]
    # The rows' other warnings (the 不定项 one stored as single choice) still stand.
    assert any(row == 2 and "single-choice" in message for row, message in messages)
