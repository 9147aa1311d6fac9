"""Demo classroom training for seed_demo: a class in progress now and a past one with its evidence.

* In progress: the training centre's class on hot work, given by ``demo_trainer`` from half an hour ago
  to an hour and a half from now; ``demo_learner`` and four colleagues are invited and two colleagues
  have signed in (so the live list has names). The demo learner signs in by scanning the trainer's code.
* Past (three days ago, closed): the same centre's confined-space class with its full attendance: on
  time, late beyond the tolerance, signed in by the trainer with a reason, left early, and one absent;
  the credited 学时 in the ledger; two site photos (drawn here: no photo of anyone). Its attendance sheet
  shows every kind of line.

Everything goes through the classroom services, each sign-in with its own ``now``. Idempotent: a class
that exists (by topic) is left as it is.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone

from accounts.models import User
from classroom.evidence import photos_add
from classroom.models import TrainingClass
from classroom.services.attendance import class_close, sign_by_code, sign_manual
from classroom.services.codes import class_code
from classroom.services.schedule import class_schedule, invite
from demo.library import demo_lesson_plans
from organizations.models import Enterprise, Jurisdiction, Person, TrainingProvider

TRAINER = "demo_trainer"
CURRENT_TOPIC = "动火作业安全管理（培训中心公开课）"
PAST_TOPIC = "有限空间作业安全（培训中心公开课）"
MANUAL_REASON = "手机没电，讲师核对身份证后代签"
COLLEAGUES = ("demo_principal", "demo_safety", "demo_welder", "demo_machinist")


def site_photo(index: int, width: int = 960, height: int = 720) -> bytes:
    """A drawn picture of a classroom (a whiteboard, desks, a screen): a JPEG made here."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (232, 226, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, int(height * 0.62), width, height), fill=(150, 120, 90))  # floor
    draw.rectangle((int(width * 0.2), 60, int(width * 0.8), 300), fill=(250, 250, 250), outline=(90, 90, 90), width=6)
    draw.rectangle((int(width * 0.24), 90, int(width * 0.5), 150), fill=(200, 40, 40))  # the slide's title bar
    for row in range(2):
        for col in range(4):
            x = 80 + col * 220 + (index * 20 if row else 0)
            y = 460 + row * 120
            draw.rectangle((x, y, x + 160, y + 40), fill=(110, 80, 50))  # a desk
            draw.ellipse((x + 55, y - 70, x + 105, y - 20), fill=(60, 60, 70))  # someone seen from behind
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _person(username: str) -> Person:
    return Person.objects.select_related("user").get(user__username=username)


def _qr(training_class: TrainingClass, person: Person, kind: str, at: dt.datetime) -> None:
    code = class_code(training_class, kind, now=at).code
    sign_by_code(training_class=training_class, user=person.user, code=code, now=at)


def _lesson_plans(provider: TrainingProvider) -> list[Any]:
    """The library's confined-space plan, attached to the past class."""
    plans = demo_lesson_plans(
        provider=provider,
        enterprise=Enterprise.objects.get(pk=_person("demo_learner").enterprise_id),
        district=Jurisdiction.objects.get(pk=provider.jurisdiction_id),
    )
    plan = plans.get("confined")
    return [plan] if plan is not None else []


def _schedule(
    provider: TrainingProvider,
    trainer: User,
    topic: str,
    starts: dt.datetime,
    place: str,
    plans: list[Any] | None = None,
) -> TrainingClass:
    """A two-hour provider class crediting 90 minutes (2 学时), with the default 10-minute tolerance."""
    return class_schedule(
        by=trainer,
        owner_provider=provider,
        topic=topic,
        level=TrainingClass.Level.PROVIDER,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place=place,
        credit_minutes=90,
        tolerance_minutes=10,
        lesson_plans=plans or (),
    )


def _current(provider: TrainingProvider, trainer: User, learner: Person) -> TrainingClass:
    existing = TrainingClass.objects.filter(owner_provider=provider, topic=CURRENT_TOPIC).first()
    if existing is not None:
        return existing
    starts = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    training_class = _schedule(provider, trainer, CURRENT_TOPIC, starts, "示范区安全生产培训中心 一号教室")
    colleagues = [_person(name) for name in COLLEAGUES]
    invite(training_class=training_class, by=trainer, people=[learner, *colleagues])
    _qr(training_class, colleagues[1], "in", starts - dt.timedelta(minutes=4))
    _qr(training_class, colleagues[3], "in", starts + dt.timedelta(minutes=2))
    return training_class


def _past(provider: TrainingProvider, trainer: User, learner: Person) -> TrainingClass:
    existing = TrainingClass.objects.filter(owner_provider=provider, topic=PAST_TOPIC).first()
    if existing is not None:
        return existing
    day = timezone.localdate() - dt.timedelta(days=3)
    starts = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))
    plans = _lesson_plans(provider)
    training_class = _schedule(provider, trainer, PAST_TOPIC, starts, "示范区安全生产培训中心 二号教室", plans)
    ends = training_class.ends_at
    principal, safety, welder, machinist = (_person(name) for name in COLLEAGUES)
    invite(training_class=training_class, by=trainer, people=[learner, principal, safety, welder, machinist])
    minutes = dt.timedelta(minutes=1)
    _qr(training_class, learner, "in", starts - 5 * minutes)  # on time
    _qr(training_class, principal, "in", starts + 25 * minutes)  # late beyond the tolerance
    _qr(training_class, machinist, "in", starts + 4 * minutes)
    at = starts + 2 * minutes
    sign_manual(
        training_class=training_class, person=welder, kind="in", reason=MANUAL_REASON, by=trainer, at=at, now=at
    )
    photos_add(
        training_class=training_class,
        by=trainer,
        files=[("现场照片1.jpg", site_photo(0)), ("现场照片2.jpg", site_photo(1))],
    )
    _qr(training_class, machinist, "out", ends - 30 * minutes)  # left early
    for person in (learner, principal, welder):
        _qr(training_class, person, "out", ends + minutes)
    # demo_safety (赵安全) never came: the sheet's absent line.
    return class_close(training_class=training_class, by=trainer, now=ends + 20 * minutes)


def seed(*, provider: TrainingProvider, learner: Person) -> dict[str, TrainingClass]:
    trainer = User.objects.get(username=TRAINER)
    return {"current": _current(provider, trainer, learner), "past": _past(provider, trainer, learner)}
