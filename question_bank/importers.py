"""Reading and checking question files. Pure: bytes or text in, clean questions and errors out; no database.

Spreadsheets (xlsx through pandas + python-calamine, csv through pandas) and
the Moodle text formats GIFT and Aiken all end up as ``RawRow`` dicts keyed by
field name, so one validator (``validate``) checks them all and one writer
(``question_bank.services.import_parsed``) stores them.

Merged cells: a range merged down one column (a group of rows sharing one 题型
or 知识点, the way banks are often laid out) is read as its top-left value in
every row of the range, which is what the person who merged it meant. A range
spanning several columns, or touching the header, would pour one value into
different fields, so the file is refused with a message naming the ranges.

Formula cells are read as the values Excel cached when it last saved the file;
nothing is ever evaluated (a formula without a cached value reads as empty).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import islice
from typing import Any

from django.utils.translation import gettext as _

from core.richtext import html_to_text
from core.spreadsheets import FORMULA_TRIGGERS, neutralise, unneutralise  # noqa: F401 (re-exported)
from core.uploads import CheckedUpload, UploadRejected, check_image, decode_csv
from question_bank.models import OPTION_LETTERS, QuestionType

OPTION_FIELDS = tuple(f"option_{c.lower()}" for c in OPTION_LETTERS)
FIELDS = (
    "type",
    "stem",
    *OPTION_FIELDS,
    "answer",
    "explanation",
    "difficulty",
    "knowledge_point",
    "industry",
    "post",
)
REQUIRED_COLUMNS = ("type", "stem", "answer")
# The column titles written by the exporter and the template (the layout Chinese banks use).
COLUMN_TITLES = {
    "type": "题型",
    "stem": "题干",
    **{f"option_{c.lower()}": f"选项{c}" for c in OPTION_LETTERS},
    "answer": "答案",
    "explanation": "解析",
    "difficulty": "难度",
    "knowledge_point": "知识点",
    "industry": "行业",
    "post": "适用岗位",
}
_HEADER_ALIASES = {
    "type": ("题型", "题目类型", "试题类型", "类型", "试题题型", "题目题型", "题类", "type"),
    "stem": (
        "题干",
        "题目",
        "试题",
        "题目内容",
        "试题内容",
        "问题内容",
        "问题",
        "题目名称",
        "题目标题",
        "试题题干",
        "题目题干",
        "stem",
        "question",
    ),
    "answer": (
        "答案",
        "正确答案",
        "标准答案",
        "参考答案",
        "题目答案",
        "试题答案",
        "正确选项",
        "答案选项号",
        "answer",
    ),
    "explanation": ("解析", "答案解析", "试题解析", "题目解析", "解析说明", "整体解析", "答案说明", "explanation"),
    "difficulty": ("难度", "难易程度", "难易度", "难度等级", "难度系数", "试题难度", "题目难度", "difficulty"),
    "knowledge_point": (
        "知识点",
        "考点",
        "考核点",
        "知识点分类",
        "试题分类",
        "题目分类",
        "分类",
        "knowledge_point",
        "knowledgepoint",
    ),
    "industry": ("行业", "适用行业", "industry"),
    "post": ("适用岗位", "岗位", "post"),
    # All the options in one cell (“A.正确 B.错误”), when there are no per-option columns.
    "options": ("选项", "选项内容", "答案选项", "备选答案", "备选项", "题目选项", "试题选项", "所有选项", "options"),
    # The one-row-per-option layout (yf-exam and its derivatives): which row is a right option.
    "option_right": ("是否正确项", "是否正确", "是否正确答案", "是否答案", "正确项", "是否为正确答案"),
}
_HEADER_LOOKUP = {alias.casefold(): key for key, aliases in _HEADER_ALIASES.items() for alias in aliases}
_OPTION_HEADER = re.compile(r"^(?:选项|option_?)([a-h])$|^([a-h])(?:选项|项目?)?$")
# 答案A, 答案B… or 答案1, 答案2…: one blank's answer per column (fill-in-the-blank sheets).
_ANSWER_PART_HEADER = re.compile(r"^(?:答案|填空答案|空)([a-l]|[1-9]|1[0-2])$")
# “题目（必填）：”, “*题干”, “答案（多选用逗号分隔）”: the marks and notes templates put
# on titles are not part of the name.
_HEADER_NOISE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|[*:]")
# Columns that only number the rows: using nothing from them is not worth reporting.
_NUMBERING_TITLES = frozenset(
    {"序号", "题号", "编号", "题目序号", "试题序号", "题目编号", "试题编号", "no", "no.", "id"}
)

TYPE_NAMES = {
    "单选题": QuestionType.SINGLE,
    "单选": QuestionType.SINGLE,
    "单项选择题": QuestionType.SINGLE,
    "单项选择": QuestionType.SINGLE,
    "单选择题": QuestionType.SINGLE,
    "single": QuestionType.SINGLE,
    "多选题": QuestionType.MULTIPLE,
    "多选": QuestionType.MULTIPLE,
    "多项选择题": QuestionType.MULTIPLE,
    "多项选择": QuestionType.MULTIPLE,
    "不定项选择题": QuestionType.MULTIPLE,
    "不定项选择": QuestionType.MULTIPLE,
    "不定项": QuestionType.MULTIPLE,
    "multiple": QuestionType.MULTIPLE,
    "判断题": QuestionType.TRUE_FALSE,
    "判断": QuestionType.TRUE_FALSE,
    "是非题": QuestionType.TRUE_FALSE,
    "是非": QuestionType.TRUE_FALSE,
    "判断正误": QuestionType.TRUE_FALSE,
    "判断正误题": QuestionType.TRUE_FALSE,
    "判断对错": QuestionType.TRUE_FALSE,
    "对错题": QuestionType.TRUE_FALSE,
    "true_false": QuestionType.TRUE_FALSE,
    "填空题": QuestionType.FILL_BLANK,
    "填空": QuestionType.FILL_BLANK,
    "fill_blank": QuestionType.FILL_BLANK,
    # Subjective: the answer column holds the reference answer.
    **dict.fromkeys(
        ("主观题", "简答题", "简答", "论述题", "论述", "案例分析", "案例分析题", "问答题", "简述题", "subjective"),
        QuestionType.SUBJECTIVE,
    ),
}
# Type names that allow one right answer or several (不定项): a choice question either way.
_OPEN_CHOICE_NAMES = frozenset({"不定项选择题", "不定项选择", "不定项"})
# yf-exam writes its types as numbers in the one-row-per-option layout.
_OPTION_ROWS_TYPE_CODES = {"1": "单选题", "2": "多选题", "3": "判断题"}
TYPE_TITLES = {
    QuestionType.SINGLE: "单选题",
    QuestionType.MULTIPLE: "多选题",
    QuestionType.TRUE_FALSE: "判断题",
    QuestionType.FILL_BLANK: "填空题",
    QuestionType.SUBJECTIVE: "主观题",
}
# What banks write in the answer column of a subjective question when they give no reference answer.
_NO_REFERENCE = {"略", "答案略", "无", "暂无", "见教材", "见解析"}
# Answers that only a true/false question has (a blank answered “×” is a 判断题 typed wrong).
_TRUTH_MARKS = frozenset({"√", "✓", "✔", "×", "✗", "✘", "对", "错", "正确", "错误"})
_TRUE_WORDS = {"正确", "对", "√", "✓", "✔", "是", "t", "true"}
_FALSE_WORDS = {"错误", "错", "×", "✗", "✘", "否", "f", "false"}
_DIFFICULTY_WORDS = {
    "易": 1,
    "容易": 1,
    "简单": 1,
    "较易": 2,
    "较容易": 2,
    "中": 3,
    "中等": 3,
    "适中": 3,
    "一般": 3,
    "较难": 4,
    "难": 5,
    "困难": 5,
}
_LETTER_SEPARATORS = re.compile(r"[\s,、;]+")
_BLANK_SEPARATORS = re.compile(r"[|；;]")
_TAG_SEPARATORS = re.compile(r"[,，、;；/\s]+")
_SPACES = re.compile(r"\s+")
# Cells that a spreadsheet would take for a formula; the exporter puts an
# apostrophe in front of them and the importer takes exactly that one off.
HEADER_SEARCH_ROWS = 10
DEFAULT_DIFFICULTY = 3


ColumnMap = dict[int, str | None]  # column index (0 = A) -> field name, or None to ignore the column


class ImportRefused(ValueError):
    """The whole file is refused (no sheet, missing columns, no questions…); the message is for the user."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class RawRow:
    number: int  # Excel row number (header = 1), or the line number in a text format
    values: dict[str, str]
    label: str = ""  # where a text format's question is ("第 3 题（第 12 行）"): put before its messages
    images: tuple[bytes, ...] = ()  # pictures in the question's paragraphs (Word): the stem's image
    sheet: str = ""  # set when a workbook's questions come from several sheets


@dataclass
class RawTable:
    rows: list[RawRow]
    labels: dict[str, str]  # field -> the column title as written in the file
    source: str = ""
    # Questions a reader already refused (a GIFT matching question, an Aiken
    # question without ANSWER:), and notices about what it did not keep.
    errors: list[RowError] = field(default_factory=list)
    notices: list[RowError] = field(default_factory=list)
    # Read with an explicit column map (``read_file(..., column_map=…)``): every column title of
    # the header row, the first data rows as cells, and the titles of the columns left unmapped.
    mapped_columns: list[str] = field(default_factory=list)
    mapped_samples: list[list[str]] = field(default_factory=list)
    mapped_ignored: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # titles of the columns nothing is read from
    # No type column: each row's type is inferred from its options and answer.
    infer_types: bool = False
    notes: list[RowError] = field(default_factory=list)  # warnings found while reading the file
    sheet_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # per sheet, when rows name one
    # Spreadsheet cells are plain text: ``**`` and inline tags in a stem are stray markup,
    # taken off (GIFT's [html] stems, say, keep theirs).
    plain_cells: bool = False


@dataclass(frozen=True)
class CleanQuestion:
    row: int
    type: str
    stem: str
    options: tuple[str, ...]
    answer: Any
    explanation: str
    difficulty: int
    knowledge_point: str
    industry_tags: str
    post_tags: str
    fingerprint: str
    # Stored fields the source says nothing about (a column the file lacks, or
    # what GIFT/Aiken cannot hold): a re-import leaves them as they are.
    absent: frozenset[str] = frozenset()
    image: bytes = b""  # the stem's picture, checked by core.uploads.check_image


