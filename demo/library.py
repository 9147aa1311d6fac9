"""Demo lesson plans (教案库): a few shared plans, and a university's offers to the demo district —
one accepted by the district's bureau, one still awaiting it (idempotent)."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.base import ContentFile

from accounts.models import User
from core.pdf import tables_pdf
from organizations.models import Enterprise, Industry, Jurisdiction, TrainingProvider
from training.models import LessonPlan, LibraryOffer, PlanLevel
from training.services import library

UNIVERSITY_CODE = "demo-university"

_POINTS = ["教学目标", "危险因素辨识", "作业前检查", "应急处置", "考核要点"]


def lesson_plan_pdf(title: str, points: list[str] | None = None) -> bytes:
    """A real PDF lesson plan with Chinese text (reportlab, no embedded font)."""
    lines = [(f"第{i + 1}部分", point) for i, point in enumerate(points or _POINTS)]
    return tables_pdf(title=title, lines=lines, tables=[])


def lesson_plan_docx(title: str, points: list[str] | None = None) -> bytes:
    """A real Word lesson plan (python-docx)."""
    from docx import Document

    document = Document()
    document.add_heading(title, level=1)
    for point in points or _POINTS:
        document.add_paragraph(point, style="List Number")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _plan(by: User, title: str, *, kind: str, hours: str, **fields: Any) -> LessonPlan:
    existing = LessonPlan.objects.filter(title=title).first()
    if existing is not None:
        return existing
    data = lesson_plan_pdf(title) if kind == "pdf" else lesson_plan_docx(title)
    return library.plan_upload(
        by=by, title=title, credit_hours=hours, upload=ContentFile(data, name=f"{title}.{kind}"), **fields
    )


def demo_lesson_plans(
    *, provider: TrainingProvider, enterprise: Enterprise, district: Jurisdiction
) -> dict[str, LessonPlan]:
    """The demo district's training centre accepts offers too; a university offers two plans."""
    admin = User.objects.get(username="demo_admin")
    bureau = User.objects.get(username="demo_bureau")
    if provider.kind != TrainingProvider.Kind.DISTRICT_CENTRE:
        provider.kind = TrainingProvider.Kind.DISTRICT_CENTRE
        provider.save(update_fields=["kind"])
    university, _ = TrainingProvider.objects.get_or_create(
        code=UNIVERSITY_CODE,
        defaults={
            "name": "示范理工大学安全工程学院",
            "jurisdiction": district,
            "kind": TrainingProvider.Kind.UNIVERSITY,
        },
    )
    chemicals = Industry.objects.filter(code="hazardous_chemicals").first() or enterprise.industry
    subtree = {"share": LessonPlan.Share.SUBTREE, "shared_with": district}
    plans = {
        "confined": _plan(
            admin,
            "《有限空间作业安全》教案",
            kind="pdf",
            hours="2",
            topic="有限空间 通风检测 监护",
            level=PlanLevel.WORKSHOP,
            owner_provider=provider,
            **subtree,
        ),
        "hot_work": _plan(
            admin,
            "《动火作业安全管理》教案",
            kind="docx",
            hours="1.5",
            topic="动火作业票 现场监护",
            level=PlanLevel.TEAM,
            industry=enterprise.industry,
            owner_enterprise=enterprise,
            **subtree,
        ),
        "storage": _plan(
            admin,
            "《危险化学品储存》教案",
            kind="pdf",
            hours="1",
            topic="储存 禁忌物料",
            level=PlanLevel.PLANT,
            industry=chemicals,
            owner_enterprise=enterprise,
        ),
        "height": _plan(
            admin, "《高处作业安全》教案", kind="pdf", hours="2", topic="安全带 脚手架", owner_provider=university
        ),
        "dust": _plan(
            admin, "《粉尘防爆》教案", kind="docx", hours="1", topic="粉尘爆炸 除尘系统", owner_provider=university
        ),
    }
    for key in ("height", "dust"):
        offer, created = LibraryOffer.objects.get_or_create(
            provider=university, district=district, lesson_plan=plans[key], defaults={"offered_by": admin}
        )
        if created and key == "height":
            library.offer_decide(offer=offer, by=bureau, accept=True)
    return plans
