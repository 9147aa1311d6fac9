"""Best-effort enterprise and purpose for ledger entries credited before the
ledger had them (the heartbeat has written them since).

The rule is the heartbeat's (training.services.crediting.credit_attribution):
among the learner's assignments whose course, or whose plan's courses, hold the
lesson's course, open before completed, onboarding before annual before other;
the enterprise is the plan's, else the learner's current one. Rows that already
have an enterprise (imports) are left alone. The ledger is append-only for the
application; this migration writes through the historical model, which has no
such guard."""

from collections import defaultdict

from django.db import migrations
from django.db.models import OuterRef, Q, Subquery

ACTIVE = ("assigned", "in_progress")
RANK = {"onboarding": 0, "annual": 1, "other": 2}
BATCH = 500


def _purpose(plan_kind, source):
    if plan_kind in ("onboarding", "annual"):
        return plan_kind
    if source in ("onboarding", "annual"):
        return source
    return "other"


def forwards(apps, schema_editor):
    CreditLedger = apps.get_model("training", "CreditLedger")
    Assignment = apps.get_model("training", "Assignment")
    PlanCourse = apps.get_model("training", "PlanCourse")
    Person = apps.get_model("organizations", "Person")

    todo = CreditLedger.objects.filter(enterprise__isnull=True, lesson__isnull=False)
    pairs = set(todo.values_list("learner_id", "lesson__chapter__course_id").distinct())
    if not pairs:
        return
    learners = {learner for learner, _ in pairs}
    plan_courses = defaultdict(set)
    for plan_id, course_id in PlanCourse.objects.values_list("plan_id", "course_id").iterator():
        plan_courses[plan_id].add(course_id)
    # (learner, course) -> (rank, purpose, plan's enterprise or None)
    best = {}
    assignments = Assignment.objects.filter(learner_id__in=learners, status__in=(*ACTIVE, "completed")).values_list(
        "learner_id", "course_id", "plan_id", "plan__kind", "plan__enterprise_id", "source", "status", "pk"
    )
    for learner, course, plan, kind, plan_enterprise, source, status, pk in assignments.iterator():
        purpose = _purpose(kind, source)
        rank = (int(status == "completed"), RANK[purpose], pk)
        for course_id in [course] if course else plan_courses.get(plan, ()):
            key = (learner, course_id)
            if key in pairs and (key not in best or rank < best[key][0]):
                best[key] = (rank, purpose, plan_enterprise)

    groups = defaultdict(list)
    for key, (_rank, purpose, plan_enterprise) in best.items():
        groups[(purpose, plan_enterprise)].append(key)
    for (purpose, plan_enterprise), keys in groups.items():
        for start in range(0, len(keys), BATCH):
            match = Q()
            for learner, course in keys[start : start + BATCH]:
                match |= Q(learner_id=learner, lesson__chapter__course_id=course)
            rows = todo.filter(match)
            if plan_enterprise is not None:
                rows.update(purpose=purpose, enterprise_id=plan_enterprise)
            else:
                rows.update(purpose=purpose)
    # Everything else: the learner's current enterprise (public learners have none).
    CreditLedger.objects.filter(enterprise__isnull=True, lesson__isnull=False).update(
        enterprise_id=Subquery(Person.objects.filter(user_id=OuterRef("learner_id")).values("enterprise_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0004_creditledger_assessment_passed_and_more"),
        ("organizations", "0004_history_from_current"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