@dataclass
class ParseResult:
    questions: list[CleanQuestion] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # duplicates inside the file
    # Imported, but not all of it: what the file said that is not stored (partial credit…).
    notices: list[RowError] = field(default_factory=list)
    rows: int = 0
    source: str = ""
    ignored_columns: list[str] = field(default_factory=list)  # column titles the import read nothing from
    duplicates: int = 0  # rows repeating an earlier row of the file (each also a warning)


# --- cells ---------------------------------------------------------------------


def clean_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()  # also takes the full-width space (U+3000) and NBSP off
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, float):
        # A number cell holding 119 reads as 119.0: banks mean the text "119".
        return str(int(value)) if value.is_integer() else repr(value)
    elif hasattr(value, "isoformat"):
        return value.isoformat()
    else:
        text = str(value).strip()
    if text[:1] == "'":
        return unneutralise(text)
    return text


@lru_cache(maxsize=1024)
def type_of(raw: str) -> str | None:
    return TYPE_NAMES.get(unicodedata.normalize("NFKC", raw).strip().casefold())


# Full-width ASCII (（）：，；？！ＡＢ…) and the ideographic space, mapped as NFKC maps them: after
# this, most Chinese text is already in NFKC, which ``is_normalized`` checks far faster than
# ``normalize`` rewrites it (100k stems and options: the largest part of validating a bank).
_FULL_WIDTH = {chr(c): unicodedata.normalize("NFKC", chr(c)) for c in (*range(0xFF01, 0xFF5F), 0x3000)}
_FULL_WIDTH_CHAR = re.compile("[\uff01-\uff5e\u3000]")


def _half_width(match: re.Match[str]) -> str:
    return _FULL_WIDTH[match.group()]


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster on Chinese text (the same result)."""
    if text.isascii():
        return text
    mapped = _FULL_WIDTH_CHAR.sub(_half_width, text)
    return mapped if unicodedata.is_normalized("NFKC", mapped) else unicodedata.normalize("NFKC", mapped)


def normalise_for_fingerprint(text: str) -> str:
    return _SPACES.sub(" ", nfkc(text)).strip()


def fingerprint(qtype: str, stem: str, options: Iterable[str], answer: Any, *, image: bytes | None = None) -> str:
    """What makes two questions of a bank the same question (unique per bank).

    A choice question is its stem and options: a re-import with another key
    corrects the key of the stored question (an update). A fill-in question
    has no options, so its answer is part of what it is: 该标志的名称是____
    asked of two pictures is two questions. Migration 0003 recomputed the
    stored fingerprints when the answer came in; keep it in step with this."""
    parts = [qtype, normalise_for_fingerprint(stem), *(normalise_for_fingerprint(o) for o in options)]
    if qtype == QuestionType.FILL_BLANK:
        parts.append("\x1e" + fill_blank_key(answer))
    if image:  # the same words about another picture (a Word bank's sign) are another question
        parts.append("\x1d" + hashlib.sha256(image).hexdigest())
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def fill_blank_key(answer: Any) -> str:
    """A fill-in answer as grading sees it: per blank, the set of accepted
    alternatives compared without case, width or spacing differences."""
    if not isinstance(answer, list):
        return normalise_for_fingerprint(str(answer)).casefold()
    blanks = []
    for blank in answer:
        alternatives = blank if isinstance(blank, list) else [blank]
        blanks.append("/".join(sorted({normalise_for_fingerprint(str(a)).casefold() for a in alternatives})))
    return "|".join(blanks)


# --- answers -------------------------------------------------------------------


@lru_cache(maxsize=4096)
def truth_of(text: str) -> bool | None:
    word = unicodedata.normalize("NFKC", text).strip().casefold()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None


@lru_cache(maxsize=4096)
def parse_letters(raw: str) -> tuple[str, ...] | None:
    """``"a、c"``, ``"ＡＢ"``, ``"A，C"`` → ``("A", "C")``; None when it isn't letters A–H."""
    text = _LETTER_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw).upper())
    if not text or any(c not in OPTION_LETTERS for c in text):
        return None
    return tuple(sorted(set(text)))


def parse_blanks(raw: str) -> list[list[str]]:
    blanks = []
    for part in _BLANK_SEPARATORS.split(raw):
        alternatives = [a.strip() for a in part.split("/")]
        blanks.append([a for a in alternatives if a])
    return blanks


def answer_text(qtype: str, answer: Any) -> str:
    """The canonical written form of an answer, as exported."""
    if qtype == QuestionType.TRUE_FALSE:
        return "正确" if answer else "错误"
    if qtype == QuestionType.FILL_BLANK:
        return "|".join("/".join(blank) for blank in answer)
    return str(answer)  # choice letters, or a subjective question's reference answer


def edit_values(fields: Mapping[str, Any]) -> dict[str, str]:
    """The import-layout cells of a question edited by its model fields (the answer as ``answer_text``,
    the options as a list): the admin and the API check edits with the importer's own rules."""
    difficulty = fields.get("difficulty")
    values = {
        "type": fields.get("type", ""),
        "stem": fields.get("stem", ""),
        "answer": fields.get("answer_text", ""),
        "explanation": fields.get("explanation", ""),
        "difficulty": "" if difficulty is None else str(difficulty),  # none given: the default; 0 is refused
        "knowledge_point": fields.get("knowledge_point", ""),
        "industry": fields.get("industry_tags", ""),
        "post": fields.get("post_tags", ""),
    }
    values.update(zip(OPTION_FIELDS, (str(o) for o in fields.get("options") or []), strict=False))
    return values


def parse_answer(qtype: str, raw: str, options: list[str]) -> tuple[Any, str | None]:
    """(canonical answer, None) or (None, the reason it is wrong)."""
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        letters = parse_letters(raw)
        if letters is None:
            return None, _("The answer “%(answer)s” is not made of option letters A–H.") % {"answer": raw}
        missing = [c for c in letters if OPTION_LETTERS.index(c) >= len(options)]
        if missing:
            return None, _("The answer names option %(letters)s, which the question does not have.") % {
                "letters": "、".join(missing)
            }
        if qtype == QuestionType.SINGLE and len(letters) != 1:
            return None, _("A single-choice question has exactly one answer; “%(answer)s” gives %(count)d.") % {
                "answer": raw,
                "count": len(letters),
            }
        if qtype == QuestionType.MULTIPLE and len(letters) < 2:
            return None, _("A multiple-choice question has at least two answers; “%(answer)s” gives one.") % {
                "answer": raw
            }
        return "".join(letters), None
    if qtype == QuestionType.TRUE_FALSE:
        truth = truth_of(raw)
        if truth is None and options:
            letters = parse_letters(raw)
            if letters and len(letters) == 1 and OPTION_LETTERS.index(letters[0]) < len(options):
                truth = truth_of(options[OPTION_LETTERS.index(letters[0])])
        if truth is None:
            return None, _("“%(answer)s” is not a true/false answer (正确/错误, 对/错, √/×, T/F…).") % {"answer": raw}
        return truth, None
    if qtype == QuestionType.SUBJECTIVE:
        return raw, None  # the reference answer, as written (the caller has checked it is not empty)
    blanks = parse_blanks(raw)
    if any(not blank for blank in blanks):
        return None, _("Every blank needs an answer; “%(answer)s” has an empty one.") % {"answer": raw}
    return blanks, None


# --- options in one cell, blanks, markup -------------------------------------------

# Full-width letters and marks read as their ASCII forms, one character for one
# character, so positions found in the translated text cut the original.
_OPTION_MARK_WIDTH = str.maketrans(
    {**{chr(0xFF21 + i): chr(65 + i) for i in range(8)}, **{chr(0xFF41 + i): chr(97 + i) for i in range(8)}}
    | {"．": ".", "：": ":", "（": "(", "）": ")", "、": ",", "，": ",", "\u3000": " "}
)
# “A.”, “A、”, “A．”, “A:”, “(A)”, “A)”: a letter followed by its mark.
_OPTION_MARK = re.compile(r"\(?([A-Ha-h])\s*[.,:)]\s*")
# The same mark at the start or after a separator: where the options of a well-formed cell begin.
_OPTION_CUT = re.compile(r"(?:^|(?<=[ \t\r\n\xa0;；|,，、*)]))\(?([A-Ha-h])\s*[.,:)]\s*")
_OPTION_SEPARATORS = " \t\r\n\u3000\xa0;；|,，、*"
_MARKUP = re.compile(r"\*\*|</?(?:b|strong|i|em|u|span|p|div|font)(?:\s[^<>]*)?>", re.IGNORECASE)
_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
# A stem pasted from a list (“* 下列…”, “** 下列…”): the bullet is no part of it.
_LEADING_BULLET = re.compile(r"^\*+\s+")


def strip_markup(text: str, joiner: str = "") -> str:
    """``**bold**`` and simple inline HTML tags off; ``<br>`` as a line break. Other text is kept."""
    if "*" not in text and "<" not in text:
        return text
    return _MARKUP.sub(joiner, _LINE_BREAK_TAG.sub("\n", text)).strip()


def split_options(cell: str) -> list[str] | None:
    """``"A.正确 B.错误"``, ``"A、甲\\nB、乙"``, ``"A．甲；B．乙"``, ``"**A.x**B.y"`` → the option texts.

    The letters must start the cell and follow each other A, B, C… (a “B.” inside
    an option's text further on is text); None when the cell is not laid out so.
    """
    text = strip_markup(cell, " ")
    marks = text.translate(_OPTION_MARK_WIDTH)
    # Fast path (one scan): every mark found is the next letter, A, B, C….
    cuts = list(_OPTION_CUT.finditer(marks))
    if (
        len(cuts) >= 2
        and cuts[0].start() == 0
        and "".join(c.group(1) for c in cuts).upper() == OPTION_LETTERS[: len(cuts)]
    ):
        return _cut_options(text, cuts)
    first = _OPTION_MARK.match(marks)
    if first is None or first.group(1).upper() != "A":
        return None
    cuts = [first]
    position = first.end()
    while len(cuts) < len(OPTION_LETTERS):
        expected = OPTION_LETTERS[len(cuts)]
        found = None
        for match in _OPTION_MARK.finditer(marks, position):
            if match.group(1).upper() != expected:
                continue
            before = marks[match.start() - 1] if match.start() else " "
            if before in _OPTION_SEPARATORS or before == ")":
                found = match
                break
        if found is None:
            break
        cuts.append(found)
        position = found.end()
    if len(cuts) < 2:
        return None
    return _cut_options(text, cuts)


def _cut_options(text: str, cuts: list[re.Match[str]]) -> list[str] | None:
    options = []
    for index, cut in enumerate(cuts):
        end = cuts[index + 1].start() if index + 1 < len(cuts) else len(text)
        option = text[cut.end() : end].strip(_OPTION_SEPARATORS)
        if not option:
            return None
        options.append(option)
    return options


