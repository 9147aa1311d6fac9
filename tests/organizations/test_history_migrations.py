"""The data migrations that start the history: a database with people,
enterprises and credit from before migrates to one employment and one status
each, and ledger entries learn their enterprise and purpose."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.conftest import ensure_industries

ORG_BEFORE = ("organizations", "0003_jurisdiction_population_employment_enterprisestatus")
ORG_AFTER = ("organizations", "0004_history_from_current")
LEDGER_BEFORE = ("training", "0004_creditledger_assessment_passed_and_more")
LEDGER_AFTER = ("training", "0005_hist_ledger_backfill")


# serialized_rollback: the flush after this test then leaves the content types to
# the next serialized test's reload; with a plain transactional flush, the types
# re-created after the migrations ran backwards and forwards get new ids and the
# next channels test's reload of the serialized ones breaks their unique key.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def migrate(django_db_serialized_rollback: None) -> Iterator[Any]:
    """``migrate(*targets)`` returns the historical apps at those targets; the
    database is brought back to the latest migrations afterwards."""

    def to(*targets: tuple[str, str]) -> Any:
        executor = MigrationExecutor(connection)
        executor.migrate(list(targets))
        executor.loader.build_graph()
        return executor.loader.project_state(list(targets)).apps

    ensure_industries()
    yield to
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _tenancy(apps: Any, code: str = "990101") -> tuple[Any, Any, Any]:
    Jurisdiction = apps.get_model("organizations", "Jurisdiction")
    Industry = apps.get_model("organizations", "Industry")
    Enterprise = apps.get_model("organizations", "Enterprise")
    district = Jurisdiction.objects.create(code=code, name="东区", kind="district", path=f"/{code}/")
    chemicals = Industry.objects.get(code="hazardous_chemicals")
    enterprises = [
        Enterprise.objects.create(
            name=f"企业{i}",
            credit_code=f"91{code}MA00000{i}X"[:18],
            industry=chemicals,
            above_scale=bool(i % 2),
            jurisdiction=district,
        )
        for i in range(2)
    ]
    return district, chemicals, enterprises


def _person(apps: Any, enterprise: Any, n: int, *, leave: dt.date | None = None, post: str = "employee") -> Any:
    User = apps.get_model("accounts", "User")
    Person = apps.get_model("organizations", "Person")
    user = User.objects.create(username=f"m{n}", password="!")
    return Person.objects.create(
        user=user,
        enterprise=enterprise,
        name=f"员工{n}",
        post=post,
        hire_date=dt.date(2025, 3, n),
        leave_date=leave,
        id_number=f"99010119900101{n:03d}X"[:18],
    )


def test_people_and_enterprises_from_before_get_one_employment_and_one_status_each(migrate: Any) -> None:
    apps = migrate(ORG_BEFORE)
    _district, _chemicals, enterprises = _tenancy(apps)
    _person(apps, enterprises[0], 1)
    _person(apps, enterprises[1], 2, leave=dt.date(2026, 1, 31), post="safety_manager")

    apps = migrate(ORG_AFTER)
    Employment = apps.get_model("organizations", "Employment")
    EnterpriseStatus = apps.get_model("organizations", "EnterpriseStatus")
    statuses = sorted(
        EnterpriseStatus.objects.values_list("enterprise__name", "valid_from", "industry__code", "above_scale")
    )
    assert statuses == [
        ("企业0", dt.date(1900, 1, 1), "hazardous_chemicals", False),
        ("企业1", dt.date(1900, 1, 1), "hazardous_chemicals", True),
    ]
    employments = sorted(
        Employment.objects.values_list("person__name", "enterprise__name", "post", "start_date", "end_date")
    )
    assert employments == [
        ("员工1", "企业0", "employee", dt.date(2025, 3, 1), None),
        ("员工2", "企业1", "safety_manager", dt.date(2025, 3, 2), dt.date(2026, 1, 31)),
    ]


def test_ledger_entries_from_before_learn_their_enterprise_and_purpose(migrate: Any) -> None:
    apps = migrate(LEDGER_BEFORE)
    _district, _chemicals, (own, other) = _tenancy(apps)
    learner = _person(apps, own, 1)
    Course = apps.get_model("training", "Course")
    Chapter = apps.get_model("training", "Chapter")
    Lesson = apps.get_model("training", "Lesson")
    Plan = apps.get_model("training", "Plan")
    PlanCourse = apps.get_model("training", "PlanCourse")
    Assignment = apps.get_model("training", "Assignment")
    CreditLedger = apps.get_model("training", "CreditLedger")

    def lesson_of(title: str) -> Any:
        course = Course.objects.create(title=title, owner_enterprise=own)
        chapter = Chapter.objects.create(course=course, title="第一章")
        return Lesson.objects.create(chapter=chapter, title=title, kind="article", credit_minutes=1)

    onboarding, annual, manual, nowhere = (lesson_of(t) for t in ("岗前", "年度", "自选", "未分配"))
    plan = Plan.objects.create(name="岗前", kind="onboarding", enterprise=other, required_minutes=60)
    PlanCourse.objects.create(plan=plan, course=onboarding.chapter.course)
    Assignment.objects.create(learner_id=learner.user_id, plan=plan, source="onboarding", status="completed")
    yearly = Plan.objects.create(name="年度", kind="annual", enterprise=own, required_minutes=60, year=2026)
    PlanCourse.objects.create(plan=yearly, course=annual.chapter.course)
    PlanCourse.objects.create(plan=yearly, course=onboarding.chapter.course)
    Assignment.objects.create(learner_id=learner.user_id, plan=yearly, source="annual")
    Assignment.objects.create(learner_id=learner.user_id, course=manual.chapter.course)
    now = timezone.now()
    for lesson in (onboarding, annual, manual, nowhere):
        CreditLedger.objects.create(
            learner_id=learner.user_id, lesson=lesson, started_at=now, ended_at=now, seconds=60, post="employee"
        )
    # An imported row keeps what its import recorded.
    CreditLedger.objects.create(
        learner_id=learner.user_id,
        lesson=None,
        started_at=now,
        ended_at=now,
        seconds=2700,
        enterprise=other,
        purpose="onboarding",
        method="import",
        source="课堂.xlsx row 2",
    )

    apps = migrate(LEDGER_AFTER)
    rows = apps.get_model("training", "CreditLedger").objects.values_list(
        "lesson__title", "enterprise__name", "purpose"
    )
    assert sorted(rows, key=lambda r: r[0] or "") == [
        (None, "企业1", "onboarding"),
        # The onboarding plan holding this course is completed: the open annual plan holding it too wins.
        ("岗前", "企业0", "annual"),
        ("年度", "企业0", "annual"),
        ("未分配", "企业0", "other"),
        ("自选", "企业0", "other"),
    ]
