"""PDF documents read with PDFium (pypdfium2): how many pages, and one page drawn as an image.

Knows nothing of Django: bytes or a readable binary stream in, numbers and image bytes out.
Phones cannot show a PDF inside a page (Android Chrome offers a download, iOS Safari shows the
first page only), so document lessons and lesson plans are shown one page image at a time.

PDFium is not thread-safe (pypdfium2's documentation), and pages are served by threaded workers:
every call into it holds ``_PDFIUM``.
"""

from __future__ import annotations

import io
import threading
from typing import IO

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import features

_PDFIUM = threading.Lock()

# Bump when the drawing changes (width, format, quality): cached pages carry it in their names.
RENDER_VERSION = 1
PAGE_WIDTH_PX = 1240  # sharp on a 3x phone 390 px wide, and on a desktop column
MAX_SCALE = 4.0  # a tiny page (a label) is not blown up without end
MAX_PIXELS = 6_000_000  # about two A4 pages at PAGE_WIDTH_PX: a huge or very tall page is drawn smaller
MAX_SIDE_PX = 16_000  # WebP's limit is 16383 pixels a side
_WEBP = features.check("webp")
PAGE_CONTENT_TYPE = "image/webp" if _WEBP else "image/png"
PAGE_EXTENSION = "webp" if _WEBP else "png"


class PdfUnreadable(ValueError):
    """PDFium cannot open the file; ``reason`` is ``password``, ``security``, ``no_pages`` or ``damaged``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoSuchPage(LookupError):
    pass


Source = bytes | IO[bytes]


def _open(source: Source) -> pdfium.PdfDocument:
    """Call holding ``_PDFIUM``."""
    try:
        document = pdfium.PdfDocument(source)
    except pdfium.PdfiumError as exc:
        reason = {
            pdfium_c.FPDF_ERR_PASSWORD: "password",
            pdfium_c.FPDF_ERR_SECURITY: "security",
        }.get(exc.err_code, "damaged")
        raise PdfUnreadable(reason) from None
    if len(document) < 1:
        document.close()
        raise PdfUnreadable("no_pages")
    return document


def page_count(source: Source) -> int:
    """The number of pages PDFium sees (object streams and incremental updates included); ``PdfUnreadable``."""
    with _PDFIUM:
        document = _open(source)
        try:
            return len(document)
        finally:
            document.close()


def render_scale(width: float, height: float) -> float:
    """Points to pixels: ``PAGE_WIDTH_PX`` wide, within ``MAX_SCALE``, ``MAX_PIXELS`` and ``MAX_SIDE_PX``."""
    width, height = max(width, 1.0), max(height, 1.0)
    scale = min(PAGE_WIDTH_PX / width, MAX_SCALE, 0.99 * MAX_SIDE_PX / max(width, height))
    # 0.99: PDFium rounds the bitmap's sides up, which may add a fraction of a percent.
    return min(scale, 0.99 * (MAX_PIXELS / (width * height)) ** 0.5)


def render_page(source: Source, number: int) -> bytes:
    """Page ``number`` (from 1) drawn as a ``PAGE_CONTENT_TYPE`` image; ``NoSuchPage``, ``PdfUnreadable``.

    Only that page is loaded and drawn, whatever the length of the document."""
    out = io.BytesIO()
    with _PDFIUM:
        document = _open(source)
        try:
            if not 1 <= number <= len(document):
                raise NoSuchPage(number)
            page = document[number - 1]
            try:
                width, height = page.get_size()
                bitmap = page.render(scale=render_scale(width, height), may_draw_forms=True)
                try:
                    # The image shares the bitmap's memory: encoded before the bitmap is freed.
                    image = bitmap.to_pil()
                    if _WEBP:
                        image.save(out, "WEBP", quality=82, method=4)
                    else:
                        image.save(out, "PNG", optimize=True)
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            document.close()
    return out.getvalue()