# Where real banks write a blank in the stem: ____ or _ ; _(1)_ or （1）; （ ） or ( );
# ( 、 、 ) for as many blanks as it has parts. Without any of these, runs of
# spaces are the blanks (but not beside them: those are a sloppy layout).
_BLANK_MARK = re.compile(
    r"_*[(（]\s*\d{1,2}\s*[)）][_\s\u3000]*"
    r"|[\s\u3000]*_+[_\s\u3000]*"
    r"|[(（][\s\u3000\xa0、，,]*[)）][\s\u3000]*"
)
_BLANK_SPACES = re.compile(r"[ \u3000\xa0]{3,}")
_BLANK_PARTS = re.compile(r"[、，,]")
# An answer written as one cell for several blanks: “全部带有电压、一部分带有电压、一经操作即带有电压”;
# tried in this order, the first that gives one answer a blank wins.
_BLANK_ANSWER_SEPARATORS = (
    re.compile(r"\s*、\s*"),
    re.compile(r"\s*[；;]\s*"),
    re.compile(r"\s*[，,]\s*"),
    re.compile(r"\s{2,}"),
)


def count_blanks(stem: str) -> int:
    count = 0
    for match in _BLANK_MARK.finditer(stem):
        mark = match.group()
        count += 1 + (len(_BLANK_PARTS.findall(mark)) if mark.lstrip()[:1] in "(（" else 0)
    return count or len(_BLANK_SPACES.findall(stem.strip()))


@lru_cache(maxsize=1024)
def parse_difficulty(raw: str) -> int | None:
    if not raw:
        return DEFAULT_DIFFICULTY
    text = unicodedata.normalize("NFKC", raw).strip()
    if text in _DIFFICULTY_WORDS:
        return _DIFFICULTY_WORDS[text]
    try:
        number = float(text)
    except ValueError:
        return None
    if number.is_integer() and 1 <= number <= 5:
        return int(number)
    return None


@lru_cache(maxsize=4096)
def join_tags(raw: str) -> str:
    tags = [t for t in _TAG_SEPARATORS.split(raw) if t]
    return "、".join(dict.fromkeys(tags))


# --- validation ----------------------------------------------------------------


_OPTIONAL_KEYS = {
    "explanation": "explanation",
    "difficulty": "difficulty",
    "knowledge_point": "knowledge_point",
    "industry": "industry_tags",
    "post": "post_tags",
}
_NOTHING_ABSENT: frozenset[str] = frozenset()


_ABSENT_BY_KEYS: dict[tuple[str, ...], frozenset[str]] = {}


def _absent(values: dict[str, str]) -> frozenset[str]:
    """The optional model fields the file has no column for (an update leaves them alone).

    The rows of one reader share their keys, so the answer is kept per key tuple."""
    keys = tuple(values)
    found = _ABSENT_BY_KEYS.get(keys)
    if found is None:
        found = frozenset(name for key, name in _OPTIONAL_KEYS.items() if key not in values) or _NOTHING_ABSENT
        if len(_ABSENT_BY_KEYS) < 256:
            _ABSENT_BY_KEYS[keys] = found
    return found


_TITLES = {**COLUMN_TITLES, "options": "选项"}


def _add_error(errors: list[RowError], row: int, label: Callable[[str, str], str], key: str, message: str) -> None:
    errors.append(RowError(row, label(key, _TITLES.get(key, key)), message))


def _sheet_label(label: Callable[[str, str], str], sheet: str) -> Callable[[str, str], str]:
    # Excel's own way of naming a cell range on another sheet: 多选题!答案.
    return lambda key, default: f"{sheet}!{label(key, default)}"


def options_type(options: list[str], answer: str) -> str:
    """The type title of a question with options but no type given: true/false when its
    two options are a true and a false, multiple when keyed by several letters, else single."""
    truths = [truth_of(o) for o in options]
    if len(options) == 2 and None not in truths and truths[0] != truths[1]:
        return TYPE_TITLES[QuestionType.TRUE_FALSE]
    letters = parse_letters(answer)
    return TYPE_TITLES[QuestionType.MULTIPLE if letters and len(letters) > 1 else QuestionType.SINGLE]


def _inferred_type(options: list[str], answer_raw: str) -> str:
    """The type of a row in a file without a type column, read off its options and answer."""
    if options:
        return options_type(options, answer_raw)
    if truth_of(answer_raw) is not None:
        return TYPE_TITLES[QuestionType.TRUE_FALSE]
    return TYPE_TITLES[QuestionType.FILL_BLANK]


def _check_blanks(stem: str, answer: list[list[str]]) -> tuple[list[list[str]], str | None]:
    """The answer matched to the blanks of the stem, or the message saying they don't match.

    A stem without a blank mark asks for one answer. An answer written as one
    piece for several blanks (“甲、乙、丙” for three blanks) is cut at its
    separators when that gives exactly one answer a blank.
    """
    blanks = count_blanks(stem)
    if len(answer) == max(blanks, 1):
        return answer, None
    if blanks > 1 and len(answer) == 1 and len(answer[0]) == 1:
        for separator in _BLANK_ANSWER_SEPARATORS:
            parts = [part for part in separator.split(answer[0][0]) if part]
            if len(parts) == blanks:
                return [[part] for part in parts], None
    return answer, _(
        "The stem has %(blanks)d blank(s) but the answer gives %(answers)d: write one answer per blank, separated by |."
    ) % {"blanks": blanks, "answers": len(answer)}


def validate(table: RawTable, progress: Callable[[float], None] | None = None) -> ParseResult:
    """Check every row; return the clean questions, the row errors and the in-file duplicates."""
    result = ParseResult(source=table.source, errors=list(table.errors), ignored_columns=list(table.ignored))
    result.rows = len({e.row for e in table.errors})  # questions a text reader already refused
    result.warnings.extend(table.notes)
    seen: dict[str, int] = {}
    # Per fingerprint: the first row's number, answer, row and labels; and the questions keyed two ways.
    keys: dict[str, list[tuple[int, Any, RawRow, Callable[[str, str], str]]]] = {}
    conflicted: set[str] = set()
    repeats: dict[str, list[RowError]] = {}  # per fingerprint, the "duplicate of row N" warnings given
    label = table.labels.get
    sheet_labels: dict[str, Callable[[str, str], str]] = {}
    total = len(table.rows)
    step = max(total // 20, 1)
    # Answers repeat a lot ("A", "正确"…): parse each distinct one once per file.
    answers: dict[tuple[Any, ...], tuple[Any, str | None]] = {}
    for index, raw in enumerate(table.rows):
        if progress is not None and index % step == 0:
            progress(index / max(total, 1))
        values = raw.values
        if not any(values.values()):
            continue  # a blank row
        result.rows += 1
        row_errors: list[RowError] = []
        row_label = label
        if raw.sheet:
            row_label = sheet_labels.get(raw.sheet) or sheet_labels.setdefault(
                raw.sheet, _sheet_label(table.sheet_labels.get(raw.sheet, table.labels).get, raw.sheet)
            )
        error = partial(_add_error, row_errors, raw.number, row_label)

        stem = values.get("stem", "")
        if table.plain_cells and ("*" in stem or "<" in stem):
            stem = _LEADING_BULLET.sub("", strip_markup(stem))
        answer_raw = values.get("answer", "")

        options: list[str] = []
        gap = gapped = False
        for key in OPTION_FIELDS:
            text = values.get(key, "")
            if text:
                if gap:
                    error(key, _("Options must be filled in order A, B, C… without gaps."))
                    gapped = True
                    break
                options.append(text)
            else:
                gap = True
        if not options and not gapped and values.get("options"):
            split = split_options(values["options"])
            if split is None:
                error(
                    "options",
                    _("The options cell “%(options)s” could not be split into options A., B., C….")
                    % {"options": values["options"][:60]},
                )
                gapped = True
            else:
                options = split

        type_raw = values.get("type", "")
        if not type_raw and table.infer_types and "type" not in values:
            type_raw = _inferred_type(options, answer_raw)
        qtype = type_of(type_raw) if type_raw else None
        if not type_raw:
            error("type", _("The type is empty."))
        elif qtype is None:
            error(
                "type",
                _("Unknown question type “%(type)s”: use 单选题, 多选题, 判断题, 填空题 or 简答题.")
                % {"type": type_raw},
            )
        if not stem:
            error("stem", _("The stem is empty."))
        if not answer_raw:
            if qtype == QuestionType.SUBJECTIVE:
                error("answer", _("A subjective question needs its reference answer in the answer column."))
            else:
                error("answer", _("The answer is empty."))
        # 不定项选择题 may have one right answer: a single-choice question, said so.
        open_single = False
        if qtype == QuestionType.MULTIPLE and type_raw.strip() in _OPEN_CHOICE_NAMES:
            letters = parse_letters(answer_raw)
            if letters is not None and len(letters) == 1:
                qtype, open_single = QuestionType.SINGLE, True

        if not gapped and _answer_in_option_a(qtype, options, answer_raw):
            # Some systems keep the answer of a question without options (填空题, 简答题) in
            # option A and answer “A”: the option's text is the answer.
            answer_raw, options = options[0], []
            result.warnings.append(
                RowError(
                    raw.number,
                    row_label("answer", COLUMN_TITLES["answer"]),
                    _("The answer of this question is taken from option A, where the file keeps it."),
                )
            )
        answer: Any = None
        if gapped:
            pass
        elif qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE) and len(options) < 2:
            error("option_b", _("A choice question needs at least two options."))
        elif qtype == QuestionType.TRUE_FALSE and options:
            truths = [truth_of(o) for o in options]
            if len(options) != 2 or None in truths or truths[0] == truths[1]:
                error("option_a", _("A true/false question takes no options other than 正确 and 错误."))
        elif qtype == QuestionType.FILL_BLANK and options:
            if parse_letters(answer_raw):
                error(
                    "option_a",
                    _(
                        "The type says %(type)s but the row has options and the answer “%(answer)s” names "
                        "option letters: is it a choice question? Correct the type."
                    )
                    % {"type": type_raw, "answer": answer_raw},
                )
            else:
                error("option_a", _("A fill-in-blank question has no options."))
        elif qtype == QuestionType.FILL_BLANK and answer_raw in _TRUTH_MARKS:
            error(
                "answer",
                _("The type says %(type)s but the answer “%(answer)s” is a true/false answer: is it 判断题?")
                % {"type": type_raw, "answer": answer_raw},
            )
        elif qtype == QuestionType.SUBJECTIVE and options:
            error(
                "option_a",
                _(
                    "A subjective question (简答题, 论述题, 案例分析…) has no options: its answer is the reference answer."
                ),
            )
        if qtype == QuestionType.SUBJECTIVE and answer_raw and not row_errors:
            if unicodedata.normalize("NFKC", answer_raw).strip("（）()。. ") in _NO_REFERENCE:
                error(
                    "answer",
                    _("“%(answer)s” is not a reference answer: a learner would compare their answer with nothing.")
                    % {"answer": answer_raw},
                )
            answer = answer_raw  # the reference answer: too varied to be worth caching
        elif qtype is not None and answer_raw and not row_errors:
            key = (qtype, answer_raw, tuple(options) if qtype == QuestionType.TRUE_FALSE else len(options))
            parsed_answer = answers.get(key)
            if parsed_answer is None:
                parsed_answer = answers[key] = parse_answer(qtype, answer_raw, options)
            answer, message = parsed_answer
            if not message and qtype == QuestionType.FILL_BLANK:
                answer, message = _check_blanks(stem, answer)
            if message:
                error("answer", message)

        difficulty = parse_difficulty(values.get("difficulty", ""))
        if difficulty is None:
            error(
                "difficulty",
                _("Difficulty “%(value)s” is not 1–5, 易/较易/中/较难/难 or 简单/一般/困难.")
                % {"value": values.get("difficulty", "")},
            )
        knowledge_point = values.get("knowledge_point", "")
        if len(knowledge_point) > 200:
            error("knowledge_point", _("The knowledge point is longer than 200 characters."))
        industry = join_tags(values.get("industry", ""))
        post = join_tags(values.get("post", ""))
        if len(industry) > 255:
            error("industry", _("The industry tags are longer than 255 characters."))
        if len(post) > 255:
            error("post", _("The post tags are longer than 255 characters."))

        image = _stem_image(raw, error)

        if row_errors:
            result.errors.extend(_placed(raw, row_errors))
            continue
        assert qtype is not None
        if qtype == QuestionType.TRUE_FALSE:
            options = []  # 正确/错误 are implied; storing them would split one question in two
        fp = fingerprint(qtype, stem, options, answer, image=image)
        first = seen.get(fp)
        if first is not None:
            rows_of_fp = keys[fp]
            first_answer = rows_of_fp[0][1]
            rows_of_fp.append((raw.number, answer, raw, row_label))
            if fp in conflicted or (first_answer != answer and qtype != QuestionType.SUBJECTIVE):
                conflicted.add(fp)  # the same question keyed two ways: which key is right is not ours to guess
                continue
            if first_answer != answer:
                message = _(
                    "Duplicate of row %(row)d in this file with another reference answer; imported once, "
                    "with the reference answer of row %(row)d."
                ) % {"row": first}
            else:
                message = _("Duplicate of row %(row)d in this file; imported once.") % {"row": first}
            repeat = _placed(raw, [RowError(raw.number, row_label("stem", COLUMN_TITLES["stem"]), message)])
            result.warnings.extend(repeat)
            repeats.setdefault(fp, []).extend(repeat)
            result.duplicates += 1
            continue
        seen[fp] = raw.number
        keys[fp] = [(raw.number, answer, raw, row_label)]
        if open_single:
            result.warnings.append(
                RowError(
                    raw.number,
                    row_label("type", COLUMN_TITLES["type"]),
                    _("“%(type)s” with one right answer is stored as a single-choice question.") % {"type": type_raw},
                )
            )
        result.questions.append(
            CleanQuestion(
                row=raw.number,
                type=str(qtype),
                stem=stem,
                options=tuple(options),
                answer=answer,
                explanation=values.get("explanation", ""),
                difficulty=difficulty,  # type: ignore[arg-type]
                knowledge_point=knowledge_point,
                industry_tags=industry,
                post_tags=post,
                fingerprint=fp,
                absent=_absent(values),
                image=image,
            )
        )
    if result.rows == 0:
        raise ImportRefused(_("The file has a header but no questions."))
    if conflicted:
        _refuse_conflicting_keys(
            result,
            {fp: keys[fp] for fp in conflicted},
            [warning for fp in conflicted for warning in repeats.get(fp, [])],
        )
    if table.errors or conflicted:
        result.errors.sort(key=lambda e: e.row)
    refused = {e.row for e in result.errors}
    result.notices = [n for n in table.notices if n.row not in refused]
    return result


