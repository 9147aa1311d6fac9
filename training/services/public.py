"""Public learners: self-registration and enrolment in public courses."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from organizations.models import Jurisdiction
from training.models import Assignment, Course, PublicLearner
from training.services.assignments import assignment_create


@transaction.atomic
def public_learner_register(*, jurisdiction: Jurisdiction, name: str, phone: str, password: str) -> PublicLearner:
    user = User(username=f"p{phone}", display_name=name, phone=phone)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return PublicLearner.objects.create(user=user, jurisdiction=jurisdiction, name=name)


def public_enrol(*, user: User, course: Course) -> Assignment:
    return assignment_create(learner=user, course=course, source=Assignment.Source.PUBLIC)
