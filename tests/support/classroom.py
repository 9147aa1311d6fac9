"""Builders for classroom tests (issue 18): a class of the east district's first enterprise, its invitees."""

from __future__ import annotations

import datetime as dt
from typing import Any

from classroom.models import TrainingClass
from classroom.services.schedule import class_schedule, invite

# A fixed class time (Asia/Shanghai): tests pass ``now=`` around it and never sleep.
STARTS = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def make_class(cast: Any, *, invite_learner: bool = True, **fields: Any) -> TrainingClass:
    """A 90-minute plant-level class of the east chemical plant run by its enterprise admin, crediting
    90 minutes with a 10-minute tolerance; the east learner invited unless ``invite_learner=False``."""
    east = cast.east
    values: dict[str, Any] = {
        "by": east.enterprise_admin,
        "owner_enterprise": east.enterprises[0],
        "topic": "厂级安全教育",
        "level": TrainingClass.Level.PLANT,
        "starts_at": STARTS,
        "ends_at": STARTS + dt.timedelta(minutes=90),
        "place": "一号会议室",
        "credit_minutes": 90,
    }
    values.update(fields)
    training_class = class_schedule(**values)
    if invite_learner:
        invite(training_class=training_class, by=values["by"], people=[east.learner])
    return training_class


def at(minutes: float, *, base: dt.datetime = STARTS) -> dt.datetime:
    """A moment ``minutes`` after the class starts (negative: before)."""
    return base + dt.timedelta(minutes=minutes)
