"""Pages show ID numbers masked, to everyone: the full number is only in the staff list's edit form
(tests/organizations/test_staff_list.py)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from organizations.validators import mask_id_number
from tests.conftest import Cast, login_client


def _id_cells(html: str) -> list[str]:
    import re

    return re.findall(r"data-id-number>([^<]*)<", html)


def test_enterprise_detail_masks_for_everyone(cast: Cast) -> None:
    person = cast.east.learner
    url = reverse("organizations:enterprise_detail", args=[cast.east.enterprises[0].pk])
    masked = mask_id_number(person.id_number)
    for user in (
        cast.east.enterprise_admin,
        cast.east.bureau,
        cast.east.proctor,
        cast.east.training_admin,
        person.user,
    ):
        html = login_client(user).get(url).content.decode()
        assert _id_cells(html) == [masked]
        assert person.id_number not in html


def test_person_page_masks_for_everyone(cast: Cast) -> None:
    person = cast.east.learner
    url = reverse("organizations:person_detail", args=[person.pk])
    for user in (cast.east.enterprise_admin, cast.east.bureau, person.user):
        html = login_client(user).get(url).content.decode()
        assert _id_cells(html) == [mask_id_number(person.id_number)]
        assert person.id_number not in html
    own = login_client(person.user).get(reverse("organizations:my_profile")).content.decode()
    assert person.id_number not in own


def test_pages_are_chinese_by_default_with_role_nav(cast: Cast) -> None:
    html = login_client(cast.east.bureau).get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "企业" in html
    english = login_client(cast.east.bureau).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in english
    assert "Enterprises" in english


def test_anonymous_home_goes_to_login(db: Any) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
