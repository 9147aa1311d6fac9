"""Pages show ID numbers masked, to everyone: the full number is only in the staff list's edit form
(tests/organizations/test_staff_list.py)."""

from __future__ import annotations

import re
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


def test_the_home_page_says_whose_scope_it_counts(cast: Cast) -> None:
    """A platform admin's home counts the whole platform and lists no enterprise cards (they
    manage every enterprise: twenty picked at random said nothing); an enterprise admin sees
    their enterprise's card with its head count; a role with no place has no dangling "·"."""
    admin = login_client(cast.platform_admin).get("/").content.decode()
    assert re.search(r'data-role="platform_admin">\s*平台管理员\s*</span>', admin)
    assert "平台企业" in admin
    assert "平台人员" in admin
    assert "辖区内企业" not in admin
    assert "的员工" not in admin
    bureau = login_client(cast.east.bureau).get("/").content.decode()
    assert "辖区内企业" in bureau
    assert re.search(r'data-role="bureau_official">\s*监管部门人员\s*· ' + cast.east.jurisdiction.name, bureau)
    enterprise = cast.east.enterprises[0]
    mine = login_client(cast.east.enterprise_admin).get("/").content.decode()
    card = re.search(r"<b>(\d+)</b><span>" + enterprise.name + "的员工</span>", mine)
    assert card, "the enterprise admin's card"
    assert int(card.group(1)) == enterprise.people.count()
