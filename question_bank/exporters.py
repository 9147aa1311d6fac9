"""Writing banks out: xlsx/csv in the import layout, GIFT, Aiken, the template and error reports.

Spreadsheets are written by ``core.spreadsheets``, which neutralises every
text cell so nothing a spreadsheet opens runs as a formula; the importer removes
exactly that apostrophe again (``unneutralise``), so export → import is lossless.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from core.spreadsheets import Column, Sheet, write_csv, write_xlsx
from question_bank.importers import (
    COLUMN_TITLES,
    FIELDS,
    GIFT_META_PREFIX,
    OPTION_FIELDS,
    TYPE_TITLES,
    RowError,
    answer_text,
    gift_escape,
)
from question_bank.models import OPTION_LETTERS, Question, QuestionType

# The exporter writes the importer's columns in the importer's order, so an export reads back.
EXPORT_FIELDS = FIELDS
CHUNK = 2000


def header() -> list[str]:
    return [COLUMN_TITLES[f] for f in EXPORT_FIELDS]


def question_cells(q: Question) -> list[Any]:
    """Raw values: the spreadsheet writer neutralises them (once)."""
    options = list(q.options) + [""] * (len(OPTION_FIELDS) - len(q.options))
    return [
        TYPE_TITLES[q.type],
        q.stem,
        *options,
        answer_text(q.type, q.answer),
        q.explanation,
        q.difficulty,
        q.knowledge_point,
        q.industry_tags,
        q.post_tags,
    ]


def _iter(questions: Iterable[Question]) -> Iterator[Question]:
    if hasattr(questions, "iterator"):
        return questions.order_by("pk").iterator(chunk_size=CHUNK)  # type: ignore[attr-defined]
    return iter(questions)


class _Counted:
    """The rows of a bank, counting them as the writer takes them."""

    def __init__(self, questions: Iterable[Question]) -> None:
        self.questions = questions
        self.count = 0

    def __iter__(self) -> Iterator[list[Any]]:
        for q in _iter(self.questions):
            self.count += 1
            yield question_cells(q)


def _bank_sheet(rows: Iterable[list[Any]]) -> Sheet:
    return Sheet(title="题库", columns=header(), rows=rows)


def export_xlsx(questions: Iterable[Question], stream: io.BufferedIOBase | Any) -> int:
    rows = _Counted(questions)
    stream.write(write_xlsx([_bank_sheet(rows)]))
    return rows.count


def export_csv(questions: Iterable[Question], stream: Any) -> int:
    """UTF-8 with BOM so Excel on Chinese Windows opens it correctly."""
    rows = _Counted(questions)
    stream.write(write_csv(_bank_sheet(rows)))
    return rows.count


def export_gift(questions: Iterable[Question], stream: Any) -> tuple[int, int]:
    """(written, skipped): multi-blank fill-in questions have no GIFT form, and a subjective question's
    reference answer has none either (a GIFT essay holds no answer): both are skipped."""
    out = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")
    written = skipped = 0
    category = None
    for q in _iter(questions):
        block = _gift_block(q)
        if block is None:
            skipped += 1
            continue
        if q.knowledge_point != category:
            category = q.knowledge_point
            out.write(f"$CATEGORY: {category}\n\n")
        meta = f"difficulty={q.difficulty} industry={q.industry_tags} post={q.post_tags}"
        out.write(f"{GIFT_META_PREFIX} {meta}\n::Q{q.pk}:: {gift_escape(q.stem)} {block}\n\n")
        written += 1
    out.flush()
    out.detach()
    return written, skipped


def _gift_block(q: Question) -> str | None:
    if q.type == QuestionType.SUBJECTIVE:
        return None
    feedback = f" ####{gift_escape(q.explanation)}" if q.explanation else ""
    if q.type == QuestionType.TRUE_FALSE:
        return "{" + ("TRUE" if q.answer else "FALSE") + feedback + "}"
    if q.type == QuestionType.SINGLE:
        parts = [("=" if OPTION_LETTERS[i] == q.answer else "~") + gift_escape(o) for i, o in enumerate(q.options)]
        return "{" + " ".join(parts) + feedback + "}"
    if q.type == QuestionType.MULTIPLE:
        right = [OPTION_LETTERS.index(c) for c in q.answer]
        wrong = len(q.options) - len(right)
        plus = _weight(100 / len(right))
        minus = _weight(-100 / wrong) if wrong else "-100"
        parts = [f"~%{plus if i in right else minus}%{gift_escape(o)}" for i, o in enumerate(q.options)]
        return "{" + " ".join(parts) + feedback + "}"
    if len(q.answer) == 1:
        return "{" + " ".join("=" + gift_escape(a) for a in q.answer[0]) + feedback + "}"
    return None


def _weight(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def export_aiken(questions: Iterable[Question], stream: Any) -> tuple[int, int]:
    """(written, skipped): Aiken holds single choice (and true/false as 正确/错误); the rest is skipped."""
    out = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")
    written = skipped = 0
    for q in _iter(questions):
        if q.type == QuestionType.SINGLE and all("\n" not in o for o in q.options):
            options, answer = q.options, q.answer
        elif q.type == QuestionType.TRUE_FALSE:
            options, answer = ["正确", "错误"], "A" if q.answer else "B"
        else:
            skipped += 1
            continue
        out.write(q.stem.replace("\r", "") + "\n")
        for letter, option in zip(OPTION_LETTERS, options, strict=False):
            out.write(f"{letter}. {option}\n")
        out.write(f"ANSWER: {answer}\n\n")
        written += 1
    out.flush()
    out.detach()
    return written, skipped


def template_xlsx() -> bytes:
    """The downloadable template: the 题库 sheet with examples, and an instructions sheet."""
    examples = [
        [
            "单选题",
            "火灾报警电话是？",
            "110",
            "119",
            "120",
            "122",
            "",
            "",
            "",
            "",
            "B",
            "火警电话119。",
            1,
            "消防器材",
            "通用",
            "全员",
        ],
        [
            "多选题",
            "动火作业前应做好哪些准备？",
            "办理动火作业票",
            "清理周边可燃物",
            "配备灭火器材",
            "无需监护",
            "",
            "",
            "",
            "",
            "ABC",
            "动火作业须有监护人。",
            3,
            "动火作业",
            "危险化学品、冶金",
            "焊工",
        ],
        [
            "判断题",
            "进入受限空间前必须先通风、检测、后作业。",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "正确",
            "先通风、再检测、后作业。",
            2,
            "受限空间",
            "通用",
            "全员",
        ],
        [
            "填空题",
            "我国安全生产方针是安全第一、____、综合治理。",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "预防为主",
            "《安全生产法》第三条。",
            2,
            "安全生产法",
            "通用",
            "主要负责人、安全管理人员",
        ],
        [
            "简答题",
            "简述受限空间作业“先通风、再检测、后作业”的要求。",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "作业前先通风置换，再检测氧含量和有毒有害、易燃易爆气体浓度，合格后方可进入作业，作业中持续监测。",
            "主观题不自动评分：练习时学员对照参考答案自评，不参与考试随机组卷。",
            3,
            "受限空间",
            "通用",
            "全员",
        ],
    ]
    lines = [
        _("How to fill in this template"),
        _(
            "Columns: 题型, 题干, 选项A…选项H, 答案 (or 正确答案), 解析, 难度, 知识点, 行业, 适用岗位. Order is free; other columns (序号…) are ignored."
        ),
        _("Types: 单选题/单选, 多选题/多选, 判断题/判断, 填空题/填空 (or single, multiple, true_false, fill_blank)."),
        _(
            "Subjective questions (简答题, 论述题, 案例分析, 问答题, 简述题 or 主观题): no options; the answer column "
            "holds the reference answer. Learners practise them and mark themselves; exams never draw them."
        ),
        _(
            "Multiple choice: ABC, A,C, A、C, A，C, A C, lowercase or full-width letters. Single choice has exactly one letter; multiple choice at least two."
        ),
        _("True/false: 正确/错误, 对/错, √/×, ✓/✗, 是/否, T/F, true/false; or A/B when the options are 正确/错误."),
        _(
            "Fill in the blank: separate blanks with | or ；, alternatives within a blank with /, e.g. 119|火警/火灾报警."
        ),
        _("Difficulty: 1–5, 易/较易/中/较难/难 or 简单/一般/困难 (empty means 3)."),
        _("Industry and post tags: several may be separated with 、 or commas."),
        _(
            "The sheet named 题库 (or questions) is read, otherwise the first sheet. Row 1 is the header; blank rows are skipped."
        ),
        _(
            "Re-importing a file changes nothing; a changed answer or explanation updates the question and raises its "
            "version. A fill-in question with other answers is another question (its answers are part of it)."
        ),
    ]
    columns = [Column(title, width=48 if i == 1 else None) for i, title in enumerate(header())]
    return write_xlsx(
        [
            Sheet(title="题库", columns=columns, rows=examples),
            Sheet(
                title=_("Instructions"), columns=[Column(lines[0], width=120, wrap=True)], rows=[[x] for x in lines[1:]]
            ),
        ]
    )


def error_report_xlsx(
    errors: Iterable[dict[str, Any] | RowError],
    warnings: Iterable[dict[str, Any] | RowError],
    notices: Iterable[dict[str, Any] | RowError] = (),
) -> bytes:
    def rows() -> Iterator[list[Any]]:
        for kind, items in ((_("Error"), errors), (_("Duplicate"), warnings), (_("Not kept"), notices)):
            for item in items:
                data = item.as_dict() if isinstance(item, RowError) else item
                yield [data["row"], str(data["column"]), kind, str(data["message"])]

    columns = [_("Row"), _("Column"), _("Kind"), _("Message")]
    return write_xlsx([Sheet(title=_("Errors"), columns=columns, rows=rows())])
