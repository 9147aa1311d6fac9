"""The library pages: upload, search, preview, the file door, offers and the 待接收 queue."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from tests.conftest import Cast, login_client
from tests.training.library_support import docx_bytes, make_plan, pdf_bytes
from training.models import LessonPlan, LibraryOffer
from training.services import library


def shared_pdf(cast: Cast, title: str = "《有限空间作业安全》教案") -> LessonPlan:
    return make_plan(
        cast.east.enterprise_admin,
        title,
        topic="通风检测",
        owner_enterprise=cast.east.enterprises[0],
        share="subtree",
        shared_with=cast.east.jurisdiction,
    )


def test_upload_page_stores_a_plan_and_shows_it(cast: Cast) -> None:
    client = login_client(cast.east.enterprise_admin)
    enterprise = cast.east.enterprises[0]
    response = client.post(
        reverse("training:library_upload"),
        {
            "title": "《动火作业安全管理》教案",
            "topic": "动火票",
            "level": "team",
            "credit_hours": "1.5",
            "owner": f"enterprise:{enterprise.pk}",
            "share": "subtree",
            "shared_with": cast.east.jurisdiction.pk,
            "file": SimpleUploadedFile("动火.docx", docx_bytes()),
        },
    )
    plan = LessonPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("training:library_detail", args=[plan.pk])
    assert (plan.file_type, plan.owner_enterprise, plan.shared_with) == ("docx", enterprise, cast.east.jurisdiction)
    page = client.get(response["Location"]).content.decode()
    assert "《动火作业安全管理》教案" in page
    assert "data-preview" not in page  # no page images of a Word file: its text preview (data-office-preview) instead
    assert reverse("training:library_file", args=[plan.pk]) in page


def test_a_bad_upload_shows_the_error_on_the_file_field(cast: Cast) -> None:
    client = login_client(cast.east.enterprise_admin)
    response = client.post(
        reverse("training:library_upload"),
        {
            "title": "假的",
            "level": "general",
            "credit_hours": "1",
            "owner": f"enterprise:{cast.east.enterprises[0].pk}",
            "share": "owner",
            "file": SimpleUploadedFile("假的.pdf", b"not a pdf at all"),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not LessonPlan.objects.exists()


def test_another_trainer_in_the_district_searches_and_previews(cast: Cast) -> None:
    plan = shared_pdf(cast)
    make_plan(
        cast.east.enterprise_admin,
        "其他教案",
        owner_enterprise=cast.east.enterprises[0],
        share="subtree",
        shared_with=cast.east.jurisdiction,
    )
    client = login_client(cast.east.training_admin)
    page = client.get(reverse("training:library"), {"q": "有限空间"}).content.decode()
    assert "《有限空间作业安全》教案" in page
    assert "其他教案" not in page
    detail = client.get(reverse("training:library_detail", args=[plan.pk])).content.decode()
    assert "data-preview" in detail
    response = client.get(reverse("training:library_file", args=[plan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    # the preview is page images (tests/training/test_document_pages.py): nothing frames the file
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    download = client.get(reverse("training:library_file", args=[plan.pk]), {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment")


def test_trainers_of_another_district_neither_find_nor_open_it(cast: Cast) -> None:
    plan = shared_pdf(cast)
    for user in (cast.west.training_admin, cast.west.enterprise_admin, cast.west.bureau):
        client = login_client(user)
        assert (
            "《有限空间作业安全》教案"
            not in client.get(reverse("training:library"), {"q": "有限空间"}).content.decode()
        )
        assert client.get(reverse("training:library_detail", args=[plan.pk])).status_code == 404
        assert client.get(reverse("training:library_file", args=[plan.pk])).status_code == 404
        assert client.post(reverse("training:library_delete", args=[plan.pk])).status_code == 404
    assert login_client(cast.east.learner.user).get(reverse("training:library")).status_code == 403


def test_filters_by_level_and_file_type(cast: Cast) -> None:
    shared_pdf(cast)
    client = login_client(cast.east.training_admin)
    assert "有限空间" in client.get(reverse("training:library"), {"file_type": "pdf"}).content.decode()
    assert "有限空间" not in client.get(reverse("training:library"), {"file_type": "pptx"}).content.decode()
    assert "有限空间" not in client.get(reverse("training:library"), {"level": "plant"}).content.decode()


def test_offer_accept_through_the_pages(cast: Cast) -> None:
    east = cast.east
    plan = make_plan(east.training_admin, "《高处作业安全》教案", owner_provider=east.provider)
    trainer = login_client(east.training_admin)
    trainer.post(reverse("training:library_offer", args=[plan.pk]), {"district": east.jurisdiction.pk})
    offer = LibraryOffer.objects.get()
    assert offer.status == "pending"
    mine = trainer.get(reverse("training:library_mine")).content.decode()
    assert "《高处作业安全》教案" in mine
    assert f'data-offer="{offer.pk}"' in mine
    enterprise = login_client(east.enterprise_admin)
    assert enterprise.get(reverse("training:library_detail", args=[plan.pk])).status_code == 404
    # the west bureau cannot decide it, nor see the queue entry
    west = login_client(cast.west.bureau)
    assert (
        west.post(reverse("training:library_offer_decide", args=[offer.pk]), {"decision": "accept"}).status_code == 404
    )
    bureau = login_client(east.bureau)
    queue = bureau.get(reverse("training:library_queue")).content.decode()
    assert "《高处作业安全》教案" in queue
    bureau.post(reverse("training:library_offer_decide", args=[offer.pk]), {"decision": "accept"})
    offer.refresh_from_db()
    assert offer.status == "accepted"
    assert enterprise.get(reverse("training:library_detail", args=[plan.pk])).status_code == 200
    assert (
        login_client(cast.west.enterprise_admin).get(reverse("training:library_detail", args=[plan.pk])).status_code
        == 404
    )


def test_queue_is_for_acceptors_only(cast: Cast) -> None:
    assert login_client(cast.east.enterprise_admin).get(reverse("training:library_queue")).status_code == 403
    assert login_client(cast.east.bureau).get(reverse("training:library_queue")).status_code == 200


def test_edit_and_delete_pages(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    plan = shared_pdf(cast)
    client = login_client(cast.east.enterprise_admin)
    response = client.post(
        reverse("training:library_edit", args=[plan.pk]),
        {"title": "新标题", "level": "plant", "credit_hours": "3", "share": "owner"},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.level, plan.share, plan.file_type) == ("新标题", "plant", "owner", "pdf")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("training:library_delete", args=[plan.pk]))  # no confirmation: kept
        assert LessonPlan.objects.exists()
        client.post(reverse("training:library_delete", args=[plan.pk]), {"confirm": "1"})
    assert not LessonPlan.objects.exists()


def test_a_plan_whose_file_storage_lost_says_so_instead_of_a_broken_preview(cast: Cast) -> None:
    """A purged file, or a restore without the files: no page images that fail to load, no Word notice
    pointing at a download that would fail, but one sentence in Chinese that names the way back."""
    pdf = shared_pdf(cast, "《动火作业》教案")
    word = make_plan(
        cast.east.enterprise_admin,
        "《高处作业》教案",
        data=docx_bytes(),
        name="plan.docx",
        owner_enterprise=cast.east.enterprises[0],
        share="subtree",
        shared_with=cast.east.jurisdiction,
    )
    client = login_client(cast.east.training_admin)
    kept = client.get(reverse("training:library_detail", args=[pdf.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "data-preview" in kept.content.decode()
    assert "data-file-missing" not in kept.content.decode()
    for plan in (pdf, word):
        plan.file.storage.delete(plan.file.name)
        response = client.get(reverse("training:library_detail", args=[plan.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        page = response.content.decode()
        assert response.status_code == 200
        assert "data-file-missing" in page
        assert "此教案的文件已不在存储中，无法预览或下载" in page
        assert "data-preview" not in page
        assert 'class="doc-page"' not in page
        assert "data-download" not in page
        assert "data-office-preview" not in page


def test_the_library_page_is_chinese(cast: Cast) -> None:
    shared_pdf(cast)
    client = login_client(cast.east.training_admin)
    with translation.override("zh-hans"):
        page = client.get(reverse("training:library"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "教案库" in page
    assert "Lesson-plan library" not in page


def test_offer_a_course_from_my_page(cast: Cast) -> None:
    from training.models import Course

    course = Course.objects.create(title="高校课程", owner_provider=cast.east.provider)
    client = login_client(cast.east.training_admin)
    client.post(reverse("training:library_mine"), {"course": course.pk, "district": cast.west.jurisdiction.pk})
    offer = LibraryOffer.objects.get()
    assert (offer.course, offer.district, offer.status) == (course, cast.west.jurisdiction, "pending")
    client.post(reverse("training:library_offer_withdraw", args=[offer.pk]))
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    library.offer_create(by=cast.east.training_admin, district=cast.west.jurisdiction, course=course)
    assert LibraryOffer.objects.filter(status="pending").count() == 1


def test_pdf_bytes_are_real(cast: Cast) -> None:
    assert pdf_bytes("教案").startswith(b"%PDF-")


def test_the_admin_lists_plans_in_scope_and_deletes_through_the_service(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.conftest import make_staff

    plan = shared_pdf(cast)
    east_admin = make_staff(cast.east.enterprise_admin, "view_lessonplan", "delete_lessonplan")
    west_admin = make_staff(cast.west.enterprise_admin, "view_lessonplan", "delete_lessonplan")
    assert "《有限空间作业安全》教案" in login_client(east_admin).get("/admin/training/lessonplan/").content.decode()
    assert (
        "《有限空间作业安全》教案" not in login_client(west_admin).get("/admin/training/lessonplan/").content.decode()
    )
    assert login_client(west_admin).get(f"/admin/training/lessonplan/{plan.pk}/change/").status_code in (302, 404)
    assert login_client(east_admin).get(f"/admin/training/lessonplan/{plan.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        login_client(east_admin).post(f"/admin/training/lessonplan/{plan.pk}/delete/", {"post": "yes"})
    assert not LessonPlan.objects.exists()


def test_an_accepted_provider_plan_says_which_district_library_has_it(cast: Cast) -> None:
    """Not "仅本单位" once a district accepted it: the owner, the enterprise and the list all see where it is."""
    east = cast.east
    plan = make_plan(east.training_admin, "《脚手架安全》教案", owner_provider=east.provider)
    owner = login_client(east.training_admin)
    owner.post(reverse("training:library_offer", args=[plan.pk]), {"district": east.jurisdiction.pk})
    offer = LibraryOffer.objects.get(lesson_plan=plan)
    login_client(east.bureau).post(reverse("training:library_offer_decide", args=[offer.pk]), {"decision": "accept"})
    in_library = f"已收入{east.jurisdiction.name}教案库"
    enterprise = login_client(east.enterprise_admin)
    for client, url in (
        (enterprise, reverse("training:library_detail", args=[plan.pk])),
        (enterprise, reverse("training:library")),
        (owner, reverse("training:library_mine")),
    ):
        html = client.get(url).content.decode()
        scope = html[html.index("《脚手架安全》教案") :]
        scope = scope[scope.index("data-scope>") : scope.index("</span>", scope.index("data-scope>"))]
        assert in_library in scope, url
        assert "仅本单位" not in scope, url


def test_the_offer_form_asks_for_a_district_in_chinese(cast: Cast) -> None:
    east = cast.east
    plan = make_plan(east.training_admin, "《起重吊装》教案", owner_provider=east.provider)
    html = login_client(east.training_admin).get(reverse("training:library_detail", args=[plan.pk])).content.decode()
    assert '<option value="" selected>请选择区县</option>' in html
    assert "---------" not in html
