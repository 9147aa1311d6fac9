"""The parser and validator on their own: real-world variants in, canonical questions or row errors out."""

from __future__ import annotations

import pytest

from core.uploads import UploadRejected
from question_bank import importers
from question_bank.importers import ImportRefused
from tests.question_bank.conftest import HEADER, ROWS, csv_bytes, parse, xlsx_bytes


def _one(row: list[object], header: list[str] = HEADER) -> importers.ParseResult:
    return parse(xlsx_bytes([row], header=header))


def _choice(qtype: str, answer: object) -> list[object]:
    return [1, qtype, "哪些是灭火方法？", "冷却", "窒息", "隔离", "抑制", answer, "", "", "", "", ""]


@pytest.mark.parametrize(
    "written", ["ABC", "A,B,C", "A、B、C", "A，B，C", "A B C", "abc", "ＡＢＣ", "c,b,a", "Ａ、ｂ、Ｃ"]
)
def test_multiple_choice_answers_as_banks_write_them(written: str) -> None:
    result = _one(_choice("多选题", written))
    assert result.errors == []
    assert result.questions[0].answer == "ABC"


@pytest.mark.parametrize(
    ("written", "truth"),
    [
        ("正确", True), ("错误", False), ("对", True), ("错", False), ("√", True), ("×", False),
        ("✓", True), ("✗", False), ("是", True), ("否", False), ("T", True), ("F", False),
        ("true", True), ("FALSE", False),
    ],
)  # fmt: skip
def test_true_false_answers_as_banks_write_them(written: str, truth: bool) -> None:
    result = _one([1, "判断题", "电气火灾应先断电。", "", "", "", "", written, "", "", "", "", ""])
    assert result.errors == []
    assert result.questions[0].answer is truth
    assert result.questions[0].options == ()


@pytest.mark.parametrize(("letter", "truth"), [("A", True), ("B", False), ("b", False)])
def test_true_false_answered_by_letter_when_options_are_given(letter: str, truth: bool) -> None:
    result = _one([1, "判断", "电气火灾应先断电。", "正确", "错误", "", "", letter, "", "", "", "", ""])
    assert result.errors == []
    assert result.questions[0].answer is truth
    # The same question written with or without the 正确/错误 options is one question.
    plain = _one([1, "判断题", "电气火灾应先断电。", "", "", "", "", "对", "", "", "", "", ""])
    assert plain.questions[0].fingerprint == result.questions[0].fingerprint


@pytest.mark.parametrize(
    ("written", "blanks"),
    [
        ("预防为主", [["预防为主"]]),
        ("119|火警/火灾报警", [["119"], ["火警", "火灾报警"]]),
        ("119；火警/火灾报警", [["119"], ["火警", "火灾报警"]]),
        (119, [["119"]]),
        (12.5, [["12.5"]]),
    ],
)
def test_fill_in_blank_answers(written: object, blanks: list[list[str]]) -> None:
    stem = "火警电话是" + "、".join("____" for _blank in blanks) + "。"  # one blank per answer
    result = _one([1, "填空题", stem, "", "", "", "", written, "", "", "", "", ""])
    assert result.errors == []
    assert result.questions[0].answer == blanks


def test_numbers_stored_as_numbers_read_as_text_in_csv_too() -> None:
    result = parse(csv_bytes([[1, "填空", "火警电话是____。", "", "", "", "", "119", "", "3", "", "", ""]]), "b.csv")
    assert result.questions[0].answer == [["119"]]
    assert result.questions[0].difficulty == 3


@pytest.mark.parametrize(
    ("written", "level"),
    [
        ("", 3),
        (1, 1),
        ("5", 5),
        ("易", 1),
        ("较易", 2),
        ("中", 3),
        ("较难", 4),
        ("难", 5),
        ("简单", 1),
        ("一般", 3),
        ("困难", 5),
    ],
)
def test_difficulty_words_and_numbers(written: object, level: int) -> None:
    row = _choice("单选题", "A")
    row[9] = written
    assert _one(row).questions[0].difficulty == level


@pytest.mark.parametrize(
    ("name", "qtype"),
    [("单选题", "single"), ("单选", "single"), ("多选题", "multiple"), ("多选", "multiple"), ("判断题", "true_false"),
     ("判断", "true_false"), ("填空题", "fill_blank"), ("填空", "fill_blank"), ("single", "single"),
     ("Multiple", "multiple"), ("true_false", "true_false"), ("fill_blank", "fill_blank")],
)  # fmt: skip
def test_type_names(name: str, qtype: str) -> None:
    answers = {"single": "A", "multiple": "AB", "true_false": "对", "fill_blank": "x"}
    row = _choice(name, answers[qtype])
    if qtype in ("true_false", "fill_blank"):
        row[3:7] = ["", "", "", ""]
    assert _one(row).questions[0].type == qtype


