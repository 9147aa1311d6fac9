"""Word (.docx) and plain-text (.txt) banks in the numbered layout most Chinese safety banks circulate in.

::

    一、单选题
    1. 生产经营单位的（ ）是本单位安全生产第一责任人。
    A. 主要负责人  B. 安全管理人员
    C. 分管负责人  D. 班组长
    答案：A
    解析：……

Pure like ``importers``: bytes in, a ``RawTable`` out, which ``importers.validate``
checks like every other format. What the reader understands:

- questions numbered ``1.`` ``1、`` ``1．`` ``1)`` ``（1）`` ``第1题``, or Word's own
  automatic numbering; a file with no numbers at all is split at blank lines;
- options ``A.`` ``A．`` ``A、`` ``(A)``, several on one line or one per line, and
  options written on the stem's own line;
- the key as ``答案：A``, ``【答案】A``, ``正确答案：AB``, or in brackets in the stem
  (``……的（A）`` / ``……。（√）``), which is then taken out of the stem so
  learners do not see it;
- ``解析：`` / ``【解析】`` (on the answer's line or below it, over several lines),
  ``难度：`` and ``知识点：`` lines;
- section headings (``一、单选题``, ``二、多项选择题（共20题）``, ``三、判断题``,
  ``填空题``, ``简答题``…) give the type of the questions below them; without one
  the type follows from the options and the key. Subjective sections become
  ``简答题`` and ``validate`` decides what that type may do.

Every question remembers its number and first line, and ``validate`` puts
"第 N 题（第 L 行）" in front of its messages. A question without a key is an error
for that question only: the next number always starts the next question.

Word files are read as a stream (``lxml.iterparse`` over ``word/document.xml``,
each paragraph dropped once read) rather than through python-docx, whose
document object holds the whole tree: a 100k-question bank is a ~200 MB XML part
and the tree would not fit the import's memory budget. Pictures in a question's
paragraphs travel with it as its stem image (``RawRow.images``); ``validate``
checks them. The upload as a whole is checked first by ``core.uploads.check_docx``.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice

from django.utils.translation import gettext as _

from core.uploads import UploadRejected, check_docx, decode_csv
from question_bank.importers import (
    COLUMN_TITLES,
    OPTION_FIELDS,
    TYPE_TITLES,
    ImportRefused,
    RawRow,
    RawTable,
    options_type,
    parse_letters,
    truth_of,
)
from question_bank.models import OPTION_LETTERS, QuestionType

SUBJECTIVE = "简答题"

# Section titles (after the 一、 and a trailing "（共20题，每题1分）" are taken off) -> type.
# None: a choice section whose key decides between single and multiple (不定项).
_SECTIONS: dict[str, str | None] = {
    **dict.fromkeys(("单选题", "单选", "单项选择题", "单项选择", "单选择题"), TYPE_TITLES[QuestionType.SINGLE]),
    **dict.fromkeys(("多选题", "多选", "多项选择题", "多项选择"), TYPE_TITLES[QuestionType.MULTIPLE]),
    **dict.fromkeys(("不定项选择题", "不定项选择", "不定项", "选择题"), None),
    **dict.fromkeys(
        ("判断题", "判断", "是非题", "是非判断题", "判断正误", "判断正误题"), TYPE_TITLES[QuestionType.TRUE_FALSE]
    ),
    **dict.fromkeys(("填空题", "填空"), TYPE_TITLES[QuestionType.FILL_BLANK]),
    **dict.fromkeys(
        ("简答题", "简答", "问答题", "问答", "论述题", "论述", "案例分析题", "案例分析", "案例题", "主观题"), SUBJECTIVE
    ),
}
_ANY_SECTION = "any"  # a heading that names no type we know: the type follows from each question
_HEADING_START = frozenset("第一二三四五六七八九十ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ单多不选判是填简问论案主")  # cheap refusal of most lines
_SPACES = re.compile(r"\s+")

_HEADING_PREFIX = re.compile(r"^(?:第?[一二三四五六七八九十百]+\s*(?:[、.．]|部分|章|节)?|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+\s*[、.．]?)\s*")
_HEADING_TAIL = re.compile(r"[（(][^（()）]*[)）]\s*$|[:：。．.]\s*$")
_QUESTION = re.compile(
    r"^(?:第\s*(\d{1,5})\s*题\s*[.、．:：]?|(\d{1,5})\s*(?:[、．:：)）]|\.(?!\d))|[（(]\s*(\d{1,5})\s*[)）])\s*(.*)$",
    re.DOTALL,
)
_OPTION_MARK = re.compile(r"(?:[（(]\s*([A-HＡ-Ｈ])\s*[)）]|([A-HＡ-Ｈ])\s*[.．、:：)）])\s*")
_ANSWER = re.compile(
    r"^(?:【\s*(?:参考|正确|标准)?答\s*案\s*】|(?:参考|正确|标准)?答\s*案\s*[:：]|(?:参考|正确|标准)答案\s*)\s*(.*)$",
    re.DOTALL,
)
_CHAPTER = re.compile(r"^第\s*[一二三四五六七八九十百\d]+\s*[章节篇]\s*(.*)$")
_EXPLANATION = re.compile(
    r"^(?:【\s*(?:答案|试题)?(?:解析|分析|解答)\s*】|(?:答案|试题)?(?:解析|分析|解答)\s*[:：])\s*(.*)$", re.DOTALL
)
_EXPLANATION_INLINE = re.compile(r"\s*(?:【\s*(?:答案|试题)?解析\s*】|(?:答案|试题)?解析\s*[:：])")
_META = re.compile(r"^(难度|难易程度|知识点|考点)\s*[:：]\s*(.+)$")
_BRACKET_KEY = re.compile(r"[（(]\s*([A-HＡ-Ｈ](?:\s*[、,，]?\s*[A-HＡ-Ｈ]){0,7}|[√×✓✗✔✘]|对|错|正确|错误)\s*[)）]")
_LABEL_START = frozenset("【参正标答试解分难知考")  # the first characters of 答案/解析/难度… lines
_QUESTION_START = frozenset("0123456789０１２３４５６７８９（(第")
_MAY_HAVE_OPTION = re.compile(r"[A-HＡ-Ｈ]")
_MARKUP = re.compile(r"\*\*|__(?=[A-HＡ-Ｈ])")
_KEY_END = re.compile(r"[。.；;，,\s]+$")
_BLANK_IN_STEM = re.compile(r"_{2,}|[（(]\s*[)）]")


@dataclass(slots=True)
class Line:
    number: int  # the line of a text file, the paragraph of a Word document (1-based)
    text: str
    images: tuple[bytes, ...] = ()


@dataclass
class _Question:
    number: int | None
    line: int
    section: str | None
    chapter: str = ""
    stem: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    answer: str | None = None
    explanation: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    images: list[bytes] = field(default_factory=list)
    in_explanation: bool = False


# --- lines → rows ----------------------------------------------------------------


def _heading(text: str) -> str | None:
    """The section a heading line opens (``_ANY_SECTION`` for an unknown one), or None when it is no heading."""
    if len(text) > 40 or text[0] not in _HEADING_START:
        return None
    prefixed = _HEADING_PREFIX.match(text)
    rest = text[prefixed.end() :] if prefixed else text
    rest = _HEADING_TAIL.sub("", _HEADING_TAIL.sub("", rest)).strip()
    rest = _SPACES.sub("", rest)
    if rest in _SECTIONS:
        return _SECTIONS[rest] or _ANY_SECTION
    if rest.endswith("题") and rest[:-1] in _SECTIONS:
        return _SECTIONS[rest[:-1]] or _ANY_SECTION
    return None


_LETTERS = {**{c: c for c in OPTION_LETTERS}, **{chr(ord(c) + 0xFEE0): c for c in OPTION_LETTERS}}  # Ａ -> A


def _letter(mark: re.Match[str]) -> str:
    return _LETTERS[mark.group(1) or mark.group(2)]


def split_options(text: str, first: str = "A") -> tuple[str, list[str]]:
    """``"题干 A.x B.y"`` → ``("题干", ["x", "y"])``: option marks count only in the order A, B, C…

    A mark must start the text or follow a space, a tab or the end of the
    previous option's text (``A.正确B.错误``); letters out of order are text.
    """
    if "*" in text or "__" in text:
        text = _MARKUP.sub(" ", text)
    expected = OPTION_LETTERS.index(first)
    cuts: list[tuple[int, int]] = []
    for mark in _OPTION_MARK.finditer(text):
        if expected >= len(OPTION_LETTERS) or _letter(mark) != OPTION_LETTERS[expected]:
            continue
        at = mark.start()
        before = text[at - 1] if at else " "
        # "A、1B、2C、3" and "A.正确B.错误" run on; "PVC" or "2B" inside a word do not start an option.
        if at and not (
            before.isspace() or before in "。；;，,）)" or (cuts and not (before.isascii() and before.isalpha()))
        ):
            continue
        cuts.append((at, mark.end()))
        expected += 1
    if not cuts:
        return text.strip(), []
    head = text[: cuts[0][0]].strip()
    options = [
        text[end : (cuts[i + 1][0] if i + 1 < len(cuts) else len(text))].strip() for i, (_at, end) in enumerate(cuts)
    ]
    return head, options


def parse_lines(lines: Iterable[Line], *, source: str = "") -> RawTable:
    """Group lines into questions and key each as a ``RawRow`` (see the module docstring)."""
    stream = iter(lines)
    head = list(islice(stream, 2000))
    numbered = any(_QUESTION.match(line.text) for line in head if line.text)
    rows: list[RawRow] = []
    labels = (_("Question %(number)d (line %(line)d)"), _("Question at line %(line)d"))
    section: str | None = None
    chapter = ""  # "第一章 安全生产法律基本知识": the knowledge point of the questions below it
    current: _Question | None = None
    closed = True  # the current question ended (a blank line after its key, unnumbered files)

    def flush() -> None:
        nonlocal current
        if current is not None:
            rows.append(_row(current, labels))
        current = None

    for line in chain(head, stream):
        text = line.text.strip()
        if not text and not line.images:
            if current is not None and (current.answer is not None or (not numbered and current.options)):
                current.in_explanation = False
                closed = True
            continue
        heading = _heading(text) if text else None
        if heading is not None:
            flush()
            section = None if heading == _ANY_SECTION else heading
            continue
        chapter_match = _CHAPTER.match(text) if text[:1] == "第" else None
        if chapter_match:
            flush()
            chapter = chapter_match.group(1).strip()[:200]
            continue
        start = _QUESTION.match(text) if numbered and text[:1] in _QUESTION_START else None
        if start:
            number = int(start.group(1) or start.group(2) or start.group(3))
            if _starts_question(current, number):
                flush()
                current = _Question(number, line.number, section, chapter=chapter)
                closed = False
                _stem_text(current, start.group(4))
                current.images.extend(line.images)
                continue
        if current is None or (not numbered and closed and _plain(text)):
            if numbered:
                continue  # a title or a note above the first question
            flush()
            current = _Question(None, line.number, section, chapter=chapter)
            closed = False
            _stem_text(current, text)
            current.images.extend(line.images)
            continue
        current.images.extend(line.images)
        if text:
            _add_line(current, text)
    flush()
    if not numbered and not any(row.values.get("answer") or row.values.get("option_a") for row in rows):
        rows = []  # no numbers, no options, no keys: prose, not a bank
    if not rows:
        raise ImportRefused(
            _("No numbered questions were found: write them as “1. stem”, options “A. …” and “答案：A”.")
        )
    return RawTable(rows=rows, labels=dict(COLUMN_TITLES), source=source)


def _starts_question(current: _Question | None, number: int) -> bool:
    if current is None or current.number is None:
        return True
    if number > current.number:
        return True
    # Numbering restarting at 1 without a heading: only once the question before is answered.
    return number == 1 and current.answer is not None and not current.in_explanation


def _plain(text: str) -> bool:
    return not (_ANSWER.match(text) or _EXPLANATION.match(text) or _META.match(text) or split_options(text)[1])


def _stem_text(question: _Question, text: str) -> None:
    head, options = split_options(text) if _MAY_HAVE_OPTION.search(text) else (text, [])
    if len(options) >= 2:
        question.stem.append(head)
        question.options.extend(options)
    elif text.strip():
        question.stem.append(text.strip())


def _add_line(question: _Question, text: str) -> None:
    if text[0] in _LABEL_START and _labelled(question, text):
        return
    if question.in_explanation:
        question.explanation.append(text)
        return
    if question.answer is None:
        first = OPTION_LETTERS[len(question.options)] if len(question.options) < len(OPTION_LETTERS) else "H"
        head, options = split_options(text, first)
        if options and not head:
            question.options.extend(options)
            return
        if question.options:
            question.options[-1] = f"{question.options[-1]} {text}".strip()
            return
        if len(options) >= 2 or (options and first != "A"):
            question.stem.append(head)
            question.options.extend(options)
            return
        question.stem.append(text)
        return
    question.explanation.append(text)  # text after the key without a 解析 label


def _labelled(question: _Question, text: str) -> bool:
    """An ``答案：`` / ``解析：`` / ``难度：`` line, taken into the question."""
    answer = _ANSWER.match(text)
    if answer and (question.answer is None or question.in_explanation is False):
        key, explanation = _split_explanation(answer.group(1))
        question.answer = _KEY_END.sub("", key.strip())
        question.in_explanation = False
        if explanation is not None:
            question.explanation.append(explanation)
            question.in_explanation = True
        return True
    explanation_match = _EXPLANATION.match(text)
    if explanation_match:
        question.explanation.append(explanation_match.group(1).strip())
        question.in_explanation = True
        return True
    meta = _META.match(text)
    if meta:
        key = "difficulty" if meta.group(1).startswith("难") else "knowledge_point"
        question.meta[key] = meta.group(2).strip()
        question.in_explanation = False
        return True
    return False


def _split_explanation(text: str) -> tuple[str, str | None]:
    found = _EXPLANATION_INLINE.search(text)
    if not found:
        return text, None
    return text[: found.start()], text[found.end() :].strip()


def _row(question: _Question, labels: tuple[str, str]) -> RawRow:
    stem = "\n".join(part for part in question.stem if part)
    options = question.options[: len(OPTION_FIELDS)]
    answer = question.answer or ""
    if not answer:
        stem, answer = _key_in_stem(stem, options, question.section)
    else:
        stem = _hide_key(stem, answer)
    values = {"stem": stem, "answer": answer, "type": _type(question.section, options, answer, stem)}
    values.update({OPTION_FIELDS[i]: text for i, text in enumerate(options)})
    if question.explanation:
        values["explanation"] = "\n".join(part for part in question.explanation if part)
    if question.chapter:
        values["knowledge_point"] = question.chapter
    values.update(question.meta)
    where = (
        labels[0] % {"number": question.number, "line": question.line}
        if question.number is not None
        else labels[1] % {"line": question.line}
    )
    return RawRow(question.line, values, label=where, images=tuple(question.images))


def _key_in_stem(stem: str, options: list[str], section: str | None) -> tuple[str, str]:
    """The key written in brackets in the stem (``……的（A）``, ``……。（√）``), taken out of the stem."""
    matches = list(_BRACKET_KEY.finditer(stem))
    if not matches:
        return stem, ""
    found = matches[-1]
    key = found.group(1)
    letters = parse_letters(key)
    if letters is not None:
        if not options or section in (TYPE_TITLES[QuestionType.FILL_BLANK], SUBJECTIVE):
            return stem, ""
    elif truth_of(key) is None or (options and len(options) != 2):
        return stem, ""
    return stem[: found.start()] + "（ ）" + stem[found.end() :], key


def _hide_key(stem: str, answer: str) -> str:
    """A stem that also shows its key in brackets (``……的（A）``, ``答案：A`` below) loses it: learners see the stem."""
    for found in reversed(list(_BRACKET_KEY.finditer(stem))):
        key = found.group(1)
        letters = parse_letters(key)
        same = letters == parse_letters(answer) if letters is not None else truth_of(key) == truth_of(answer)
        if same and (letters is not None or truth_of(key) is not None):
            return stem[: found.start()] + "（ ）" + stem[found.end() :]
    return stem


def _type(section: str | None, options: list[str], answer: str, stem: str) -> str:
    if section is not None:
        return section
    if options:
        return options_type(options, answer)
    if answer and truth_of(answer) is not None:
        return TYPE_TITLES[QuestionType.TRUE_FALSE]
    letters = parse_letters(answer) if answer else None
    if letters:  # keyed by option letters but no options were found: a choice question validate will refuse
        return TYPE_TITLES[QuestionType.MULTIPLE if len(letters) > 1 else QuestionType.SINGLE]
    if _BLANK_IN_STEM.search(stem):
        return TYPE_TITLES[QuestionType.FILL_BLANK]
    return SUBJECTIVE


# --- plain text ----------------------------------------------------------------------


def text_lines(text: str) -> list[Line]:
    return [Line(number, line) for number, line in enumerate(text.splitlines(), start=1)]


_AIKEN_ANSWER = re.compile(r"^\s*ANSWER\s*[:：]", re.MULTILINE)
_CHINESE_KEY = re.compile(r"^\s*(?:【\s*答案\s*】|(?:参考|正确|标准)?答案\s*[:：])", re.MULTILINE)


def looks_numbered(data: bytes) -> bool:
    """A ``.txt`` upload: the numbered Chinese layout (True) or Aiken (False, it has ``ANSWER:`` lines)."""
    try:
        text = decode_csv(data[:262144])
    except UploadRejected:
        return True  # read_txt gives the encoding message
    except UnicodeDecodeError:
        return True
    return not (_AIKEN_ANSWER.search(text) and not _CHINESE_KEY.search(text))


def read_txt(data: bytes, source: str = "") -> RawTable:
    return parse_lines(text_lines(decode_csv(data)), source=source)


# --- Word ------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_V = "{urn:schemas-microsoft-com:vml}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CHINESE_DIGITS = "〇一二三四五六七八九十"


def is_docx(data: bytes) -> bool:
    """A Word package whatever its name says (a ZIP holding ``word/document.xml``)."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        return "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def read_docx(data: bytes, source: str = "") -> RawTable:
    from lxml import etree

    check_docx(data, source)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        return parse_lines(docx_lines(archive), source=source)
    except (ImportRefused, UploadRejected):
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, etree.LxmlError):
        raise UploadRejected(_("The Word document could not be read: it is damaged or not a .docx file.")) from None


