"""The text of Word (.docx) and PowerPoint (.pptx) lesson plans, for a preview drawn as HTML.

Knows nothing of Django: bytes or a readable binary stream in, plain text out. Phones open no office
file inside a page, and most plans are Word documents and slide decks, so the library shows their words
(headings, paragraphs, tables; each slide's title and points) and leaves pictures and layout to the
download.

The file passed ``training.services.library.lesson_plan_file_check`` when it was stored (its ZIP
directory's sizes and ratios are capped, a Word part declaring a DTD is refused). Both libraries parse
with ``resolve_entities=False``, and nothing a package points to outside itself (a linked picture, a
hyperlink) is fetched or followed: only text is read.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any, Literal, TypeVar

Source = bytes | IO[bytes]

MAX_BLOCKS = 300  # headings, paragraphs and tables of a Word document
MAX_CHARS = 60_000  # of text, in either kind of file: a page a phone can still scroll through
MAX_TABLE_ROWS = 30
MAX_SLIDES = 200

_HEADING_STYLES = ("Heading", "标题", "Title")


class OfficeUnreadable(ValueError):
    """python-docx or python-pptx cannot read the file."""


@dataclass(frozen=True)
class Block:
    """One piece of a Word document's body: a ``heading`` (``level`` from 1), a ``paragraph``, or a
    ``table`` (``rows`` of cell texts)."""

    kind: Literal["heading", "paragraph", "table"]
    text: str = ""
    level: int = 0
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Slide:
    number: int  # from 1, in the presentation's order
    title: str
    paragraphs: tuple[str, ...]


_Item = TypeVar("_Item", Block, Slide)


class Outline(list[_Item]):
    """The blocks or slides in order; ``cut`` when the file holds more than is shown."""

    cut: bool = False


def _stream(source: Source) -> IO[bytes]:
    return io.BytesIO(source) if isinstance(source, bytes) else source


def _clean(text: str) -> str:
    # python-pptx gives a line break inside a paragraph as a vertical tab, which HTML cannot show.
    return text.replace("\v", "\n").strip()


def _heading_level(style_name: str) -> int:
    """0 for a style that is not a heading; 1 for "Title" and "标题", else the number in the name."""
    if not style_name.startswith(_HEADING_STYLES):
        return 0
    digits = "".join(ch for ch in style_name if ch.isdigit())
    return max(1, int(digits)) if digits else 1


class _Budget:
    def __init__(self, items: int) -> None:
        self.items, self.chars = items, MAX_CHARS

    def take(self, chars: int) -> bool:
        if self.items < 1 or self.chars < chars:
            return False
        self.items -= 1
        self.chars -= chars
        return True


def docx_outline(source: Source) -> Outline[Block]:
    """The body of a Word document in order: headings, non-empty paragraphs, tables (their first
    ``MAX_TABLE_ROWS`` rows), at most ``MAX_BLOCKS`` blocks and ``MAX_CHARS`` characters; ``OfficeUnreadable``."""
    from docx import Document
    from docx.table import Table

    try:
        document = Document(_stream(source))
        outline: Outline[Block] = Outline()
        budget = _Budget(MAX_BLOCKS)
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                rows = []
                for number, row in enumerate(item.rows):
                    if number == MAX_TABLE_ROWS:
                        outline.cut = True
                        break
                    cells, seen = [], set()
                    for cell in row.cells:
                        # A merged cell is listed once for every grid column it spans.
                        if id(cell._tc) not in seen:
                            seen.add(id(cell._tc))
                            cells.append(_clean(cell.text))
                    rows.append(tuple(cells))
                if not any(any(row) for row in rows):
                    continue
                block = Block("table", rows=tuple(rows))
                size = sum(len(cell) for row in rows for cell in row)
            else:
                text = _clean(item.text)
                if not text:
                    continue
                level = _heading_level(item.style.name if item.style is not None else "")
                block = Block("heading", text, level) if level else Block("paragraph", text)
                size = len(text)
            if not budget.take(size):
                outline.cut = True
                break
            outline.append(block)
        return outline
    except Exception as exc:
        # A damaged package fails in a dozen ways (zipfile, lxml, a missing part's KeyError, the
        # library's own errors): for a preview, every one of them means "no preview".
        raise OfficeUnreadable(str(exc)) from None


def _shape_paragraphs(shapes: Iterable[Any]) -> list[str]:
    """The non-empty paragraphs of every text frame and table among ``shapes`` (groups opened), in order."""
    from pptx.shapes.group import GroupShape

    paragraphs: list[str] = []
    for shape in shapes:
        if isinstance(shape, GroupShape):
            paragraphs += _shape_paragraphs(shape.shapes)
        elif shape.has_text_frame:
            paragraphs += [text for p in shape.text_frame.paragraphs if (text := _clean(p.text))]
        elif getattr(shape, "has_table", False):
            for row in shape.table.rows:
                cells = [text for cell in row.cells if (text := _clean(cell.text).replace("\n", " "))]
                if cells:
                    paragraphs.append(" | ".join(cells))
    return paragraphs


def pptx_outline(source: Source) -> Outline[Slide]:
    """Each slide's number, title (its title placeholder) and the paragraphs of its other text, in the
    presentation's order: at most ``MAX_SLIDES`` slides and ``MAX_CHARS`` characters; ``OfficeUnreadable``."""
    from pptx import Presentation

    try:
        presentation = Presentation(_stream(source))
        outline: Outline[Slide] = Outline()
        budget = _Budget(MAX_SLIDES)
        for number, slide in enumerate(presentation.slides, start=1):
            title_shape = slide.shapes.title
            title = _clean(title_shape.text_frame.text).replace("\n", " ") if title_shape is not None else ""
            others = [shape for shape in slide.shapes if title_shape is None or shape.shape_id != title_shape.shape_id]
            paragraphs = tuple(_shape_paragraphs(others))
            if not budget.take(len(title) + sum(len(p) for p in paragraphs)):
                outline.cut = True
                break
            outline.append(Slide(number, title, paragraphs))
        return outline
    except Exception as exc:
        raise OfficeUnreadable(str(exc)) from None