def test_english_headers_free_order_and_unknown_columns_ignored() -> None:
    header = [
        "answer",
        "备注",
        "stem",
        "type",
        "option_b",
        "option_a",
        "explanation",
        "knowledge_point",
        "industry",
        "post",
    ]
    result = _one(["a", "ignored", "Which number?", "single", "119", "110", "why", "kp", "化工,建筑", "焊工"], header)
    q = result.questions[0]
    assert (q.type, q.stem, q.options, q.answer) == ("single", "Which number?", ("110", "119"), "A")
    assert (q.explanation, q.knowledge_point, q.industry_tags, q.post_tags) == ("why", "kp", "化工、建筑", "焊工")


def test_correct_answer_header_alias_and_cleaning_full_width_spaces() -> None:
    header = ["题型", "题干", "选项A", "选项B", "正确答案"]
    result = _one(["\u3000单选题 ", "\u3000 火警电话？\u3000", " 110", "119\u3000", " b "], header)
    q = result.questions[0]
    assert (q.type, q.stem, q.options, q.answer) == ("single", "火警电话？", ("110", "119"), "B")


def test_blank_rows_skipped_and_row_numbers_are_excel_rows() -> None:
    rows = [
        ROWS[0],
        [None] * 13,
        ["", "", "  ", "", "", "", "", "", "", "", "", "", ""],
        [5, "单选题", "", "a", "b", "", "", "A"],
    ]
    result = parse(xlsx_bytes(rows))
    assert result.rows == 2
    assert [(e.row, e.column) for e in result.errors] == [(5, "题干")]


def test_question_sheet_is_found_by_name() -> None:
    data = xlsx_bytes(ROWS, sheet="题库", extra_sheets=["说明"])
    assert len(parse(data).questions) == 4
    data = xlsx_bytes(ROWS, sheet="Questions", extra_sheets=["cover"])
    assert len(parse(data).questions) == 4


def test_formula_cells_are_read_as_cached_values_never_evaluated() -> None:
    # openpyxl writes formulas without a cached value: the importer must not compute 1+1.
    result = _one([1, "填空题", "一加一等于____。", "", "", "", "", "=1+1", "", "", "", "", ""])
    assert result.questions == []
    assert [(e.row, e.column, e.message) for e in result.errors] == [(2, "答案", "The answer is empty.")]


def test_formula_cached_value_is_used(tmp_path) -> None:
    # A workbook as Excel saves it: the formula with its cached result "2".
    import zipfile

    data = xlsx_bytes([[1, "填空题", "一加一等于____。", "", "", "", "", "placeholder", "", "", "", "", ""]])
    source = zipfile.ZipFile(__import__("io").BytesIO(data))
    out = __import__("io").BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = body.decode()
                # the shared string cell H2 becomes a formula cell with a cached number
                start = text.index('<c r="H2"')
                end = text.index("</c>", start) + 4
                body = (text[:start] + '<c r="H2"><f>1+1</f><v>2</v></c>' + text[end:]).encode()
            target.writestr(item, body)
    result = parse(out.getvalue())
    assert result.questions[0].answer == [["2"]]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("E", "The answer names option E, which the question does not have."),
        ("AX", "The answer “AX” is not made of option letters A–H."),
    ],
)
def test_unknown_answer_letters(answer: str, message: str) -> None:
    result = _one(_choice("单选题", answer))
    assert [(e.row, e.column, e.message) for e in result.errors] == [(2, "答案", message)]


def test_single_needs_exactly_one_and_multiple_at_least_two() -> None:
    assert "exactly one answer" in _one(_choice("单选题", "AB")).errors[0].message
    assert "at least two answers" in _one(_choice("多选题", "A")).errors[0].message


def test_unknown_type_and_missing_cells_named_by_row_and_column() -> None:
    rows = [
        [1, "怪题", "简述动火作业要求。", "", "", "", "", "略"],
        [2, "", "火警电话？", "110", "119", "", "", "B"],
        [3, "单选题", "火警电话？", "110", "119", "", "", ""],
        [4, "单选题", "只有一个选项？", "110", "", "", "", "A"],
        [5, "单选题", "选项有空缺？", "110", "", "119", "", "A"],
        # (One option answered “A” would be the answer kept in option A: test_import_keys.py.)
        [6, "填空题", "填空带选项？", "110", "119", "", "", "A"],
        [7, "判断题", "判断带怪选项？", "甲", "乙", "", "", "A"],
        [8, "单选题", "难度不对？", "110", "119", "", "", "A", "", "很难"],
    ]
    errors = [(e.row, e.column) for e in parse(xlsx_bytes(rows)).errors]
    assert errors == [
        (2, "题型"),
        (3, "题型"),
        (4, "答案"),
        (5, "选项B"),
        (6, "选项C"),
        (7, "选项A"),
        (8, "选项A"),
        (9, "难度"),
    ]
    assert "怪题" in parse(xlsx_bytes(rows)).errors[0].message


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(ImportRefused) as refused:
        parse(xlsx_bytes([["单选题", "火警电话？"]], header=["题型", "题干", "选项A"]))
    assert "答案" in str(refused.value)
    with pytest.raises(ImportRefused) as refused:
        parse(xlsx_bytes([["x"]], header=["序号", "内容"]))
    assert all(name in str(refused.value) for name in ("题型", "题干", "答案"))


