"""Rebuilds the two Word files of the qbtext corpus (see README.md beside this file).

    .venv/bin/python tests/question_bank/real_world/qbtext_make_docx.py

The questions were written by hand for this corpus in the layouts of the
Word banks that circulate among Chinese safety trainers; the pictures are
drawn here with Pillow (safety-sign shapes after GB 2894).
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent


def sign(kind: str) -> bytes:
    image = Image.new("RGB", (120, 120), "white")
    draw = ImageDraw.Draw(image)
    if kind == "prohibition":  # red ring with a slash
        draw.ellipse((10, 10, 110, 110), outline="red", width=12)
        draw.line((28, 28, 92, 92), fill="red", width=12)
    elif kind == "warning":  # yellow triangle, black border
        draw.polygon([(60, 8), (114, 108), (6, 108)], fill="yellow", outline="black", width=6)
    elif kind == "mandatory":  # blue disc
        draw.ellipse((10, 10, 110, 110), fill="blue")
    else:  # green square: information
        draw.rectangle((10, 10, 110, 110), fill="green")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _numbering(document: docx.document.Document, questions: int) -> None:
    """Decimal "1、" numbering for questions (num 90), upper-letter "A." lists for options (num 91…)."""
    numbering = document.part.numbering_part.element
    numbering.insert(
        0,
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90"><w:multiLevelType w:val="singleLevel"/>'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1、"/>'
            '<w:lvlJc w:val="left"/></w:lvl></w:abstractNum>'
        ),
    )
    numbering.insert(
        1,
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="91"><w:multiLevelType w:val="singleLevel"/>'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperLetter"/><w:lvlText w:val="%1."/>'
            '<w:lvlJc w:val="left"/></w:lvl></w:abstractNum>'
        ),
    )
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for n in range(questions):
        # Each question's options restart at A, the way Word writes "Restart numbering".
        numbering.append(
            parse_xml(
                f'<w:num {nsdecls("w")} w:numId="{91 + n}"><w:abstractNumId w:val="91"/>'
                '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
            )
        )


def _numbered(paragraph: docx.text.paragraph.Paragraph, num_id: int) -> None:
    paragraph._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>')
    )


def safety_signs() -> None:
    """Auto-numbered questions and options, pictures in the stems, a table, manual line breaks."""
    document = docx.Document()
    document.add_heading("安全标志识别与现场安全知识题库", level=1)
    document.add_paragraph("说明：本题库供新员工三级安全教育使用。")
    document.add_heading("一、单选题", level=2)
    _numbering(document, 8)
    letters = ["禁止标志", "警告标志", "指令标志", "提示标志"]
    for index, (kind, key) in enumerate(
        [("warning", "B"), ("prohibition", "A"), ("information", "D"), ("mandatory", "C")]
    ):
        stem = document.add_paragraph("下图所示的安全标志属于（ ）。")
        _numbered(stem, 90)
        document.add_paragraph().add_run().add_picture(io.BytesIO(sign(kind)), width=Cm(2))
        for text in letters:
            _numbered(document.add_paragraph(text), 91 + index)
        document.add_paragraph(f"答案：{key}")
    # Two pictures in one question: the importer can keep one stem picture only.
    stem = document.add_paragraph("下列两个标志中，表示“必须戴安全帽”的是（ ）。")
    _numbered(stem, 90)
    run = document.add_paragraph().add_run()
    run.add_picture(io.BytesIO(sign("mandatory")), width=Cm(2))
    run.add_picture(io.BytesIO(sign("prohibition")), width=Cm(2))
    for text in ["左图", "右图"]:
        _numbered(document.add_paragraph(text), 95)
    document.add_paragraph("答案：A")
    # Options kept in one paragraph with manual line breaks (Shift+Enter).
    stem = document.add_paragraph("进入受限空间作业前，必须首先进行（ ）。")
    _numbered(stem, 90)
    run = document.add_paragraph().add_run("A. 气体检测")
    for text in ["B. 照明", "C. 清扫", "D. 拍照"]:
        run.add_break()
        run.add_text(text)
    document.add_paragraph("答案：A")
    document.add_heading("二、判断题", level=2)
    table = document.add_table(rows=3, cols=2)
    rows = [
        ("1. 安全标志分为禁止、警告、指令和提示四类。", "答案：√"),
        ("2. 警告标志的基本几何图形是圆形。", "答案：×"),
        ("3. 提示标志的背景色为绿色。", "答案：√"),
    ]
    for cells, (question, answer) in zip(table.rows, rows, strict=True):
        cells.cells[0].text = question
        cells.cells[1].text = answer
    document.save(HERE / "docx_safety_signs_images.docx")


def hazchem() -> None:
    """Typed numbers, tab-separated options, 【答案】/【解析】, 填空题, and two questions in error."""
    document = docx.Document()
    document.add_paragraph("危险化学品安全管理知识测试题")
    document.add_paragraph("一、单项选择题（每题2分）")
    items = [
        (
            "1．危险化学品储存场所应当设置明显的（ ）。",
            "A．安全警示标志\tB．广告牌\tC．宣传画\tD．门牌",
            "A",
            "《危险化学品安全管理条例》第二十条。",
        ),
        (
            "2．盛装易燃液体的容器应当（ ）。",
            "A．敞口放置\tB．密闭存放、远离火源\tC．放在阳光下\tD．与氧化剂混放",
            "B",
            "",
        ),
        (
            "3．发现有人硫化氢中毒，施救人员首先应当（ ）。",
            "A．立即进入现场救人\tB．佩戴好正压式空气呼吸器后施救\tC．大声呼喊\tD．用湿毛巾捂住口鼻进入",
            "B",
            "盲目施救易造成伤亡扩大。",
        ),
        ("4．危险化学品安全技术说明书的英文缩写是（ ）。", "A．SDS\tB．SOP\tC．PPE\tD．HSE", "", ""),
    ]
    for stem, options, key, explanation in items:
        document.add_paragraph(stem)
        document.add_paragraph(options)
        if key:
            document.add_paragraph(f"【答案】{key}")
        if explanation:
            document.add_paragraph(f"【解析】{explanation}")
    document.add_paragraph("二、多项选择题")
    document.add_paragraph("1．下列属于个体防护装备的有（ ）。")
    document.add_paragraph("A．防毒面具\tB．防护手套\tC．安全帽\tD．消防栓")
    document.add_paragraph("【答案】ABC")
    document.add_paragraph("2．易燃易爆场所应当使用（ ）。")
    document.add_paragraph("A．防爆电器\tB．普通照明灯\tC．明火取暖\tD．手机")
    document.add_paragraph("【答案】A")
    document.add_paragraph("三、填空题")
    document.add_paragraph("1．我国的火警电话是____，急救电话是____。")
    document.add_paragraph("【答案】119|120")
    document.add_paragraph("2．动火作业前，应当清除动火点周围的____物。")
    document.add_paragraph("【答案】可燃")
    document.save(HERE / "docx_hazchem_typed.docx")


if __name__ == "__main__":
    safety_signs()
    hazchem()