def docx_lines(archive: zipfile.ZipFile) -> Iterator[Line]:
    """Every paragraph of the body (table cells included) as lines: a manual line break splits one.

    One pass of ``iterparse`` events over the elements that matter (text, tabs,
    breaks, list numbers, pictures); each paragraph is dropped once read.
    """
    from lxml import etree

    targets = _relationships(archive)
    numbering = _Numbering(archive)
    text_tag, tab, br, cr, num_tag, ilvl_tag = (f"{_W}{t}" for t in ("t", "tab", "br", "cr", "numId", "ilvl"))
    paragraph_tag, blip, imagedata = f"{_W}p", f"{_A}blip", f"{_V}imagedata"
    tags = (paragraph_tag, text_tag, tab, br, cr, num_tag, ilvl_tag, blip, imagedata)
    break_type, val, embed, rel_id = f"{_W}type", f"{_W}val", f"{_R}embed", f"{_R}id"
    with archive.open("word/document.xml") as stream:
        number = 0
        pieces: list[str] = []
        images: dict[str, None] = {}
        num_id, ilvl = "", 0
        for _event, node in etree.iterparse(
            stream, events=("end",), tag=tags, resolve_entities=False, huge_tree=True, no_network=True
        ):
            tag = node.tag
            if tag == text_tag:
                pieces.append(node.text or "")
            elif tag == paragraph_tag:
                number += 1
                text = "".join(pieces)
                if num_id:
                    text = numbering.label(num_id, ilvl) + text
                blobs = tuple(archive.read(name) for name in images) if images else ()
                pieces, num_id, ilvl = [], "", 0
                if images:
                    images = {}
                node.clear()
                parent = node.getparent()
                if parent is not None:
                    while node.getprevious() is not None:
                        del parent[0]
                if "\n" in text:
                    parts = text.split("\n")
                    for part in parts[:-1]:
                        yield Line(number, part)
                    text = parts[-1]
                yield Line(number, text, blobs)
            elif tag == tab:
                pieces.append("\t")
            elif tag in (br, cr):
                if node.get(break_type) in (None, "textWrapping"):
                    pieces.append("\n")
            elif tag == num_tag:
                num_id = node.get(val) or ""
            elif tag == ilvl_tag:
                ilvl = int(node.get(val) or 0)
            else:
                target = targets.get(node.get(embed) or node.get(rel_id) or "")
                if target:
                    images[target] = None  # one picture, even when drawn and in its VML fallback