def test_header_only_sheet_is_refused() -> None:
    with pytest.raises(ImportRefused, match="no questions"):
        parse(xlsx_bytes([]))
    with pytest.raises(ImportRefused, match="no questions"):
        parse(csv_bytes([]), "b.csv")


def test_vertical_merge_is_read_as_its_top_left_value() -> None:
    rows = [
        [1, "单选题", "火警电话？", "110", "119", "", "", "B", "", "", "消防"],
        [2, None, "急救电话？", "110", "120", "", "", "B", "", "", None],
        [3, None, "匪警电话？", "110", "120", "", "", "A", "", "", None],
    ]
    result = parse(xlsx_bytes(rows, merges=["B2:B4", "K2:K4"]))
    assert result.errors == []
    assert [(q.type, q.knowledge_point) for q in result.questions] == [("single", "消防")] * 3


def test_merge_across_columns_is_refused_naming_the_cells() -> None:
    rows = [[1, "单选题", "火警电话？", "110", "119", "", "", "B"]]
    with pytest.raises(ImportRefused) as refused:
        parse(xlsx_bytes(rows, merges=["C2:E2"]))
    assert "C2:E2" in str(refused.value)


def test_in_file_duplicates_are_warnings_and_imported_once() -> None:
    result = parse(xlsx_bytes([ROWS[0], ROWS[1], ROWS[0]]))
    assert len(result.questions) == 2
    assert result.errors == []
    assert [(w.row, w.message) for w in result.warnings] == [(4, "Duplicate of row 2 in this file; imported once.")]


def test_gb18030_csv_is_read() -> None:
    result = parse(csv_bytes(ROWS, encoding="gb18030"), "bank.csv")
    assert [q.stem for q in result.questions][0] == "我国的火灾报警电话是？"


@pytest.mark.parametrize("value", ["=HYPERLINK(1)", "+1", "-5℃", "@sum", "\tx", "'=x", "''+y", "plain", "'quoted", ""])
def test_neutralise_round_trips(value: str) -> None:
    exported = importers.neutralise(value)
    assert not exported.startswith(importers.FORMULA_TRIGGERS)
    assert importers.unneutralise(exported) == value


def test_not_a_spreadsheet_renamed_xlsx_is_refused() -> None:
    with pytest.raises(UploadRejected):
        importers.read_file(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, "bank.xlsx")


def test_aiken_import() -> None:
    text = "火警电话是？\nA. 110\nB. 119\nANSWER: B\n\n进入受限空间应先通风。\nA. 正确\nB. 错误\nANSWER: A\n\n灭火方法有？\nA. 冷却\nB. 加热\nC. 窒息\nANSWER: A, C\n"
    result = importers.validate(importers.read_aiken(text))
    assert [(q.type, q.answer) for q in result.questions] == [("single", "B"), ("true_false", True), ("multiple", "AC")]


def test_gift_import() -> None:
    text = """// comment
$CATEGORY: $course$/消防器材

::Q1:: 火警电话是？ {=119 ~110 ~120 ####火警119。}

::Q2:: 电气火灾应先断电。 {T}

::Q3:: 灭火方法有？ {~%50%冷却 ~%50%窒息 ~%-100%加热}

::Q4:: 火警电话是 {=119 =幺幺九} 。

::Q5:: 比例 1\\:2 的写法 {=1\\:2 ~2\\:1}
"""
    result = importers.validate(importers.read_gift(text))
    got = [(q.type, q.stem, q.options, q.answer, q.knowledge_point) for q in result.questions]
    assert got == [
        ("single", "火警电话是？", ("119", "110", "120"), "A", "消防器材"),
        ("true_false", "电气火灾应先断电。", (), True, "消防器材"),
        ("multiple", "灭火方法有？", ("冷却", "窒息", "加热"), "AB", "消防器材"),
        # As in Moodle, the blank takes the place of the answer block and the spaces around it stay.
        ("fill_blank", "火警电话是 ____ 。", (), [["119", "幺幺九"]], "消防器材"),
        ("single", "比例 1:2 的写法", ("1:2", "2:1"), "A", "消防器材"),
    ]
    assert result.questions[0].explanation == "火警119。"


def test_tab_separated_text_is_read() -> None:
    text = "题型\t题干\t选项A\t选项B\t答案\n单选题\t火警电话？\t110\t119\tB\n"
    result = parse(text.encode("utf-8"), "bank.csv")
    assert [(q.stem, q.options, q.answer) for q in result.questions] == [("火警电话？", ("110", "119"), "B")]
