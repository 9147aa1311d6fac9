"""Files and plans for the lesson-plan library tests."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.core.files.base import ContentFile

from demo.library import lesson_plan_docx, lesson_plan_pdf
from training.models import LessonPlan
from training.services import library

PPTX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/ppt/presentation.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>'
    "</Types>"
)


def pptx_bytes(*, content_types: str = PPTX_CONTENT_TYPES, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def pdf_bytes(title: str = "教案") -> bytes:
    return lesson_plan_pdf(title)


def docx_bytes(title: str = "教案") -> bytes:
    return lesson_plan_docx(title)


def upload(data: bytes, name: str) -> ContentFile:
    return ContentFile(data, name=name)


def make_plan(by: Any, title: str, *, data: bytes | None = None, name: str = "plan.pdf", **fields: Any) -> LessonPlan:
    fields.setdefault("credit_hours", "2")
    return library.plan_upload(
        by=by, title=title, upload=upload(pdf_bytes(title) if data is None else data, name), **fields
    )
