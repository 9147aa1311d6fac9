"""The Django admin sits behind the site's login and the same scoping."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from organizations.validators import mask_id_number
from tests.conftest import Cast, login_client, make_staff


def test_anonymous_is_sent_to_the_site_login(db: None) -> None:
    response = Client().get("/admin/", follow=True)
    final_url, _status = response.redirect_chain[-1]
    assert final_url == "/accounts/login/?next=/admin/"
    assert response.status_code == 200
    assert 'name="login"' in response.content.decode()  # allauth's form, not Django's admin login


def test_admin_login_url_itself_goes_to_the_site_login(db: None) -> None:
    response = Client().get("/admin/login/?next=/admin/organizations/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/admin/organizations/")


def test_non_staff_user_gets_403_not_a_loop(cast: Cast) -> None:
    response = login_client(cast.east.bureau).get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) <= 1


def test_demo_superuser_gets_in(db: None, settings: Any) -> None:
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    client = Client()
    response = client.post("/accounts/login/", {"login": "demo_admin", "password": "demo-pass-2026"})
    assert response.status_code == 302
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "/admin/organizations/enterprise/" in page.content.decode()


@pytest.fixture
def staff_bureau(cast: Cast) -> Any:
    return make_staff(cast.west.bureau, "view_enterprise", "view_person", "change_enterprise")


def test_enterprise_changelist_is_scoped(cast: Cast, staff_bureau: Any) -> None:
    body = login_client(staff_bureau).get("/admin/organizations/enterprise/").content.decode()
    for e in cast.west.enterprises:
        assert e.name in body
    for e in cast.east.enterprises:
        assert e.name not in body
        assert e.credit_code not in body


def test_person_changelist_is_scoped_and_masked(cast: Cast, staff_bureau: Any) -> None:
    body = login_client(staff_bureau).get("/admin/organizations/person/").content.decode()
    assert cast.west.learner.name in body
    assert cast.east.learner.name not in body
    assert cast.west.learner.id_number not in body
    assert mask_id_number(cast.west.learner.id_number) in body


def test_foreign_change_page_is_not_found(cast: Cast, staff_bureau: Any) -> None:
    client = login_client(staff_bureau)
    east = cast.east.enterprises[0]
    assert client.get(f"/admin/organizations/enterprise/{east.pk}/change/").status_code in (302, 404)
    response = client.get(f"/admin/organizations/enterprise/{east.pk}/change/", follow=True)
    assert east.name not in response.content.decode()
