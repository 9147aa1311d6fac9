"""Pages: learner and enterprise dashboards, player, media with Range,
ledger export, assignment, public learners — each with its outsider."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pandas as pd
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.models import Person
from tests import factories
from tests.conftest import login_client
from tests.training.conftest import FAKE_MP4, World, make_lesson, study
from training.models import Assignment, Chapter, Course, CreditLedger, Lesson, Progress, PublicLearner
from training.services.assignments import assignment_create, assignments_refresh
from training.services.content import lesson_create
from training.services.errors import MediaRejected
from training.services.public import public_learner_register
from training.services.retention import ledger_purge_expired

EN = {"Accept-Language": "en"}


def _study(world: World, seconds: int = 30) -> None:
    study(world.learner.user, world.video, seconds=seconds, stop=False)


@pytest.mark.django_db
class TestLearnerDashboard:
    def test_shows_each_assignment_with_progress_and_next_lesson(self, world: World) -> None:
        _study(world, 60)
        html = login_client(world.learner.user).get("/training/").content.decode()
        assert world.course.title in html
        assert 'aria-valuenow="25"' in html  # 1 of 4 credit minutes
        assert f"/training/lessons/{world.video.pk}/" in html
        assert (world.assignment.due_date.strftime("%Y-%m-%d")) in html

    def test_overdue_training_is_reminded(self, world: World) -> None:
        Assignment.objects.filter(pk=world.assignment.pk).update(due_date=timezone.localdate() - dt.timedelta(days=2))
        html = login_client(world.learner.user).get("/training/").content.decode()
        assert "data-reminders" in html
        assert "已于" in html  # Chinese is the default language
        english = login_client(world.learner.user).get("/training/", headers={"Accept-Language": "en"})
        assert "was due on" in english.content.decode()

    def test_others_see_only_their_own(self, world: World, cast: Any) -> None:
        for user in (cast.outsider, cast.west.learner.user, cast.east.enterprise_admin):
            html = login_client(user).get("/training/").content.decode()
            assert world.course.title not in html

    def test_anonymous_goes_to_login(self) -> None:
        assert Client().get("/training/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
class TestCourseAndPlayer:
    def test_the_course_page_shows_lessons_and_the_exam_lock(self, world: World) -> None:
        html = login_client(world.learner.user).get(f"/training/courses/{world.course.pk}/").content.decode()
        assert world.video.title in html
        assert 'data-exam-eligibility="no"' in html

    def test_the_player_page_loads_the_player(self, world: World) -> None:
        html = login_client(world.learner.user).get(f"/training/lessons/{world.video.pk}/").content.decode()
        assert "js/player.js" in html
        assert 'data-assigned="1"' in html
        assert "<video" in html

    def test_other_tenants_get_404(self, world: World, cast: Any) -> None:
        for user in (cast.outsider, cast.west.learner.user, cast.west.enterprise_admin, cast.west.bureau):
            client = login_client(user)
            for url in (
                f"/training/courses/{world.course.pk}/",
                f"/training/lessons/{world.video.pk}/",
                f"/training/lessons/{world.video.pk}/media/",
            ):
                assert client.get(url).status_code == 404, (user, url)

    def test_the_training_admin_may_preview_without_credit(self, world: World, cast: Any) -> None:
        html = login_client(cast.east.training_admin).get(f"/training/lessons/{world.video.pk}/").content.decode()
        assert 'data-assigned="0"' in html


@pytest.mark.django_db
class TestMedia:
    def test_range_requests_get_partial_content(self, world: World) -> None:
        client = login_client(world.learner.user)
        url = f"/training/lessons/{world.video.pk}/media/"
        whole = client.get(url)
        assert whole.status_code == 200
        assert whole["Accept-Ranges"] == "bytes"
        assert b"".join(whole.streaming_content) == FAKE_MP4
        part = client.get(url, headers={"Range": "bytes=4-11"})
        assert part.status_code == 206
        assert part["Content-Range"] == f"bytes 4-11/{len(FAKE_MP4)}"
        assert b"".join(part.streaming_content) == b"ftypmp42"
        tail = client.get(url, headers={"Range": "bytes=-4"})
        assert b"".join(tail.streaming_content) == FAKE_MP4[-4:]
        assert client.get(url, headers={"Range": f"bytes={len(FAKE_MP4) + 10}-"}).status_code == 416

    def test_the_pdf_is_served_but_framed_by_no_page(self, world: World) -> None:
        # The player shows page images (test_document_pages.py); nothing frames the PDF any more.
        response = login_client(world.learner.user).get(f"/training/lessons/{world.document.pk}/media/")
        assert response["X-Frame-Options"] == "DENY"
        assert response["Content-Type"] == "application/pdf"

    def test_wrong_type_and_oversized_uploads_are_refused(self, world: World, settings: Any) -> None:
        chapter = world.course.chapters.first()
        with pytest.raises(MediaRejected, match="MP4 or WebM"):
            lesson_create(actor=None, chapter=chapter, title="x", kind="video", credit_minutes=1, data=b"%PDF-1.4 fake")
        with pytest.raises(MediaRejected, match="not a PDF"):
            lesson_create(actor=None, chapter=chapter, title="x", kind="document", credit_minutes=1, data=FAKE_MP4)
        settings.TRAINING_MEDIA_MAX_BYTES = 1024
        with pytest.raises(MediaRejected, match="limit"):
            lesson_create(actor=None, chapter=chapter, title="x", kind="video", credit_minutes=1, data=FAKE_MP4)
        assert chapter.lessons.count() == 3  # nothing half-created


@pytest.mark.django_db
class TestEnterpriseDashboard:
    def _roster(self, world: World, cast: Any) -> dict[str, Person]:
        chem = cast.east.enterprises[0]
        people = {"done": factories.make_person(chem), "late": factories.make_person(chem)}
        for key, department in (("done", "一车间"), ("late", "二车间")):
            people[key].department = department
            people[key].save()
        assignment_create(learner=people["done"].user, course=world.course)
        late = assignment_create(learner=people["late"].user, course=world.course)
        Assignment.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
        for lesson in (world.video, world.document, world.article):
            Progress.objects.create(
                learner=people["done"].user,
                lesson=lesson,
                credited_seconds=lesson.credit_minutes * 60,
                furthest=lesson.end_position,
                position=lesson.end_position,
                completed_at=timezone.now(),
            )
        assignments_refresh(learner=people["done"].user)
        return people

    def test_admin_sees_status_per_employee_with_filters_and_chart(self, world: World, cast: Any) -> None:
        people = self._roster(world, cast)
        client = login_client(cast.east.enterprise_admin)
        html = client.get("/training/enterprise/").content.decode()
        assert f'data-person="{people["done"].pk}" data-status="completed"' in html
        assert f'data-person="{people["late"].pk}" data-status="overdue"' in html
        assert "data-overdue-list" in html
        assert "<svg" in html
        filtered = client.get("/training/enterprise/", {"status": "overdue"}).content.decode()
        assert f'data-person="{people["late"].pk}"' in filtered
        assert f'data-person="{people["done"].pk}"' not in filtered
        by_department = client.get("/training/enterprise/", {"department": "一车间"}).content.decode()
        assert f'data-person="{people["done"].pk}"' in by_department
        assert f'data-person="{people["late"].pk}"' not in by_department

    def test_the_west_and_the_outsider_see_no_east_employee(self, world: World, cast: Any) -> None:
        people = self._roster(world, cast)
        for user in (cast.west.enterprise_admin, cast.west.bureau):
            html = login_client(user).get("/training/enterprise/").content.decode()
            assert people["done"].name not in html
            assert cast.east.learner.name not in html
        east_pk = cast.east.enterprises[0].pk
        html = login_client(cast.west.bureau).get(f"/training/enterprise/?enterprise={east_pk}").content.decode()
        assert people["done"].name not in html
        assert login_client(cast.outsider).get("/training/enterprise/").status_code == 403
        assert login_client(cast.east.learner.user).get("/training/enterprise/").status_code == 403

    def test_the_bureau_sees_its_subtree(self, world: World, cast: Any) -> None:
        people = self._roster(world, cast)
        html = login_client(cast.east.bureau).get("/training/enterprise/").content.decode()
        assert people["late"].name in html


def _row(html: str, person: Person) -> str:
    """The dashboard's row (or phone card) of ``person``, as text."""
    match = re.search(rf'<tr data-person="{person.pk}".*?</tr>', html, re.S)
    assert match, f"{person.name} is not on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def _two_hour_course(cast: Any) -> Course:
    """A course of one 90-minute lesson: 2 学时 of 45 minutes."""
    course = Course.objects.create(
        title="有限空间作业", owner_provider=cast.east.provider, shared_with=cast.east.jurisdiction
    )
    chapter = Chapter.objects.create(course=course, title="第一章", order=1)
    make_lesson(chapter, "文章：有限空间", Lesson.Kind.ARTICLE, minutes=90, body_html="<p>x</p>")
    return course


