"""PDF documents with Chinese text, without shipping a font file.

reportlab's built-in CID font ``STSong-Light`` (Adobe's Song, which every PDF reader
provides) renders Chinese; the PDF embeds no glyphs, so a file of many pages stays small.
``tables_pdf`` lays out a titled document of key-value lines and tables (the 一人一档
archive); exams' certificate draws on a canvas with the same font.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

CJK_FONT = "STSong-Light"


def cjk_font() -> str:
    """The name of the Chinese font, registered with reportlab on first use."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def tables_pdf(
    *,
    title: str,
    lines: Sequence[tuple[str, str]],
    tables: Sequence[tuple[str, str, Sequence[str], Sequence[Sequence[str]], str]],
    author: str = "",
    landscape: bool = False,
) -> bytes:
    """An A4 document: ``title``, the ``lines`` as "label: value", then each table as
    (heading, summary, column titles, rows, text when empty), long tables breaking across
    pages with their column titles repeated. Every cell wraps (Chinese breaks anywhere).
    ``landscape``: the page turned sideways, for tables of many columns (an attendance sheet)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape as sideways
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11)
    head = ParagraphStyle("head", parent=cell, textColor=colors.white)
    heading = ParagraphStyle("heading", parent=body, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4)
    big = ParagraphStyle("title", parent=body, fontSize=18, leading=24, alignment=1, spaceAfter=8)

    def text(value: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(str(value)).replace("\n", "<br/>"), style)

    page = sideways(A4) if landscape else A4
    buffer = io.BytesIO()
    margin = 15 * mm
    doc = SimpleDocTemplate(
        buffer, pagesize=page, leftMargin=margin, rightMargin=margin, topMargin=margin, bottomMargin=margin
    )
    doc.title = title
    doc.author = author
    width = page[0] - 2 * margin
    story: list = [text(title, big)]
    story.extend(text(f"{label}：{value}", body) for label, value in lines)
    for table_heading, summary, columns, rows, empty in tables:
        story.append(text(table_heading, heading))
        if summary:
            story.append(text(summary, body))
        if not rows:
            story.append(text(empty, body))
            continue
        data = [[text(c, head) for c in columns], *[[text(v, cell) for v in row] for row in rows]]
        table = Table(data, colWidths=[width / len(columns)] * len(columns), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f4e79")),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f5f8")]),
                ]
            )
        )
        story.extend([Spacer(1, 2), table])

    def page_number(canvas: object, document: object) -> None:
        canvas.setFont(font, 8)  # type: ignore[attr-defined]
        canvas.drawRightString(page[0] - margin, 8 * mm, f"{title} · {document.page}")  # type: ignore[attr-defined]

    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buffer.getvalue()
