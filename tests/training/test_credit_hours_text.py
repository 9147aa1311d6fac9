"""学时 written the same way on every training page: the learner's page, the person file
(一人一档), the progress dashboard and the lesson-plan library. One decimal without a needless
".0", one word for the requirement (应修), and never "0 学时" for a course worth a minute."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from organizations.models import Person
from tests import factories
from tests.conftest import login_client
from tests.training.conftest import make_lesson
from tests.training.library_support import make_plan
from training.models import Chapter, Course, CreditLedger, Lesson, Progress
from training.services.assignments import assignment_create, assignments_refresh


def _course(cast: Any, title: str, minutes: int) -> Course:
    course = Course.objects.create(title=title, owner_provider=cast.east.provider, shared_with=cast.east.jurisdiction)
    chapter = Chapter.objects.create(course=course, title="第一章", order=1)
    make_lesson(chapter, f"{title}：正文", Lesson.Kind.ARTICLE, minutes=minutes, body_html="<p>x</p>")
    return course


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _studied(person: Person, course: Course, seconds: int) -> None:
    lesson = Lesson.objects.get(chapter__course=course)
    Progress.objects.create(learner=person.user, lesson=lesson, credited_seconds=seconds)
    now = timezone.now()
    CreditLedger.objects.create(
        learner=person.user, lesson=lesson, started_at=now, ended_at=now, seconds=seconds, post=person.post
    )
    assignments_refresh(learner=person.user)


@pytest.mark.django_db
def test_the_learner_page_and_the_person_file_write_the_same_figures(cast: Any) -> None:
    person = factories.make_person(cast.east.enterprises[0])
    minute = _course(cast, "一分钟课程", 1)
    long = _course(cast, "九十分钟课程", 90)
    for course in (minute, long):
        assignment_create(learner=person.user, course=course)
    _studied(person, minute, 60)
    _studied(person, long, 45 * 60)

    learner = _text(login_client(person.user).get("/training/").content.decode())
    file = _text(
        login_client(cast.east.enterprise_admin)
        .get(reverse("organizations:person_detail", args=[person.pk]))
        .content.decode()
    )
    for page in (learner, file):
        assert "已获 1 / 应修 1 分钟" in page  # a one-minute course: its minutes, not "0 / 0 学时"
        assert "已获 1 / 应修 2 学时" in page  # 45 of 90 minutes
        assert "要求" not in page
        assert not re.search(r"\d\.\d\d", page)  # no "0.02", "1.00"
    assert "(1 / 1 分钟)" not in learner  # the minutes are not written twice
    # The ledger: one line per lesson, the minute in minutes, the 学时 without ".0".
    ledger = file.split("学时台账", 1)[1]
    assert "一分钟课程：正文 其他培训 1 分钟 " in ledger
    assert "九十分钟课程：正文 其他培训 1 服务器心跳计时" in ledger
    assert "合计：1 学时" in ledger


@pytest.mark.django_db
def test_the_library_writes_whole_hours_without_a_decimal(cast: Any) -> None:
    east = cast.east
    make_plan(east.training_admin, "《一学时》教案", owner_provider=east.provider, credit_hours="1")
    make_plan(east.training_admin, "《一个半学时》教案", owner_provider=east.provider, credit_hours="1.5")
    html = _text(login_client(east.training_admin).get(reverse("training:library_mine")).content.decode())
    assert "· 1 学时 ·" in html
    assert "· 1.5 学时 ·" in html
    assert "1.0 学时" not in html


@pytest.mark.django_db
def test_the_progress_dashboard_writes_a_one_minute_course_in_minutes(cast: Any) -> None:
    person = factories.make_person(cast.east.enterprises[0])
    minute = _course(cast, "一分钟课程", 1)
    assignment_create(learner=person.user, course=minute)
    _studied(person, minute, 60)
    html = login_client(cast.east.enterprise_admin).get("/training/enterprise/").content.decode()
    row = re.search(rf'<tr data-person="{person.pk}".*?</tr>', html, re.S)
    assert row is not None
    hours = re.search(r"<span data-hours>(.*?)</span>", row.group(0), re.S)
    assert hours is not None
    assert hours.group(1).strip() == "1 / 1 分钟"