@pytest.mark.django_db
class TestEnterpriseDashboardFigures:
    def test_training_completed_by_imported_hours_reads_full_not_zero(self, cast: Any) -> None:
        person = factories.make_person(cast.east.enterprises[0])
        course = _two_hour_course(cast)
        # A district imports the classroom training (the ledger, no lesson time) and the assignment is recorded
        # as completed, as the demo's history does.
        start = timezone.now() - dt.timedelta(days=30)
        CreditLedger.objects.create(
            learner=person.user,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=90),
            seconds=90 * 60,
            method=CreditLedger.Method.IMPORT,
            purpose=CreditLedger.Purpose.ONBOARDING,
            enterprise=cast.east.enterprises[0],
        )
        assignment = assignment_create(learner=person.user, course=course)
        Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.COMPLETED, completed_at=start)

        html = login_client(cast.east.enterprise_admin).get("/training/enterprise/", headers=EN).content.decode()
        row = _row(html, person)
        assert "Completed" in row
        assert "100%" in row
        assert not re.search(r"(?<!\d)0%", row)
        assert "2 / 2" in row  # 学时, not minutes
        assert "Completed through classroom or imported hours" in row
        assert "Classroom or imported: 2 credit hours" in row
        learner = login_client(person.user).get("/training/", headers=EN).content.decode()
        assert 'aria-valuenow="100"' in learner
        assert "2 of 2 credit hours" in learner

    def test_the_learner_page_and_the_dashboard_agree(self, cast: Any) -> None:
        person = factories.make_person(cast.east.enterprises[0])
        course = _two_hour_course(cast)
        assignment_create(learner=person.user, course=course)
        lesson = Lesson.objects.get(chapter__course=course)
        Progress.objects.create(learner=person.user, lesson=lesson, credited_seconds=45 * 60 + 40)
        assignments_refresh(learner=person.user)

        learner = login_client(person.user).get("/training/", headers=EN).content.decode()
        assert 'aria-valuenow="50"' in learner
        assert "1 of 2 credit hours" in learner
        html = login_client(cast.east.enterprise_admin).get("/training/enterprise/", headers=EN).content.decode()
        row = _row(html, person)
        assert "50%" in row
        assert "1 / 2" in row
        assert "45 /" not in row  # no minutes beside the 学时
        assert "Classroom or imported" not in row

    def test_the_list_is_paged_and_the_counts_read_everyone(self, world: World, cast: Any) -> None:
        chem = cast.east.enterprises[0]
        done = factories.make_person(chem)
        assignment_create(learner=done.user, course=world.course)
        Assignment.objects.filter(learner=done.user).update(status=Assignment.Status.COMPLETED)
        people = []
        for _ in range(53):
            person = factories.make_person(chem)
            person.department = "三车间"
            person.save()
            people.append(person)
        client = login_client(cast.east.enterprise_admin)

        first = client.get("/training/enterprise/", {"department": "三车间"}).content.decode()
        assert first.count("<tr data-person=") == 50
        assert "data-employee-count>(53)" in first
        assert 'data-count="completed">1<' in first  # the counts are the enterprise's, not the page's
        next_link = re.search(r'<a href="([^"]+)" data-next>', first)
        assert next_link
        assert "department=" in next_link.group(1)
        assert "page=2" in next_link.group(1)

        second = client.get("/training/enterprise/", {"department": "三车间", "page": 2}).content.decode()
        assert second.count("<tr data-person=") == 3
        assert 'data-count="completed">1<' in second
        shown = set(re.findall(r'<tr data-person="(\d+)"', first + second))
        assert shown == {str(p.pk) for p in people}

    def test_the_queries_do_not_grow_with_the_people(self, world: World, cast: Any) -> None:
        chem = cast.east.enterprises[0]
        client = login_client(cast.east.bureau)  # every enterprise: the rows name theirs

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/training/enterprise/").status_code == 200
            return len(captured)

        few = queries()
        for _ in range(12):
            person = factories.make_person(chem)
            assignment_create(learner=person.user, course=world.course)
            Progress.objects.create(learner=person.user, lesson=world.video, credited_seconds=30)
            start = timezone.now()
            CreditLedger.objects.create(
                learner=person.user, started_at=start, ended_at=start, seconds=60, method=CreditLedger.Method.IMPORT
            )
        assert queries() == few


