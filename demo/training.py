"""Demo training data for seed_demo: courses for the three onboarding levels,
a public first-aid course, the demo learner's onboarding plan in progress and
a finished course, and a roster with a spread of progress.

Media are generated here (a short VP8 WebM and a small PDF): nothing is
downloaded. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from organizations.models import Enterprise, Person, TrainingProvider
from organizations.validators import complete_id_number
from training.models import Assignment, Chapter, Course, CreditLedger, Lesson, PlanTemplate, Progress
from training.services.assignments import assignment_create, assignments_refresh, onboarding_assign
from training.services.content import lesson_create
from training.services.crediting import credit_attribution, ledger_entry

DEMO_SEED_DETAIL = "示范区历史数据.xlsx"


def make_demo_video(*, seconds: int = 40, fps: int = 5, size: tuple[int, int] = (320, 180)) -> bytes:
    """A small VP8 WebM (Chromium plays it; OpenCV's MPEG-4 'mp4v' it does not)."""
    import cv2
    import numpy as np

    width, height = size
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "demo.webm")
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"VP80"), fps, (width, height))
        if not writer.isOpened():
            raise RuntimeError("OpenCV cannot write VP8 WebM on this machine")
        for index in range(seconds * fps):
            frame = np.full((height, width, 3), (40, 57, 192), np.uint8)  # BGR: the brand red
            second = index // fps
            cv2.rectangle(frame, (0, height - 12), (int(width * index / (seconds * fps)), height), (255, 255, 255), -1)
            cv2.putText(frame, "SAFETY", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 3)
            cv2.putText(frame, f"{second:02d}s", (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 3)
            writer.write(frame)
        writer.release()
        return Path(path).read_bytes()


def make_demo_pdf(pages: list[tuple[str, list[str]]]) -> bytes:
    """An A4 PDF lesson in Chinese, one page per (heading, lines), each with its page number
    (reportlab's built-in Chinese CID font, as the certificates: no font file)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from core.pdf import cjk_font

    font = cjk_font()
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("有限空间作业安全")
    for number, (heading, lines) in enumerate(pages, start=1):
        pdf.setFont(font, 26)
        pdf.drawString(60, height - 100, heading)
        pdf.setFont(font, 15)
        y = height - 150
        for line in lines:
            pdf.drawString(60, y, line)
            y -= 30
        pdf.setFont(font, 11)
        pdf.drawCentredString(width / 2, 40, f"第 {number} 页，共 {len(pages)} 页")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# The demo's PDF lesson: what a confined-space worker reads before entering.
DEMO_PDF_PAGES = [
    (
        "有限空间作业安全规则",
        ["1. 先通风、再检测、后作业。", "2. 未经审批，严禁进入有限空间。", "3. 作业全过程必须有专人监护。"],
    ),
    (
        "常见危险有害因素",
        ["1. 缺氧窒息：氧含量低于 19.5%。", "2. 有毒气体中毒：硫化氢、一氧化碳等。", "3. 燃爆：可燃气体浓度超标。"],
    ),
    (
        "应急处置",
        ["1. 发现有人晕倒，严禁盲目施救。", "2. 立即报告并拨打 119、120。", "3. 佩戴正压式空气呼吸器后方可施救。"],
    ),
]


ARTICLE = """<h2>{title}</h2>
<p>本课讲解岗位上最常见的危险因素，以及发现隐患后的报告流程。</p>
<ul><li>进入作业区域前检查劳动防护用品。</li><li>不得擅自拆除、停用安全装置。</li><li>发现隐患立即报告班组长。</li></ul>
<p>学习完成后，请在班组安全活动中复述三条要点。</p>"""

# (level, title, [(kind, lesson title, credit minutes)])
COURSES = [
    (
        "plant",
        "厂级安全教育：法律法规与规章制度",
        [
            ("video", "安全生产法要点（视频）", 1),
            ("document", "本单位安全生产规章制度", 540),
            ("article", "从业人员的权利和义务", 539),
        ],
    ),
    (
        "workshop",
        "车间级安全教育：危险因素与操作规程",
        [("document", "车间危险源辨识", 540), ("article", "车间应急处置措施", 540)],
    ),
    (
        "team",
        "班组级安全教育：岗位操作与应急处置",
        [("article", "岗位安全操作规程", 540), ("article", "事故案例与劳动防护用品", 540)],
    ),
]


def _course(
    provider: TrainingProvider,
    title: str,
    lessons: list[tuple[str, str, int]],
    media: dict[str, bytes],
    *,
    is_public: bool = False,
) -> Course:
    course = Course.objects.filter(title=title, owner_provider=provider).first()
    if course is not None:
        return course
    course = Course.objects.create(
        title=title,
        owner_provider=provider,
        shared_with=provider.jurisdiction,
        is_public=is_public,
        description="示范课程：演示学时如何由服务器按真实学习时间计入。",
    )
    chapter = Chapter.objects.create(course=course, title="第一章", order=1)
    for order, (kind, lesson_title, minutes) in enumerate(lessons, start=1):
        lesson_create(
            actor=None,
            chapter=chapter,
            title=lesson_title,
            kind=kind,
            credit_minutes=minutes,
            data=media.get(kind),
            duration_seconds=40 if kind == Lesson.Kind.VIDEO else 0,
            body_html=ARTICLE.format(title=lesson_title),
            order=order,
        )
    return course


def _credit(user: User, lesson: Lesson, fraction: float, *, when: dt.datetime) -> None:
    """Record demo study as ledger rows marked as seeded, and the progress they make."""
    seconds = int(lesson.credit_minutes * 60 * fraction)
    done = fraction >= 1
    position = lesson.end_position if done else int(lesson.end_position * fraction)
    _progress, created = Progress.objects.get_or_create(
        learner=user,
        lesson=lesson,
        defaults={
            "position": position,
            "furthest": position,
            "credited_seconds": seconds,
            "completed_at": when if done else None,
        },
    )
    if created and seconds:
        # Whose training and of which kind, as a heartbeat would have recorded it.
        entry = ledger_entry(
            learner_id=user.pk,
            lesson_id=lesson.pk,
            seconds=seconds,
            ended_at=when,
            method=CreditLedger.Method.IMPORT,
            detail=DEMO_SEED_DETAIL,
            attribution=credit_attribution(user=user, lesson=lesson),
        )
        CreditLedger.objects.create(**entry)


ROSTER = [
    # username, name, department, post, days since hire, share of the plan studied, due in days
    ("demo_emp01", "周立", "生产一车间", Person.Post.EMPLOYEE, 20, 1.0, 10),
    ("demo_emp02", "吴敏", "生产一车间", Person.Post.EMPLOYEE, 25, 0.6, 5),
    ("demo_emp03", "郑强", "生产二车间", Person.Post.EMPLOYEE, 50, 0.2, -3),
    ("demo_emp04", "冯婷", "生产二车间", Person.Post.EMPLOYEE, 40, 0.0, -8),
    ("demo_emp05", "陈晨", "仓储班", Person.Post.EMPLOYEE, 8, 0.35, 22),
    ("demo_emp06", "褚亮", "仓储班", Person.Post.SPECIAL_OPERATOR, 30, 1.0, 0),
]


@transaction.atomic
def seed(*, enterprise: Enterprise, provider: TrainingProvider, learner: Person, password: str) -> dict[str, Any]:
    media: dict[str, bytes] = {}
    if not Course.objects.filter(owner_provider=provider, title="有限空间作业安全").exists():
        media = {"video": make_demo_video(), "document": make_demo_pdf(DEMO_PDF_PAGES)}
    template = PlanTemplate.objects.get(kind=PlanTemplate.Kind.ONBOARDING, is_default=True)
    level_courses = {}
    for level, title, lessons in COURSES:
        course = _course(provider, title, lessons, media)
        template.stages.get(level=level).courses.add(course)
        level_courses[level] = course
    confined = _course(provider, "有限空间作业安全", [("video", "有限空间作业“先通风、再检测、后作业”", 1)], media)
    _course(provider, "应急救护（公众课程）", [("video", "心肺复苏与AED使用", 1)], media, is_public=True)

    now = timezone.now()
    today = timezone.localdate()

    def lessons_of(course: Course) -> list[Lesson]:
        return list(Lesson.objects.filter(chapter__course=course).order_by("chapter__order", "order"))

    # The demo learner: onboarding plan in progress (plant level done, workshop
    # half way), and a finished course.
    plan_assignment = onboarding_assign(person=learner)
    for lesson in lessons_of(level_courses["plant"]):
        _credit(learner.user, lesson, 1.0, when=now - dt.timedelta(days=3))
    for lesson in lessons_of(level_courses["workshop"])[:1]:
        _credit(learner.user, lesson, 0.5, when=now - dt.timedelta(days=1))
    assignment_create(learner=learner.user, course=confined, due_date=today + dt.timedelta(days=20))
    for lesson in lessons_of(confined):
        _credit(learner.user, lesson, 1.0, when=now - dt.timedelta(days=5))

    # A roster with a spread of progress.
    from organizations.services import person_create

    all_lessons = [lesson for level in ("plant", "workshop", "team") for lesson in lessons_of(level_courses[level])]
    for index, (username, name, department, post, days, share, due_in) in enumerate(ROSTER, start=1):
        if User.objects.filter(username=username).exists():
            continue
        person, _ = person_create(
            enterprise=enterprise,
            name=name,
            id_number=complete_id_number(f"99010119950505{index + 100:03d}"),
            hire_date=today - dt.timedelta(days=days),
            post=post,
            department=department,
            password=password,
            username=username,
            phone=f"1390000{index + 100:04d}",
        )
        assignment = Assignment.objects.filter(learner=person.user).first()
        if assignment is not None:
            Assignment.objects.filter(pk=assignment.pk).update(due_date=today + dt.timedelta(days=due_in))
        remaining = share * len(all_lessons)
        for lesson in all_lessons:
            if remaining <= 0:
                break
            _credit(person.user, lesson, min(1.0, remaining), when=now - dt.timedelta(days=2))
            remaining -= 1
        assignments_refresh(learner=person.user)
    assignments_refresh(learner=learner.user)
    return {"plan_assignment": plan_assignment, "courses": level_courses}
