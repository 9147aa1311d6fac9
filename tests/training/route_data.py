"""EAST-district training objects for tests/route_params.py (built once per cast)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from training import services
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


def east_training(cast: Any) -> dict[str, Any]:
    cached = cast.east.extra.get("training")
    if cached:
        return cached
    from tests.training.conftest import FAKE_MP4

    east = cast.east
    course = Course.objects.create(title="东区安全课程", owner_provider=east.provider, shared_with=east.jurisdiction)
    chapter = Chapter.objects.create(course=course, title="第一章")
    video = services.lesson_create(
        chapter=chapter, title="东区视频", kind=Lesson.Kind.VIDEO, credit_minutes=1, data=FAKE_MP4, duration_seconds=60
    )
    services.assignment_create(learner=east.learner.user, course=course)
    Progress.objects.get_or_create(learner=east.learner.user, lesson=video)
    public_course = Course.objects.create(
        title="东区应急救护", owner_provider=east.provider, shared_with=east.jurisdiction, is_public=True
    )
    public = services.public_learner_register(
        jurisdiction=east.street, name="东区居民", phone="13700000001", password="route-pass-99"
    )
    plan = services.onboarding_plan_for(enterprise=east.enterprises[0], post=east.learner.post)
    entry = CreditLedger.objects.create(
        learner=east.learner.user, lesson=video, started_at=timezone.now(), ended_at=timezone.now(), seconds=0
    )
    data = {
        "course": course,
        "video": video,
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