@pytest.mark.django_db
class TestLedger:
    def test_the_ledger_refuses_updates_and_deletes(self, world: World) -> None:
        _study(world)
        entry = CreditLedger.objects.first()
        entry.seconds = 9999
        with pytest.raises(PermissionError):
            entry.save()
        with pytest.raises(PermissionError):
            entry.delete()
        with pytest.raises(PermissionError):
            CreditLedger.objects.all().update(seconds=1)
        with pytest.raises(PermissionError):
            CreditLedger.objects.all().delete()
        assert CreditLedger.objects.get(pk=entry.pk).seconds == 15

    def test_the_admin_cannot_edit_the_ledger(self, world: World, cast: Any) -> None:
        _study(world)
        client = login_client(cast.platform_admin)
        entry = CreditLedger.objects.first()
        client.post(f"/admin/training/creditledger/{entry.pk}/delete/", {"post": "yes"}, follow=True)
        changed = client.post(f"/admin/training/creditledger/{entry.pk}/change/", {"seconds": 9999})
        assert changed.status_code == 403
        assert client.get("/admin/training/creditledger/add/").status_code == 403
        assert CreditLedger.objects.get(pk=entry.pk).seconds == 15

    def test_expired_rows_are_purged_by_post_retention(self, world: World, settings: Any) -> None:
        _study(world)
        assert ledger_purge_expired() == 0
        later = timezone.now() + dt.timedelta(days=365 * 3 + 2)
        assert ledger_purge_expired(now=later) == 2  # an employee: 3 years
        assert not CreditLedger.objects.exists()

    def test_special_operators_are_kept_six_years(self, world: World) -> None:
        Person.objects.filter(pk=world.learner.pk).update(post=Person.Post.SPECIAL_OPERATOR)
        _study(world)
        assert ledger_purge_expired(now=timezone.now() + dt.timedelta(days=365 * 4)) == 0

    def test_export_csv_and_xlsx_without_id_numbers(self, world: World, cast: Any) -> None:
        _study(world)
        client = login_client(cast.east.enterprise_admin)
        csv = client.get("/training/ledger/export/", headers=EN)
        assert csv["Content-Type"].startswith("text/csv")
        frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
        assert list(frame["Seconds"]) == [15, 15]
        assert world.learner.id_number not in csv.content.decode("utf-8-sig")
        xlsx = client.get("/training/ledger/export/", {"as": "xlsx"}, headers=EN)
        sheet = pd.read_excel(io.BytesIO(xlsx.content))
        assert sheet["Seconds"].sum() == 30
        assert set(sheet["Lesson"]) == {world.video.title}

    def test_export_is_scoped(self, world: World, cast: Any) -> None:
        _study(world)
        for user in (cast.outsider, cast.west.enterprise_admin, cast.west.bureau, cast.west.learner.user):
            frame = pd.read_csv(io.BytesIO(login_client(user).get("/training/ledger/export/").content))
            assert frame.empty, user


