"""The classroom part of seed_demo: a class in progress run by demo_trainer with demo_learner invited, and a past
class whose attendance sheet, ledger rows and site photos show every kind of line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from classroom.models import Attendance, SitePhoto, TrainingClass
from classroom.selectors import classes_invited, classes_run_by
from demo import classroom as demo_classroom
from demo import organizations as demo_organizations
from organizations.models import Person
from tests.conftest import login_client
from training.models import CreditLedger


@pytest.fixture
def seeded(db: None, settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = True
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    call_command("seed_demo", verbosity=0)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def test_the_trainer_runs_a_class_in_progress_with_the_learner_invited(seeded: None) -> None:
    current = TrainingClass.objects.get(topic=demo_classroom.CURRENT_TOPIC)
    assert current.status == TrainingClass.Status.SCHEDULED
    assert current.trainer == _user("demo_trainer")
    assert current in classes_run_by(_user("demo_trainer"))
    assert current in classes_invited(_user("demo_learner"))
    assert Attendance.objects.filter(training_class=current).count() == 2  # two colleagues signed in already
    assert not Attendance.objects.filter(training_class=current, person__user__username="demo_learner").exists()
    page = login_client(_user("demo_trainer")).get(f"/classes/{current.pk}/evidence/")
    assert page.status_code == 200
    assert "尚未签到" in page.content.decode()


def test_the_past_class_has_its_sheet_ledger_and_photos(seeded: None) -> None:
    from openpyxl import load_workbook

    past = TrainingClass.objects.get(topic=demo_classroom.PAST_TOPIC)
    assert past.status == TrainingClass.Status.CLOSED
    assert SitePhoto.objects.filter(training_class=past).count() == 2
    response = login_client(_user("demo_trainer")).get(f"/classes/{past.pk}/evidence/sheet.xlsx")
    assert response.status_code == 200
    rows = [list(r) for r in load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)]
    lines = {row[0]: row for row in rows if row and row[0] in {"李新员", "王总", "赵安全", "钱焊工", "孙机工"}}
    assert len(lines) == 5
    assert lines["李新员"][7] == pytest.approx(2.0)
    assert "迟到 25 分钟" in lines["王总"][8]
    assert lines["钱焊工"][4] == f"讲师代签（原因：{demo_classroom.MANUAL_REASON}）"
    assert "早退 30 分钟" in lines["孙机工"][8]
    assert lines["赵安全"][8] == "缺席"
    credited = CreditLedger.objects.filter(method=CreditLedger.Method.CLASSROOM, class_attendance__training_class=past)
    assert credited.count() == 4
    assert set(credited.values_list("learner__username", flat=True)) == {
        "demo_learner",
        "demo_principal",
        "demo_welder",
        "demo_machinist",
    }
    # The bureau's auditor reaches the class from 王总's ledger entry.
    principal = Person.objects.get(user__username="demo_principal")
    file_page = login_client(_user("demo_bureau")).get(f"/org/people/{principal.pk}/").content.decode()
    assert f'href="/classes/{past.pk}/evidence/" data-evidence' in file_page


def test_the_classroom_demo_is_idempotent(seeded: None) -> None:
    counts = (TrainingClass.objects.count(), Attendance.objects.count(), SitePhoto.objects.count())
    ledger = CreditLedger.objects.count()
    demo_classroom.seed(provider=demo_organizations.provider(), learner=demo_organizations.learner())
    assert (TrainingClass.objects.count(), Attendance.objects.count(), SitePhoto.objects.count()) == counts
    assert CreditLedger.objects.count() == ledger