def _refuse_conflicting_keys(
    result: ParseResult,
    conflicts: dict[str, list[tuple[int, Any, RawRow, Callable[[str, str], str]]]],
    repeat_warnings: list[RowError],
) -> None:
    """Every row of a question that the file keys in two ways is an error naming the other rows and
    their answers; none of them is imported, nor counted as a duplicate (``repeat_warnings``: the
    "duplicate of row N" warnings given to its repeats before the other key showed up)."""
    result.questions = [q for q in result.questions if q.fingerprint not in conflicts]
    withdrawn = {id(warning) for warning in repeat_warnings}
    result.duplicates -= len(withdrawn)
    result.warnings = [w for w in result.warnings if id(w) not in withdrawn]
    for entries in conflicts.values():
        for number, _answer, raw, row_label in entries:
            others = "；".join(
                _("row %(row)d: “%(answer)s”") % {"row": n, "answer": _answer_shown(a)}
                for n, a, _raw, _label in entries
                if n != number
            )
            message = _(
                "The same question is in this file with another answer (%(others)s); the key is unclear, so none "
                "of them is imported: correct the key."
            ) % {"others": others}
            result.errors.extend(
                _placed(raw, [RowError(number, row_label("answer", COLUMN_TITLES["answer"]), message)])
            )


def _answer_shown(answer: Any) -> str:
    if isinstance(answer, bool):
        return "正确" if answer else "错误"
    if isinstance(answer, list):
        return "|".join("/".join(str(a) for a in blank) if isinstance(blank, list) else str(blank) for blank in answer)
    return str(answer)


def _answer_in_option_a(qtype: QuestionType | None, options: list[str], answer_raw: str) -> bool:
    """Whether a question of a type without options (fill-in, subjective) has one option only and
    the answer “A” (a layout some exam systems export: the option holds the answer). Several
    options with a letter answer look like a mistyped choice question: that stays an error."""
    if qtype not in (QuestionType.FILL_BLANK, QuestionType.SUBJECTIVE) or len(options) != 1:
        return False
    return parse_letters(answer_raw) == ("A",)


def _stem_image(raw: RawRow, error: Callable[[str, str], None]) -> bytes:
    if not raw.images:
        return b""
    if len(raw.images) > 1:
        error(
            "stem",
            _("The question has %(count)d pictures; only one picture (the stem's) can be stored per question.")
            % {"count": len(raw.images)},
        )
        return b""
    try:
        check_image(raw.images[0])
    except UploadRejected as exc:
        error("stem", str(exc))
        return b""
    return raw.images[0]


def _placed(raw: RawRow, errors: list[RowError]) -> list[RowError]:
    if not raw.label:
        return errors
    return [
        RowError(e.row, e.column, _("%(where)s: %(message)s") % {"where": raw.label, "message": e.message})
        for e in errors
    ]


# --- spreadsheets --------------------------------------------------------------


def _header_text(title: str) -> str:
    return _HEADER_NOISE.sub("", _SPACES.sub("", unicodedata.normalize("NFKC", title))).casefold()


def _header_key(title: str) -> str | None:
    text = _header_text(title)
    if text in _HEADER_LOOKUP:
        return _HEADER_LOOKUP[text]
    match = _OPTION_HEADER.match(text)
    if match:
        return f"option_{match.group(1) or match.group(2)}"
    match = _ANSWER_PART_HEADER.match(text)
    if match:
        part = match.group(1)
        return f"answer_{int(part) if part.isdigit() else ord(part) - 96:02d}"
    return None