@pytest.mark.django_db
class TestAssignPage:
    def test_enterprise_admin_assigns_a_course_to_a_department(self, world: World, cast: Any) -> None:
        chem = cast.east.enterprises[0]
        welder = factories.make_person(chem)
        Person.objects.filter(pk=welder.pk).update(department="维修班")
        client = login_client(cast.east.enterprise_admin)
        response = client.post(
            "/training/assign/",
            {
                "what": f"course:{world.course.pk}",
                "target": "department",
                "department": "维修班",
                "due_date": "2030-01-01",
            },
        )
        assert response.status_code == 302
        assert Assignment.objects.get(learner=welder.user, course=world.course).due_date == dt.date(2030, 1, 1)

    def test_a_course_of_another_district_cannot_be_assigned(self, world: World, cast: Any) -> None:
        client = login_client(cast.west.enterprise_admin)
        response = client.post(
            "/training/assign/", {"what": f"course:{world.course.pk}", "target": "post", "post": "employee"}, headers=EN
        )
        assert response.status_code == 200
        assert "Choose a course or plan" in response.content.decode()
        assert not Assignment.objects.filter(learner=cast.west.learner.user).exists()

    def test_only_enterprise_admins_may_assign(self, cast: Any) -> None:
        for user in (cast.outsider, cast.east.learner.user, cast.east.bureau):
            assert login_client(user).get("/training/assign/").status_code == 403

    def test_whoever_manages_several_enterprises_chooses_one_first(self, world: World, cast: Any) -> None:
        client = login_client(cast.platform_admin)
        html = client.get("/training/assign/", headers=EN).content.decode()
        assert "data-choose-enterprise" in html
        assert all(f'<option value="{e.pk}">{e.name}</option>' in html for e in cast.east.enterprises)
        assert 'name="what"' not in html
        assert "Assign to" not in html
        second = cast.east.enterprises[1]
        html = client.get("/training/assign/", {"enterprise": second.pk}, headers=EN).content.decode()
        assert f"<b>{second.name}</b>" in html
        assert "Choose another enterprise" in html
        # Posted without an enterprise, nothing is assigned to the first one in the list.
        response = client.post(
            "/training/assign/", {"what": f"course:{world.course.pk}", "target": "post", "post": "employee"}
        )
        assert "data-choose-enterprise" in response.content.decode()
        assert not Assignment.objects.exclude(pk=world.assignment.pk).exists()

    def test_an_enterprise_with_nothing_to_assign_is_told_so_without_a_button(self, cast: Any) -> None:
        html = login_client(cast.west.enterprise_admin).get("/training/assign/", headers=EN).content.decode()
        assert "This enterprise has no course or training plan to assign yet" in html
        assert 'type="submit"' not in html.split("data-nothing-to-assign", 1)[1].split("</main>", 1)[0]

    def test_each_way_of_picking_people_carries_only_its_own_field(self, world: World, cast: Any) -> None:
        chem = cast.east.enterprises[0]
        html = login_client(cast.east.enterprise_admin).get("/training/assign/", headers=EN).content.decode()
        options = dict(re.findall(r'<div class="target-option" data-target="(\w+)">(.*?)</div>\s*</div>', html, re.S))
        assert set(options) == {"post", "people"}  # nobody has a department: no empty department box
        assert 'value="post"' in options["post"]
        assert "checked" in options["post"].split("<label", 1)[0]
        assert 'name="post"' in options["post"]
        assert 'name="people"' not in options["post"]
        assert "Employee (1 people)" in options["post"]
        assert "Principal" not in options["post"]
        assert f'value="{world.learner.pk}"' in options["people"]
        assert 'name="post"' not in options["people"]
        Person.objects.filter(pk=world.learner.pk).update(department="维修班")
        html = login_client(cast.east.enterprise_admin).get("/training/assign/", headers=EN).content.decode()
        assert 'data-target="department"' in html
        assert '<option value="维修班">维修班 (1 people)</option>' in html
        assert chem.name in html

    def test_chosen_people_are_assigned_and_nobody_else(self, world: World, cast: Any) -> None:
        chem = cast.east.enterprises[0]
        picked, other = factories.make_person(chem), factories.make_person(chem)
        response = login_client(cast.east.enterprise_admin).post(
            "/training/assign/",
            {"enterprise": chem.pk, "what": f"course:{world.course.pk}", "target": "people", "people": [picked.pk]},
        )
        assert response.status_code == 302
        assert Assignment.objects.filter(learner=picked.user, course=world.course).exists()
        assert not Assignment.objects.filter(learner=other.user).exists()
        again = login_client(cast.east.enterprise_admin).post(
            "/training/assign/",
            {"enterprise": chem.pk, "what": f"course:{world.course.pk}", "target": "people", "people": [picked.pk]},
            headers=EN,
            follow=True,
        )
        assert "already has this training: nothing new was assigned" in again.content.decode()
        assert "Assigned to 0 people" not in again.content.decode()


