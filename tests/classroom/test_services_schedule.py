"""Scheduling, changing, cancelling a class and inviting people (classroom.services.schedule, reminders)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone, translation

from classroom.models import Invitation, TrainingClass
from classroom.services.errors import ClassClosed, ClassInvalid, NotAllowed
from classroom.services.reminders import reminders_send
from classroom.services.schedule import class_cancel, class_schedule, class_update, invite, uninvite
from core.audit import audit_of
from organizations.models import Person
from tests import factories
from tests.conftest import Cast
from tests.support.classroom import STARTS, at, make_class
from training.models import PlanTemplate, PlanTemplateStage


@pytest.fixture(autouse=True)
def _english_and_mail(settings: Any) -> Any:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with translation.override("en"):
        yield


def _values(cast: Cast, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "by": cast.east.enterprise_admin,
        "owner_enterprise": cast.east.enterprises[0],
        "topic": "厂级安全教育",
        "level": TrainingClass.Level.PLANT,
        "starts_at": STARTS,
        "ends_at": at(90),
        "place": "一号会议室",
        "credit_minutes": 90,
    }
    values.update(fields)
    return values


def _stage() -> PlanTemplateStage:
    template = PlanTemplate.objects.create(name="三级安全教育", kind=PlanTemplate.Kind.ONBOARDING)
    return PlanTemplateStage.objects.create(template=template, level="plant", order=1)


def test_schedule_makes_a_class_run_by_its_trainer(cast: Cast) -> None:
    c = class_schedule(**_values(cast))
    assert c.trainer == cast.east.enterprise_admin
    assert c.status == TrainingClass.Status.SCHEDULED
    assert c.tolerance_minutes == 10
    assert len(c.code_secret) == 64


def test_every_wrong_field_is_named_and_nothing_is_written(cast: Cast) -> None:
    with pytest.raises(ClassInvalid) as info:
        class_schedule(
            **_values(
                cast,
                topic=" ",
                place="",
                level="space",
                ends_at=STARTS - dt.timedelta(minutes=1),
                credit_minutes=0,
                trainer=cast.west.enterprise_admin,
                onboarding_stage=None,
            )
        )
    errors = info.value.details["errors"]
    assert set(errors) == {"topic", "place", "level", "ends_at", "credit_minutes", "trainer"}
    assert not TrainingClass.objects.exists()


def test_credit_above_the_class_length_is_refused(cast: Cast) -> None:
    with pytest.raises(ClassInvalid) as info:
        class_schedule(**_values(cast, credit_minutes=91))
    assert "lasts 90 minutes" in info.value.details["errors"]["credit_minutes"][0]


def test_onboarding_stage_only_for_an_enterprise_class(cast: Cast) -> None:
    stage = _stage()
    assert class_schedule(**_values(cast, onboarding_stage=stage)).onboarding_stage == stage
    with pytest.raises(ClassInvalid) as info:
        class_schedule(
            **_values(
                cast,
                by=cast.east.training_admin,
                owner_enterprise=None,
                owner_provider=cast.east.provider,
                level=TrainingClass.Level.PROVIDER,
                onboarding_stage=stage,
            )
        )
    assert set(info.value.details["errors"]) == {"onboarding_stage"}


def test_quiz_lesson_must_have_a_quiz(cast: Cast) -> None:
    from tests.training.conftest import build_course

    lesson = build_course(cast).chapters.first().lessons.first()
    with pytest.raises(ClassInvalid) as info:
        class_schedule(**_values(cast, quiz_lesson=lesson))
    assert set(info.value.details["errors"]) == {"quiz_lesson"}


def test_only_the_owners_admins_schedule(cast: Cast) -> None:
    for user in (cast.west.enterprise_admin, cast.east.learner.user, cast.east.training_admin, cast.outsider):
        with pytest.raises(NotAllowed):
            class_schedule(**_values(cast, by=user))
    assert class_schedule(**_values(cast, by=cast.platform_admin, trainer=cast.east.enterprise_admin))


def test_the_trainer_must_be_able_to_run_classes_for_the_owner(cast: Cast) -> None:
    # A safety manager on the roster gives the enterprise's classes; a plain employee does not.
    manager = factories.make_person(cast.east.enterprises[0], post=Person.Post.SAFETY_MANAGER)
    assert class_schedule(**_values(cast, trainer=manager.user)).trainer == manager.user
    for trainer in (cast.east.learner.user, cast.west.enterprise_admin, cast.east.training_admin):
        with pytest.raises(ClassInvalid) as info:
            class_schedule(**_values(cast, trainer=trainer))
        assert set(info.value.details["errors"]) == {"trainer"}


def test_invite_by_post_department_and_name_is_idempotent(cast: Cast) -> None:
    plant = cast.east.enterprises[0]
    welder = factories.make_person(plant, post=Person.Post.SPECIAL_OPERATOR)
    Person.objects.filter(pk=welder.pk).update(department="焊接车间")
    office = factories.make_person(plant)
    Person.objects.filter(pk=office.pk).update(department="办公室")
    left = factories.make_person(plant, post=Person.Post.SPECIAL_OPERATOR)
    Person.objects.filter(pk=left.pk).update(leave_date=dt.date(2026, 5, 1))
    c = make_class(cast, invite_learner=False)
    by = cast.east.enterprise_admin
    assert invite(training_class=c, by=by, posts=[Person.Post.SPECIAL_OPERATOR]) == 1
    assert invite(training_class=c, by=by, departments=["办公室"], people=[cast.east.learner.pk]) == 2
    assert invite(training_class=c, by=by, posts=[Person.Post.SPECIAL_OPERATOR], people=[cast.east.learner]) == 0
    reasons = dict(Invitation.objects.filter(training_class=c).values_list("person_id", "reason"))
    assert reasons == {welder.pk: "post", office.pk: "department", cast.east.learner.pk: "name"}
    # one invitation notice each, in Chinese
    assert len(mail.outbox) == 0  # sent after commit; the test transaction never commits


def test_invite_refuses_people_the_class_may_not_invite(cast: Cast) -> None:
    c = make_class(cast, invite_learner=False)
    other_plant = factories.make_person(cast.east.enterprises[1])
    with pytest.raises(ClassInvalid) as info:
        invite(
            training_class=c,
            by=cast.east.enterprise_admin,
            people=[cast.west.learner, other_plant, cast.east.learner],
            posts=["astronaut"],
        )
    errors = info.value.details["errors"]
    assert set(errors) == {"people", "posts"}
    assert str(cast.west.learner.pk) in errors["people"][0]
    assert str(other_plant.pk) in errors["people"][0]
    assert not Invitation.objects.filter(training_class=c).exists()


def test_a_provider_class_invites_people_of_the_subtree_it_serves(cast: Cast) -> None:
    c = make_class(
        cast,
        invite_learner=False,
        by=cast.east.training_admin,
        owner_enterprise=None,
        owner_provider=cast.east.provider,
        level=TrainingClass.Level.PROVIDER,
    )
    assert invite(training_class=c, by=cast.east.training_admin, people=[cast.east.learner]) == 1
    with pytest.raises(ClassInvalid):
        invite(training_class=c, by=cast.east.training_admin, people=[cast.west.learner])


def test_only_who_runs_the_class_invites(cast: Cast) -> None:
    c = make_class(cast, invite_learner=False)
    for user in (cast.west.enterprise_admin, cast.east.learner.user, cast.east.bureau):
        with pytest.raises(NotAllowed):
            invite(training_class=c, by=user, people=[cast.east.learner])


def test_invitation_notice_after_commit(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    cast.east.learner.user.email = "east@example.com"
    cast.east.learner.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        make_class(cast)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["east@example.com"]
    assert "厂级安全教育" in mail.outbox[0].subject
    assert "一号会议室" in mail.outbox[0].body
    assert "2026-06-10 09:00" in mail.outbox[0].body


def test_reminder_the_day_before_once(cast: Cast) -> None:
    cast.east.learner.user.email = "east@example.com"
    cast.east.learner.user.save()
    c = make_class(cast)
    assert reminders_send(now=at(-60 * 25)) == 0  # more than a day ahead
    assert reminders_send(now=at(-60 * 20)) == 1
    assert reminders_send(now=at(-60 * 19)) == 0  # not twice
    assert Invitation.objects.get(training_class=c).reminded_at is not None
    assert "厂级安全教育" in mail.outbox[-1].subject


def test_no_reminder_for_a_cancelled_class(cast: Cast) -> None:
    cast.east.learner.user.email = "east@example.com"
    cast.east.learner.user.save()
    c = make_class(cast)
    class_cancel(training_class=c, by=cast.east.enterprise_admin, reason="停电")
    assert reminders_send(now=at(-60 * 20)) == 0


def test_update_checks_like_schedule_and_freezes_credit_after_sign_in(cast: Cast) -> None:
    from classroom.services.attendance import sign_manual

    c = make_class(cast)
    by = cast.east.enterprise_admin
    c = class_update(training_class=c, by=by, place="二号会议室", tolerance_minutes=5)
    assert (c.place, c.tolerance_minutes) == ("二号会议室", 5)
    with pytest.raises(ClassInvalid) as info:
        class_update(training_class=c, by=by, ends_at=STARTS)
    assert set(info.value.details["errors"]) == {"ends_at"}
    sign_manual(training_class=c, person=cast.east.learner, kind="in", reason="没带手机", by=by, now=at(1))
    with pytest.raises(ClassInvalid) as info:
        class_update(training_class=c, by=by, credit_minutes=60)
    assert set(info.value.details["errors"]) == {"credit_minutes"}
    assert TrainingClass.objects.get(pk=c.pk).credit_minutes == 90
    with pytest.raises(NotAllowed):
        class_update(training_class=c, by=cast.west.enterprise_admin, place="x")


def test_cancel_needs_a_reason_is_audited_and_ends_changes(cast: Cast) -> None:
    c = make_class(cast)
    by = cast.east.enterprise_admin
    with pytest.raises(ClassInvalid):
        class_cancel(training_class=c, by=by, reason=" ")
    c = class_cancel(training_class=c, by=by, reason="停电")
    assert c.status == TrainingClass.Status.CANCELLED
    entry = audit_of(c).get()
    assert (entry.action, entry.reason, entry.actor) == ("classroom.class_cancel", "停电", by)
    with pytest.raises(ClassClosed):
        class_update(training_class=c, by=by, place="x")
    with pytest.raises(ClassClosed):
        invite(training_class=c, by=by, people=[cast.east.learner])


def test_uninvite_only_who_has_not_signed_in(cast: Cast) -> None:
    from classroom.services.attendance import sign_manual

    c = make_class(cast)
    other = factories.make_person(cast.east.enterprises[0])
    by = cast.east.enterprise_admin
    invite(training_class=c, by=by, people=[other])
    sign_manual(training_class=c, person=cast.east.learner, kind="in", reason="没带手机", by=by, now=at(0))
    with pytest.raises(ClassInvalid):
        uninvite(training_class=c, by=by, people=[cast.east.learner, other])
    assert uninvite(training_class=c, by=by, people=[other]) == 1
    assert list(Invitation.objects.filter(training_class=c).values_list("person_id", flat=True)) == [
        cast.east.learner.pk
    ]


def test_the_reminder_command_and_task_run_the_tick(cast: Cast) -> None:
    from io import StringIO

    from django.core.management import call_command

    from classroom.tasks import reminders

    cast.east.learner.user.email = "east@example.com"
    cast.east.learner.user.save()
    now = timezone.now()
    make_class(cast, starts_at=now + dt.timedelta(hours=3), ends_at=now + dt.timedelta(hours=4), credit_minutes=60)
    out = StringIO()
    call_command("classroom_reminders", stdout=out)
    assert out.getvalue().strip() == "reminders=1, quiz_lapsed=0, face_photos_purged=0"
    assert reminders() == {"reminders": 0, "quiz_lapsed": 0, "face_photos_purged": 0}  # already reminded
