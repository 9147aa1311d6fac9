"""The learner's home, training's section: courses to continue, each with its progress and due date, one tap
from the player of its first unfinished lesson; overdue ones first; only the learner's own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from organizations.models import RoleGrant
from tests import factories
from tests.conftest import Cast, login_client
from tests.support.home_todo import home_todo, says_nothing_to_do
from tests.training.conftest import World, build_course, study
from training.models import Assignment, Lesson
from training.services.assignments import assignment_create
from training.services.public import public_enrol, public_learner_register

pytestmark = pytest.mark.django_db


def _english(user: Any) -> Any:
    client = login_client(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_a_new_assignment_starts_in_the_player_of_its_first_lesson(world: World) -> None:
    todo = home_todo(_english(world.learner.user))
    assert todo is not None
    [course] = todo["courses"]
    assert course.title == world.course.title
    assert course.percent == 0
    assert course.action == "Start studying"
    assert course.href == f"/training/lessons/{world.video.pk}/"  # the player, not the course page
    assert f"Due on {world.assignment.due_date:%Y-%m-%d}" in course.lines
    assert f"Next: {world.video.title}" in course.lines
    assert "0 of 3 lessons done" in course.lines


def test_after_a_finished_lesson_one_tap_resumes_the_next_one(world: World) -> None:
    study(world.learner.user, world.video, seconds=600)  # the whole video: the lesson is complete
    [course] = home_todo(_english(world.learner.user))["courses"]
    assert course.action == "Continue studying"
    assert course.href == f"/training/lessons/{world.document.pk}/"
    assert course.percent == 50  # 2 of 4 credit minutes
    assert "1 of 3 lessons done" in course.lines
    # The link really is the lesson player.
    player = login_client(world.learner.user).get(course.href)
    assert player.status_code == 200
    assert b'id="player"' in player.content


def test_an_overdue_course_comes_first_and_says_so(cast: Cast, world: World) -> None:
    late = build_course(cast, title="动火作业安全")
    assignment_create(learner=world.learner.user, course=late, due_date=timezone.localdate() - dt.timedelta(days=3))
    courses = home_todo(_english(world.learner.user))["courses"]
    assert [c.title for c in courses] == ["动火作业安全", world.course.title]
    assert courses[0].badge == "Overdue"
    assert courses[1].badge == ""  # due in 10 days: no alarm yet
    assert home_todo(login_client(world.learner.user))["courses"][0].badge == "已逾期"


def test_a_completed_course_is_not_a_to_do(world: World) -> None:
    Assignment.objects.filter(pk=world.assignment.pk).update(status=Assignment.Status.COMPLETED)
    client = _english(world.learner.user)
    todo = home_todo(client)
    assert todo is not None
    assert "courses" not in todo
    assert says_nothing_to_do(client.get("/").content.decode())


def test_without_assignments_the_learner_is_told_what_to_do(cast: Cast) -> None:
    client = login_client(cast.east.learner.user)
    html = client.get("/").content.decode()
    assert says_nothing_to_do(html)
    assert "暂无待办事项" in html
    assert 'href="/training/"' in html  # the way to the learner's training page


def test_another_learners_courses_are_never_shown(cast: Cast, world: World) -> None:
    colleague = factories.make_person(cast.east.enterprises[0])
    for user in (colleague.user, cast.west.learner.user):
        todo = home_todo(login_client(user))
        assert todo is not None
        assert "courses" not in todo
    # Admins of the learner's enterprise and district see their own home, not the learner's list.
    for user in (cast.east.enterprise_admin, cast.east.training_admin, cast.east.bureau, cast.platform_admin):
        assert home_todo(login_client(user)) is None
        assert world.course.title not in login_client(user).get("/").content.decode()


def test_an_admin_who_also_learns_sees_their_own_to_dos(cast: Cast) -> None:
    admin_person = factories.make_person(cast.east.enterprises[0], username="east_admin_learner")
    factories.grant(admin_person.user, RoleGrant.Role.ENTERPRISE_ADMIN, enterprise=cast.east.enterprises[0])
    client = login_client(admin_person.user)
    assert home_todo(client) is None  # nothing to do: the admin's home as it was
    course = build_course(cast, title="主要负责人安全培训")
    assignment_create(learner=admin_person.user, course=course, due_date=None)
    todo = home_todo(_english(admin_person.user))
    assert [c.title for c in todo["courses"]] == ["主要负责人安全培训"]
    assert todo["courses"][0].lines[0] == "No due date"
    # The admin's own card (the enterprise's employees) stays below the list.
    card = reverse("organizations:enterprise_detail", args=[cast.east.enterprises[0].pk])
    assert f'href="{card}"' in client.get("/").content.decode()


def test_a_public_learner_sees_the_course_they_enrolled_in(cast: Cast) -> None:
    course = build_course(cast, title="居民消防安全常识")
    course.is_public = True
    course.published = True
    course.save()
    learner = public_learner_register(
        phone="13800000017", name="居民甲", jurisdiction=cast.east.street, password="demo-pass-2026"
    )
    public_enrol(user=learner.user, course=course)
    client = _english(learner.user)
    todo = home_todo(client)
    [item] = todo["courses"]
    first = Lesson.objects.filter(chapter__course=course).order_by("order").first()
    assert item.href == f"/training/lessons/{first.pk}/"
    assert "no role yet" not in client.get("/").content.decode()