@pytest.mark.django_db
class TestPublicLearners:
    def _first_aid(self, cast: Any) -> Course:
        return Course.objects.create(
            title="应急救护", owner_provider=cast.east.provider, shared_with=cast.east.jurisdiction, is_public=True
        )

    def test_a_resident_registers_enrols_and_studies(self, cast: Any) -> None:
        course = self._first_aid(cast)
        client = Client()
        response = client.post(
            "/accounts/public/register/",
            {"jurisdiction": cast.east.street.pk, "name": "居民甲", "phone": "13800001234", "password": "safe-pass-99"},
        )
        assert response.status_code == 302
        learner = PublicLearner.objects.get(name="居民甲")
        assert learner.user.phone == "13800001234"
        assert course.title in client.get("/training/public/").content.decode()
        client.post(f"/training/public/courses/{course.pk}/enrol/")
        assert Assignment.objects.get(learner=learner.user).source == Assignment.Source.PUBLIC
        # The east bureau counts them; the west bureau does not.
        from training import selectors

        assert selectors.assignments_visible_to(cast.east.bureau).filter(learner=learner.user).exists()
        assert not selectors.assignments_visible_to(cast.west.bureau).filter(learner=learner.user).exists()

    def test_a_duplicate_phone_is_refused_with_a_clear_message(self, cast: Any) -> None:
        self._first_aid(cast)
        data = {
            "jurisdiction": cast.east.street.pk,
            "name": "居民乙",
            "phone": "13800005678",
            "password": "safe-pass-99",
        }
        Client().post("/accounts/public/register/", data)
        response = Client().post("/accounts/public/register/", data, headers=EN)
        assert response.status_code == 200
        assert "already registered" in response.content.decode()

    def test_a_public_course_of_another_district_cannot_be_enrolled(self, cast: Any) -> None:
        course = self._first_aid(cast)
        west = Course.objects.create(
            title="西区急救", owner_provider=cast.west.provider, shared_with=cast.west.jurisdiction, is_public=True
        )
        learner = public_learner_register(
            jurisdiction=cast.east.street, name="居民丙", phone="13800009999", password="safe-pass-99"
        )
        client = login_client(learner.user)
        assert client.post(f"/training/public/courses/{west.pk}/enrol/").status_code == 404
        assert client.post(f"/training/public/courses/{course.pk}/enrol/").status_code == 302

    def test_non_public_users_are_refused(self, cast: Any) -> None:
        course = self._first_aid(cast)
        for user in (cast.outsider, cast.east.learner.user):
            client = login_client(user)
            assert client.get("/training/public/").status_code == 403
            assert client.post(f"/training/public/courses/{course.pk}/enrol/").status_code == 403


