"""EAST-district training objects for tests/route_params.py (built once per cast)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from training.models import (
    Assignment,
    Chapter,
    Course,
    CreditLedger,
    Lesson,
    PlanTemplate,
    Progress,
    RequirementProfile,
)
from training.services.assignments import assignment_create, onboarding_plan_for
from training.services.public import public_learner_register


def east_training(cast: Any) -> dict[str, Any]:
    cached = cast.east.extra.get("training")
    if cached:
        return cached
    from tests.training.conftest import TINY_PDF, make_lesson, video_lesson

    east = cast.east
    course = Course.objects.create(title="东区安全课程", owner_provider=east.provider, shared_with=east.jurisdiction)
    chapter = Chapter.objects.create(course=course, title="第一章")
    video = video_lesson(chapter, "东区视频", seconds=60)
    document = make_lesson(chapter, "东区文档", Lesson.Kind.DOCUMENT, data=TINY_PDF)
    assignment_create(learner=east.learner.user, course=course)
    Progress.objects.get_or_create(learner=east.learner.user, lesson=video)
    public_course = Course.objects.create(
        title="东区应急救护", owner_provider=east.provider, shared_with=east.jurisdiction, is_public=True
    )
    public = public_learner_register(
        jurisdiction=east.street, name="东区居民", phone="13700000001", password="route-pass-99"
    )
    plan = onboarding_plan_for(enterprise=east.enterprises[0], post=east.learner.post)
    entry = CreditLedger.objects.create(
        learner=east.learner.user, lesson=video, started_at=timezone.now(), ended_at=timezone.now(), seconds=0
    )
    data = {
        "course": course,
        "video": video,
        "document": document,
        "public_course": public_course,
        "public_user": public.user,
        "admin": {
            "course": course,
            "lesson": video,
            "plan": plan,
            "assignment": Assignment.objects.get(learner=east.learner.user, course=course),
            "creditledger": entry,
            "publiclearner": public,
            "requirementprofile": RequirementProfile.objects.first(),
            "plantemplate": PlanTemplate.objects.first(),
        },
    }
    east.extra["training"] = data
    return data


def east_builder(cast: Any) -> dict[str, Any]:
    """East objects for the course builder and lesson quiz routes. Destructive
    routes get objects of their own: the scoping walk POSTs to them as the
    superuser first (deletes need ``confirm=1``, so they survive anyway)."""
    cached = cast.east.extra.get("training_builder")
    if cached:
        return cached
    from tests.training.conftest import article_lesson, make_quiz_bank

    data = east_training(cast)
    course = data["course"]
    chapter = Chapter.objects.create(course=course, title="测验章")
    bank = make_quiz_bank(cast, code="east-route-quiz")
    quiz_lesson = article_lesson(chapter, "东区测验课", body="<p>文章</p>", quiz_bank_id=bank.pk, quiz_question_count=3)
    spare = Chapter.objects.create(course=course, title="备用章")
    spare_lesson = article_lesson(spare, "备用课", body="<p>备用</p>")
    built = {
        "course": course,
        "chapter": chapter,
        "spare_chapter": spare,
        "quiz_lesson": quiz_lesson,
        "lesson": spare_lesson,
    }
    cast.east.extra["training_builder"] = built
    return built


def training_builder_routes() -> dict[str, Any]:
    def build(key: str, **extra: Any) -> Any:
        return lambda cast: {"pk": east_builder(cast)[key].pk, **{k: v(cast) for k, v in extra.items()}}

    return {
        "training:lesson_quiz": build("quiz_lesson", _as=lambda c: c.east.learner.user),
        "training:manage_course": build("course"),
        "training:manage_course_edit": build("course"),
        "training:manage_course_publish": build("course"),
        "training:manage_chapter_create": build("course"),
        "training:manage_chapter_rename": build("chapter"),
        "training:manage_chapter_move": build("chapter"),
        "training:manage_chapter_delete": build("spare_chapter"),
        "training:manage_lesson_create": build("chapter"),
        "training:manage_lesson_edit": build("lesson"),
        "training:manage_lesson_move": build("lesson"),
        "training:manage_lesson_retire": build("lesson"),
        "training:manage_lesson_delete": build("lesson"),
    }
