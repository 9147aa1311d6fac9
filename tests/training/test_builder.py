"""The course builder under /training/manage/: who may build what, uploads
checked by their bytes, and the ledger protecting credited lessons."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from organizations.models import TrainingProvider
from tests.conftest import Cast, login_client
from tests.training.conftest import FAKE_MP4, TINY_PDF, World, make_quiz_bank
from training import selectors
from training.models import Chapter, Course, CreditLedger, Lesson
from training.services.content import course_save
from training.services.crediting import lesson_start
from training.services.errors import CourseEmpty, LessonNotAssigned, ShareNeedsOffer


def _client(user: Any) -> Any:
    client = login_client(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages are asserted in English
    return client


def _course_post(cast: Cast, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "受限空间作业安全",
        "description": "进入受限空间前的检测与监护",
        "owner": f"provider:{cast.east.provider.pk}",
        "shared_with": cast.east.jurisdiction.pk,
        "posts": ["employee", "safety_manager"],
        **overrides,
    }


@pytest.mark.django_db
class TestScoping:
    def test_training_admin_lists_only_their_providers_courses(self, world: World, cast: Cast) -> None:
        west_course = Course.objects.create(title="西区课程", owner_provider=cast.west.provider)
        html = _client(cast.east.training_admin).get("/training/manage/").content.decode()
        assert world.course.title in html
        assert west_course.title not in html

    def test_enterprise_admin_lists_only_their_private_courses(self, world: World, cast: Cast) -> None:
        own = Course.objects.create(title="本厂内部课程", owner_enterprise=cast.east.enterprises[0])
        other = Course.objects.create(title="兄弟厂内部课程", owner_enterprise=cast.east.enterprises[1])
        html = _client(cast.east.enterprise_admin).get("/training/manage/").content.decode()
        assert own.title in html
        assert other.title not in html
        assert world.course.title not in html  # a provider's course they may assign, not edit

    def test_platform_admin_lists_every_course(self, world: World, cast: Cast) -> None:
        west_course = Course.objects.create(title="西区课程", owner_provider=cast.west.provider)
        html = _client(cast.platform_admin).get("/training/manage/").content.decode()
        assert world.course.title in html
        assert west_course.title in html

    def test_it_validates_ownership(self, world: World, cast: Cast) -> None:
        chapter = world.video.chapter
        urls = [
            f"/training/manage/courses/{world.course.pk}/",
            f"/training/manage/courses/{world.course.pk}/edit/",
            f"/training/manage/chapters/{chapter.pk}/lessons/new/?kind=article",
            f"/training/manage/lessons/{world.article.pk}/edit/",
            f"/training/manage/lessons/{world.article.pk}/delete/",
        ]
        for user in (cast.outsider, cast.west.training_admin, cast.west.enterprise_admin, cast.east.bureau):
            client = _client(user)
            for url in urls:
                assert client.get(url).status_code in (403, 404), (user, url)
            response = client.post(f"/training/manage/lessons/{world.article.pk}/delete/", {"confirm": "1"})
            assert response.status_code == 404
        assert Lesson.objects.filter(pk=world.article.pk).exists()

    def test_the_builder_list_is_refused_to_learners_and_outsiders(self, cast: Cast) -> None:
        for user in (cast.outsider, cast.east.learner.user, cast.east.bureau):
            assert _client(user).get("/training/manage/").status_code == 403

    def test_menu_links_the_builder_for_course_builders_only(self, cast: Cast) -> None:
        assert "/training/manage/" in _client(cast.east.training_admin).get("/").content.decode()
        assert "/training/manage/" in _client(cast.east.enterprise_admin).get("/").content.decode()
        assert "/training/manage/" not in _client(cast.east.learner.user).get("/").content.decode()

    def test_an_enterprise_admin_cannot_give_a_course_to_another_owner(self, cast: Cast) -> None:
        client = _client(cast.east.enterprise_admin)
        response = client.post("/training/manage/courses/new/", _course_post(cast, shared_with=""))
        assert response.status_code == 200
        assert "Select a valid choice." in response.content.decode()
        assert not Course.objects.filter(title="受限空间作业安全").exists()


@pytest.mark.django_db
class TestCourse:
    def test_an_institution_offers_its_course_instead_of_sharing_it(self, cast: Cast) -> None:
        assert cast.east.provider.kind == TrainingProvider.Kind.INSTITUTION
        client = _client(cast.east.training_admin)
        response = client.post("/training/manage/courses/new/", _course_post(cast))
        assert response.status_code == 200
        assert "publishes a course to a district by offering it" in response.content.decode()
        assert not Course.objects.filter(title="受限空间作业安全").exists()
        # Not shared, the course is created; a share already in place is kept on edit.
        client.post("/training/manage/courses/new/", _course_post(cast, shared_with=""))
        course = Course.objects.get(title="受限空间作业安全")
        Course.objects.filter(pk=course.pk).update(shared_with=cast.east.jurisdiction)
        response = client.post(f"/training/manage/courses/{course.pk}/edit/", _course_post(cast, title="修订"))
        assert response.status_code == 302
        # The service refuses it on every door, whatever the form.
        with pytest.raises(ShareNeedsOffer):
            course_save(
                course=None, title="x", description="", owner_provider=cast.east.provider, owner_enterprise=None,
                shared_with=cast.east.jurisdiction, industries=[], posts=[], is_public=False, published=False,
            )  # fmt: skip

    def test_training_admin_creates_and_edits_a_shared_course(self, cast: Cast) -> None:
        # The district's own training centre shares within its area directly (issue 18's library rule).
        TrainingProvider.objects.filter(pk=cast.east.provider.pk).update(kind=TrainingProvider.Kind.DISTRICT_CENTRE)
        client = _client(cast.east.training_admin)
        machinery = cast.east.enterprises[1].industry
        response = client.post("/training/manage/courses/new/", _course_post(cast, industries=[machinery.pk]))
        course = Course.objects.get(title="受限空间作业安全")
        assert response.status_code == 302
        assert response["Location"] == f"/training/manage/courses/{course.pk}/"
        assert course.owner_provider == cast.east.provider
        assert course.shared_with == cast.east.jurisdiction
        assert list(course.industries.all()) == [machinery]
        assert course.posts == ["employee", "safety_manager"]
        response = client.post(
            f"/training/manage/courses/{course.pk}/edit/", _course_post(cast, title="受限空间作业（修订）")
        )
        assert response.status_code == 302
        course.refresh_from_db()
        assert course.title == "受限空间作业（修订）"

    def test_a_private_course_is_not_shared(self, cast: Cast) -> None:
        client = _client(cast.east.enterprise_admin)
        response = client.post(
            "/training/manage/courses/new/",
            _course_post(cast, owner=f"enterprise:{cast.east.enterprises[0].pk}", shared_with=""),
        )
        course = Course.objects.get(title="受限空间作业安全")
        assert response.status_code == 302
        assert course.owner_enterprise == cast.east.enterprises[0]
        assert course.shared_with is None

    def test_public_needs_a_jurisdiction(self, cast: Cast) -> None:
        client = _client(cast.east.training_admin)
        response = client.post("/training/manage/courses/new/", _course_post(cast, shared_with="", is_public="on"))
        assert "Choose the jurisdiction whose residents may take this public course." in response.content.decode()
        assert not Course.objects.exists()


@pytest.mark.django_db
class TestChapters:
    def test_add_rename_reorder_and_delete_chapters(self, world: World, cast: Cast) -> None:
        client = _client(cast.east.training_admin)
        base = f"/training/manage/courses/{world.course.pk}/"
        client.post(f"{base}chapters/new/", {"title": "第二章 应急处置"})
        second = Chapter.objects.get(course=world.course, title="第二章 应急处置")
        client.post(f"/training/manage/chapters/{second.pk}/rename/", {"title": "第二章 应急处置与救援"})
        client.post(f"/training/manage/chapters/{second.pk}/move/", {"direction": "up"})
        titles = list(world.course.chapters.order_by("order", "pk").values_list("title", flat=True))
        assert titles == ["第二章 应急处置与救援", "第一章"]
        html = client.get(base).content.decode()
        assert html.index("第二章 应急处置与救援") < html.index("第一章")
        client.post(f"/training/manage/chapters/{second.pk}/delete/", {"confirm": "1"})
        assert not Chapter.objects.filter(pk=second.pk).exists()

    def test_a_blank_chapter_title_is_asked_for_again(self, world: World, cast: Cast) -> None:
        client = _client(cast.east.training_admin)
        chapters = list(world.course.chapters.values_list("pk", "title"))
        created = client.post(f"/training/manage/courses/{world.course.pk}/chapters/new/", {"title": ""}, follow=True)
        assert "Enter a chapter title." in created.content.decode()
        first = world.course.chapters.get()
        renamed = client.post(f"/training/manage/chapters/{first.pk}/rename/", {"title": " "}, follow=True)
        assert "Enter a chapter title." in renamed.content.decode()
        assert list(world.course.chapters.values_list("pk", "title")) == chapters

    def test_a_chapter_with_credited_lessons_is_not_deleted(self, world: World, cast: Cast) -> None:
        _credit(world.video, world)
        response = _client(cast.east.training_admin).post(
            f"/training/manage/chapters/{world.video.chapter_id}/delete/", {"confirm": "1"}, follow=True
        )
        assert "has credited study time on record" in response.content.decode()
        assert Lesson.objects.filter(chapter=world.video.chapter).count() == 3

    def test_the_outline_shows_why_instead_of_deletes_that_would_be_refused(self, world: World, cast: Cast) -> None:
        client = _client(cast.east.training_admin)
        outline = f"/training/manage/courses/{world.course.pk}/"
        chapter_delete = f"/training/manage/chapters/{world.video.chapter_id}/delete/"
        html = client.get(outline).content.decode()
        assert chapter_delete in html
        assert f"/training/manage/lessons/{world.video.pk}/delete/" in html
        assert "1. 第一章" not in html
        assert "<h2>第一章</h2>" in html
        _credit(world.video, world)
        html = client.get(outline).content.decode()
        assert chapter_delete not in html
        assert "Its lessons have credit records: the chapter can't be deleted." in html
        video = html.split(f'id="lesson-{world.video.pk}"', 1)[1].split("</li>", 1)[0]
        assert "/delete/" not in video
        assert "retire it instead" in video
        article = html.split(f'id="lesson-{world.article.pk}"', 1)[1].split("</li>", 1)[0]
        assert f"/training/manage/lessons/{world.article.pk}/delete/" in article  # no credit: still deletable


def _credit(lesson: Lesson, world: World) -> None:
    now = timezone.now()
    CreditLedger.objects.create(
        learner=world.learner.user, lesson=lesson, started_at=now, ended_at=now, seconds=30, post="employee"
    )


@pytest.mark.django_db
class TestLessons:
    def _url(self, world: World, kind: str) -> str:
        return f"/training/manage/chapters/{world.video.chapter_id}/lessons/new/?kind={kind}"

    def _add(self, client: Any, world: World, kind: str, *, title: str, credit_minutes: int, **fields: Any) -> Any:
        """POST a new ``kind`` lesson into the chapter of the world's video lesson."""
        data = {"kind": kind, "chapter": world.video.chapter_id, "title": title, "credit_minutes": credit_minutes}
        return client.post(self._url(world, kind), {**data, **fields})

    def test_add_an_article_lesson_sanitised_with_a_quiz(self, world: World, cast: Cast) -> None:
        bank = make_quiz_bank(cast)
        client = _client(cast.east.training_admin)
        assert bank.name in client.get(self._url(world, "article")).content.decode()
        response = self._add(
            client,
            world,
            "article",
            title="事故案例：受限空间中毒",
            credit_minutes=5,
            body_html='<h2>经过</h2><p onclick="x()">未检测即进入<script>alert(1)</script></p>',
            quiz_bank=bank.pk,
            quiz_question_count=3,
            quiz_pass_percent=80,
        )
        lesson = Lesson.objects.get(title="事故案例：受限空间中毒")
        assert response.status_code == 302
        assert lesson.body_html == "<h2>经过</h2><p>未检测即进入</p>"
        assert (lesson.quiz_bank_id, lesson.quiz_question_count, lesson.quiz_pass_percent) == (bank.pk, 3, 80)
        assert lesson.order == 4  # after the chapter's three lessons

    def test_add_video_and_pdf_lessons(self, world: World, cast: Cast) -> None:
        client = _client(cast.east.training_admin)
        mp4 = SimpleUploadedFile("clip.mp4", FAKE_MP4, content_type="video/mp4")
        self._add(client, world, "video", title="新视频", credit_minutes=3, duration_seconds=120, media=mp4)
        pdf = SimpleUploadedFile("rules.pdf", TINY_PDF, content_type="application/pdf")
        self._add(client, world, "document", title="新规程", credit_minutes=2, media=pdf)
        video = Lesson.objects.get(title="新视频")
        document = Lesson.objects.get(title="新规程")
        assert (video.media_type, video.duration_seconds) == ("video/mp4", 120)
        assert (document.media_type, document.page_count) == ("application/pdf", 3)
        assert document.media.read() == TINY_PDF

    def test_a_wrong_file_type_is_refused_and_nothing_saved(self, world: World, cast: Cast) -> None:
        before = Lesson.objects.count()
        # A PDF renamed to .mp4: the bytes decide.
        renamed = SimpleUploadedFile("clip.mp4", TINY_PDF, content_type="video/mp4")
        client = _client(cast.east.training_admin)
        response = self._add(
            client, world, "video", title="伪装的视频", credit_minutes=3, duration_seconds=60, media=renamed
        )
        assert response.status_code == 400
        assert "A video lesson needs an MP4 or WebM file; this file is neither." in response.content.decode()
        assert Lesson.objects.count() == before

    def test_an_oversized_file_is_refused_and_nothing_saved(self, world: World, cast: Cast, settings: Any) -> None:
        settings.TRAINING_MEDIA_MAX_BYTES = 1024
        before = Lesson.objects.count()
        big = SimpleUploadedFile("big.pdf", TINY_PDF + b"0" * 4096, content_type="application/pdf")
        response = self._add(
            _client(cast.east.training_admin), world, "document", title="太大的文档", credit_minutes=2, media=big
        )
        assert response.status_code == 400
        assert "the limit is" in response.content.decode()
        assert Lesson.objects.count() == before

    def test_edit_moves_and_reorders_lessons(self, world: World, cast: Cast) -> None:
        client = _client(cast.east.training_admin)
        client.post(f"/training/manage/lessons/{world.article.pk}/move/", {"direction": "up"})
        order = list(Lesson.objects.filter(chapter=world.video.chapter).order_by("order").values_list("pk", flat=True))
        assert order == [world.video.pk, world.article.pk, world.document.pk]
        response = client.post(
            f"/training/manage/lessons/{world.article.pk}/edit/",
            {
                "chapter": world.video.chapter_id,
                "title": "文章：事故案例（新）",
                "credit_minutes": 2,
                "body_html": "<p>新</p>",
            },
        )
        assert response.status_code == 302
        world.article.refresh_from_db()
        assert (world.article.title, world.article.credit_minutes, world.article.body_html) == (
            "文章：事故案例（新）",
            2,
            "<p>新</p>",
        )

    def test_delete_a_lesson_without_credit(
        self, world: World, cast: Cast, django_capture_on_commit_callbacks: Any
    ) -> None:
        client = _client(cast.east.training_admin)
        storage, name = world.document.media.storage, world.document.media.name
        assert storage.exists(name)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/training/manage/lessons/{world.document.pk}/delete/", {"confirm": "1"})
        assert response.status_code == 302
        assert not Lesson.objects.filter(pk=world.document.pk).exists()
        assert not storage.exists(name)

    def test_delete_needs_confirmation(self, world: World, cast: Cast) -> None:
        client = _client(cast.east.training_admin)
        assert client.post(f"/training/manage/lessons/{world.document.pk}/delete/").status_code == 200
        assert Lesson.objects.filter(pk=world.document.pk).exists()

    def test_delete_is_refused_when_the_ledger_has_rows_and_retire_is_offered(self, world: World, cast: Cast) -> None:
        _credit(world.video, world)
        client = _client(cast.east.training_admin)
        page = client.get(f"/training/manage/lessons/{world.video.pk}/delete/").content.decode()
        assert "Retire this lesson" in page
        response = client.post(f"/training/manage/lessons/{world.video.pk}/delete/", {"confirm": "1"})
        assert response.status_code == 409
        assert "has credited study time on record and cannot be deleted; retire it instead." in (
            response.content.decode()
        )
        assert Lesson.objects.filter(pk=world.video.pk).exists()
        assert CreditLedger.objects.filter(lesson=world.video).count() == 1

    def test_a_retired_lesson_leaves_the_course_for_learners(self, world: World, cast: Cast) -> None:
        _client(cast.east.training_admin).post(
            f"/training/manage/lessons/{world.document.pk}/retire/", {"retired": "1"}
        )
        world.document.refresh_from_db()
        assert world.document.retired
        html = _client(world.learner.user).get(f"/training/courses/{world.course.pk}/").content.decode()
        assert world.document.title not in html
        summary = selectors.assignment_summary(world.assignment)
        assert summary.lessons_total == 2
        with pytest.raises(LessonNotAssigned):
            lesson_start(user=world.learner.user, lesson=world.document)


