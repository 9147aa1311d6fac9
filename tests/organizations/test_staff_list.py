"""The staff list (an enterprise's people): search, edit, leaving, masked ID numbers.

Edits go through the organizations services that keep the employment history; leaving
ends the employment and disables the login; the ID number is shown in full only in the
edit form, to whoever manages the person.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from organizations.models import Employment, Person
from organizations.services import person_create
from organizations.validators import mask_id_number
from tests import factories
from tests.conftest import Cast, login_client

pytestmark = pytest.mark.django_db

PASSWORD = "Staff-list-2026!"


def _hire(cast: Cast, name: str, *, phone: str, post: str = Person.Post.EMPLOYEE, department: str = "") -> Person:
    person, _ = person_create(
        enterprise=cast.east.enterprises[0],
        name=name,
        id_number=factories.id_number(cast.east.enterprises[0].jurisdiction.code[:6]),
        hire_date=dt.date(2025, 3, 1),
        post=post,
        department=department,
        phone=phone,
        password=PASSWORD,
    )
    return person


def _staff(user: User, cast: Cast, **query: str) -> str:
    url = reverse("organizations:enterprise_detail", args=[cast.east.enterprises[0].pk])
    response = login_client(user).get(url, query)
    assert response.status_code == 200
    return response.content.decode()


def _names(html: str) -> set[str]:
    """The names in the list's first column."""
    return set(re.findall(r'<tr data-person="\d+">\s*<td[^>]*><a href="[^"]+">([^<]+)</a>', html))


def _signs_in(login: str) -> bool:
    """Whether the login form lets ``login`` in (the real door: axes, allauth, is_active)."""
    client = Client()
    client.get("/accounts/login/")
    client.post("/accounts/login/", {"login": login, "password": PASSWORD})
    return "_auth_user_id" in client.session


@pytest.fixture
def staff(cast: Cast) -> dict[str, Person]:
    return {
        "zhang": _hire(cast, "张建国", phone="13900001111", department="一车间"),
        "li": _hire(cast, "李红", phone="13700002222", post=Person.Post.SPECIAL_OPERATOR),
        "wang": _hire(cast, "王强", phone="13600003333", post=Person.Post.SAFETY_MANAGER),
    }


def test_search_by_name_phone_id_tail_and_post(cast: Cast, staff: dict[str, Person]) -> None:
    admin = cast.east.enterprise_admin
    assert _names(_staff(admin, cast, q="建国")) == {"张建国"}
    assert _names(_staff(admin, cast, q="1370000")) == {"李红"}
    tail = staff["wang"].id_number[-4:]
    found = _names(_staff(admin, cast, q=tail))
    assert "王强" in found
    assert all(p.id_number.endswith(tail) for p in Person.objects.filter(name__in=found))
    assert "王强" in _names(_staff(admin, cast, q="***" + tail))
    assert _names(_staff(admin, cast, q="特种作业")) == {"李红"}
    assert _names(_staff(admin, cast, q="一车间")) == {"张建国"}
    assert _names(_staff(admin, cast, q="没有这个人")) == set()
    assert "没有符合条件的人员" in _staff(admin, cast, q="没有这个人")


def test_only_the_managing_admin_sees_and_searches_phones(cast: Cast, staff: dict[str, Person]) -> None:
    assert "13900001111" in _staff(cast.east.enterprise_admin, cast)
    bureau_page = _staff(cast.east.bureau, cast)
    assert "13900001111" not in bureau_page
    assert "张建国" in _names(bureau_page)
    assert _names(_staff(cast.east.bureau, cast, q="1390000")) == set()


def test_the_staff_list_masks_every_id_number_even_for_the_admin(cast: Cast, staff: dict[str, Person]) -> None:
    for user in (cast.east.enterprise_admin, cast.east.bureau, cast.platform_admin):
        html = _staff(user, cast)
        cells = re.findall(r"data-id-number>([^<]*)<", html)
        assert mask_id_number(staff["zhang"].id_number) in cells
        assert all("*" in cell for cell in cells)
        for person in staff.values():
            assert person.id_number not in html


