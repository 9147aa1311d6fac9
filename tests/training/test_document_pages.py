"""Document lessons and PDF lesson plans shown one page image at a time (phones show no PDF inside a
page), and their pages counted by PDFium — object streams included.

The real PDF is pdf.js's ``page_with_number_and_link.pdf`` (tests/fixtures/documents/README.md):
17 US-letter pages, each showing its number, every page object inside a compressed object stream.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageChops
from pypdf import PdfReader, PdfWriter

from tests.conftest import Cast, login_client
from tests.support.documents import NUMBERED_PDF as NUMBERED
from tests.training.conftest import World, make_lesson
from tests.training.library_support import make_plan
from training.models import Lesson
from training.pdf_pages import MAX_PIXELS
from training.services.content import lesson_update, pdf_page_count
from training.services.errors import MediaRejected

pytestmark = pytest.mark.django_db


def _pages_of(data: bytes, numbers: list[int]) -> bytes:
    """A PDF of some pages (from 1) of ``data``, written by pypdf (not by PDFium)."""
    reader, writer = PdfReader(io.BytesIO(data)), PdfWriter()
    for number in numbers:
        writer.add_page(reader.pages[number - 1])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _document(world: World, data: bytes = NUMBERED, title: str = "有限空间作业规程") -> Lesson:
    return make_lesson(world.video.chapter, title, Lesson.Kind.DOCUMENT, data=data, order=9)


def _page_url(lesson: Lesson, number: int) -> str:
    return reverse("training:lesson_page", args=[lesson.pk, number])


def _image(response: Any) -> Image.Image:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] in ("image/webp", "image/png")
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def _same_picture(a: Image.Image, b: Image.Image) -> bool:
    if a.size != b.size:
        return False
    difference = ImageChops.difference(a.convert("L"), b.convert("L"))
    return max(difference.histogram()[40:]) == 0  # no pixel differs by more than lossy-encoding noise


# --- counting pages -------------------------------------------------------------------------------


def test_pages_kept_in_object_streams_are_all_counted() -> None:
    assert b"/ObjStm" in NUMBERED
    # What the old count saw: no "/Type /Page" in clear text (it made that 1 page), all 17 compressed.
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", NUMBERED)) == 0
    assert pdf_page_count(NUMBERED) == 17


def test_a_document_lesson_ends_on_its_last_page(world: World) -> None:
    lesson = _document(world)
    assert (lesson.page_count, lesson.end_position) == (17, 17)


def test_a_damaged_pdf_is_refused_with_the_reason(world: World) -> None:
    cut = NUMBERED[: len(NUMBERED) // 2]  # an upload broken off half way
    with pytest.raises(MediaRejected, match="damaged"):
        _document(world, cut)
    assert not Lesson.objects.filter(title="有限空间作业规程").exists()


def test_a_password_protected_pdf_is_refused_with_the_reason(world: World) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(_pages_of(NUMBERED, [1, 2])))
    writer.encrypt(user_password="anquan2026", owner_password="anquan2026", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(MediaRejected, match="password"):
        _document(world, out.getvalue())


def test_the_course_builder_refuses_a_damaged_pdf_with_the_message(world: World, cast: Cast) -> None:
    client = login_client(cast.east.training_admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(
        f"/training/manage/chapters/{world.video.chapter_id}/lessons/new/?kind=document",
        {
            "kind": "document",
            "chapter": world.video.chapter_id,
            "title": "损坏的规程",
            "credit_minutes": 2,
            "media": SimpleUploadedFile("rules.pdf", NUMBERED[:20_000], content_type="application/pdf"),
        },
    )
    assert response.status_code == 400
    assert "This PDF is damaged and cannot be opened." in response.content.decode()
    assert not Lesson.objects.filter(title="损坏的规程").exists()


def test_the_django_admin_refuses_a_damaged_pdf_with_the_message(world: World) -> None:
    from tests import factories

    root = factories.make_user(is_staff=True, is_superuser=True)
    response = login_client(root).post(
        "/admin/training/lesson/add/",
        {
            "chapter": world.video.chapter_id,
            "title": "损坏的规程",
            "order": 9,
            "kind": "document",
            "media": SimpleUploadedFile("rules.pdf", NUMBERED[:20_000]),
            "body_html": "",
            "duration_seconds": 0,
            "credit_minutes": 5,
            "quiz_question_count": 0,
            "quiz_pass_percent": 60,
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200
    assert "This PDF is damaged and cannot be opened." in response.content.decode()
    assert not Lesson.objects.filter(title="损坏的规程").exists()


# --- page images of a lesson ------------------------------------------------------------------------


def test_the_player_shows_the_first_page_as_an_image(world: World) -> None:
    lesson = _document(world)
    html = login_client(world.learner.user).get(reverse("training:lesson_player", args=[lesson.pk])).content.decode()
    assert "<iframe" not in html
    img = re.search(r'<img id="lesson-doc"[^>]*>', html)
    assert img is not None
    pattern = re.search(r'data-page-url="([^"]+)"', img.group(0))
    assert pattern is not None
    assert "{page}" in pattern.group(1)
    first = re.search(r'src="([^"]+)"', img.group(0))
    assert first is not None
    assert first.group(1) == pattern.group(1).replace("{page}", "1")
    assert _page_url(lesson, 1) in first.group(1)
    assert 'alt="第 1 页"' in img.group(0)  # Chinese, the default language


def test_a_lesson_whose_file_storage_lost_shows_a_notice_and_no_player(world: World) -> None:
    """A purged file, or a restore without the files: no broken page image or video to "study" (and be
    credited for) on the page, but one sentence in Chinese that says why and whom to ask."""
    document = _document(world)
    client = login_client(world.learner.user)
    for lesson in (document, world.video):
        url = reverse("training:lesson_player", args=[lesson.pk])
        kept = client.get(url).content.decode()
        assert 'id="player"' in kept
        assert "data-media-missing" not in kept
        lesson.media.storage.delete(lesson.media.name)
        html = client.get(url).content.decode()
        assert "data-media-missing" in html
        assert "此课时的文件已不在存储中，暂时无法学习，也不计学时" in html
        assert 'id="player"' not in html  # player.js starts nothing without it: no heartbeats
        assert 'id="lesson-doc"' not in html
        assert 'id="lesson-video"' not in html
    article = client.get(reverse("training:lesson_player", args=[world.article.pk])).content.decode()
    assert 'id="player"' in article  # an article has no file to lose


def test_a_learner_gets_page_two_as_an_image(world: World) -> None:
    lesson = _document(world)
    client = login_client(world.learner.user)
    response = client.get(_page_url(lesson, 2))
    page2 = _image(response)
    assert "private" in response["Cache-Control"]
    # A US-letter page (612 x 792 points) drawn 1240 pixels wide.
    assert page2.width == 1240
    assert abs(page2.height / page2.width - 792 / 612) < 0.01
    page1 = _image(client.get(_page_url(lesson, 1)))
    assert not _same_picture(page1, page2)  # each page shows its own number


def test_outsiders_get_no_page(world: World, cast: Cast) -> None:
    lesson = _document(world)
    for user in (cast.outsider, cast.west.learner.user, cast.west.enterprise_admin, cast.west.bureau):
        assert login_client(user).get(_page_url(lesson, 1)).status_code == 404
    assert login_client(world.learner.user).get(_page_url(lesson, 1)).status_code == 200


def test_pages_before_the_first_and_after_the_last_are_not_found(world: World) -> None:
    lesson = _document(world, _pages_of(NUMBERED, [1, 2, 3]))
    client = login_client(world.learner.user)
    assert client.get(_page_url(lesson, 0)).status_code == 404
    assert client.get(_page_url(lesson, 4)).status_code == 404
    assert client.get(_page_url(lesson, 3)).status_code == 200
    # A video lesson has no pages.
    assert client.get(_page_url(world.video, 1)).status_code == 404


def test_a_replaced_file_serves_its_own_pages(world: World, django_capture_on_commit_callbacks: Any) -> None:
    lesson = _document(world)
    client = login_client(world.learner.user)
    old_page2 = _image(client.get(_page_url(lesson, 2)))
    old_page6 = _image(client.get(_page_url(lesson, 6)))
    old_pattern = re.search(
        r'data-page-url="([^"]+)"', client.get(reverse("training:lesson_player", args=[lesson.pk])).content.decode()
    )
    assert old_pattern is not None
    old_name = lesson.media.name
    replacement = SimpleUploadedFile("rules-v2.pdf", _pages_of(NUMBERED, [5, 6, 7]), content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        lesson_update(
            actor=None, lesson=lesson, chapter=lesson.chapter, title=lesson.title, credit_minutes=1, upload=replacement
        )
    lesson.refresh_from_db()
    assert lesson.page_count == 3
    new_page2 = _image(client.get(_page_url(lesson, 2)))
    assert _same_picture(new_page2, old_page6)  # the new file's page 2 is the old file's page 6
    assert not _same_picture(new_page2, old_page2)
    # The player's page URLs change with the file, so a browser's copy of an old page is not reused.
    new_pattern = re.search(
        r'data-page-url="([^"]+)"', client.get(reverse("training:lesson_player", args=[lesson.pk])).content.decode()
    )
    assert new_pattern is not None
    assert new_pattern.group(1) != old_pattern.group(1)
    # The old file and its drawn pages are gone from private storage.
    storage = lesson.media.storage
    assert not storage.exists(old_name)
    assert not storage.exists(f"{old_name}.pages/1-2.webp")
    assert not storage.exists(f"{old_name}.pages")


def test_a_huge_page_is_drawn_within_the_pixel_cap(world: World) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=14_400, height=14_400)  # the largest page PDF allows: 5 m a side
    writer.add_blank_page(width=612, height=14_400)  # a very tall strip
    out = io.BytesIO()
    writer.write(out)
    lesson = _document(world, out.getvalue())
    client = login_client(world.learner.user)
    for number in (1, 2):
        image = _image(client.get(_page_url(lesson, number)))
        assert image.width * image.height <= MAX_PIXELS
        assert max(image.size) <= 16_383  # WebP's limit
    assert _image(client.get(_page_url(lesson, 1))).size[0] == _image(client.get(_page_url(lesson, 1))).size[1]


# --- page images of a lesson plan -----------------------------------------------------------------


def _shared_plan(cast: Cast, data: bytes) -> Any:
    return make_plan(
        cast.east.enterprise_admin,
        "有限空间作业规程（教案）",
        data=data,
        owner_enterprise=cast.east.enterprises[0],
        share="subtree",
        shared_with=cast.east.jurisdiction,
    )


def test_a_pdf_plan_is_previewed_page_by_page(cast: Cast) -> None:
    plan = _shared_plan(cast, _pages_of(NUMBERED, [1, 2, 3]))
    client = login_client(cast.east.training_admin)
    detail = client.get(reverse("training:library_detail", args=[plan.pk])).content.decode()
    assert "<iframe" not in detail
    assert 'data-doc-pages="3"' in detail
    assert reverse("training:library_page", args=[plan.pk, 1]) in detail
    page1 = _image(client.get(reverse("training:library_page", args=[plan.pk, 1])))
    page2 = _image(client.get(reverse("training:library_page", args=[plan.pk, 2])))
    assert page1.width == 1240
    assert not _same_picture(page1, page2)
    assert client.get(reverse("training:library_page", args=[plan.pk, 4])).status_code == 404
    assert client.get(reverse("training:library_page", args=[plan.pk, 0])).status_code == 404


def test_a_plan_page_is_refused_outside_the_plans_scope(cast: Cast) -> None:
    plan = _shared_plan(cast, _pages_of(NUMBERED, [1, 2]))
    for user in (cast.west.training_admin, cast.west.enterprise_admin, cast.west.bureau, cast.outsider):
        assert login_client(user).get(reverse("training:library_page", args=[plan.pk, 1])).status_code in (403, 404)
    assert (
        login_client(cast.east.training_admin).get(reverse("training:library_page", args=[plan.pk, 1])).status_code
        == 200
    )


# --- lessons counted before PDFium ----------------------------------------------------------------


def test_the_migration_recounts_the_lessons_the_old_regex_miscounted(world: World) -> None:
    """training/migrations/0007: a lesson uploaded when the regex counted its 17 pages as 1 ends on page 17."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("training.migrations.0007_document_pages_recounted")
    miscounted = _document(world)
    Lesson.objects.filter(pk=miscounted.pk).update(page_count=1)
    gone = _document(world, title="文件已丢失")
    Lesson.objects.filter(pk=gone.pk).update(page_count=5)
    gone.media.storage.delete(gone.media.name)

    migration.recount(apps, None)

    assert Lesson.objects.get(pk=miscounted.pk).page_count == 17
    # A file no longer in storage keeps its count rather than stopping the migration.
    assert Lesson.objects.get(pk=gone.pk).page_count == 5