@pytest.mark.django_db
class TestDraftsAndPublishing:
    def test_a_new_course_is_saved_as_a_draft_without_a_published_box(self, cast: Cast) -> None:
        client = _client(cast.east.training_admin)
        page = client.get("/training/manage/courses/new/").content.decode()
        assert 'name="published"' not in page  # it would contradict the note below
        assert "A new course starts as a draft" in page
        client.post("/training/manage/courses/new/", _course_post(cast, shared_with="", published="on"))
        assert Course.objects.get(title="受限空间作业安全").published is False

    def test_an_enterprise_admin_is_offered_only_what_a_private_course_may_have(self, cast: Cast) -> None:
        page = _client(cast.east.enterprise_admin).get("/training/manage/courses/new/").content.decode()
        assert 'name="shared_with"' not in page
        assert 'name="is_public"' not in page
        assert "Open to public learners" not in page
        assert 'name="title"' in page
        assert 'name="posts"' in page
        # A training provider's admin still shares and opens courses to the public.
        page = _client(cast.east.training_admin).get("/training/manage/courses/new/").content.decode()
        assert 'name="shared_with"' in page
        assert 'name="is_public"' in page

    def test_an_empty_course_is_not_published_and_a_course_with_lessons_is(self, world: World, cast: Cast) -> None:
        client = _client(cast.east.training_admin)
        empty = Course.objects.create(title="空课程", owner_provider=world.course.owner_provider, published=False)
        response = client.post(f"/training/manage/courses/{empty.pk}/publish/", {"published": "1"}, follow=True)
        assert "Add at least one lesson" in response.content.decode()
        empty.refresh_from_db()
        assert empty.published is False
        # The edit form's 已发布 box is a door to publishing too: refused there with the same reason.
        response = client.post(
            f"/training/manage/courses/{empty.pk}/edit/",
            _course_post(cast, title="空课程", shared_with="", published="on"),
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 200
        assert "Add at least one lesson before publishing the course." in response.content.decode()
        empty.refresh_from_db()
        assert empty.published is False
        with pytest.raises(CourseEmpty):
            course_save(
                course=empty, title="空课程", description="", owner_provider=empty.owner_provider, owner_enterprise=None,
                shared_with=None, industries=[], posts=[], is_public=False, published=True,
            )  # fmt: skip
        # A course that has lessons is published from its edit form as from the outline.
        Course.objects.filter(pk=world.course.pk).update(published=False)
        response = client.post(
            f"/training/manage/courses/{world.course.pk}/edit/",
            _course_post(cast, title=world.course.title, shared_with="", published="on"),
        )
        assert response.status_code == 302
        world.course.refresh_from_db()
        assert world.course.published is True

        Course.objects.filter(pk=world.course.pk).update(published=False)
        page = client.get(f"/training/manage/courses/{world.course.pk}/").content.decode()
        assert "data-draft" in page
        client.post(f"/training/manage/courses/{world.course.pk}/publish/", {"published": "1"})
        world.course.refresh_from_db()
        assert world.course.published is True
        client.post(f"/training/manage/courses/{world.course.pk}/publish/", {"published": "0"})
        world.course.refresh_from_db()
        assert world.course.published is False

    def test_only_the_courses_managers_publish(self, world: World, cast: Cast) -> None:
        Course.objects.filter(pk=world.course.pk).update(published=False)
        for user in (cast.west.training_admin, cast.east.learner.user, cast.outsider):
            response = _client(user).post(f"/training/manage/courses/{world.course.pk}/publish/", {"published": "1"})
            assert response.status_code in (403, 404)
        world.course.refresh_from_db()
        assert world.course.published is False
        assert (
            _client(cast.east.training_admin).get(f"/training/manage/courses/{world.course.pk}/publish/").status_code
            == 405
        )


@pytest.mark.django_db
def test_the_admin_door_keeps_the_publishing_rule(world: World, cast: Cast) -> None:
    """Django admin's course form refuses to publish a course without a lesson, as the builder does."""
    from training.admin import CourseAdminForm

    empty = Course.objects.create(title="空课程", owner_provider=cast.east.provider, published=False)
    data = {"title": "空课程", "description": "", "owner_provider": cast.east.provider.pk, "posts": "[]"}
    form = CourseAdminForm(data={**data, "published": "on"}, instance=empty)
    assert not form.is_valid()
    assert "published" in form.errors
    assert CourseAdminForm(data=data, instance=empty).is_valid()  # kept a draft, it saves
    with_lessons = CourseAdminForm(
        data={**data, "title": world.course.title, "published": "on"},
        instance=Course.objects.get(pk=world.course.pk),
    )
    Course.objects.filter(pk=world.course.pk).update(published=False)
    with_lessons.instance.published = False
    assert with_lessons.is_valid(), with_lessons.errors
