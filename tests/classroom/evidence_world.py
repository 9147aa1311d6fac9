"""A class with full attendance and site photos, built through the classroom services (the evidence tests and
tests/route_params.py use it). Times are real but in the past: each sign-in and sign-out passes its own ``now``."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone

from classroom.evidence import photos_add
from classroom.models import TrainingClass
from classroom.services.attendance import class_close, sign_by_code, sign_manual
from classroom.services.codes import class_code
from classroom.services.schedule import class_schedule, invite
from organizations.models import Person
from tests import factories

MANUAL_REASON = "手机没电，讲师核对身份证后代签"


def jpeg(width: int = 64, height: int = 48, color: tuple[int, int, int] = (30, 120, 200), **save: Any) -> bytes:
    """A small JPEG made here (no photo of anyone); ``save`` goes to PIL (``exif=``)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", **save)
    return buffer.getvalue()


def _person(enterprise: Any, username: str, name: str) -> Person:
    person = factories.make_person(enterprise, username=username)
    Person.objects.filter(pk=person.pk).update(name=name)
    person.refresh_from_db()
    return person


def _qr(training_class: TrainingClass, person: Person, kind: str, at: dt.datetime) -> None:
    code = class_code(training_class, kind, now=at).code
    sign_by_code(training_class=training_class, user=person.user, code=code, now=at)


def evidence_class(district: Any, *, photos: int = 2, close: bool = True) -> dict[str, Any]:
    """A finished class of ``district``'s first enterprise, given by its enterprise admin: an attendee on time
    (the district's learner), one late beyond the tolerance, one signed in by hand with a reason, one who
    never signed out, one absent; ``photos`` site photos; closed when ``close``."""
    enterprise = district.enterprises[0]
    trainer = district.enterprise_admin
    starts = (timezone.now() - dt.timedelta(hours=4)).replace(second=0, microsecond=0)
    ends = starts + dt.timedelta(hours=2)
    training_class = class_schedule(
        by=trainer,
        owner_enterprise=enterprise,
        topic="车间级安全教育：动火作业",
        level=TrainingClass.Level.WORKSHOP,
        starts_at=starts,
        ends_at=ends,
        place="二号会议室",
        credit_minutes=90,
        tolerance_minutes=10,
    )
    prefix = f"{district.jurisdiction.code}_{factories.next_seq()}"
    people = {
        "on_time": district.learner,
        "late": _person(enterprise, f"late{prefix}", "迟到者"),
        "manual": _person(enterprise, f"manual{prefix}", "代签者"),
        "no_out": _person(enterprise, f"noout{prefix}", "未签退者"),
        "absent": _person(enterprise, f"absent{prefix}", "缺席者"),
    }
    invite(training_class=training_class, by=trainer, people=list(people.values()))
    _qr(training_class, people["on_time"], "in", starts - dt.timedelta(minutes=5))
    _qr(training_class, people["late"], "in", starts + dt.timedelta(minutes=25))
    _qr(training_class, people["no_out"], "in", starts + dt.timedelta(minutes=1))
    at = starts + dt.timedelta(minutes=3)
    sign_manual(
        training_class=training_class,
        person=people["manual"],
        kind="in",
        reason=MANUAL_REASON,
        by=trainer,
        at=at,
        now=at,
    )
    for key in ("on_time", "late", "manual"):
        _qr(training_class, people[key], "out", ends - dt.timedelta(minutes=2))
    files = [(f"现场{i}.jpg", jpeg(color=(40 * i, 100, 160))) for i in range(photos)]
    added = photos_add(training_class=training_class, by=trainer, files=files) if files else []
    if close:
        class_close(training_class=training_class, by=trainer, now=ends + dt.timedelta(minutes=30))
    training_class.refresh_from_db()
    return {"class": training_class, "people": people, "trainer": trainer, "photos": added}
