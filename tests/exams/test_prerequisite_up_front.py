"""An exam whose training prerequisite is unmet says so before the learner ticks anything: /exams/ and the notice
name what to finish, link to the course and show the start button disabled; once the training is done both offer
the start again. The service still refuses a start posted anyway."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.utils import timezone

from exams.models import Attempt, ExamSession
from tests.conftest import Cast, login_client
from tests.exams.conftest import require_course
from training.models import Course, Lesson, Progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(cast: Cast, exam: dict[str, Any]) -> Course:
    return require_course(cast, exam["session"])


def _page(client: Any, url: str) -> Any:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def _card(tree: Any, session: ExamSession) -> Any:
    [card] = tree.xpath(f'//*[@data-session="{session.pk}"]')
    return card


def test_my_exams_names_the_unfinished_course_and_disables_start(
    cast: Cast, exam: dict[str, Any], course: Course
) -> None:
    card = _card(_page(login_client(cast.east.learner.user), "/exams/"), exam["session"])
    [block] = card.xpath(".//*[@data-prerequisite-unmet]")
    assert "考前必修课" in block.text_content()
    assert "0/1" in block.text_content()  # lessons done of lessons in the course
    [link] = block.xpath(".//a[@data-prerequisite-course]")
    assert link.get("href") == f"/training/courses/{course.pk}/"
    [button] = card.xpath(".//*[@data-start-blocked]")
    assert button.get("disabled") is not None
    assert not card.xpath('.//a[@data-notice][@class="button"]')


def test_notice_shows_the_block_before_the_tick_and_disables_start(
    cast: Cast, exam: dict[str, Any], course: Course
) -> None:
    client = login_client(cast.east.learner.user)
    tree = _page(client, f"/exams/{exam['session'].pk}/notice/")
    [block] = tree.xpath("//*[@data-prerequisite-unmet]")
    assert "考前必修课" in block.text_content()
    assert block.xpath(f'.//a[@href="/training/courses/{course.pk}/"]')
    [button] = tree.xpath("//button[@data-start]")
    assert button.get("disabled") is not None
    # Posted anyway (an old tab, a script): the service refuses as before and nothing is used up.
    client.post(f"/exams/{exam['session'].pk}/start/", {"confirm_notice": "yes"})
    assert not Attempt.objects.filter(session=exam["session"], person=cast.east.learner).exists()


def test_once_the_course_is_done_start_is_offered(cast: Cast, exam: dict[str, Any], course: Course) -> None:
    user = cast.east.learner.user
    lesson = Lesson.objects.get(chapter__course=course)
    Progress.objects.create(
        learner=user,
        lesson=lesson,
        credited_seconds=lesson.credit_minutes * 60,
        furthest=lesson.end_position,
        position=lesson.end_position,
        completed_at=timezone.now(),
    )
    client = login_client(user)
    card = _card(_page(client, "/exams/"), exam["session"])
    assert not card.xpath(".//*[@data-prerequisite-unmet or @data-start-blocked]")
    assert card.xpath('.//a[@data-notice][@class="button"]')
    tree = _page(client, f"/exams/{exam['session'].pk}/notice/")
    assert not tree.xpath("//*[@data-prerequisite-unmet]")
    [button] = tree.xpath("//button[@data-start]")
    assert button.get("disabled") is None
