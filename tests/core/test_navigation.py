"""core.navigation: every app adds its menu entries; the menu keeps one order whatever the app order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import resolve

from core import navigation
from tests.conftest import Cast


def _menu(user: Any) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    return [resolve(url).view_name for url, _label in navigation.navigation(request)["nav_items"]]


@pytest.mark.django_db
def test_each_role_sees_the_menu_it_saw_before_the_registry(cast: Cast) -> None:
    # The menu of the context processor that imported training, exams and proctoring, entry for
    # entry, plus the pages added since (imports, statistics).
    assert _menu(cast.platform_admin) == [
        "home",
        "organizations:enterprise_list",
        "organizations:roster",
        "imports:import_data",
        "question_bank:bank_list",
        "training:enterprise_dashboard",
        "training:manage_courses",
        "training:library",  # the lesson-plan library, added since (issue 18)
        "classroom:list",  # added since (issue 18)
        "exams:admin_home",
        "exams:spot_new",
        "proctoring:home",
        "analytics:overview",
        "admin:index",
    ]
    assert _menu(cast.east.learner.user) == [
        "home",
        "question_bank:practice_home",
        "training:dashboard",
        "classroom:mine",  # added since (issue 18)
        "exams:my_exams",
        "exams:my_certificates",  # added since (issue 17)
        "proctoring:my_face",
        "organizations:my_profile",
    ]
    assert _menu(cast.east.enterprise_admin) == [
        "home",
        "organizations:enterprise_detail",  # the staff list (员工档案), added since (issue 17 QA)
        "organizations:roster",
        "imports:import_data",
        "training:enterprise_dashboard",
        "training:manage_courses",
        "training:library",
        "classroom:list",
        "analytics:overview",
    ]
    assert _menu(cast.east.training_admin) == [
        "home",
        "organizations:enterprise_list",
        "question_bank:bank_list",
        "training:enterprise_dashboard",
        "training:manage_courses",
        "training:library",
        "classroom:list",
        "exams:admin_home",
    ]
    assert _menu(cast.east.proctor) == ["home", "organizations:enterprise_list", "exams:spot_new", "proctoring:home"]
    assert _menu(cast.east.bureau) == [
        "home",
        "organizations:enterprise_list",
        "imports:import_data",
        "question_bank:bank_list",
        "training:enterprise_dashboard",
        "training:library",
        "exams:spot_new",
        "analytics:overview",
    ]
    assert _menu(cast.outsider) == ["home"]


def test_an_anonymous_visitor_has_no_menu() -> None:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert navigation.navigation(request) == {"nav_items": [], "user_roles": set()}


@pytest.fixture
def extra_entries() -> Iterator[None]:
    yield
    for name in ("tests.late", "tests.early"):
        navigation.unregister(name)


@pytest.mark.usefixtures("extra_entries")
def test_entries_go_by_position_not_by_registration_order() -> None:
    navigation.register("tests.late", lambda *, user, roles: [("/late/", "Late")], position=navigation.PERSONAL + 1)
    navigation.register("tests.early", lambda *, user, roles: [("/early/", "Early")], position=0)
    names = navigation.registered()
    assert names[0] == "tests.early"
    assert names[-1] == "tests.late"
    assert names[1:-1] == [
        "organizations",
        "core.imports",
        "question_bank",
        "training",
        "classroom",
        "exams",
        "proctoring",
        "analytics",
        "organizations.personal",
    ]
    menu = navigation.menu(object(), set())
    assert menu[0] == ("/early/", "Early")
    assert menu[-1] == ("/late/", "Late")
