"""Word and PowerPoint lesson plans previewed as their text (training.office_preview and the library page).

Real files: python-docx's and python-pptx's own test files (tests/fixtures/documents/README.md), and
Chinese plans built here with python-docx and python-pptx (headings, tables, bullets, a merged cell).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import reverse
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from pptx import Presentation
from pptx.util import Inches

from tests.conftest import Cast, login_client
from tests.training.library_support import make_plan
from training.models import LessonPlan
from training.office_preview import (
    MAX_BLOCKS,
    MAX_SLIDES,
    MAX_TABLE_ROWS,
    Block,
    OfficeUnreadable,
    Slide,
    docx_outline,
    pptx_outline,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"


def _saved(document: object) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


def confined_space_docx(*, script: bool = False) -> bytes:
    """A Chinese Word plan: a title, headings of two levels (one a WPS-style "标题 2"), an empty
    paragraph, a table with a merged cell, a line break inside a paragraph."""
    document = Document()
    document.add_heading("有限空间作业安全", level=1)
    document.add_paragraph("本课时讲解有限空间作业的危险因素。")
    document.add_paragraph("")
    document.add_heading("一、危险因素", level=2)
    document.add_paragraph("缺氧窒息\n有毒气体中毒")
    document.styles.add_style("标题 2", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("二、作业前检测", style="标题 2")
    table = document.add_table(rows=3, cols=3)
    texts = ["检测项目", "合格标准", "仪器", "氧气", "19.5%–23.5%", "四合一"]
    for number, text in enumerate(texts):
        table.cell(number // 3, number % 3).text = text
    table.cell(2, 0).merge(table.cell(2, 2)).text = "检测不合格，严禁进入"
    if script:
        document.add_paragraph("<script>alert('教案')</script>")
    document.add_paragraph("考核：口述通风检测步骤。")
    return _saved(document)


def hot_work_pptx() -> bytes:
    """A Chinese slide deck: a title slide, a title-and-content slide with bullets, a slide with a text
    box and no title, a slide with a table."""
    presentation = Presentation()
    first = presentation.slides.add_slide(presentation.slide_layouts[0])
    first.shapes.title.text = "动火作业安全管理"
    first.placeholders[1].text = "班组级培训 · 1.5 学时"
    second = presentation.slides.add_slide(presentation.slide_layouts[1])
    second.shapes.title.text = "动火作业票"
    body = second.placeholders[1].text_frame
    body.text = "一级动火由厂级审批"
    for text in ("二级动火由车间审批", "", "动火前分析可燃气体"):
        body.add_paragraph().text = text
    third = presentation.slides.add_slide(presentation.slide_layouts[6])  # blank
    third.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1)).text_frame.text = "现场监护人不得离开"
    fourth = presentation.slides.add_slide(presentation.slide_layouts[5])  # title only
    fourth.shapes.title.text = "检查表"
    table = fourth.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(1)).table
    for (row, col), text in {(0, 0): "项目", (0, 1): "要求", (1, 0): "灭火器", (1, 1): "两具以上"}.items():
        table.cell(row, col).text = text
    return _saved(presentation)


def test_a_word_plan_reads_as_its_headings_paragraphs_and_tables_in_order() -> None:
    outline = docx_outline(confined_space_docx())
    assert list(outline) == [
        Block("heading", "有限空间作业安全", 1),
        Block("paragraph", "本课时讲解有限空间作业的危险因素。"),
        Block("heading", "一、危险因素", 2),
        Block("paragraph", "缺氧窒息\n有毒气体中毒"),
        Block("heading", "二、作业前检测", 2),
        Block(
            "table",
            rows=(("检测项目", "合格标准", "仪器"), ("氧气", "19.5%–23.5%", "四合一"), ("检测不合格，严禁进入",)),
        ),
        Block("paragraph", "考核：口述通风检测步骤。"),
    ]
    assert not outline.cut


def test_a_real_word_file_from_python_docx() -> None:
    outline = docx_outline((FIXTURES / "par-known-styles.docx").read_bytes())
    assert list(outline) == [
        Block("paragraph", "no specified style"),
        Block("paragraph", "missing style"),
        Block("heading", "Heading 1", 1),
        Block("paragraph", "Body Text"),
    ]


def test_a_long_word_document_is_cut_and_says_so() -> None:
    document = Document()
    for number in range(MAX_BLOCKS + 50):
        document.add_paragraph(f"第 {number + 1} 段")
    outline = docx_outline(_saved(document))
    assert len(outline) == MAX_BLOCKS
    assert outline[-1] == Block("paragraph", f"第 {MAX_BLOCKS} 段")
    assert outline.cut

    document = Document()
    table = document.add_table(rows=MAX_TABLE_ROWS + 10, cols=1)
    for number, row in enumerate(table.rows):
        row.cells[0].text = f"第 {number + 1} 行"
    outline = docx_outline(_saved(document))
    assert [row[0] for row in outline[0].rows] == [f"第 {n + 1} 行" for n in range(MAX_TABLE_ROWS)]
    assert outline.cut

    document = Document()
    for _ in range(5):
        document.add_paragraph("长" * 20_000)
    outline = docx_outline(_saved(document))
    assert len(outline) == 3  # 60,000 characters
    assert outline.cut


def test_a_slide_deck_reads_as_numbered_slides_with_titles_and_points() -> None:
    outline = pptx_outline(hot_work_pptx())
    assert list(outline) == [
        Slide(1, "动火作业安全管理", ("班组级培训 · 1.5 学时",)),
        Slide(2, "动火作业票", ("一级动火由厂级审批", "二级动火由车间审批", "动火前分析可燃气体")),
        Slide(3, "", ("现场监护人不得离开",)),
        Slide(4, "检查表", ("项目 | 要求", "灭火器 | 两具以上")),
    ]
    assert not outline.cut


def test_a_real_slide_deck_from_python_pptx() -> None:
    """Made by PowerPoint: text boxes only (no title), one with a line break, one in CJK characters."""
    (slide,) = pptx_outline((FIXTURES / "txt-font-typeface.pptx").read_bytes())
    assert (slide.number, slide.title) == (1, "")
    assert slide.paragraphs[1] == "textbox with multiple runs having typeface\ncustomized at shape level"
    assert "暒龢加咊\ufa12弗" in slide.paragraphs  # U+FA12: a CJK compatibility ideograph
    assert len(slide.paragraphs) == 5


def test_a_long_deck_is_cut_at_200_slides() -> None:
    presentation = Presentation()
    for number in range(MAX_SLIDES + 5):
        presentation.slides.add_slide(presentation.slide_layouts[5]).shapes.title.text = f"第 {number + 1} 页"
    outline = pptx_outline(_saved(presentation))
    assert [slide.number for slide in outline] == list(range(1, MAX_SLIDES + 1))
    assert outline[-1].title == f"第 {MAX_SLIDES} 页"
    assert outline.cut


@pytest.mark.parametrize(
    ("read", "data"),
    [
        (docx_outline, confined_space_docx()[:4000]),  # cut off mid-download
        (pptx_outline, hot_work_pptx()[:4000]),
        (pptx_outline, confined_space_docx()),  # a Word document is no slide deck
        (docx_outline, b"not an office file"),
    ],
)
def test_a_damaged_file_is_unreadable(read: object, data: bytes) -> None:
    with pytest.raises(OfficeUnreadable):
        read(data)  # type: ignore[operator]


def _shared(cast: Cast, title: str, data: bytes, name: str) -> LessonPlan:
    return make_plan(
        cast.east.enterprise_admin,
        title,
        data=data,
        name=name,
        owner_enterprise=cast.east.enterprises[0],
        share="subtree",
        shared_with=cast.east.jurisdiction,
    )


def _page(cast: Cast, plan: LessonPlan) -> str:
    response = login_client(cast.east.training_admin).get(
        reverse("training:library_detail", args=[plan.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_library_page_previews_a_word_plan_as_escaped_text(cast: Cast) -> None:
    plan = _shared(cast, "《有限空间作业安全》教案", confined_space_docx(script=True), "有限空间.docx")
    page = _page(cast, plan)
    assert "内容预览" in page
    assert "<h3>有限空间作业安全</h3>" in page
    assert "<h4>一、危险因素</h4>" in page
    assert "<td>检测项目</td>" in page
    assert page.index("本课时讲解") < page.index("一、危险因素") < page.index("检测项目") < page.index("考核")
    assert "&lt;script&gt;alert(&#x27;教案&#x27;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "仅预览文字，图片和版式请下载原文件查看" in page
    assert "只显示了前面的部分" not in page
    assert reverse("training:library_file", args=[plan.pk]) in page  # the download stays


def test_the_library_page_previews_a_slide_deck_slide_by_slide(cast: Cast) -> None:
    plan = _shared(cast, "《动火作业安全管理》教案", hot_work_pptx(), "动火.pptx")
    page = _page(cast, plan)
    assert page.count('class="card slide-card"') == 4
    assert "第 2 张" in page
    assert "<h3>动火作业票</h3>" in page
    assert "<li>二级动火由车间审批</li>" in page
    assert "<li>灭火器 | 两具以上</li>" in page


def test_a_cut_preview_says_so(cast: Cast) -> None:
    document = Document()
    for number in range(MAX_BLOCKS + 1):
        document.add_paragraph(f"第 {number + 1} 段")
    page = _page(cast, _shared(cast, "很长的教案", _saved(document), "长.docx"))
    assert f"第 {MAX_BLOCKS} 段" in page
    assert f"第 {MAX_BLOCKS + 1} 段" not in page
    assert "只显示了前面的部分" in page


def test_a_file_that_cannot_be_read_shows_no_preview(cast: Cast) -> None:
    """A package that passes the upload check but whose main part python-docx cannot parse."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(confined_space_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as broken:
        for info in source.infolist():
            data = source.read(info)
            broken.writestr(info, data[: len(data) // 2] if info.filename == "word/document.xml" else data)
    plan = _shared(cast, "损坏的教案", buffer.getvalue(), "损坏.docx")
    page = _page(cast, plan)
    assert "内容预览" not in page
    assert "data-office-preview" not in page
    assert reverse("training:library_file", args=[plan.pk]) in page


def test_a_trainer_outside_the_plans_scope_gets_404(cast: Cast) -> None:
    plan = _shared(cast, "《有限空间作业安全》教案", confined_space_docx(), "有限空间.docx")
    for user in (cast.west.training_admin, cast.west.enterprise_admin, cast.outsider):
        response = login_client(user).get(reverse("training:library_detail", args=[plan.pk]))
        assert response.status_code == 404
        assert "有限空间作业安全" not in response.content.decode()
