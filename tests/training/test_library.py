"""The lesson-plan library's rules (training.services.library, training.selectors)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter

from organizations.models import Jurisdiction, TrainingProvider
from tests import factories
from tests.conftest import Cast
from tests.training.library_support import docx_bytes, make_plan, pdf_bytes, pptx_bytes, upload
from training import selectors
from training.models import Course, LessonPlan, LibraryOffer
from training.services import library
from training.services.errors import LessonPlanInUse, LessonPlanInvalid, LibraryForbidden, OfferDecided, OfferInvalid

SUBTREE = LessonPlan.Share.SUBTREE


def titles(user: Any) -> set[str]:
    return set(selectors.lesson_plans_visible_to(user).values_list("title", flat=True))


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT) / "training" / "lesson_plans"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def second_admin(enterprise: Any) -> Any:
    user = factories.make_user()
    factories.grant(user, "enterprise_admin", enterprise=enterprise)
    return user


# --- sharing within a district ---------------------------------------------------------------


def test_a_plan_shared_with_the_district_is_found_by_another_trainer_there_and_not_elsewhere(cast: Cast) -> None:
    east = cast.east
    make_plan(
        east.enterprise_admin,
        "《有限空间作业安全》教案",
        topic="通风检测",
        owner_enterprise=east.enterprises[0],
        share=SUBTREE,
        shared_with=east.jurisdiction,
    )
    neighbour = second_admin(east.enterprises[1])  # another enterprise of the same district
    found = selectors.lesson_plans_matching(selectors.lesson_plans_visible_to(neighbour), q="有限空间")
    assert [p.title for p in found] == ["《有限空间作业安全》教案"]
    assert selectors.lesson_plans_matching(selectors.lesson_plans_visible_to(neighbour), q="通风").exists()
    assert "《有限空间作业安全》教案" in titles(east.training_admin)
    assert "《有限空间作业安全》教案" in titles(east.bureau)
    for stranger in (cast.west.enterprise_admin, cast.west.training_admin, cast.west.bureau, cast.outsider):
        assert titles(stranger) == set()
    assert titles(east.learner.user) == set()  # the library is for trainers, not learners


def test_an_owner_only_plan_stays_with_its_enterprise(cast: Cast) -> None:
    east = cast.east
    make_plan(east.enterprise_admin, "内部教案", owner_enterprise=east.enterprises[0])
    assert titles(east.enterprise_admin) == {"内部教案"}
    assert titles(second_admin(east.enterprises[1])) == set()
    assert titles(east.bureau) == set()


def test_a_plan_shared_with_a_street_reaches_the_street_and_the_districts_officials(cast: Cast) -> None:
    east = cast.east
    make_plan(
        east.enterprise_admin, "街道教案", owner_enterprise=east.enterprises[0], share=SUBTREE, shared_with=east.street
    )
    assert "街道教案" in titles(east.bureau)
    # the machinery plant sits on the district itself, not in the street
    assert titles(second_admin(east.enterprises[1])) == set()


def test_sharing_rules_name_the_field(cast: Cast) -> None:
    east = cast.east
    with pytest.raises(LessonPlanInvalid) as err:
        make_plan(
            east.enterprise_admin,
            "越界",
            owner_enterprise=east.enterprises[0],
            share=SUBTREE,
            shared_with=cast.west.jurisdiction,
        )
    assert "shared_with" in err.value.details["errors"]
    with pytest.raises(LessonPlanInvalid) as err:
        make_plan(east.enterprise_admin, "全平台", owner_enterprise=east.enterprises[0], share="platform")
    assert "share" in err.value.details["errors"]
    # an ordinary training institution publishes only through an offer
    with pytest.raises(LessonPlanInvalid) as err:
        make_plan(
            east.training_admin, "机构教案", owner_provider=east.provider, share=SUBTREE, shared_with=east.jurisdiction
        )
    assert "shared_with" in err.value.details["errors"]
    with pytest.raises(LessonPlanInvalid) as err:
        make_plan(east.enterprise_admin, "别人的", owner_enterprise=cast.west.enterprises[0])
    assert "owner" in err.value.details["errors"]
    assert not LessonPlan.objects.exists()


def test_a_platform_admin_shares_with_everyone(cast: Cast) -> None:
    make_plan(cast.platform_admin, "全平台教案", owner_provider=cast.east.provider, share="platform")
    assert "全平台教案" in titles(cast.west.enterprise_admin)
    assert titles(cast.outsider) == set()


def test_a_district_training_centre_shares_directly_in_its_district(cast: Cast) -> None:
    east = cast.east
    TrainingProvider.objects.filter(pk=east.provider.pk).update(kind=TrainingProvider.Kind.DISTRICT_CENTRE)
    east.provider.refresh_from_db()
    make_plan(east.training_admin, "中心教案", owner_provider=east.provider, share=SUBTREE, shared_with=east.street)
    assert "中心教案" in titles(east.enterprise_admin)


# --- files -------------------------------------------------------------------------------


def test_pdf_docx_and_pptx_are_accepted_by_content_and_stored_privately(cast: Cast, settings: Any) -> None:
    owner = {"owner_enterprise": cast.east.enterprises[0]}
    pdf = make_plan(cast.east.enterprise_admin, "PDF", data=pdf_bytes(), name="a.bin", **owner)
    docx = make_plan(cast.east.enterprise_admin, "Word", data=docx_bytes(), name="b.pdf", **owner)
    pptx = make_plan(cast.east.enterprise_admin, "PPT", data=pptx_bytes(), name="c.docx", **owner)
    assert (pdf.file_type, docx.file_type, pptx.file_type) == ("pdf", "docx", "pptx")
    # A PDF's pages are counted once, at upload (the preview's page images); office files have none.
    assert (pdf.page_count, docx.page_count, pptx.page_count) == (1, 0, 0)
    assert pdf.file.read()[:5] == b"%PDF-"
    assert len(stored_files(settings)) == 3
    assert all(str(settings.PRIVATE_STORAGE_ROOT) in str(p) for p in stored_files(settings))
    assert pdf.credit_minutes == 2 * settings.MINUTES_PER_CREDIT_HOUR


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"just text, named .pdf", "not a pdf/zip"),
        (b"", "empty"),
        (pptx_bytes(content_types="<Types/>"), "zip without a presentation main part"),
        (b"PK\x03\x04garbage", "broken zip"),
        (b"%PDF-1.4 broken off", "a pdf no reader can open"),
        (pdf_bytes()[:-400], "a pdf broken off before its end"),
    ],
)
def test_a_bad_file_is_refused_on_the_file_field_and_nothing_is_stored(
    cast: Cast, settings: Any, data: bytes, why: str
) -> None:
    with pytest.raises(LessonPlanInvalid) as err:
        make_plan(cast.east.enterprise_admin, why, data=data, name="x.pdf", owner_enterprise=cast.east.enterprises[0])
    assert list(err.value.details["errors"]) == ["file"]
    assert not LessonPlan.objects.exists()
    assert stored_files(settings) == []


def test_a_password_protected_pdf_is_refused_with_the_reason(cast: Cast, settings: Any) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    writer.encrypt(user_password="anquan2026", owner_password="anquan2026", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(LessonPlanInvalid, match="password") as err:
        make_plan(cast.east.enterprise_admin, "加密", data=out.getvalue(), owner_enterprise=cast.east.enterprises[0])
    assert list(err.value.details["errors"]) == ["file"]
    assert not LessonPlan.objects.exists()
    assert stored_files(settings) == []


def test_size_limit_and_zip_bomb(cast: Cast, settings: Any) -> None:
    settings.LIBRARY_MAX_BYTES = 2048
    owner = {"owner_enterprise": cast.east.enterprises[0]}
    with pytest.raises(LessonPlanInvalid, match="limit is"):
        make_plan(cast.east.enterprise_admin, "大", data=pdf_bytes() + b"0" * 4096, **owner)
    settings.LIBRARY_MAX_BYTES = 10 * 1024 * 1024
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 100_000
    bomb = pptx_bytes(extra={"ppt/media/zeros.bin": b"\0" * 2_000_000})
    with pytest.raises(LessonPlanInvalid, match="zip bomb"):
        make_plan(cast.east.enterprise_admin, "炸弹", data=bomb, name="bomb.pptx", **owner)
    assert not LessonPlan.objects.exists()
    assert stored_files(settings) == []


def test_credit_hours_are_checked_and_stored_as_minutes(cast: Cast, settings: Any) -> None:
    owner = {"owner_enterprise": cast.east.enterprises[0]}
    for bad in ("0", "-1", "abc", "1000", "NaN"):
        with pytest.raises(LessonPlanInvalid) as err:
            make_plan(cast.east.enterprise_admin, "学时", credit_hours=bad, **owner)
        assert list(err.value.details["errors"]) == ["credit_hours"]
    plan = make_plan(cast.east.enterprise_admin, "学时", credit_hours="1.5", **owner)
    assert plan.credit_minutes == round(1.5 * settings.MINUTES_PER_CREDIT_HOUR)


def test_replacing_the_file_removes_the_old_one(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = cast.east.enterprise_admin
    plan = make_plan(admin, "替换", owner_enterprise=cast.east.enterprises[0])
    old = plan.file.name
    with django_capture_on_commit_callbacks(execute=True):
        library.plan_update(
            plan=plan,
            by=admin,
            title="替换后",
            credit_hours="1",
            share="owner",
            upload=upload(docx_bytes(), "新.docx"),
        )
    plan.refresh_from_db()
    assert (plan.title, plan.file_type, plan.file_name, plan.page_count) == ("替换后", "docx", "新.docx", 0)
    assert [p.name for p in stored_files(settings)] == [Path(plan.file.name).name]
    assert Path(old).name not in {p.name for p in stored_files(settings)}


def test_only_the_owner_edits_or_deletes(cast: Cast) -> None:
    plan = make_plan(
        cast.east.enterprise_admin,
        "共享",
        owner_enterprise=cast.east.enterprises[0],
        share=SUBTREE,
        shared_with=cast.east.jurisdiction,
    )
    with pytest.raises(LibraryForbidden):
        library.plan_update(plan=plan, by=cast.east.bureau, title="改", credit_hours="1", share="owner")
    with pytest.raises(LibraryForbidden):
        library.plan_delete(plan=plan, by=cast.east.training_admin)
    assert LessonPlan.objects.get().title == "共享"


def test_a_plan_attached_to_a_class_is_not_deleted(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    from classroom.models import TrainingClass

    admin = cast.east.enterprise_admin
    plan = make_plan(admin, "在用", owner_enterprise=cast.east.enterprises[0])
    now = timezone.now()
    training_class = TrainingClass.objects.create(
        topic="班",
        level="team",
        owner_enterprise=cast.east.enterprises[0],
        trainer=admin,
        starts_at=now,
        ends_at=now + timezone.timedelta(hours=1),
        place="会议室",
        credit_minutes=45,
    )
    training_class.lesson_plans.add(plan)
    with pytest.raises(LessonPlanInUse):
        library.plan_delete(plan=plan, by=admin)
    training_class.lesson_plans.remove(plan)
    with django_capture_on_commit_callbacks(execute=True):
        library.plan_delete(plan=plan, by=admin)
    assert not LessonPlan.objects.exists()
    assert stored_files(settings) == []


def test_attachable_plans_are_the_visible_ones_plus_the_class_own(cast: Cast) -> None:
    east = cast.east
    shared = make_plan(
        east.enterprise_admin,
        "可附加",
        owner_enterprise=east.enterprises[0],
        share=SUBTREE,
        shared_with=east.jurisdiction,
    )
    make_plan(cast.west.enterprise_admin, "西区的", owner_enterprise=cast.west.enterprises[0])
    assert list(selectors.lesson_plans_attachable_by(east.training_admin)) == [shared]
    assert not selectors.lesson_plans_attachable_by(cast.west.training_admin).exists()


# --- offers --------------------------------------------------------------------------------


def test_a_providers_plan_reaches_a_district_only_after_acceptance(cast: Cast) -> None:
    east = cast.east
    plan = make_plan(east.training_admin, "《高处作业安全》教案", owner_provider=east.provider)
    offer = library.offer_create(by=east.training_admin, district=east.jurisdiction, lesson_plan=plan)
    assert offer.status == LibraryOffer.Status.PENDING
    assert "《高处作业安全》教案" not in titles(east.enterprise_admin)
    assert "《高处作业安全》教案" in titles(east.bureau)  # the acceptor previews it
    assert list(selectors.library_offers_awaiting(east.bureau)) == [offer]
    assert not selectors.library_offers_awaiting(cast.west.bureau).exists()
    with pytest.raises(LibraryForbidden):
        library.offer_decide(offer=offer, by=cast.west.bureau, accept=True)
    with pytest.raises(LibraryForbidden):
        library.offer_decide(offer=offer, by=east.training_admin, accept=True)  # an institution does not accept
    library.offer_decide(offer=offer, by=east.bureau, accept=True)
    assert "《高处作业安全》教案" in titles(east.enterprise_admin)
    assert "《高处作业安全》教案" not in titles(cast.west.enterprise_admin)
    with pytest.raises(OfferDecided):
        library.offer_decide(offer=offer, by=east.bureau, accept=False, note="晚了")
    library.offer_withdraw(offer=offer, by=east.training_admin)
    assert "《高处作业安全》教案" not in titles(east.enterprise_admin)


def test_rejecting_needs_a_note_and_duplicates_are_refused(cast: Cast) -> None:
    east = cast.east
    plan = make_plan(east.training_admin, "待拒", owner_provider=east.provider)
    offer = library.offer_create(by=east.training_admin, district=east.jurisdiction, lesson_plan=plan)
    with pytest.raises(OfferInvalid) as err:
        library.offer_create(by=east.training_admin, district=east.jurisdiction, lesson_plan=plan)
    assert "district" in err.value.details["errors"]
    with pytest.raises(OfferInvalid) as err:
        library.offer_decide(offer=offer, by=east.bureau, accept=False)
    assert "note" in err.value.details["errors"]
    library.offer_decide(offer=offer, by=east.bureau, accept=False, note="内容与本区行业不符")
    offer.refresh_from_db()
    assert (offer.status, offer.note, offer.decided_by) == ("rejected", "内容与本区行业不符", east.bureau)
    assert "待拒" not in titles(east.enterprise_admin)
    # after a rejection the provider may offer again
    assert library.offer_create(by=east.training_admin, district=east.jurisdiction, lesson_plan=plan).pk != offer.pk


def test_offers_come_only_from_the_providers_admins_and_go_to_districts(cast: Cast) -> None:
    east = cast.east
    plan = make_plan(east.training_admin, "机构", owner_provider=east.provider)
    with pytest.raises(LibraryForbidden):
        library.offer_create(by=cast.west.training_admin, district=cast.west.jurisdiction, lesson_plan=plan)
    with pytest.raises(OfferInvalid):
        library.offer_create(by=east.training_admin, district=east.street, lesson_plan=plan)
    ent_plan = make_plan(east.enterprise_admin, "企业", owner_enterprise=east.enterprises[0])
    with pytest.raises(OfferInvalid):
        library.offer_create(by=cast.platform_admin, district=east.jurisdiction, lesson_plan=ent_plan)
    assert not LibraryOffer.objects.exists()


def test_the_district_training_centre_accepts_and_its_own_offer_is_accepted_at_once(cast: Cast) -> None:
    east = cast.east
    centre = factories.make_provider(east.jurisdiction, code="east-dc")
    TrainingProvider.objects.filter(pk=centre.pk).update(kind=TrainingProvider.Kind.DISTRICT_CENTRE)
    centre_admin = factories.make_user("east_dc_admin")
    factories.grant(centre_admin, "training_admin", provider=centre)
    assert list(selectors.library_districts_accepted_by(centre_admin)) == [east.jurisdiction]
    assert not selectors.library_districts_accepted_by(east.training_admin).exists()
    plan = make_plan(east.training_admin, "机构教案", owner_provider=east.provider)
    offer = library.offer_create(by=east.training_admin, district=east.jurisdiction, lesson_plan=plan)
    library.offer_decide(offer=offer, by=centre_admin, accept=True)
    assert "机构教案" in titles(east.enterprise_admin)
    centre.refresh_from_db()
    own = make_plan(centre_admin, "中心自己的", owner_provider=centre)
    assert (
        library.offer_create(by=centre_admin, district=east.jurisdiction, lesson_plan=own).status
        == LibraryOffer.Status.ACCEPTED
    )


def test_an_accepted_course_offer_makes_the_course_assignable_in_the_district(cast: Cast) -> None:
    east = cast.east
    course = Course.objects.create(title="高校课程", owner_provider=cast.west.provider)
    assert not selectors.courses_available_to_enterprise(east.enterprises[0]).filter(pk=course.pk).exists()
    offer = library.offer_create(by=cast.west.training_admin, district=east.jurisdiction, course=course)
    assert not selectors.courses_available_to_enterprise(east.enterprises[0]).filter(pk=course.pk).exists()
    library.offer_decide(offer=offer, by=east.bureau, accept=True)
    assert selectors.courses_available_to_enterprise(east.enterprises[0]).filter(pk=course.pk).exists()
    assert selectors.courses_visible_to(east.bureau).filter(pk=course.pk).exists()
    assert not selectors.courses_available_to_enterprise(cast.west.enterprises[0]).filter(pk=course.pk).exists()


def test_city_level_officials_accept_for_districts_below(cast: Cast) -> None:
    city = Jurisdiction.objects.create(code="9901", name="市", kind=Jurisdiction.Kind.CITY)
    official = factories.make_user()
    factories.grant(official, "bureau_official", jurisdiction=city)
    assert not selectors.library_districts_accepted_by(official).filter(pk=cast.east.jurisdiction.pk).exists()
    assert list(selectors.library_districts_accepted_by(official)) == [city]


def test_the_migration_counts_the_pages_of_plans_already_stored(cast: Cast) -> None:
    """training/migrations/0008: plans stored before the count get theirs; a file storage lost keeps 0."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("training.migrations.0008_lesson_plan_pages")
    owner = {"owner_enterprise": cast.east.enterprises[0]}
    stored = make_plan(cast.east.enterprise_admin, "早先上传", **owner)
    gone = make_plan(cast.east.enterprise_admin, "文件已丢失", **owner)
    word = make_plan(cast.east.enterprise_admin, "Word", data=docx_bytes(), name="a.docx", **owner)
    LessonPlan.objects.update(page_count=0)
    gone.file.storage.delete(gone.file.name)

    migration.count_pages(apps, None)

    counts = dict(LessonPlan.objects.values_list("pk", "page_count"))
    assert counts == {stored.pk: 1, gone.pk: 0, word.pk: 0}
