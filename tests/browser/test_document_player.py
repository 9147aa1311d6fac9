"""A document lesson on a phone (390×844) in headless Chromium: the PDF is shown as page images, since
phones (and headless Chromium) show no PDF inside a page. The learner sees page 1, turns to page 2
once page 1 is credited, cannot turn past what was studied, and turns on once page 2 is credited.

A second daphne serves the same database with a heartbeat every 2 s, so a page is credited quickly;
every rule is the production code path. The screenshot goes to var/screenshots/lesson-document-phone.png.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, login
from tests.support.servers import daphne_server, free_port

pytestmark = pytest.mark.browser
FAST = {
    "TRAINING_HEARTBEAT_SECONDS": "2",
    "TRAINING_HEARTBEAT_MIN_INTERVAL_SECONDS": "1",
    "TRAINING_HEARTBEAT_MAX_GAP_SECONDS": "5",
}

# Three pages of pdf.js's numbered test PDF (tests/fixtures/documents/README.md), each showing its number.
SETUP = """
import datetime as dt, io, json
from pypdf import PdfReader, PdfWriter
from django.utils import timezone
from organizations.models import Person, TrainingProvider
from organizations.services import person_create
from organizations.validators import complete_id_number
from training.services.assignments import assignment_create
from training.services.content import lesson_create
from training.models import Chapter, Course, Lesson
provider = TrainingProvider.objects.get(code="demo-center")
enterprise = Person.objects.get(user__username="demo_learner").enterprise
course, created = Course.objects.get_or_create(
    title="浏览器测试：有限空间作业规程", owner_provider=provider, defaults={"shared_with": provider.jurisdiction})
if created:
    reader, writer = PdfReader("tests/fixtures/documents/page_with_number_and_link.pdf"), PdfWriter()
    for number in (1, 2, 3):
        writer.add_page(reader.pages[number - 1])
    out = io.BytesIO()
    writer.write(out)
    chapter = Chapter.objects.create(course=course, title="第一章")
    lesson_create(actor=None, chapter=chapter, title="有限空间作业规程（文档）", kind=Lesson.Kind.DOCUMENT,
                  credit_minutes=1, data=out.getvalue())
if not Person.objects.filter(user__username="bt_document").exists():
    person, _ = person_create(enterprise=enterprise, name="文档学员", username="bt_document", password="demo-pass-2026",
        id_number=complete_id_number("99010119950505601"), hire_date=timezone.localdate() - dt.timedelta(days=400))
    assignment_create(learner=person.user, course=course, due_date=timezone.localdate() + dt.timedelta(days=7))
print(json.dumps({"lesson": Lesson.objects.get(chapter__course=course).pk}))
"""

# The page image shown: its number (from the URL), whether it has been drawn, and its text.
SHOWN = """() => {
  const img = document.getElementById("lesson-doc");
  const match = img.currentSrc.match(/\\/pages\\/(\\d+)\\//);
  return {page: match ? Number(match[1]) : 0, drawn: img.complete && img.naturalWidth > 0,
          width: img.naturalWidth, height: img.naturalHeight, alt: img.alt};
}"""


@pytest.fixture(scope="module")
def fast_url(live_server_url: str, server_env: dict[str, str], server_dir: Path) -> Iterator[str]:
    port = free_port()
    with daphne_server(port=port, env={**server_env, **FAST}, log=server_dir / f"daphne-document-{port}.log") as url:
        yield url


@pytest.fixture(scope="module")
def lesson_id(run_manage: Callable[..., Any], live_server_url: str) -> int:
    result = run_manage("shell", "-c", SETUP)
    return int(json.loads(result.stdout.strip().splitlines()[-1])["lesson"])


def _shows(page: Any, number: int) -> dict[str, Any]:
    page.wait_for_function(f"() => ({SHOWN})().page === {number} && ({SHOWN})().drawn")
    return page.evaluate(SHOWN)


def test_phone_learner_reads_a_document_page_by_page(
    new_page: Callable[..., Any], fast_url: str, lesson_id: int
) -> None:
    page = new_page()
    login(page, fast_url, "bt_document")
    page.goto(f"{fast_url}/training/lessons/{lesson_id}/")
    page.wait_for_selector('#player[data-ready="1"]')
    first = _shows(page, 1)
    assert first["alt"] == "第 1 页"
    assert abs(first["height"] / first["width"] - 792 / 612) < 0.01  # a US-letter page, drawn whole
    # The pager is on screen without scrolling down the page, and nothing is wider than the phone.
    assert page.evaluate("document.querySelector('[data-page-next]').getBoundingClientRect().bottom") <= 844
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Page 1 is credited by the first heartbeat; page 2 may then be opened, but not page 3 before page 2 is
    # credited. Both taps in one task: no heartbeat answer can come between them.
    page.wait_for_function("() => window.safetrainPlayer.state().furthest >= 1")
    taps = page.evaluate(
        """() => {
      const next = document.querySelector('[data-page-next]');
      next.click();
      const afterFirst = window.safetrainPlayer.state();
      next.click();
      return {afterFirst: afterFirst.page, furthest: afterFirst.furthest,
              afterSecond: window.safetrainPlayer.state().page,
              said: document.querySelector('[data-state]').textContent,
              refusal: document.getElementById('player').dataset.msgSeek};
    }"""
    )
    assert taps["afterFirst"] == 2
    assert taps["furthest"] < 2
    assert taps["afterSecond"] == 2
    assert taps["said"] == taps["refusal"] == "不能快进到尚未学习的部分。"
    second = _shows(page, 2)
    assert second["alt"] == "第 2 页"
    assert page.locator("[data-page]").inner_text() == "2"
    page.screenshot(path=str(SCREENSHOTS / "lesson-document-phone.png"))

    # Once a heartbeat has credited page 2, the learner turns to page 3.
    page.wait_for_function("() => window.safetrainPlayer.state().furthest >= 2")
    page.click("[data-page-next]")
    third = _shows(page, 3)
    assert third["alt"] == "第 3 页"
    # Back to page 1: the previous pages stay open.
    page.click("[data-page-prev]")
    page.click("[data-page-prev]")
    _shows(page, 1)
    assert page.locator("[data-page-prev]").is_disabled()