@pytest.mark.django_db
class TestAdminUpload:
    def _post(self, world: World, cast: Any, name: str, data: bytes, kind: str) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        root = factories.make_user(is_staff=True, is_superuser=True)
        return login_client(root).post(
            "/admin/training/lesson/add/",
            {
                "chapter": world.course.chapters.first().pk,
                "title": "上传的课时",
                "order": 9,
                "kind": kind,
                "media": SimpleUploadedFile(name, data),
                "body_html": "",
                "duration_seconds": 0,
                "credit_minutes": 5,
                "quiz_question_count": 0,
                "quiz_pass_percent": 60,
            },
            headers=EN,
        )

    def test_a_renamed_file_of_the_wrong_type_is_refused_with_a_message(self, world: World, cast: Any) -> None:
        response = self._post(world, cast, "lesson.mp4", b"%PDF-1.4 not a video", "video")
        assert response.status_code == 200
        assert "MP4 or WebM" in response.content.decode()
        assert not world.course.chapters.first().lessons.filter(title="上传的课时").exists()

    def test_a_pdf_is_accepted_and_its_pages_counted(self, world: World, cast: Any) -> None:
        from tests.training.conftest import TINY_PDF

        response = self._post(world, cast, "rules.pdf", TINY_PDF, "document")
        assert response.status_code == 302
        lesson = world.course.chapters.first().lessons.get(title="上传的课时")
        assert (lesson.media_type, lesson.page_count) == ("application/pdf", 3)
