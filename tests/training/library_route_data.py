"""EAST-district library objects for tests/route_params.py (built once per cast)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile

from demo.library import lesson_plan_pdf
from training.models import LessonPlan, LibraryOffer
from training.services import library

Kwargs = dict[str, Any]


def east_library(cast: Any) -> dict[str, Any]:
    cached = cast.east.extra.get("library")
    if cached:
        return cached
    east = cast.east
    plan = library.plan_upload(
        by=east.enterprise_admin,
        title="东区教案",
        credit_hours="1",
        upload=ContentFile(lesson_plan_pdf("东区教案"), name="东区.pdf"),
        owner_enterprise=east.enterprises[0],
        share=LessonPlan.Share.SUBTREE,
        shared_with=east.jurisdiction,
    )
    provider_plan = library.plan_upload(
        by=east.training_admin,
        title="东区机构教案",
        credit_hours="1",
        upload=ContentFile(lesson_plan_pdf("东区机构教案"), name="机构.pdf"),
        owner_provider=east.provider,
    )
    offer = library.offer_create(by=east.training_admin, district=east.jurisdiction, lesson_plan=provider_plan)
    data = {"plan": plan, "provider_plan": provider_plan, "offer": offer}
    east.extra["library"] = data
    return data


def library_routes() -> dict[str | re.Pattern[str], Callable[[Any], Kwargs]]:
    def plan(cast: Any) -> Kwargs:
        return {"pk": east_library(cast)["plan"].pk}

    def provider_plan(cast: Any) -> Kwargs:
        return {"pk": east_library(cast)["provider_plan"].pk}

    def offer(cast: Any) -> Kwargs:
        offer: LibraryOffer = east_library(cast)["offer"]
        return {"pk": offer.pk}

    return {
        **{f"training:{name}": plan for name in ("library_detail", "library_file", "library_edit", "library_delete")},
        "training:library_page": lambda c: {"pk": east_library(c)["plan"].pk, "number": 1},
        "training:library_offer": provider_plan,
        "training:library_offer_withdraw": offer,
        "training:library_offer_decide": offer,
        "api:lesson-plan-detail": plan,
        "api:lesson-plan-file": plan,
        "api:lesson-plan-page": lambda c: {"pk": east_library(c)["plan"].pk, "number": 1},
        re.compile(r"admin/training/lessonplan/<path:object_id>/(?:(?:change|delete|history)/)?"): lambda c: {
            "object_id": east_library(c)["plan"].pk
        },
        re.compile(r"admin/training/libraryoffer/<path:object_id>/(?:(?:change|delete|history)/)?"): lambda c: {
            "object_id": east_library(c)["offer"].pk
        },
    }