def _relationships(archive: zipfile.ZipFile) -> dict[str, str]:
    """rId -> the zip path of each picture the document part refers to."""
    from lxml import etree

    try:
        rels = archive.read("word/_rels/document.xml.rels")
    except KeyError:
        return {}
    root = etree.fromstring(rels, etree.XMLParser(resolve_entities=False, no_network=True))
    names = set(archive.namelist())
    targets = {}
    for rel in root.iter(f"{_REL}Relationship"):
        if not (rel.get("Type") or "").endswith("/image") or rel.get("TargetMode") == "External":
            continue
        target = posixpath.normpath(posixpath.join("word", rel.get("Target") or "")).lstrip("/")
        if target in names:
            targets[rel.get("Id") or ""] = target
    return targets


class _Numbering:
    """Word's automatic list numbers (``w:numPr``), written out as the text a reader sees ("3、" / "B.").

    As in Word, lists that share an abstract definition continue one count,
    unless a list restarts it (``w:startOverride``, Word's "restart numbering").
    """

    def __init__(self, archive: zipfile.ZipFile) -> None:
        from lxml import etree

        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) -> format, text, start
        self.abstract_of: dict[str, str] = {}
        self.overrides: dict[tuple[str, int], int] = {}
        self.seen: set[tuple[str, int]] = set()
        self.counters: dict[str, list[int]] = {}
        try:
            xml = archive.read("word/numbering.xml")
        except KeyError:
            return
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
        val = f"{_W}val"
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for node in root.iter(f"{_W}abstractNum"):
            levels = {}
            for level in node.iter(f"{_W}lvl"):
                fmt, text, start = level.find(f"{_W}numFmt"), level.find(f"{_W}lvlText"), level.find(f"{_W}start")
                levels[int(level.get(f"{_W}ilvl") or 0)] = (
                    (fmt.get(val) or "decimal") if fmt is not None else "decimal",
                    (text.get(val) or "") if text is not None else "",
                    int(start.get(val) or 1) if start is not None else 1,
                )
            abstract[node.get(f"{_W}abstractNumId") or ""] = levels
        for node in root.iter(f"{_W}num"):
            num_id = node.get(f"{_W}numId") or ""
            ref = node.find(f"{_W}abstractNumId")
            self.abstract_of[num_id] = (ref.get(val) or "") if ref is not None else ""
            for ilvl, spec in abstract.get(self.abstract_of[num_id], {}).items():
                self.levels[(num_id, ilvl)] = spec
            for override in node.iter(f"{_W}lvlOverride"):
                start = override.find(f"{_W}startOverride")
                if start is not None:
                    self.overrides[(num_id, int(override.get(f"{_W}ilvl") or 0))] = int(start.get(val) or 1)

    def label(self, num_id: str, ilvl: int) -> str:
        spec = self.levels.get((num_id, ilvl))
        if spec is None:
            return ""
        fmt, template, start = spec
        counters = self.counters.setdefault(self.abstract_of[num_id], [0] * 10)
        if (num_id, ilvl) in self.overrides and (num_id, ilvl) not in self.seen:
            counters[ilvl] = self.overrides[(num_id, ilvl)]
        else:
            counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else start
        self.seen.add((num_id, ilvl))
        for deeper in range(ilvl + 1, len(counters)):
            counters[deeper] = 0
        if fmt in ("bullet", "none") or not template:
            return ""
        label = template
        for level in range(ilvl + 1):
            level_fmt, _text, level_start = self.levels.get((num_id, level), (fmt, "", 1))
            label = label.replace(f"%{level + 1}", _format_number(counters[level] or level_start, level_fmt))
        return label + " "


def _format_number(value: int, fmt: str) -> str:
    if fmt == "upperLetter":
        return OPTION_LETTERS[(value - 1) % len(OPTION_LETTERS)] if value <= 8 else chr(64 + (value - 1) % 26 + 1)
    if fmt == "lowerLetter":
        return chr(96 + (value - 1) % 26 + 1)
    if fmt.startswith("chinese") or fmt.startswith("ideograph") or fmt.startswith("taiwanese"):
        if value <= 10:
            return _CHINESE_DIGITS[value]
        tens, ones = divmod(value, 10)
        return (_CHINESE_DIGITS[tens] if tens > 1 else "") + "十" + (_CHINESE_DIGITS[ones] if ones else "")
    return str(value)
