"""seed_demo's lesson plans: shared plans a demo trainer finds, one accepted offer and one pending."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from training import selectors
from training.models import LessonPlan, LibraryOffer


@pytest.fixture
def seeded(settings: Any, tmp_path: Any) -> None:
    from django.utils.functional import empty

    from training.models import private_storage

    settings.DEBUG = True
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    private_storage._wrapped = empty
    call_command("seed_demo")
    yield
    private_storage._wrapped = empty


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded")
def test_the_demo_library() -> None:
    enterprise_admin = User.objects.get(username="demo_enterprise")
    visible = selectors.lesson_plans_visible_to(enterprise_admin)
    titles = set(visible.values_list("title", flat=True))
    assert {"《有限空间作业安全》教案", "《动火作业安全管理》教案", "《高处作业安全》教案"} <= titles
    assert "《粉尘防爆》教案" not in titles  # offered, not yet accepted
    statuses = sorted(LibraryOffer.objects.values_list("status", flat=True))
    assert statuses == ["accepted", "pending"]
    assert selectors.library_offers_awaiting(User.objects.get(username="demo_bureau")).count() == 1
    pdf = LessonPlan.objects.get(title="《有限空间作业安全》教案")
    assert pdf.file.read()[:5] == b"%PDF-"
    docx = LessonPlan.objects.get(title="《动火作业安全管理》教案")
    assert docx.file_type == "docx"
    # seeding again changes nothing
    call_command("seed_demo")
    assert LessonPlan.objects.count() == 5
    assert LibraryOffer.objects.count() == 2
