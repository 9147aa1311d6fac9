"""The answers that carry a lesson's files and a lesson plan's page images, for both doors: the pages
(training.views and training.library_views, a browser session) and the API (training.api and
training.library_api, a token). Each door finds the lesson among ``selectors.lessons_visible_to(user)``
(a plan among ``selectors.lesson_plans_visible_to(user)``) and hands it here, so both send the same
bytes, statuses and headers. Plain Django: nothing here knows of DRF or of the views' routes."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse

from core.http import stored_file
from training.models import Lesson, LessonPlan
from training.pdf_pages import PAGE_CONTENT_TYPE, NoSuchPage, PdfUnreadable, render_page
from training.services.content import lesson_page_image

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _file_chunks(handle: Any, start: int, length: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            data = handle.read(min(chunk, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


def range_refused(size: int) -> HttpResponse:
    """The web door's 416: no body (a browser's video element does not read it)."""
    return HttpResponse(status=416)


RangeRefusal = Callable[[int], HttpResponse]


def ranged_file_response(
    request: HttpRequest, field_file: FieldFile, *, content_type: str, refuse_range: RangeRefusal = range_refused
) -> HttpResponse:
    """A private stored file, whole (200) or the one byte range the ``Range`` header asks for (206), never
    kept by a cache, shown inline. A 404 when storage lost the file. A range the file does not have is
    answered by ``refuse_range(size)`` (a 416), to which ``Content-Range: bytes */SIZE`` is added."""
    handle = stored_file(field_file)
    size = field_file.size
    match = _RANGE.match(request.headers.get("Range", ""))
    if not match or size == 0:
        response: HttpResponse = FileResponse(handle, content_type=content_type)
        response["Accept-Ranges"] = "bytes"
    else:
        first, last = match.groups()
        if first == "":
            start, end = max(0, size - int(last or 0)), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            handle.close()
            response = refuse_range(size)
            response["Content-Range"] = f"bytes */{size}"
            return response
        length = end - start + 1
        response = StreamingHttpResponse(_file_chunks(handle, start, length), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(length)
        response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


def lesson_media_response(
    request: HttpRequest, lesson: Lesson, *, refuse_range: RangeRefusal = range_refused
) -> HttpResponse:
    """The lesson's video or document (``ranged_file_response``), so a video can be scrubbed; a 404 for a
    lesson without a file. The caller has checked that the user may open ``lesson``."""
    if not lesson.media:
        raise Http404
    content_type = lesson.media_type or mimetypes.guess_type(lesson.media.name)[0] or "application/octet-stream"
    return ranged_file_response(request, lesson.media, content_type=content_type, refuse_range=refuse_range)


def page_url_pattern(name: str, pk: int, *, version: str) -> str:
    """The URL of a document's page images with ``{page}`` where the number goes, for the pager's script.

    ``version`` (the stored file's name) goes into the query: a replaced file gets new URLs, so the
    browser's copy of an old page (``page_image_response``) is never shown for the new file."""
    first = reverse(name, kwargs={"pk": pk, "number": 1})
    tag = hashlib.sha256(version.encode()).hexdigest()[:12]
    return f"{first.removesuffix('1/')}{{page}}/?v={tag}"


def page_urls(name: str, pk: int, *, version: str, count: int) -> list[str]:
    """Every page's URL (``page_url_pattern``), in order: the first is page 1."""
    pattern = page_url_pattern(name, pk, version=version)
    return [pattern.format(page=number) for number in range(1, count + 1)]


def page_image_response(image: bytes) -> HttpResponse:
    response = HttpResponse(image, content_type=PAGE_CONTENT_TYPE)
    # Private (no shared cache keeps it), but kept an hour in the learner's own browser, so paging back
    # does not fetch the page again; the URL changes with the file (page_url_pattern).
    response["Cache-Control"] = "private, max-age=3600"
    return response


def lesson_page_response(lesson: Lesson, number: int) -> HttpResponse:
    """Page ``number`` (from 1) of a document lesson as an image (phones cannot show a PDF inside the
    player). A 404 for a lesson that is no document or has no file, a page it does not have, or a PDF
    that cannot be read. The caller has checked that the user may open ``lesson``."""
    if lesson.kind != Lesson.Kind.DOCUMENT or not lesson.media or not 1 <= number <= lesson.page_count:
        raise Http404
    try:
        return page_image_response(lesson_page_image(lesson=lesson, number=number))
    except (NoSuchPage, PdfUnreadable):
        raise Http404 from None


def lesson_plan_page_response(plan: LessonPlan, number: int) -> HttpResponse:
    """Page ``number`` (from 1) of a PDF plan as an image, for the preview. Drawn on each request (the
    browser keeps it an hour): plans are previewed, not studied page by page. A 404 for a plan that is no
    PDF, a page it does not have, a PDF that cannot be read, or a file storage lost. The caller has
    checked that the user may see ``plan``."""
    if plan.file_type != LessonPlan.FileType.PDF or not 1 <= number <= plan.page_count:
        raise Http404
    try:
        with stored_file(plan.file) as handle:
            return page_image_response(render_page(handle, number))
    except (NoSuchPage, PdfUnreadable):
        raise Http404 from None
