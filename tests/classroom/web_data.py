"""EAST-district classroom objects for the page tests and tests/route_params.py (built once per cast)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from classroom.models import TrainingClass
from classroom.services.attendance import sign_manual
from tests.support.classroom import make_class


def class_in_progress(cast: Any, **fields: Any) -> TrainingClass:
    """The east chemical plant's class (``make_class``), begun five minutes ago, the east learner invited."""
    now = timezone.now()
    values: dict[str, Any] = {
        "starts_at": now - dt.timedelta(minutes=5),
        "ends_at": now + dt.timedelta(minutes=55),
        "credit_minutes": 45,
        **fields,
    }
    return make_class(cast, **values)


def east_classroom(cast: Any) -> dict[str, Any]:
    cached = cast.east.extra.get("classroom_web")
    if cached:
        return cached
    training_class = class_in_progress(cast, topic="东区课堂")
    sign_manual(
        training_class=training_class,
        person=cast.east.learner,
        kind="in",
        reason="没带手机",
        by=cast.east.enterprise_admin,
    )
    data = {"class": training_class}
    cast.east.extra["classroom_web"] = data
    return data


def classroom_web_routes() -> dict[str, Any]:
    """tests/route_params.py entries for the classroom pages (classroom/urls.py)."""

    def run_by(cast: Any) -> dict[str, Any]:
        return {"pk": east_classroom(cast)["class"].pk}

    def as_learner(cast: Any) -> dict[str, Any]:
        return {"pk": east_classroom(cast)["class"].pk, "_as": cast.east.learner.user}

    names = ("detail", "edit", "cancel", "invite", "code", "attendance", "manual", "close")
    return {
        **{f"classroom:{name}": run_by for name in names},
        "classroom:sign": as_learner,
        "classroom:signed": as_learner,
    }
