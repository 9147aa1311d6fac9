"""A Word lesson plan in the library on a phone (390×844, zh-CN): the page shows the plan's text —
headings, paragraphs and a table wider than the screen — without scrolling sideways (the table
scrolls inside its own frame), and the download button stays. The screenshot goes to
var/screenshots/library-docx-preview-phone.png.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import PHONE, SCREENSHOTS, login

pytestmark = pytest.mark.browser

# A plan of the demo training centre shared with the demo district, uploaded through the service
# (content checks included): built with python-docx, a six-column table, a long unbroken string.
SETUP = """
import io, json
from django.core.files.base import ContentFile
from docx import Document
from accounts.models import User
from organizations.models import TrainingProvider
from training import selectors
from training.models import LessonPlan
from training.services import library
title = "浏览器测试：《受限空间作业安全》教案"
trainer = User.objects.get(username="demo_trainer")
plan = LessonPlan.objects.filter(title=title).first()
if plan is None:
    provider = TrainingProvider.objects.get(code="demo-center")
    document = Document()
    document.add_heading("受限空间作业安全", level=1)
    document.add_paragraph("本课时面向班组长和作业人员，讲解受限空间作业的主要危险和作业前的检测要求。")
    document.add_heading("一、主要危险", level=2)
    document.add_paragraph("缺氧窒息、有毒气体中毒、可燃气体爆炸。")
    document.add_paragraph("参考：https://www.mem.gov.cn/gk/zfxxgkpt/fdzdgknr/受限空间作业安全规范全文下载地址")
    document.add_heading("二、作业前检测", level=2)
    table = document.add_table(rows=4, cols=6)
    rows = [("检测项目", "合格标准", "检测仪器", "检测时机", "记录人", "备注"),
            ("氧气含量", "19.5%～23.5%", "四合一气体检测仪", "进入前30分钟内", "监护人", "连续监测"),
            ("可燃气体", "低于爆炸下限10%", "四合一气体检测仪", "进入前30分钟内", "监护人", "每2小时复测"),
            ("硫化氢", "低于10 mg/m³", "四合一气体检测仪", "进入前30分钟内", "监护人", "超标立即撤离")]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_paragraph("考核：学员口述检测步骤，现场演示气体检测仪的使用。")
    buffer = io.BytesIO()
    document.save(buffer)
    plan = library.plan_upload(by=User.objects.get(username="demo_admin"), title=title, credit_hours="2",
        upload=ContentFile(buffer.getvalue(), name="受限空间.docx"), owner_provider=provider,
        share=LessonPlan.Share.SUBTREE, shared_with=provider.jurisdiction)
visible = selectors.lesson_plans_visible_to(trainer).filter(pk=plan.pk).exists()
print(json.dumps({"plan": plan.pk, "visible": visible, "type": plan.file_type}))
"""


def test_a_word_plan_is_previewed_as_text_on_a_phone(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    setup = json.loads(run_manage("shell", "-c", SETUP).stdout.strip().splitlines()[-1])
    assert setup["visible"]
    assert setup["type"] == "docx"
    page = new_page()
    login(page, live_server_url, "demo_trainer")
    page.goto(f"{live_server_url}/training/library/{setup['plan']}/")
    preview = page.locator("[data-office-preview]")
    assert preview.is_visible()
    assert preview.locator("h2").inner_text() == "内容预览"
    assert preview.locator("h3").first.inner_text() == "受限空间作业安全"
    assert preview.locator("h4").all_inner_texts() == ["一、主要危险", "二、作业前检测"]
    assert preview.locator("table.data td").first.inner_text() == "检测项目"
    assert preview.get_by_text("仅预览文字，图片和版式请下载原文件查看").is_visible()
    assert page.locator("[data-download]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    # The table is wider than the phone: it scrolls in its own frame, which stays inside the page.
    wrap = preview.locator(".table-wrap")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")
    box = wrap.bounding_box()
    assert box is not None
    assert 0 <= box["x"]
    assert box["x"] + box["width"] <= PHONE["width"]
    preview.locator("h4").last.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "library-docx-preview-phone.png"))


# A three-page PDF plan (pages of pdf.js's numbered test file: tests/fixtures/documents/README.md).
SETUP_PDF = """
import io, json
from django.core.files.base import ContentFile
from pypdf import PdfReader, PdfWriter
from accounts.models import User
from organizations.models import TrainingProvider
from training.models import LessonPlan
from training.services import library
title = "浏览器测试：三页的 PDF 教案"
plan = LessonPlan.objects.filter(title=title).first()
if plan is None:
    reader, writer = PdfReader("tests/fixtures/documents/page_with_number_and_link.pdf"), PdfWriter()
    for number in (1, 2, 3):
        writer.add_page(reader.pages[number - 1])
    buffer = io.BytesIO()
    writer.write(buffer)
    provider = TrainingProvider.objects.get(code="demo-center")
    plan = library.plan_upload(by=User.objects.get(username="demo_admin"), title=title, credit_hours="1",
        upload=ContentFile(buffer.getvalue(), name="三页.pdf"), owner_provider=provider,
        share=LessonPlan.Share.SUBTREE, shared_with=provider.jurisdiction)
print(json.dumps({"plan": plan.pk}))
"""

SHOWN = """() => { const img = document.querySelector('[data-doc-pages] img');
  const match = img.currentSrc.match(/\\/pages\\/(\\d+)\\//);
  return {page: match ? Number(match[1]) : 0, drawn: img.complete && img.naturalWidth > 0, alt: img.alt}; }"""


def test_a_pdf_plan_is_paged_through_as_images_on_a_phone(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    plan = json.loads(run_manage("shell", "-c", SETUP_PDF).stdout.strip().splitlines()[-1])["plan"]
    page = new_page()
    login(page, live_server_url, "demo_trainer")
    page.goto(f"{live_server_url}/training/library/{plan}/")
    pager = page.locator("[data-doc-pages]")
    for number in (1, 2, 3):
        page.wait_for_function(f"() => ({SHOWN})().page === {number} && ({SHOWN})().drawn")
        assert page.evaluate(SHOWN)["alt"] == f"第 {number} 页"
        assert pager.locator("[data-doc-page]").inner_text() == str(number)
        assert pager.locator("[data-doc-prev]").is_disabled() == (number == 1)
        assert pager.locator("[data-doc-next]").is_disabled() == (number == 3)
        if number < 3:
            pager.locator("[data-doc-next]").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
