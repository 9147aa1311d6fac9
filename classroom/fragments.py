"""Classroom's part of other apps' pages (``core.fragments``): the learner's invitations on 我的培训."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from classroom import selectors
from classroom.models import Attendance, TrainingClass


def dashboard_classes(*, request: HttpRequest) -> str:
    """The classes the learner is invited to that have not ended, with date, place and their sign-in state."""
    now = timezone.now()
    classes = list(
        selectors.classes_invited(request.user).filter(status=TrainingClass.Status.SCHEDULED, ends_at__gt=now)[:10]
    )
    if not classes:
        return ""
    records = {
        a.training_class_id: a for a in Attendance.objects.filter(training_class__in=classes, person__user=request.user)
    }
    rows = [{"class": c, "attendance": records.get(c.pk), "in_progress": c.starts_at <= now} for c in classes]
    return render_to_string("classroom/_dashboard_classes.html", {"rows": rows}, request=request)
