"""Issue 12, item 4: a bank is shared only inside its owner's reach, on every door.

The rule lives in ``question_bank.services.bank_check_scope``: a person owns a
bank only for a provider they administer; a provider's bank is shared only with
the jurisdiction the provider serves or one below it; platform admins may share
anywhere. The web form, the API (POST and PATCH), the Django admin and the
import command all go through it, and a refusal names the field and writes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from organizations.models import RoleGrant
from question_bank import selectors, services
from question_bank.models import Bank, Question
from tests import factories
from tests.conftest import Cast, login_client, make_staff
from tests.question_bank.conftest import ROWS, xlsx_bytes

pytestmark = pytest.mark.django_db


def api(user: Any, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def _share(cast: Cast, actor: Any, where: Any, *, code: str, name: str, **fields: Any) -> Bank:
    """A bank of the east provider that ``actor`` (None: the operator) creates shared with ``where``;
    ``fields`` are the rest of ``bank_create``'s (a ``visibility`` other than shared, a ``purpose``)."""
    fields.setdefault("visibility", Bank.Visibility.SHARED)
    return services.bank_create(
        actor=actor, code=code, name=name, owner=cast.east.provider, shared_with=where, **fields
    )


def _east_bank(cast: Cast, code: str = "east-bank") -> Bank:
    return _share(cast, None, cast.east.jurisdiction, code=code, name="东区题库", purpose=Bank.Purpose.PRACTICE)


@pytest.fixture
def two_hat_trainer(cast: Cast) -> Any:
    """East's training admin who is also a bureau official of the west district: the web
    form used to offer every jurisdiction the user could *see*, so west was a choice."""
    user = cast.east.training_admin
    factories.grant(user, RoleGrant.Role.BUREAU_OFFICIAL, jurisdiction=cast.west.jurisdiction)
    return user


# --- the service ---------------------------------------------------------------------


def test_service_refuses_a_jurisdiction_outside_the_owners_reach(cast: Cast) -> None:
    for actor in (cast.east.training_admin, None):
        with pytest.raises(ValidationError) as refused:
            _share(cast, actor, cast.west.jurisdiction, code="pushed", name="推送题库", purpose=Bank.Purpose.PRACTICE)
        assert list(refused.value.message_dict) == ["shared_with"]
        assert cast.west.jurisdiction.name in refused.value.message_dict["shared_with"][0]
    assert not Bank.objects.filter(code="pushed").exists()
    # Inside the reach: the provider's district and a street below it.
    for code, where in (("ok-root", cast.east.jurisdiction), ("ok-street", cast.east.street)):
        _share(cast, cast.east.training_admin, where, code=code, name=code)
    assert Bank.objects.filter(code__startswith="ok-").count() == 2


def test_service_refuses_an_owner_the_actor_does_not_administer(cast: Cast) -> None:
    for owner in (cast.west.provider, None):
        with pytest.raises(ValidationError) as refused:
            services.bank_create(actor=cast.east.training_admin, code="theirs", name="x", owner=owner)
        assert list(refused.value.message_dict) == ["owner"]
    assert not Bank.objects.filter(code="theirs").exists()


def test_platform_admins_may_share_anywhere(cast: Cast) -> None:
    bank = _share(cast, cast.platform_admin, cast.west.jurisdiction, code="platform-push", name="平台推送")
    assert bank.shared_with == cast.west.jurisdiction
    assert set(selectors.sharing_jurisdictions_for(cast.platform_admin)) >= {
        cast.east.jurisdiction,
        cast.west.jurisdiction,
    }


def test_the_web_form_offers_what_the_service_allows(cast: Cast, two_hat_trainer: Any) -> None:
    offered = set(selectors.sharing_jurisdictions_for(two_hat_trainer))
    assert offered == {cast.east.jurisdiction, cast.east.street}
    assert set(selectors.bank_owner_choices(two_hat_trainer)) == {cast.east.provider}


def test_service_update_checks_owner_and_sharing_changes(cast: Cast) -> None:
    bank = _east_bank(cast)
    for change in (
        {"shared_with": cast.west.jurisdiction},
        {"owner": cast.west.provider},
    ):
        with pytest.raises(ValidationError) as refused:
            services.bank_update(actor=cast.east.training_admin, bank=bank, data={"name": "改名", **change})
        assert list(refused.value.message_dict) == list(change)
    bank.refresh_from_db()
    assert (bank.name, bank.owner, bank.shared_with) == ("东区题库", cast.east.provider, cast.east.jurisdiction)