def _map_header(cells: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _header_key(cell)
        if key is not None and key not in mapping:
            mapping[key] = index
    return mapping


def _answer_columns(mapping: dict[str, int]) -> list[int]:
    """The 答案A, 答案B… columns, in blank order; used only when there is no 答案 column."""
    if "answer" in mapping:
        return []
    return [mapping[key] for key in sorted(k for k in mapping if k.startswith("answer_"))]


def _is_header(mapping: dict[str, int]) -> bool:
    return "stem" in mapping and ("answer" in mapping or "option_right" in mapping or bool(_answer_columns(mapping)))


def _find_header(grid: list[list[Any]]) -> tuple[int, dict[str, int]]:
    """The header row among the first rows, and its field → column index mapping.

    A title row above the header (a merged title, or a lone cell such as 试题)
    holds one value: it is never taken for the header, even when its text is a
    column name.
    """
    best_at, best = 0, {}
    for at, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        titles = [clean_cell(c) for c in cells]
        if sum(1 for t in titles if t) < 2:
            continue
        candidate = _map_header(titles)
        if _is_header(candidate):
            return at, candidate
        if len(candidate) > len(best) or ("stem" in candidate and "stem" not in best):
            best_at, best = at, candidate
    return best_at, best


def _titles_found(grid: list[list[Any]], header_at: int, mapping: dict[str, int]) -> str:
    """The cells of the title rows and of the row taken for the header (not the questions below it)."""
    if not mapping:
        header_at = next(
            (at for at, cells in enumerate(grid[:HEADER_SEARCH_ROWS]) if sum(1 for c in cells if clean_cell(c)) >= 2),
            0,
        )
    titles: list[str] = []
    for cells in grid[: header_at + 1]:
        for cell in cells:
            text = _SPACES.sub(" ", clean_cell(cell))
            if text and text not in titles:
                titles.append(text[:20] + ("…" if len(text) > 20 else ""))
    return "、".join(f"“{t}”" for t in titles[:30]) or _("none")


def _refuse_header(grid: list[list[Any]], header_at: int, mapping: dict[str, int]) -> None:
    """Refuse a file without a stem and an answer column (a missing type column is inferred, row by row)."""
    found = _titles_found(grid, header_at, mapping)
    if "stem" not in mapping:
        raise ImportRefused(
            _(
                "No header row found: none of the first %(rows)d rows names the columns 题型, 题干 and 答案. "
                "Titles found: %(titles)s."
            )
            % {"rows": HEADER_SEARCH_ROWS, "titles": found}
        )
    missing = [COLUMN_TITLES["answer"]] if not _is_header(mapping) else []
    if missing:
        raise ImportRefused(
            _("Required columns are missing: %(columns)s. The first row must name the columns (题型, 题干, 答案…).")
            % {"columns": "、".join(missing)}
            + " "
            + _("Titles found: %(titles)s.") % {"titles": found}
        )


def _ignored_titles(grid: list[list[Any]], header_at: int, used: Iterable[int], *, prefix: str = "") -> list[str]:
    """Titles of the columns that hold data the import does not read (numbering columns aside)."""
    used = set(used)
    header = grid[header_at]
    ignored = []
    for index, cell in enumerate(header):
        title = clean_cell(cell)
        if index in used or not title or _header_text(title) in _NUMBERING_TITLES:
            continue
        if any(index < len(row) and clean_cell(row[index]) for row in grid[header_at + 1 :]):
            ignored.append(prefix + title)
    return ignored


def rows_to_table(
    grid: list[list[Any]],
    *,
    source: str = "",
    first_row_number: int = 1,
    merged: Iterable[tuple[tuple[int, int], tuple[int, int]]] = (),
    sheet: str = "",
    sheet_type: str = "",
    column_map: ColumnMap | None = None,
) -> RawTable:
    """Find the header in the first rows of a grid of cells and key every row below it by field.

    ``sheet``/``sheet_type``: the rows come from one of several sheets, named
    by their question type (a sheet 单选题 without a type column holds 单选题).
    With ``column_map`` (column index -> field or None) the header's titles are
    not interpreted: see ``mapped_table``.
    """
    if not grid:
        raise ImportRefused(_("The file is empty."))
    if column_map is not None:
        _apply_merged_mapped(grid, list(merged))
        return mapped_table(grid, column_map, source=source, first_row_number=first_row_number)
    header_at, mapping = _find_header(grid)
    _refuse_header(grid, header_at, mapping)
    infer_types = "type" not in mapping and not sheet_type and "option_right" not in mapping
    _apply_merged(grid, list(merged), header_at)
    header_cells = grid[header_at]
    if "option_right" in mapping:
        return _option_rows_table(grid, header_at, mapping, source=source, first_row_number=first_row_number)
    mapping.pop("option_right", None)
    parts = _answer_columns(mapping)
    items = [(key, index) for key, index in mapping.items() if key in _ROW_KEYS]
    labels = {key: clean_cell(header_cells[index]) for key, index in items}
    if parts:
        labels["answer"] = clean_cell(header_cells[parts[0]])
    ignored = _ignored_titles(grid, header_at, [i for _k, i in items] + parts, prefix=f"{sheet}!" if sheet else "")
    rows = []
    for offset, cells in enumerate(grid[header_at + 1 :], start=header_at + 1 + first_row_number):
        width = len(cells)
        values = {key: clean_cell(cells[index]) if index < width else "" for key, index in items}
        if parts:
            answers = [clean_cell(cells[i]) if i < width else "" for i in parts]
            values["answer"] = "|".join(a for a in answers if a)
        if sheet_type and "type" not in mapping and any(values.values()):
            values["type"] = sheet_type
        rows.append(RawRow(offset, values, sheet=sheet))
    if not any(any(r.values.values()) for r in rows):
        raise ImportRefused(_("The file has a header but no questions."))
    notes = []
    if infer_types:
        notes.append(
            RowError(
                header_at + first_row_number,
                COLUMN_TITLES["type"],
                _(
                    "The file has no type column: each question's type is read from its options and answer "
                    "(正确/错误 → 判断题, several letters → 多选题, one letter → 单选题, no options → 填空题)."
                ),
            )
        )
    return RawTable(
        rows=rows,
        labels=labels,
        source=source,
        ignored=ignored,
        infer_types=infer_types,
        notes=notes,
        plain_cells=True,
    )


_ROW_KEYS = frozenset((*FIELDS, "options"))
_RIGHT_MARKS = frozenset({"1", "y", "yes"})


def _option_rows_table(
    grid: list[list[Any]], header_at: int, mapping: dict[str, int], *, source: str, first_row_number: int
) -> RawTable:
    """One row per option (yf-exam and its derivatives): 题目序号, 题目类型, 题目内容, 整体解析,
    是否正确项, 选项内容…; the rows of one question share its number, and its text
    stands in its first row. Each question becomes one row of the usual layout."""
    header_cells = grid[header_at]
    text_at = mapping.get("options")
    if text_at is None:
        raise ImportRefused(
            _(
                "This file is in the one-row-per-option layout (yf-exam): it needs a 选项内容 column "
                "next to 是否正确项; none was found."
            )
        )
    group_at = next((i for i, c in enumerate(header_cells) if _header_text(clean_cell(c)) in _NUMBERING_TITLES), None)
    right_at = mapping["option_right"]
    kept = {
        key: mapping[key] for key in ("type", "stem", "explanation", "difficulty", "knowledge_point") if key in mapping
    }
    labels = {key: clean_cell(header_cells[index]) for key, index in kept.items()}
    labels["answer"] = clean_cell(header_cells[right_at])
    labels["options"] = clean_cell(header_cells[text_at])
    used = [*kept.values(), text_at, right_at, *([group_at] if group_at is not None else [])]
    rows: list[RawRow] = []
    notes: list[RowError] = []
    current: dict[str, Any] | None = None

    def cell(cells: list[Any], index: int | None) -> str:
        return clean_cell(cells[index]) if index is not None and index < len(cells) else ""

    def close() -> None:
        if current is None:
            return
        options, right = current["options"], current["right"]
        if len(options) > len(OPTION_LETTERS):
            notes.append(
                RowError(
                    current["row"],
                    labels["options"],
                    _("The question has %(count)d options; only the first %(max)d are kept.")
                    % {"count": len(options), "max": len(OPTION_LETTERS)},
                )
            )
        values = {**current["values"], **_letters_options(options)}
        values["answer"] = "".join(OPTION_LETTERS[i] for i in right if i < len(OPTION_LETTERS))
        code = values.get("type", "")
        values["type"] = _OPTION_ROWS_TYPE_CODES.get(code, code)
        rows.append(RawRow(current["row"], values))

    for offset, cells in enumerate(grid[header_at + 1 :], start=header_at + 1 + first_row_number):
        group = cell(cells, group_at)
        stem = cell(cells, kept.get("stem"))
        text = cell(cells, text_at)
        if not (group or stem or text):
            continue
        new = current is None or (group and group != current["group"]) or (not group and stem)
        if new:
            close()
            current = {
                "row": offset,
                "group": group,
                "values": {key: cell(cells, index) for key, index in kept.items()},
                "options": [],
                "right": [],
            }
        assert current is not None
        if text:
            if _is_right_mark(cell(cells, right_at)):
                current["right"].append(len(current["options"]))
            current["options"].append(text)
    close()
    if not rows:
        raise ImportRefused(_("The file has a header but no questions."))
    notes.insert(
        0,
        RowError(
            header_at + first_row_number,
            labels["answer"],
            _("One-row-per-option layout (yf-exam) recognised: the rows of each question were joined into one."),
        ),
    )
    return RawTable(
        rows=rows,
        labels=labels,
        source=source,
        ignored=_ignored_titles(grid, header_at, used),
        notes=notes,
        plain_cells=True,
    )


def _is_right_mark(value: str) -> bool:
    return value.casefold() in _RIGHT_MARKS or truth_of(value) is True


def _cell_name(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _choose_sheet(names: list[str]) -> str:
    for name in names:
        if name.strip() == "题库" or name.strip().casefold() == "questions":
            return name
    if not names:
        raise ImportRefused(_("The workbook has no sheets."))
    return names[0]


# Sheets named by a type we do not keep still hold questions (they are refused by name, row by row).
_OTHER_TYPE_SHEETS = ("问答题", "简答题", "论述题", "案例分析", "案例分析题", "简述题", "计算题", "综合题")


def _is_type_sheet(name: str) -> bool:
    text = unicodedata.normalize("NFKC", name).strip()
    return type_of(text) is not None or text.endswith(_OTHER_TYPE_SHEETS)


def read_xlsx(data: bytes, source: str = "", column_map: ColumnMap | None = None) -> RawTable:
    """Read the question sheet (xlsx, or legacy xls) with python-calamine.

    This is the engine pandas' ``read_excel(engine="calamine")`` uses, called
    directly: pandas would load the sheet a second time to learn its merged
    cells and spends longer turning cells into a frame than calamine spends
    reading them (100k rows: 2.7 s here against 6.2 s through pandas).

    A workbook with one sheet per type (单选题, 多选题, 判断题…, and no sheet
    named 题库) is read sheet by sheet, each sheet's name giving the type of
    its rows when it has no type column; errors then name the sheet
    (``多选题!答案``).
    """
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

    sheets: list[tuple[str, list[list[Any]], list[Any]]] = []
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
        chosen = _choose_sheet(names)
        typed = [name for name in names if _is_type_sheet(name)]
        named = chosen.strip() == "题库" or chosen.strip().casefold() == "questions"
        for name in typed if len(typed) >= 2 and not named and column_map is None else [chosen]:
            sheet = book.get_sheet_by_name(name)
            sheets.append((name, sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or []))
    except PasswordError:
        raise UploadRejected(_("The workbook is protected by a password; remove it and upload again.")) from None
    except (CalamineError, XmlError, ZipError, ValueError, KeyError, OSError):
        raise UploadRejected(_("The workbook could not be read: it is damaged or not an Excel file.")) from None
    if len(sheets) == 1:
        _name, grid, merged = sheets[0]
        return rows_to_table(grid, source=source, merged=merged, column_map=column_map)
    tables = [
        rows_to_table(grid, source=source, merged=merged, sheet=name.strip(), sheet_type=name.strip())
        for name, grid, merged in sheets
        if any(clean_cell(c) for row in grid[:HEADER_SEARCH_ROWS] for c in row)
    ]
    if not tables:
        raise ImportRefused(_("The file has a header but no questions."))
    first = tables[0]
    for table in tables[1:]:
        first.rows.extend(table.rows)
        first.ignored.extend(table.ignored)
        first.notes.extend(table.notes)
    first.sheet_labels = {table.rows[0].sheet: table.labels for table in tables if table.rows}
    return first


def _apply_merged(grid: list[list[Any]], merged: list[tuple[tuple[int, int], tuple[int, int]]], header_at: int) -> None:
    """Pour a range merged down one column below the header into every row of it.

    A merged title above the header is no data and is left alone; a range
    spanning several columns below it, or touching the header, is refused.
    """
    refused = []
    for (r0, c0), (r1, c1) in merged:
        if r1 < header_at:
            continue
        if c0 != c1 or r0 <= header_at:
            refused.append(f"{_cell_name(r0, c0)}:{_cell_name(r1, c1)}")
    if refused:
        raise ImportRefused(
            _(
                "Merged cells %(cells)s span several columns or the header; unmerge them (merging down one column is fine)."
            )
            % {"cells": ", ".join(refused)}
        )
    for (r0, c0), (r1, _c1) in merged:
        if r1 < header_at or r0 >= len(grid):
            continue
        value = grid[r0][c0] if c0 < len(grid[r0]) else ""
        for r in range(r0 + 1, min(r1 + 1, len(grid))):
            row = grid[r]
            if c0 < len(row):
                row[c0] = value


def read_csv(data: bytes, source: str = "", column_map: ColumnMap | None = None) -> RawTable:
    """UTF-8 (with or without BOM) or GB18030, comma- or tab-separated.

    pandas gets the bytes and the encoding, not decoded text: its C parser
    reads bytes three times faster than it reads a StringIO.
    """

    try:
        data.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        decode_csv(data)  # GB18030, or the refusal naming the encodings accepted
        encoding = "gb18030"
    head = data[:4096].decode(encoding, errors="ignore")
    sep = _csv_separator(head)
    # A title line above the header (“安全知识题库”) is narrower than the header:
    # pandas takes the first line's width for the file's unless told the widest.
    widths = [
        len(r)
        for r in itertools.islice(csv.reader(io.StringIO(head.lstrip("\ufeff")), delimiter=sep), 1 + HEADER_SEARCH_ROWS)
    ]
    names = list(range(max(widths))) if widths and max(widths) > widths[0] else None
    grid = _csv_cells(data, encoding=encoding, sep=sep, names=names)
    return rows_to_table(grid, source=source, column_map=column_map)


def _csv_separator(head: str) -> str:
    """Tab or comma, whichever the first lines hold more of."""
    return "\t" if head.count("\t") > head.count(",") else ","


def _csv_cells(data: bytes, *, encoding: str, sep: str, **options: Any) -> list[list[Any]]:
    """The cells of a CSV file as text, blank lines and empty cells kept as they are
    (``options``: pandas' ``names``, ``nrows``); a file pandas cannot parse is refused."""
    import pandas as pd

    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding=encoding,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            sep=sep,
            **options,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ImportRefused(_("The CSV file could not be read: %(error)s") % {"error": exc}) from None
    return frame.to_numpy(dtype=object).tolist()


def read_spreadsheet(checked: CheckedUpload, column_map: ColumnMap | None = None) -> RawTable:
    """Parse an upload that core.uploads.check_spreadsheet has already let through."""
    if checked.kind in ("xlsx", "xls"):
        return read_xlsx(checked.data, source=checked.name, column_map=column_map)
    return read_csv(checked.data, source=checked.name, column_map=column_map)


# --- Moodle text formats -------------------------------------------------------
#
# moodle/moodle question/format/gift/format.php and question/format/aiken/format.php
# are the reference. What Moodle can hold and this platform cannot (matching,
# numerical and essay questions, descriptions, partial credit, wildcard answers)
# is never stored as something else: the question is refused with a message
# naming it, or, where the key stays exact, imported with a notice saying what
# was not kept.


def _text_row(number: int, **values: str) -> RawRow:
    return RawRow(number, {key: clean_cell(value) for key, value in values.items()})


def _letters_options(options: list[str]) -> dict[str, str]:
    return {OPTION_FIELDS[i]: text for i, text in enumerate(options[: len(OPTION_FIELDS)])}


def _too_many_options(number: int, count: int) -> str:
    return _("Question %(number)d: it has %(count)d options; at most %(max)d (A–%(last)s) are possible here.") % {
        "number": number,
        "count": count,
        "max": len(OPTION_LETTERS),
        "last": OPTION_LETTERS[-1],
    }


def _shorten(text: str, size: int = 30) -> str:
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= size else text[: size - 1] + "…"


_AIKEN_OPTION = re.compile(r"^([A-Za-z])\s*[.)、．）]\s*(.*)$")
_AIKEN_ANSWER = re.compile(r"^ANSWER\s*[:：]\s*(.*)$", re.IGNORECASE)


@dataclass
class _AikenQuestion:
    number: int  # the question's place in the file (第 N 题)
    line: int
    stem: list[str]
    options: list[str] = field(default_factory=list)
    refused: str = ""


def read_aiken(text: str, source: str = "") -> RawTable:
    """Aiken: a stem line, ``A) option`` / ``A. option`` lines, ``ANSWER: B``.

    As in Moodle, a question ends at its ``ANSWER:`` line, and a line that is
    neither an option nor an answer after the options (or after a blank line)
    starts the next question: a question without ``ANSWER:`` is an error of its
    own and never swallows the one after it. Extensions of ours: a stem may run
    over several lines (without a blank line between them), ``A、`` labels,
    and ``ANSWER: A, C`` makes a multiple choice. Two options that are
    正确/错误 (or True/False) make a true/false question.
    """
    rows: list[RawRow] = []
    errors: list[RowError] = []
    current: _AikenQuestion | None = None
    count = 0
    after_blank = False

    def refuse(line: int, message: str, column: str = "stem") -> None:
        errors.append(RowError(line, COLUMN_TITLES[column], message))

    def close_unanswered() -> None:
        if current is not None:
            refuse(
                current.line,
                _("Question %(number)d (line %(line)d) has no “ANSWER:” line; it was not imported.")
                % {"number": current.number, "line": current.line},
                "answer",
            )

    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if len(line) < 2:  # Moodle skips these too
            after_blank = True
            continue
        blank_before, after_blank = after_blank, False
        answer = _AIKEN_ANSWER.match(line)
        if answer:
            if current is None:
                refuse(
                    number,
                    _("Line %(line)d: “%(text)s” belongs to no question.") % {"line": number, "text": _shorten(line)},
                )
                continue
            if current.refused:
                refuse(current.line, current.refused, "option_a")
            elif len(current.options) > len(OPTION_FIELDS):
                refuse(current.line, _too_many_options(current.number, len(current.options)), "option_a")
            else:
                rows.append(_aiken_row(current, answer.group(1).strip()))
            current = None
            continue
        option = _AIKEN_OPTION.match(line)
        if option and current is not None:
            letter = option.group(1)
            expected = chr(ord("A") + len(current.options))
            if letter.upper() == expected:
                current.options.append(option.group(2).strip())
                continue
            if letter.isupper():
                if not current.refused:
                    current.refused = _(
                        "Question %(number)d: option %(letter)s comes where option %(expected)s should be; "
                        "it was not imported."
                    ) % {"number": current.number, "letter": letter, "expected": expected}
                continue
        elif option and current is None and option.group(1).isupper():
            refuse(
                number,
                _("Line %(line)d: “%(text)s” belongs to no question.") % {"line": number, "text": _shorten(line)},
            )
            continue
        # A line of text: more of the stem, or the start of the next question.
        if current is not None and not current.options and not blank_before:
            current.stem.append(line)
            continue
        close_unanswered()
        count += 1
        current = _AikenQuestion(number=count, line=number, stem=[line])
    close_unanswered()
    if not rows and not errors:
        raise ImportRefused(_("The file has no questions."))
    return RawTable(rows=rows, labels=dict(COLUMN_TITLES), source=source, errors=errors)


def _aiken_row(question: _AikenQuestion, answer: str) -> RawRow:
    options = question.options
    letters = parse_letters(answer) or ()
    truths = [truth_of(o) for o in options]
    if len(options) == 2 and None not in truths and truths[0] != truths[1]:
        qtype = "true_false"
    else:
        qtype = "multiple" if len(letters) > 1 else "single"
    return _text_row(
        question.line, type=qtype, stem="\n".join(question.stem), answer=answer, **_letters_options(options)
    )


_GIFT_SPECIAL = "~=#{}:"


def gift_escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for ch in _GIFT_SPECIAL:
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


# Moodle's escapedchar_pre/escapedchar_post: escaped control characters become
# placeholders (private-use characters here) before the question is taken
# apart, and turn back into the characters afterwards. ``\\`` is a backslash;
# a backslash before any other character stays as it is.
_GIFT_ESCAPES = {"\\": "\\", ":": "\ue001", "#": "\ue002", "=": "\ue003", "{": "\ue004", "}": "\ue005", "~": "\ue006", "n": "\ue007"}  # fmt: skip
_GIFT_RESTORE = str.maketrans({"\ue001": ":", "\ue002": "#", "\ue003": "=", "\ue004": "{", "\ue005": "}", "\ue006": "~", "\ue007": "\n"})  # fmt: skip


def _gift_protect(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _GIFT_ESCAPES:
            out.append(_GIFT_ESCAPES[text[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _gift_restore(text: str) -> str:
    return text.translate(_GIFT_RESTORE).strip()


_GIFT_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_GIFT_FORMAT = re.compile(r"^\[(moodle|html|plain|markdown)\]")
_GIFT_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_FULL = 100.0
_EPSILON = 0.01  # percent: our own exporter writes 33.33333 three times
_FILL_SEPARATORS = re.compile(r"[/|;；]")

GIFT_META_PREFIX = "// safetrain:"


def read_gift(text: str, source: str = "") -> RawTable:
    """Moodle GIFT, read as Moodle reads it.

    - ``{=right ~wrong ~%50%half}``: single choice; the partial credit of a
      distractor is not kept (the question gets a notice saying so).
    - ``{~%50%a ~%50%b ~%-100%c}`` (no ``=``): the positive weights must add
      up to 100 %; several of them make a multiple choice of those options,
      one makes a single choice. Otherwise the question is refused.
    - ``{TRUE}``, ``{F#wrong#right}``: true/false.
    - ``{=a =b}``: short answer → one fill-in blank accepting the fully
      correct answers; ``=%50%x`` and wildcard ``*`` answers are not stored.
    - matching (``->``), numerical (``#``), essay (``{}``) and descriptions
      (no braces) are refused, each with a message naming it.
    - ``[html]`` text is sanitised with the articles' allow-list and read as
      plain text (stems are plain text everywhere); ``[markdown]`` is read as
      plain text; ``[plain]``/``[moodle]`` are kept as written.

    ``$CATEGORY:`` sets the knowledge point and ``####`` general feedback is the
    explanation; titles and per-answer feedback are not kept. Our exporter adds
    a ``// safetrain: difficulty=… industry=… post=…`` comment (Moodle skips
    comments) so GIFT round trips lose nothing; a field a GIFT file does not
    carry is left as stored when a question is re-imported.
    """
    table = RawTable(rows=[], labels=dict(COLUMN_TITLES), source=source)
    extra: dict[str, str] = {}
    block: list[str] = []
    meta: dict[str, str] = {}
    start = count = 0

    def flush() -> None:
        nonlocal block, meta, count
        if block:
            count += 1
            _GiftReader(table, count, start).read("\n".join(block), {**extra, **meta})
        block, meta = [], {}

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(GIFT_META_PREFIX):
            for pair in stripped[len(GIFT_META_PREFIX) :].split():
                key, _sep, value = pair.partition("=")
                if key in ("difficulty", "industry", "post"):
                    meta[key] = value
            continue
        if stripped.startswith("//"):
            continue
        if stripped.startswith("$CATEGORY:"):
            flush()
            path = stripped.split(":", 1)[1].strip().replace("$course$", "").strip("/")
            extra["knowledge_point"] = path.split("/")[-1].strip()
            continue
        if not stripped:
            flush()
            continue
        if not block:
            start = number
        block.append(stripped)
    flush()
    if not table.rows and not table.errors:
        raise ImportRefused(_("The file has no questions."))
    return table


def _percent(weight: float) -> str:
    return f"{weight:.5f}".rstrip("0").rstrip(".") + "%"


class _GiftReader:
    """One GIFT question: a row, or an error; and the notices about what was not kept."""

    def __init__(self, table: RawTable, number: int, line: int) -> None:
        self.table, self.number, self.line = table, number, line

    def refuse(self, message: str, column: str = "answer") -> None:
        self.table.errors.append(RowError(self.line, COLUMN_TITLES[column], message))

    def notice(self, message: str, column: str = "answer") -> None:
        self.table.notices.append(RowError(self.line, COLUMN_TITLES[column], message))

    def text(self, raw: str, default: str, column: str) -> str:
        """Moodle's parse_text_with_format, then the text as plain text."""
        raw = raw.strip()
        fmt = default
        marker = _GIFT_FORMAT.match(raw)
        if marker:
            fmt, raw = marker.group(1), raw[marker.end() :]
        text = _gift_restore(raw)
        lost: list[str] = []
        if fmt == "html":
            read = html_to_text(text)
            text, lost = read.text, [*read.images, *read.links]
        elif fmt == "markdown":
            text, lost = _markdown_to_text(text)
        if lost:
            what = {"stem": _("stem"), "option_a": _("options"), "explanation": _("explanation")}.get(
                column, _("answer")
            )
            self.notice(
                _(
                    "Question %(number)d: the links and images of the %(what)s (%(targets)s) are not kept, only its text."
                )
                % {"number": self.number, "what": what, "targets": "、".join(t or "?" for t in lost)},
                column,
            )
        return text

    def read(self, text: str, extra: dict[str, str]) -> None:
        text = _gift_protect(text)
        if text.startswith("::"):
            text = text[2:]
            name_end = text.find("::")
            if name_end >= 0:
                text = text[name_end + 2 :].strip()
        open_at, close_at = text.find("{"), text.find("}")
        if open_at < 0 and close_at < 0:
            self.refuse(
                _("Question %(number)d: a description (GIFT description) has no answer and is not a question; "
                  "it was not imported.") % {"number": self.number},
                "type",
            )  # fmt: skip
            return
        if open_at < 0 or close_at < open_at or "{" in text[close_at:] or "}" in text[close_at + 1 :]:
            self.refuse(
                _("Question %(number)d: the braces { } do not pair up (one answer block per question; "
                  "write \\{ and \\} for braces in the text).") % {"number": self.number},
                "stem",
            )  # fmt: skip
            return
        answer = text[open_at + 1 : close_at].strip()
        if text.endswith("}"):
            stem_raw = text[:open_at]
        else:  # the answer block inside the sentence is where the blank is
            stem_raw = text[:open_at] + "____" + text[close_at + 1 :]
        feedback_at = answer.rfind("####")
        general = ""
        if feedback_at >= 0:
            answer, general = answer[:feedback_at].strip(), answer[feedback_at + 4 :]
        marker = _GIFT_FORMAT.match(stem_raw.strip())
        fmt = marker.group(1) if marker else "moodle"
        stem = self.text(stem_raw, "moodle", "stem")
        values = {**extra, "stem": stem}
        if general.strip():
            values["explanation"] = self.text(general, fmt, "explanation")
        unsupported = self._unsupported(answer)
        if unsupported:
            self.refuse(
                _("Question %(number)d: %(kind)s is not supported; it was not imported.")
                % {"number": self.number, "kind": unsupported},
                "type",
            )
            return
        if "~" in answer:
            self._choice(answer, fmt, values)
            return
        truth_word = answer.split("#", 1)[0].strip()
        if truth_word.upper() in _GIFT_TRUE_FALSE:
            truth = _GIFT_TRUE_FALSE[truth_word.upper()]
            self.table.rows.append(
                _text_row(self.line, type="true_false", answer="正确" if truth else "错误", **values)
            )
            return
        self._short_answer(answer, fmt, values)

    @staticmethod
    def _unsupported(answer: str) -> str:
        if answer == "":
            return _("an essay question (GIFT essay)")
        if answer.startswith("#"):
            return _("a numerical question (GIFT numerical)")
        if "~" not in answer and "=" in answer and "->" in answer:
            return _("a matching question (GIFT matching)")
        return ""

    def _answers(self, answer: str) -> list[str]:
        # Moodle: every "=" starts an answer as well as every "~"; text before
        # the first marker is an answer of its own.
        pieces = answer.replace("=", "~=").split("~")
        if not pieces[0].strip():
            pieces = pieces[1:]
        return [p.strip() for p in pieces]

    def _choice(self, answer: str, fmt: str, values: dict[str, str]) -> None:
        single = "=" in answer
        options: list[str] = []
        weights: list[float] = []
        for piece in self._answers(answer):
            if piece.startswith("="):
                piece = piece[1:].strip()
                if _GIFT_WEIGHT.match(piece):
                    self.refuse(
                        _("Question %(number)d: “=%(answer)s”: in a choice question “=” marks the right answer "
                          "and takes no weight (write “~%%50%%…” for a weighted option).")
                        % {"number": self.number, "answer": _shorten(_gift_restore(piece))}
                    )  # fmt: skip
                    return
                weight = _FULL
            else:
                match = _GIFT_WEIGHT.match(piece)
                weight = float(match.group(1)) if match else 0.0
                if match:
                    piece = piece[match.end() :]
            text = self.text(piece.split("#", 1)[0], fmt, "option_a")
            if not text:
                self.refuse(
                    _("Question %(number)d: option %(letter)s is empty.")
                    % {"number": self.number, "letter": _letter(len(options))},
                    "option_a",
                )
                return
            options.append(text)
            weights.append(weight)
        if len(options) < 2:
            self.refuse(
                _("Question %(number)d: a choice question needs at least two options.") % {"number": self.number},
                "option_b",
            )
            return
        if len(options) > len(OPTION_FIELDS):
            self.refuse(_too_many_options(self.number, len(options)), "option_a")
            return
        full = [i for i, w in enumerate(weights) if w >= _FULL - _EPSILON]
        if any(w > _FULL + _EPSILON for w in weights):
            self.refuse(_("Question %(number)d: an option is weighted over 100%%.") % {"number": self.number})
            return
        if single and len(full) > 1:
            self.refuse(
                _("Question %(number)d: options %(letters)s are all fully right; a single-choice question has "
                  "exactly one right answer here.") % {"number": self.number, "letters": "、".join(_letter(i) for i in full)}
            )  # fmt: skip
            return
        positive = [i for i, w in enumerate(weights) if w > 0]
        total = sum(weights[i] for i in positive)
        if not single:
            if not positive:
                self.refuse(
                    _("Question %(number)d: no option has a positive weight, so no answer is right.")
                    % {"number": self.number}
                )
                return
            if abs(total - _FULL) > _EPSILON:
                self.refuse(
                    _("Question %(number)d: the positive weights add up to %(total)s, not 100%%, so the right "
                      "answer is unclear.") % {"number": self.number, "total": _percent(total)}
                )  # fmt: skip
                return
        key = full if len(full) == 1 else positive
        if len(key) == 1:
            partial = [i for i, w in enumerate(weights) if i != key[0] and w > 0]
            penalty = [i for i, w in enumerate(weights) if w < 0]
            if partial:
                self.notice(
                    _("Question %(number)d: the partial credit of option %(weights)s is not kept; only %(key)s scores.")
                    % {"number": self.number, "weights": _weights(partial, weights), "key": _letter(key[0])}
                )
            if penalty:
                self.notice(
                    _("Question %(number)d: the penalty of option %(weights)s is not kept; a wrong choice scores 0.")
                    % {"number": self.number, "weights": _weights(penalty, weights)}
                )
            qtype = "single"
        else:
            if len({round(weights[i], 2) for i in key}) > 1:
                self.notice(
                    _("Question %(number)d: the weights of the right options %(weights)s are not kept: choosing all "
                      "of %(key)s scores in full (with partial credit, each right option counts the same).")
                    % {
                        "number": self.number,
                        "weights": _weights(key, weights),
                        "key": "、".join(_letter(i) for i in key),
                    }
                )  # fmt: skip
            qtype = "multiple"
        self.table.rows.append(
            _text_row(
                self.line,
                type=qtype,
                answer="".join(_letter(i) for i in key),
                **_letters_options(options),
                **values,
            )
        )

    def _short_answer(self, answer: str, fmt: str, values: dict[str, str]) -> None:
        accepted: list[str] = []
        dropped: list[str] = []
        for piece in self._answers(answer):
            piece = piece.removeprefix("=").strip()
            match = _GIFT_WEIGHT.match(piece)
            weight = float(match.group(1)) if match else _FULL
            if match:
                piece = piece[match.end() :]
            text = self.text(piece.split("#", 1)[0], fmt, "answer")
            if weight <= 0 or not text:
                continue  # a wrong answer with its feedback: wrong here too
            if weight > _FULL + _EPSILON:
                self.refuse(_("Question %(number)d: an answer is weighted over 100%%.") % {"number": self.number})
                return
            if weight < _FULL - _EPSILON:
                dropped.append(_("“%(answer)s” (%(weight)s)") % {"answer": text, "weight": _percent(weight)})
            elif "*" in text:
                dropped.append(_("“%(answer)s” (wildcard *)") % {"answer": text})
            else:
                separator = _FILL_SEPARATORS.search(text)
                if separator:
                    self.refuse(
                        _("Question %(number)d: the answer “%(answer)s” contains “%(char)s”, which separates "
                          "alternatives and blanks in a fill-in answer here; it was not imported.")
                        % {"number": self.number, "answer": text, "char": separator.group()}
                    )  # fmt: skip
                    return
                accepted.append(text)
        if not accepted:
            reason = "、".join(dropped) if dropped else _("none is given")
            self.refuse(
                _("Question %(number)d: no fully right answer can be stored (%(reason)s); it was not imported.")
                % {"number": self.number, "reason": reason}
            )
            return
        if dropped:
            self.notice(
                _("Question %(number)d: the answers %(answers)s are not kept (not fully right); only %(kept)s "
                  "count as right.")
                % {"number": self.number, "answers": "、".join(dropped), "kept": "、".join(f"“{a}”" for a in accepted)}
            )  # fmt: skip
        self.table.rows.append(_text_row(self.line, type="fill_blank", answer="/".join(accepted), **values))


def _weights(indexes: list[int], weights: list[float]) -> str:
    return "、".join(f"{_letter(i)}（{_percent(weights[i])}）" for i in indexes)


def _letter(index: int) -> str:
    return OPTION_LETTERS[index] if index < len(OPTION_LETTERS) else "?"


_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]*)[^)]*\)")
_MD_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|(?<!_)__(?=[^\s_])(.+?)(?<=[^\s_])__(?!_)")
_MD_EM = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\*)")
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_LINE = re.compile(r"^(?:#{1,6}\s+|>\s?)", re.MULTILINE)
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")


def _markdown_to_text(text: str) -> tuple[str, list[str]]:
    """Markdown read as plain text: emphasis, code marks, heading and quote marks
    go; a link or an image keeps its text (the targets are returned). Runs of
    underscores (fill-in blanks) and backslash-escaped characters are left alone."""
    lost: list[str] = []
    escaped: list[str] = []

    def protect(match: re.Match[str]) -> str:
        escaped.append(match.group(1))
        return f"\ue100{len(escaped) - 1}\ue101"

    def target(match: re.Match[str]) -> str:
        lost.append(match.group(2))
        return match.group(1)

    text = _MD_ESCAPE.sub(protect, text)
    text = _MD_IMAGE.sub(target, text)
    text = _MD_LINK.sub(target, text)
    text = _MD_CODE.sub(r"\1", text)
    text = _MD_STRONG.sub(lambda m: m.group(1) or m.group(2), text)
    text = _MD_EM.sub(r"\1", text)
    text = _MD_LINE.sub("", text)
    text = re.sub("\ue100(\\d+)\ue101", lambda m: escaped[int(m.group(1))], text)
    return text.strip(), lost


TEXT_FORMATS = (".gift", ".txt", ".aiken")


def upload_bytes(uploaded: Any) -> bytes:
    """The bytes of an uploaded question file (a Django ``UploadedFile``) once ``core.uploads`` lets
    them through for its kind: a Word file as a .docx package, a text format (GIFT, Aiken, numbered
    text) for its size only, anything else as a spreadsheet (.xls too). ``UploadRejected`` says why not."""
    from core.uploads import check_docx, check_spreadsheet, check_uploaded_file

    lowered = uploaded.name.lower()
    if lowered.endswith(".docx"):
        return check_docx(uploaded.read(_upload_limit() + 1), uploaded.name).data
    if lowered.endswith(TEXT_FORMATS):
        data = uploaded.read(_upload_limit() + 1)
        if len(data) > _upload_limit():
            check_spreadsheet(data, uploaded.name)  # raises with the size message
        return data
    return check_uploaded_file(uploaded, allow_xls=True).data


def read_file(data: bytes, name: str, fmt: str = "auto", column_map: ColumnMap | None = None) -> RawTable:
    """Any supported file by its format (``auto``: by content and extension).

    ``column_map`` applies to spreadsheets only (see ``mapped_table``)."""
    from core.uploads import check_spreadsheet
    from question_bank import text_formats

    lowered = name.lower()
    if fmt == "auto":
        if lowered.endswith(".gift"):
            fmt = "gift"
        elif lowered.endswith(".docx") or text_formats.is_docx(data):
            fmt = "docx"
        elif lowered.endswith(".txt") and text_formats.looks_numbered(data):
            fmt = "numbered"
        elif lowered.endswith((".aiken", ".txt")):
            fmt = "aiken"
        else:
            fmt = "spreadsheet"
    if fmt == "docx":
        return text_formats.read_docx(data, name)
    if fmt == "numbered":
        if len(data) > _upload_limit():
            check_spreadsheet(data, name)  # raises the size message
        return text_formats.read_txt(data, name)
    if fmt in ("gift", "aiken"):
        if len(data) > _upload_limit():
            check_spreadsheet(data, name)  # raises the size message
        text = decode_csv(data)
        return read_gift(text, name) if fmt == "gift" else read_aiken(text, name)
    return read_spreadsheet(check_spreadsheet(data, name, allow_xls=True), column_map=column_map)


def _upload_limit() -> int:
    from django.conf import settings

    return settings.UPLOAD_MAX_BYTES


# --- column mapping (the admin names the columns) ------------------------------

MAPPING_SAMPLE_ROWS = 3


def mapping_header_row(grid: list[list[Any]]) -> int:
    """The header row when its titles are not interpreted: among the first rows, the first one
    with the most filled cells (a title row above the header has a single cell)."""
    best_at, best = 0, -1
    for at, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        filled = sum(1 for c in cells if clean_cell(c))
        if filled > best:
            best_at, best = at, filled
    return best_at


def mapped_table(
    grid: list[list[Any]], column_map: ColumnMap, *, source: str = "", first_row_number: int = 1
) -> RawTable:
    """Key every row below the header by the fields ``column_map`` gives its columns.

    ``column_map`` is trusted here (``check_column_map`` says what is wrong with one); an empty
    map reads only the columns and a few sample rows, for the page that asks for the map."""
    if not grid:
        raise ImportRefused(_("The file is empty."))
    header_at = mapping_header_row(grid)
    body = grid[header_at + 1 :]
    width = max((len(cells) for cells in grid[header_at : header_at + 1 + 20]), default=0)
    titles = [clean_cell(c) for c in grid[header_at]] + [""] * width
    filled = [i for i in range(width) if titles[i] or any(i < len(r) and clean_cell(r[i]) for r in body[:20])]
    width = filled[-1] + 1 if filled else 0
    columns = [titles[i] or column_letter(i) for i in range(width)]
    items = [(key, index) for index, key in sorted(column_map.items()) if key]
    filled_rows = (cells for cells in body if any(clean_cell(c) for c in cells))
    samples = [[clean_cell(c) for c in cells[:width]] for cells in islice(filled_rows, MAPPING_SAMPLE_ROWS)]
    rows = []
    for offset, cells in enumerate(body, start=header_at + 1 + first_row_number):
        size = len(cells)
        rows.append(RawRow(offset, {key: clean_cell(cells[index]) if index < size else "" for key, index in items}))
    return RawTable(
        rows=rows,
        labels={key: columns[index] if index < width else column_letter(index) for key, index in items},
        source=source,
        mapped_columns=columns,
        mapped_samples=samples,
        mapped_ignored=[columns[i] for i in filled if not column_map.get(i)],
    )


MAPPING_HEAD_ROWS = 25


def read_head(data: bytes, name: str, rows: int = MAPPING_HEAD_ROWS) -> list[list[Any]]:
    """The first ``rows`` rows of a spreadsheet's question sheet, cells as read (merges not applied):
    enough to find the header and show samples without reading a large file whole."""
    from core.uploads import check_spreadsheet

    checked = check_spreadsheet(data, name, allow_xls=True)
    if checked.kind == "csv":
        encoding = "utf-8-sig" if _is_utf8(data) else "gb18030"
        head = data[:4096].decode(encoding, errors="ignore")
        return _csv_cells(data, encoding=encoding, sep=_csv_separator(head), nrows=rows)
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(checked.data))
        sheet = book.get_sheet_by_name(_choose_sheet(list(book.sheet_names)))
        return sheet.to_python(skip_empty_area=False, nrows=rows)
    except PasswordError:
        raise UploadRejected(_("The workbook is protected by a password; remove it and upload again.")) from None
    except (CalamineError, XmlError, ZipError, ValueError, KeyError, OSError):
        raise UploadRejected(_("The workbook could not be read: it is damaged or not an Excel file.")) from None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


