from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.functional import empty

from organizations.models import Person
from tests.conftest import Cast
from training.models import Assignment, Chapter, Course, Lesson, private_storage
from training.services.assignments import assignment_create
from training.services.content import lesson_create
from training.services.crediting import heartbeat_record, lesson_start, lesson_stop

# A minimal valid-looking MP4 header (magic bytes are what the check reads).
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2048
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R 4 0 R 5 0 R]/Count 3>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R>>endobj\n4 0 obj<</Type /Page/Parent 2 0 R>>endobj\n"
    b"5 0 obj<</Type/Page/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def _private_storage_and_cache(settings: Any, tmp_path: Any) -> Any:
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    private_storage._wrapped = empty  # the lazy storage re-reads the new root
    # Leases live in the cache: a fresh key prefix per test keeps tests apart
    # without flushing a shared Redis (the PostgreSQL + Redis pass uses it).
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-training-{uuid.uuid4().hex[:12]}"}
    }
    # Assertions on messages read the English source strings.
    with translation.override("en"):
        yield
    private_storage._wrapped = empty


@dataclass
class World:
    course: Course
    video: Lesson
    document: Lesson
    article: Lesson
    learner: Person
    assignment: Assignment


def make_lesson(
    chapter: Chapter, title: str, kind: str, *, minutes: int = 1, actor: Any = None, **fields: Any
) -> Lesson:
    """A lesson made through the service by ``actor`` (None: the system); ``fields``: media, body, quiz, order."""
    return lesson_create(actor=actor, chapter=chapter, title=title, kind=kind, credit_minutes=minutes, **fields)


def video_lesson(chapter: Chapter, title: str, *, seconds: int = 60, data: bytes = FAKE_MP4, **fields: Any) -> Lesson:
    """A video lesson of ``seconds`` (a fake MP4 unless ``data`` says otherwise)."""
    return make_lesson(chapter, title, Lesson.Kind.VIDEO, data=data, duration_seconds=seconds, **fields)


def article_lesson(chapter: Chapter, title: str, *, body: str = "<p>x</p>", **fields: Any) -> Lesson:
    return make_lesson(chapter, title, Lesson.Kind.ARTICLE, body_html=body, **fields)


def build_course(cast: Cast, *, title: str = "安全生产基础", video_seconds: int = 600) -> Course:
    east = cast.east
    course = Course.objects.create(title=title, owner_provider=east.provider, shared_with=east.jurisdiction)
    chapter = Chapter.objects.create(course=course, title="第一章", order=1)
    video_lesson(chapter, "视频：安全帽的正确佩戴", seconds=video_seconds, minutes=2, order=1)
    make_lesson(chapter, "文档：安全操作规程", Lesson.Kind.DOCUMENT, data=TINY_PDF, order=2)
    article_lesson(chapter, "文章：事故案例", body="<p>案例<script>alert(1)</script></p>", order=3)
    return course


def make_world(cast: Cast, *, due_date: dt.date | None) -> World:
    """``build_course``, assigned to the east learner (due on ``due_date``)."""
    course = build_course(cast)
    lessons = list(Lesson.objects.filter(chapter__course=course).order_by("order"))
    assignment = assignment_create(learner=cast.east.learner.user, course=course, due_date=due_date)
    return World(course, lessons[0], lessons[1], lessons[2], cast.east.learner, assignment)


@pytest.fixture
def world(cast: Cast) -> World:
    return make_world(cast, due_date=timezone.localdate() + dt.timedelta(days=10))


def make_quiz_bank(cast: Cast, *, code: str = "east-quiz", questions: int = 5) -> Any:
    """An east-provider bank shared with the east district: fill-in-blank
    questions whose answers (``答案N号``) and explanations are unique strings,
    and one single-choice question answered ``B``."""
    from question_bank import services as qb
    from question_bank.models import Bank

    bank = qb.bank_create(
        actor=None,
        purpose=Bank.Purpose.PRACTICE,
        code=code,
        name=f"东区课后测验题库 {code}",
        owner=cast.east.provider,
        visibility=Bank.Visibility.SHARED,
        shared_with=cast.east.jurisdiction,
    )
    for i in range(1, questions):
        qb.question_create(
            bank=bank,
            values={
                "type": "填空题",
                "stem": f"第{i}题：灭火器的检查周期是（）",
                "answer": f"答案{i}号",
                "explanation": f"解析秘密{i}",
            },
        )
    qb.question_create(
        bank=bank,
        values={
            "type": "单选题",
            "stem": "火警电话是？",
            "option_a": "110",
            "option_b": "119",
            "answer": "B",
            "explanation": "解析秘密火警",
        },
    )
    return bank


def right_answers(question_ids: list[int]) -> dict[str, Any]:
    """A POST body answering every question correctly (the test knows the key; the page never shows it)."""
    from question_bank.models import Question

    body: dict[str, Any] = {}
    for question in Question.objects.filter(pk__in=question_ids):
        if question.type == "fill_blank":
            for i, blank in enumerate(question.answer):
                body[f"q{question.pk}_{i}"] = blank[0]
        else:
            body[f"q{question.pk}"] = list(question.answer)
    return body


def study(
    user: Any,
    lesson: Lesson,
    *,
    position: int | None = None,
    seconds: int = 60,
    takeover: bool = False,
    stop: bool = True,
) -> None:
    """Really study through the heartbeat service (the server counts the time): a heartbeat
    every 15 s from 0 to ``seconds``, then (``stop``) the lesson stopped. Without ``position``
    a video plays at normal speed from the start. ``takeover``: as lesson_start's."""
    now = timezone.now()
    token = lesson_start(user=user, lesson=lesson, takeover=takeover, now=now).token
    for seq, t in enumerate(range(0, seconds + 1, 15), start=1):
        heartbeat_record(
            user=user,
            lesson=lesson,
            token=token,
            client_seq=seq,
            position=min(t, lesson.end_position) if position is None else position,
            visible=True,
            interaction=True,
            now=now + dt.timedelta(seconds=t),
        )
    if stop:
        lesson_stop(user=user, lesson_id=lesson.pk, token=token)


def quiz_on_article(world: World, bank: Any, *, count: int, **extra: Any) -> Lesson:
    """The world's article lesson, now quizzing ``count`` questions from ``bank`` (``extra``: other quiz fields)."""
    Lesson.objects.filter(pk=world.article.pk).update(quiz_bank_id=bank.pk, quiz_question_count=count, **extra)
    world.article.refresh_from_db()
    return world.article