def test_the_edit_form_shows_the_full_id_number_to_the_admin_only(cast: Cast, staff: dict[str, Person]) -> None:
    person = staff["zhang"]
    url = reverse("organizations:person_edit", args=[person.pk])
    response = login_client(cast.east.enterprise_admin).get(url)
    assert response.status_code == 200
    assert f'value="{person.id_number}"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    for user in (cast.east.bureau, cast.east.training_admin, person.user, cast.west.enterprise_admin, cast.outsider):
        assert login_client(user).get(url).status_code in (403, 404), user
        assert login_client(user).post(url, {"name": "改名"}).status_code in (403, 404), user
    assert Person.objects.get(pk=person.pk).name == "张建国"


def _edit(client: Client, person: Person, **changes: str) -> object:
    data = {
        "name": person.name,
        "id_number": person.id_number,
        "phone": person.user.phone or "",
        "post": person.post,
        "department": person.department,
        "hire_date": person.hire_date.isoformat(),
        **changes,
    }
    return client.post(reverse("organizations:person_edit", args=[person.pk]), data)


def test_edit_saves_through_the_history_services(cast: Cast, staff: dict[str, Person]) -> None:
    person = staff["zhang"]
    client = login_client(cast.east.enterprise_admin)
    response = _edit(
        client,
        person,
        name="张建军",
        phone="13900009999",
        post=Person.Post.SPECIAL_OPERATOR,
        department="二车间",
        hire_date="2025-02-15",
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    person.refresh_from_db()
    assert (person.name, person.department, person.post) == ("张建军", "二车间", Person.Post.SPECIAL_OPERATOR)
    assert person.hire_date == dt.date(2025, 2, 15)
    assert (person.user.display_name, person.user.phone) == ("张建军", "13900009999")
    # History: the hire date corrected the first employment; the new post is a new employment from today.
    employments = list(Employment.objects.filter(person=person).order_by("start_date"))
    today = timezone.localdate()
    assert [(e.post, e.start_date, e.end_date) for e in employments] == [
        (Person.Post.EMPLOYEE, dt.date(2025, 2, 15), today - dt.timedelta(days=1)),
        (Person.Post.SPECIAL_OPERATOR, today, None),
    ]
    assert "张建军" in _names(_staff(cast.east.enterprise_admin, cast))


def test_edit_refuses_a_phone_or_id_number_of_someone_else(cast: Cast, staff: dict[str, Person]) -> None:
    person = staff["zhang"]
    client = login_client(cast.east.enterprise_admin)
    taken_phone = _edit(client, person, name="别改", phone="13700002222")
    assert taken_phone.status_code == 200  # type: ignore[attr-defined]
    assert "该手机号已被其他账号使用" in taken_phone.content.decode()  # type: ignore[attr-defined]
    taken_id = _edit(client, person, name="别改", id_number=staff["li"].id_number)
    assert "该身份证号已属于其他人员" in taken_id.content.decode()  # type: ignore[attr-defined]
    person.refresh_from_db()
    assert person.name == "张建国"
    assert person.user.phone == "13900001111"


def test_leaving_ends_the_employment_and_disables_the_login(cast: Cast, staff: dict[str, Person]) -> None:
    person = staff["li"]
    assert _signs_in(person.user.phone)
    client = login_client(cast.east.enterprise_admin)
    url = reverse("organizations:person_leave", args=[person.pk])
    assert client.get(url).status_code == 200
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client.post(url, {"leave_date": yesterday.isoformat()}, follow=True)
    assert "已离职，登录账号已停用" in response.content.decode()
    person.refresh_from_db()
    assert person.leave_date == yesterday
    employment = Employment.objects.get(person=person)
    assert employment.end_date == yesterday  # ended, not deleted: the history stays
    assert not User.objects.get(pk=person.user_id).is_active
    assert not _signs_in(person.user.phone)
    # Gone from the people working here, listed among those who left, and the file is kept.
    assert "李红" not in _names(_staff(cast.east.enterprise_admin, cast))
    assert _names(_staff(cast.east.enterprise_admin, cast, status="left")) == {"李红"}
    assert "李红" in _names(_staff(cast.east.enterprise_admin, cast, status="all"))
    file = client.get(reverse("organizations:person_detail", args=[person.pk])).content.decode()
    assert yesterday.isoformat() in file
    assert "办理离职" not in file


def test_leaving_is_refused_in_the_future_and_for_outsiders(cast: Cast, staff: dict[str, Person]) -> None:
    person = staff["wang"]
    url = reverse("organizations:person_leave", args=[person.pk])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = login_client(cast.east.enterprise_admin).post(url, {"leave_date": tomorrow.isoformat()})
    assert response.status_code == 200
    assert "离职日期不能晚于今天" in response.content.decode()
    before_hire = login_client(cast.east.enterprise_admin).post(url, {"leave_date": "2020-01-01"})
    assert before_hire.status_code == 200
    assert 'class="errorlist' in before_hire.content.decode()
    for user in (cast.west.enterprise_admin, cast.east.bureau, person.user):
        assert login_client(user).post(url, {"leave_date": "2026-01-01"}).status_code in (403, 404)
    person.refresh_from_db()
    assert person.leave_date is None
    assert person.user.is_active


def test_leaving_today_moves_the_person_to_the_left_filter_at_once(cast: Cast, staff: dict[str, Person]) -> None:
    admin = cast.east.enterprise_admin
    url = reverse("organizations:person_leave", args=[staff["zhang"].pk])
    login_client(admin).post(url, {"leave_date": timezone.localdate().isoformat()})
    assert "张建国" not in _names(_staff(admin, cast))
    assert "张建国" not in _names(_staff(admin, cast, status="current"))
    left = _staff(admin, cast, status="left")
    assert _names(left) == {"张建国"}
    assert 'class="badge left"' in left


def test_a_leave_date_still_to_come_keeps_the_person_working(cast: Cast, staff: dict[str, Person]) -> None:
    # Only a roster import can set one; until that day the person still works here.
    Person.objects.filter(pk=staff["wang"].pk).update(leave_date=timezone.localdate() + dt.timedelta(days=3))
    admin = cast.east.enterprise_admin
    assert "王强" in _names(_staff(admin, cast))
    assert "王强" not in _names(_staff(admin, cast, status="left"))


def test_each_filter_names_its_empty_state(cast: Cast, staff: dict[str, Person]) -> None:
    admin = cast.east.enterprise_admin
    nobody_left = _staff(admin, cast, status="left")
    assert "没有已离职人员" in nobody_left
    assert "花名册中还没有人员" not in nobody_left
    Person.objects.filter(pk__in=[p.pk for p in staff.values()]).update(leave_date=timezone.localdate())
    Person.objects.filter(enterprise=cast.east.enterprises[0], leave_date__isnull=True).update(
        leave_date=timezone.localdate()
    )
    nobody_working = _staff(admin, cast, status="current")
    assert "没有在职人员" in nobody_working
    assert "花名册中还没有人员" not in nobody_working
    assert "没有符合条件的人员" in _staff(admin, cast, q="不存在的人", status="left")


def test_the_status_filter_submits_itself_and_keeps_its_button(cast: Cast, staff: dict[str, Person]) -> None:
    html = _staff(cast.east.enterprise_admin, cast)
    assert re.search(r'<select id="staff-status" name="status" data-autosubmit>', html)
    assert re.search(r'<form method="get"[^>]*>.*<button type="submit">.*</form>', html, re.S)


def test_the_enterprise_admin_menu_leads_to_the_staff_list(cast: Cast, staff: dict[str, Person]) -> None:
    client = login_client(cast.east.enterprise_admin)
    home = client.get(reverse("home")).content.decode()
    url = reverse("organizations:enterprise_detail", args=[cast.east.enterprises[0].pk])
    assert re.search(rf'<li><a href="{url}">员工档案</a></li>', home)
    staff_page = client.get(url).content.decode()
    assert re.search(rf'<a href="{url}" aria-current="page">员工档案</a>', staff_page)
    assert "张建国" in _names(staff_page)
    # Nobody else gets the entry.
    assert "员工档案" not in login_client(cast.east.learner.user).get(reverse("home")).content.decode()
