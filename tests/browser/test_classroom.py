"""Classroom training on phones (390×844): the learner opens the QR's URL and is signed in; the trainer's phone
shows the live attendance list with that learner.

The class is held by the demo enterprise (示范化工有限公司), run by its admin ``demo_enterprise``, begun five
minutes ago; a new learner of the enterprise, ``bt_class``, is invited with a few colleagues. Screenshots:
var/screenshots/classroom-board-phone.png, classroom-sign-phone.png, classroom-list-phone.png.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DEMO_PASSWORD, PHONE, SCREENSHOTS, login, shell_json

pytestmark = pytest.mark.browser

SETUP = """
import datetime as dt, json
from django.utils import timezone
from accounts.models import User
from classroom.models import TrainingClass
from classroom.services.schedule import class_schedule, invite
from organizations.models import Person
from organizations.services import person_create
from organizations.validators import complete_id_number
now = timezone.now()
colleague = Person.objects.get(user__username="demo_learner")
enterprise = colleague.enterprise
person = Person.objects.filter(user__username="bt_class").first()
if person is None:
    person, _ = person_create(enterprise=enterprise, name="王课堂", username="bt_class", password="demo-pass-2026",
        id_number=complete_id_number("99010119950505123"), hire_date=timezone.localdate() - dt.timedelta(days=3))
admin = User.objects.get(username="demo_enterprise")
training_class = class_schedule(by=admin, owner_enterprise=enterprise, topic="车间级安全教育：动火作业与受限空间",
    level="workshop", starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(minutes=85),
    place="示范化工二号培训室", credit_minutes=90)
others = list(Person.objects.filter(enterprise=enterprise, leave_date__isnull=True).exclude(pk=person.pk)[:4])
invite(training_class=training_class, by=admin, people=[person, *others])
print(json.dumps({"pk": training_class.pk, "person": person.pk}))
"""


def test_learner_scans_the_qr_and_the_trainers_phone_lists_them(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    ids = shell_json(run_manage, SETUP)
    trainer = new_page()
    login(trainer, live_server_url, "demo_enterprise")
    trainer.goto(f"{live_server_url}/classes/{ids['pk']}/")
    board = trainer.locator("[data-board]")
    assert board.locator("svg").is_visible()
    assert "签到码" in board.inner_text()
    assert trainer.locator(f'[data-person="{ids["person"]}"]').get_attribute("data-state") == "waiting"

    # The learner's phone opens the QR's URL while signed out: the login page, then back to the class.
    trainer.reload()
    sign_url = trainer.locator("[data-board]").get_attribute("data-sign-url")
    assert urlsplit(sign_url).path == f"/classes/{ids['pk']}/sign/"
    learner = new_page()
    learner.goto(sign_url)
    assert urlsplit(learner.url).path == "/accounts/login/"
    learner.fill('input[name="login"]', "bt_class")
    learner.fill('input[name="password"]', DEMO_PASSWORD)
    learner.click('form button[type="submit"]')
    learner.wait_for_load_state()
    assert urlsplit(learner.url).path == f"/classes/{ids['pk']}/sign/"
    button = learner.locator("[data-sign-submit]")
    assert button.inner_text() == "确认签到"
    assert "示范化工二号培训室" in learner.locator("[data-sign]").inner_text()
    assert learner.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    learner.screenshot(path=str(SCREENSHOTS / "classroom-sign-phone.png"), full_page=True)
    button.click()
    learner.wait_for_load_state()
    assert urlsplit(learner.url).path == f"/classes/{ids['pk']}/signed/"
    assert learner.locator("h1").inner_text() == "已签到"
    assert learner.locator("[data-signed-in]").inner_text().strip() != ""
    learner.screenshot(path=str(SCREENSHOTS / "classroom-signed-phone.png"), full_page=True)
    learner.goto(f"{live_server_url}/classes/mine/")
    assert "车间级安全教育" in learner.locator('[data-group="coming"]').inner_text()
    learner.screenshot(path=str(SCREENSHOTS / "classroom-mine-phone.png"), full_page=True)

    # The trainer's phone: the live list picks the learner up by itself (it polls every few seconds).
    row = trainer.locator(f'[data-person="{ids["person"]}"][data-state="in"]')
    row.wait_for(timeout=20_000)
    assert "王课堂" in row.inner_text()
    assert "扫码" in row.inner_text()  # how the sign-in was verified (QR code)
    assert trainer.locator("[data-count-in]").inner_text() == "1"
    assert trainer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    trainer.screenshot(path=str(SCREENSHOTS / "classroom-board-phone.png"), full_page=True)

    trainer.goto(f"{live_server_url}/classes/")
    in_progress = trainer.locator('[data-group="in_progress"]')
    assert "车间级安全教育" in in_progress.inner_text()
    assert trainer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    trainer.screenshot(path=str(SCREENSHOTS / "classroom-list-phone.png"), full_page=True)
    trainer.goto(f"{live_server_url}/classes/new/")
    assert trainer.locator("h1").inner_text() == "安排课堂"
    assert trainer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    trainer.screenshot(path=str(SCREENSHOTS / "classroom-new-phone.png"), full_page=True)


def test_an_expired_qr_says_so_in_chinese(
    new_page: Callable[..., Any], live_server_url: str, run_manage: Callable[..., Any]
) -> None:
    ids = shell_json(run_manage, SETUP)
    learner = new_page()
    login(learner, live_server_url, "bt_class")
    learner.goto(f"{live_server_url}/classes/{ids['pk']}/sign/?code=in-1-0123456789abcdef")
    error = learner.locator("[data-sign-error]")
    assert error.is_visible()
    assert learner.locator("[data-sign-submit]").count() == 0
    assert "重新扫描屏幕上的二维码" in error.inner_text()