# --- the web form --------------------------------------------------------------------


def test_web_form_refuses_another_district(cast: Cast, two_hat_trainer: Any) -> None:
    client = login_client(two_hat_trainer)
    url = reverse("question_bank:bank_create")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert cast.west.jurisdiction.name not in page
    assert "仅限考试" in page  # the purpose choice, in Chinese
    assert "练习与考试" in page
    response = client.post(
        url,
        {
            "code": "pushed-web",
            "name": "推送题库",
            "owner": cast.east.provider.pk,
            "visibility": "shared",
            "shared_with": cast.west.jurisdiction.pk,
            "purpose": "practice",
        },
    )
    assert response.status_code == 200
    assert "shared_with" in response.context["form"].errors
    assert not Bank.objects.filter(code="pushed-web").exists()


# --- the API -------------------------------------------------------------------------


def test_api_post_refuses_another_districts_code(cast: Cast) -> None:
    payload = {
        "code": "pushed-api",
        "name": "推送题库",
        "owner": cast.east.provider.code,
        "visibility": "shared",
        "shared_with": cast.west.jurisdiction.code,
        "purpose": "practice",
    }
    response = api(cast.east.training_admin, "zh-hans").post("/api/v1/question-banks/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert "只能共享给" in response.json()["errors"]["shared_with"][0]
    assert not Bank.objects.filter(code="pushed-api").exists()
    # So the west learner has nothing pushed into their practice.
    west = api(cast.west.learner.user)
    assert west.get("/api/v1/practice/banks/").json()["count"] == 0
    assert (
        "推送题库"
        not in login_client(cast.west.learner.user).get(reverse("question_bank:practice_home")).content.decode()
    )


def test_api_post_refuses_an_out_of_reach_owner(cast: Cast) -> None:
    for owner in (cast.west.provider.code, None):
        response = api(cast.east.training_admin).post(
            "/api/v1/question-banks/", {"code": "theirs-api", "name": "x", "owner": owner}, format="json"
        )
        assert response.status_code == 400
        assert "owner" in response.json()["errors"]
    assert not Bank.objects.filter(code="theirs-api").exists()


def test_api_patch_is_checked_the_same_way(cast: Cast) -> None:
    bank = _east_bank(cast)
    client = api(cast.east.training_admin)
    url = f"/api/v1/question-banks/{bank.pk}/"
    pushed = client.patch(url, {"shared_with": cast.west.jurisdiction.code, "name": "改名"}, format="json")
    assert pushed.status_code == 400
    assert "shared_with" in pushed.json()["errors"]
    given_away = client.patch(url, {"owner": cast.west.provider.code}, format="json")
    assert given_away.status_code == 400
    assert "owner" in given_away.json()["errors"]
    bank.refresh_from_db()
    assert (bank.name, bank.owner, bank.shared_with) == ("东区题库", cast.east.provider, cast.east.jurisdiction)
    # A change inside the reach goes through.
    moved = client.patch(url, {"shared_with": cast.east.street.code}, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["shared_with"] == cast.east.street.code


def test_api_patch_of_visibility_rechecks_an_old_out_of_reach_sharing(cast: Cast) -> None:
    """A private bank a platform admin once pointed at the west district: its own admin
    may rename it, but making it shared (and so practised in the west) is refused."""
    west = cast.west.jurisdiction
    bank = _share(cast, cast.platform_admin, west, code="old-row", name="旧题库", visibility=Bank.Visibility.PRIVATE)
    client = api(cast.east.training_admin)
    url = f"/api/v1/question-banks/{bank.pk}/"
    assert client.patch(url, {"name": "新名字"}, format="json").status_code == 200
    opened = client.patch(url, {"visibility": "shared"}, format="json")
    assert opened.status_code == 400
    assert "shared_with" in opened.json()["errors"]
    bank.refresh_from_db()
    assert bank.visibility == Bank.Visibility.PRIVATE


# --- the Django admin ----------------------------------------------------------------


@pytest.fixture
def staff_trainer(cast: Cast, two_hat_trainer: Any) -> Any:
    return make_staff(two_hat_trainer, "add_bank", "change_bank", "view_bank", apps=["question_bank"])


def test_admin_add_form_refuses_another_district(cast: Cast, staff_trainer: Any) -> None:
    client = login_client(staff_trainer)
    form = {
        "code": "pushed-admin",
        "name": "推送题库",
        "owner": cast.east.provider.pk,
        "purpose": "practice",
        "visibility": "shared",
        "shared_with": cast.west.jurisdiction.pk,
    }
    response = client.post("/admin/question_bank/bank/add/", form)
    assert response.status_code == 200
    assert "shared_with" in response.context["adminform"].form.errors
    assert not Bank.objects.filter(code="pushed-admin").exists()
    refused_owner = client.post(
        "/admin/question_bank/bank/add/", {**form, "owner": cast.west.provider.pk, "shared_with": ""}
    )
    assert "owner" in refused_owner.context["adminform"].form.errors
    assert not Bank.objects.filter(code="pushed-admin").exists()
    # Inside the reach the admin saves through the service.
    saved = client.post("/admin/question_bank/bank/add/", {**form, "shared_with": cast.east.street.pk})
    assert saved.status_code == 302
    assert Bank.objects.get(code="pushed-admin").shared_with == cast.east.street


def test_admin_change_form_refuses_pushing_an_existing_bank(cast: Cast, staff_trainer: Any) -> None:
    bank = _east_bank(cast)
    west_bank = services.bank_create(actor=None, code="west-bank", name="西区题库", owner=cast.west.provider)
    client = login_client(staff_trainer)
    response = client.post(
        f"/admin/question_bank/bank/{bank.pk}/change/",
        {
            "code": bank.code,
            "name": bank.name,
            "owner": cast.east.provider.pk,
            "purpose": "practice",
            "visibility": "shared",
            "shared_with": cast.west.jurisdiction.pk,
        },
    )
    assert response.status_code == 200
    bank.refresh_from_db()
    assert bank.shared_with == cast.east.jurisdiction
    # The admin lists only the banks the user manages.
    listing = client.get("/admin/question_bank/bank/").content.decode()
    assert bank.code in listing
    assert west_bank.code not in listing
    assert client.get(f"/admin/question_bank/bank/{west_bank.pk}/change/").status_code in (302, 404)


# --- the import command --------------------------------------------------------------


def test_import_command_creates_banks_through_the_service(cast: Cast, tmp_path: Any) -> None:
    path = tmp_path / "bank.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    call_command("import_questions", str(path), "--bank", "cmd", "--create-bank", "命令题库", "--owner", "east-center")
    bank = Bank.objects.get(code="cmd")
    assert (bank.owner, bank.visibility, bank.shared_with, bank.purpose) == (
        cast.east.provider,
        Bank.Visibility.PRIVATE,
        None,
        Bank.Purpose.EXAM_ONLY,
    )
    with pytest.raises(CommandError):
        call_command("import_questions", str(path), "--bank", "x", "--create-bank", "x", "--owner", "nobody")


def test_the_admin_question_list_shows_answer_keys_only_of_banks_one_may_browse(cast: Cast) -> None:
    """The admin is a door too: a staff training admin with the view permission reads the answer
    keys of their own provider's questions, never another provider's."""
    stems = {}
    for side in (cast.east, cast.west):
        bank = services.bank_create(
            actor=None, code=f"admin-{side.provider.code}", name="后台题库", owner=side.provider
        )
        stems[side.provider.code] = f"{side.provider.code} 的题目：灭火器压力表指针应在哪个区域？"
        services.question_create(
            bank=bank,
            values={
                "type": "单选题",
                "stem": stems[side.provider.code],
                "option_a": "绿区",
                "option_b": "红区",
                "answer": "A",
            },
        )
    user = make_staff(cast.east.training_admin, "view_question", "view_bank", apps=["question_bank"])
    client = login_client(user)
    listing = client.get("/admin/question_bank/question/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert stems[cast.east.provider.code] in html
    assert stems[cast.west.provider.code] not in html
    west = Question.objects.get(stem=stems[cast.west.provider.code])
    # Django's admin answers an object outside the queryset with a redirect to the index, not the object.
    other = client.get(f"/admin/question_bank/question/{west.pk}/change/")
    assert other.status_code == 302
    assert stems[cast.west.provider.code] not in client.get(other["Location"], follow=True).content.decode()