def _apply_merged_mapped(grid: list[list[Any]], merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """``_apply_merged`` for a sheet read with a column map: the header is where
    ``mapping_header_row`` finds it, whatever its titles; a merged title row above it is skipped."""
    header_at = mapping_header_row(grid)
    below = [m for m in merged if m[1][0] > header_at]
    refused = [
        f"{_cell_name(r0, c0)}:{_cell_name(r1, c1)}" for (r0, c0), (r1, c1) in below if c0 != c1 or r0 <= header_at
    ]
    if refused:
        raise ImportRefused(
            _(
                "Merged cells %(cells)s span several columns or the header; unmerge them (merging down one column is fine)."
            )
            % {"cells": ", ".join(refused)}
        )
    for (r0, c0), (r1, _c1) in below:
        value = grid[r0][c0] if r0 < len(grid) and c0 < len(grid[r0]) else ""
        for r in range(r0 + 1, min(r1 + 1, len(grid))):
            if c0 < len(grid[r]):
                grid[r][c0] = value


def guess_field(title: str) -> str | None:
    """The field a column title names, as header recognition reads it (None: not recognised)."""
    return _header_key(title)


def check_column_map(column_map: dict[Any, Any], width: int | None = None) -> list[str]:
    """What is wrong with a column map, one message per problem (empty: nothing).

    Keys are column indexes (0 = the first column; strings of digits are accepted, as JSON
    sends them) below ``width`` when it is known; values are field names or None/"" to ignore."""
    problems: list[str] = []
    seen: dict[str, list[str]] = {}
    for raw_index, key in column_map.items():
        index = _column_index(raw_index)
        if index is None or index < 0 or (width is not None and index >= width):
            if width is None or index is None or index < 0:
                problems.append(_("“%(index)s” is not a column number.") % {"index": raw_index})
            else:
                problems.append(
                    _("Column %(index)s is out of range: the file has %(width)d columns (0 to %(last)d).")
                    % {"index": raw_index, "width": width, "last": width - 1}
                )
            continue
        if key in (None, ""):
            continue
        if not isinstance(key, str) or key not in FIELDS:
            problems.append(
                _("“%(field)s” (column %(index)s) is not a field; use one of %(fields)s, or null to ignore it.")
                % {"field": key, "index": raw_index, "fields": ", ".join(FIELDS)}
            )
            continue
        seen.setdefault(key, []).append(f"{column_letter(index)}({index})")
    for key, letters in seen.items():
        if len(letters) > 1:
            problems.append(
                _("Columns %(columns)s are all mapped to %(field)s; a field takes one column.")
                % {"columns": "、".join(letters), "field": COLUMN_TITLES[key]}
            )
    missing = [COLUMN_TITLES[key] for key in REQUIRED_COLUMNS if key not in seen]
    if missing:
        problems.append(_("No column is mapped to %(fields)s.") % {"fields": "、".join(missing)})
    return problems


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column's name in a spreadsheet."""
    return _cell_name(0, index)[:-1]


def _column_index(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    return None
