"""The learner's home on a phone (390×844): a to-do list whose course card resumes study in one tap.

A learner of the demo enterprise, new this month: the onboarding plan (its first lesson studied), the demo's open
exams, a certificate that expires in a month and a practice left half way. The screenshot of the home goes to
var/screenshots/home-learner-todo-phone.png (``make screenshots`` copies it to docs/).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import PHONE, SCREENSHOTS, login, shell_json

pytestmark = pytest.mark.browser

SETUP = """
import datetime as dt, json
from django.utils import timezone
from demo.training import _credit
from exams.models import Certificate, CertificateType
from exams.services.certificates import holder_fields
from organizations.models import Person
from organizations.services import person_create
from organizations.validators import complete_id_number
from question_bank import selectors as qb_selectors, services as qb
from training.models import Assignment, Lesson
from training.selectors import my_assignments
today = timezone.localdate()
person = Person.objects.filter(user__username="bt_home").first()
if person is None:
    enterprise = Person.objects.get(user__username="demo_learner").enterprise
    person, _ = person_create(enterprise=enterprise, name="李晓华", username="bt_home", password="demo-pass-2026",
        id_number=complete_id_number("99010119980808517"), hire_date=today - dt.timedelta(days=6))
    Assignment.objects.filter(learner=person.user).update(due_date=today + dt.timedelta(days=5))
    first = my_assignments(person.user)[0][1].next_lesson_id
    _credit(person.user, Lesson.objects.get(pk=first), 1.0, when=timezone.now() - dt.timedelta(days=1))
    Certificate.objects.create(number="BT-HOME-0001", cert_type=CertificateType.SPECIAL_OPERATOR,
        operation_category="焊接与热切割作业", issued_on=today - dt.timedelta(days=2160),
        valid_until=today + dt.timedelta(days=30), issuer_name="示范应急管理局", imported=True, **holder_fields(person))
    bank = qb_selectors.banks_practisable_by(person.user).first()
    session = qb.practice_start(user=person.user, bank=bank, mode="order",
        questions=qb_selectors.practice_questions_for(person.user).filter(bank=bank))
    from question_bank.models import PracticeSession
    PracticeSession.objects.filter(pk=session.pk).update(position=min(3, session.total), correct_count=2)
assignment, summary = my_assignments(person.user)[0]
print(json.dumps({"next_lesson": summary.next_lesson_id, "title": assignment.title}))
"""


def test_learner_home_is_a_to_do_list_and_one_tap_resumes_the_lesson(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    ids = shell_json(run_manage, SETUP)
    page = new_page()
    login(page, live_server_url, "bt_home")
    page.goto(f"{live_server_url}/")
    course = page.locator('[data-todo-section="courses"] [data-todo-item]').first
    assert course.is_visible()
    assert course.locator("h3").inner_text() == ids["title"]
    assert course.locator("[data-percent]").inner_text().endswith("%")
    assert "截止日期" in course.inner_text()
    assert page.locator('[data-todo-section="exams"] [data-todo-item]').count() >= 1
    assert "焊接与热切割作业" in page.locator('[data-todo-section="certificates"]').inner_text()
    assert "继续练习" in page.locator('[data-todo-section="practice"]').inner_text()
    assert page.locator("[data-todo-empty]").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing overflows the phone
    page.screenshot(path=str(SCREENSHOTS / "home-learner-todo-phone.png"), full_page=True)

    # One tap: from the home straight into the player of the next lesson.
    course.locator("[data-todo-action]").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server_url}/training/lessons/{ids['next_lesson']}/"
    page.wait_for_selector("#player")


IDLE = """
import json
from organizations.models import Jurisdiction, Person
from tests import factories
person = Person.objects.filter(user__username="bt_home_idle").first()
if person is None:
    # A district of its own: no course, exam or certificate reaches this person.
    district = Jurisdiction.objects.filter(code="990199").first() or factories.make_jurisdiction("990199", "测试新区")
    person = factories.make_person(factories.make_enterprise(district, name="新区机械厂"), username="bt_home_idle")
    Person.objects.filter(pk=person.pk).update(name="王新")
    person.user.display_name = "王新"
    person.user.set_password("demo-pass-2026")
    person.user.save()
print(json.dumps({"person": person.pk}))
"""


def test_with_nothing_to_do_the_home_says_so_and_where_to_go(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    shell_json(run_manage, IDLE)
    page = new_page()
    login(page, live_server_url, "bt_home_idle")
    page.goto(f"{live_server_url}/")
    empty = page.locator("[data-todo-empty]")
    assert "暂无待办事项" in empty.inner_text()
    links = empty.locator("a.button")
    assert links.count() == 4  # my training, my exams, my certificates, practice
    assert page.locator("[data-todo-item]").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "home-learner-empty-phone.png"), full_page=True)
    links.last.click()
    page.wait_for_load_state()
    assert page.url == f"{live_server_url}/qb/practice/"
