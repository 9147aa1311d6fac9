"""The public certificate lookup (证书查询): the service, and its two doors (the page and the API) under the same rules."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from core.ratelimit import window_hit
from exams.models import Attempt, Certificate, CertificateType
from exams.services.attempts import attempt_save_answer, attempt_start, attempt_submit
from exams.services.certificate_lookup import CertificateNotFound, TooManyLookups, certificate_lookup, mask_name
from exams.services.certificates import certificate_revoke
from tests.conftest import login_client
from tests.exams.certificate_data import held
from tests.exams.certificate_data import imported as imported_certificate
from tests.exams.conftest import correct_answer, make_bank, make_paper, make_session
from tests.support.clock import clear_of_window_end

pytestmark = pytest.mark.django_db

PAGE = "/exams/certificates/lookup/"
API = "/api/v1/certificates/verify/"


@pytest.fixture
def world(cast: Any) -> dict[str, Any]:
    """The east learner, called 张小三, with a valid, an expired, a revoked and an imported certificate."""
    person = cast.east.learner
    person.name = "张小三"
    person.save(update_fields=["name"])
    provider = cast.east.provider
    valid = held(person, CertificateType.NEW_EMPLOYEE, issued_ago=30, left=1000, provider=provider)
    expired = held(person, CertificateType.SAFETY_MANAGER, issued_ago=1200, left=-1, provider=provider)
    revoked = held(person, CertificateType.PRINCIPAL, issued_ago=100, left=900, provider=provider)
    certificate_revoke(certificate=revoked, reason="考核材料不实")
    imported = imported_certificate(person, issuer="某省应急管理厅", operation="低压电工作业")
    return {"person": person, "valid": valid, "expired": expired, "revoked": revoked, "imported": imported}


# --- the service ---------------------------------------------------------------------


def test_mask_name_keeps_the_first_and_last_character() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("张小三") == "张*三"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_name("买买提·艾力") == "买****力"
    assert mask_name("王") == "*"


def test_number_and_name_give_the_certificate_with_nothing_private(cast: Any, world: dict[str, Any]) -> None:
    valid = world["valid"]
    found = certificate_lookup(number=valid.number, name="张小三", client="203.0.113.5")
    assert found.number == valid.number
    assert found.state == "valid"
    assert found.holder == "张*三"
    assert found.issuer == cast.east.provider.name
    assert (found.issued_on, found.valid_until) == (valid.issued_on, valid.valid_until)
    shown = " ".join(str(value) for value in vars(found).values())
    for private in (world["person"].id_number, valid.masked_id_number, valid.enterprise_name, "张小三"):
        assert private not in shown


def test_the_name_matches_as_people_type_it(world: dict[str, Any]) -> None:
    number = world["valid"].number
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    for typed_number, typed_name in ((number.lower(), " 张 小三 "), (f" {number} ", "张小三"), (full_width, "张小三")):
        assert certificate_lookup(number=typed_number, name=typed_name, client="203.0.113.5").number == number
    person = world["person"]
    person.name = "买买提·艾力"
    person.save(update_fields=["name"])
    dotted = held(person, CertificateType.NEW_EMPLOYEE, issued_ago=0, left=10)
    for typed in ("买买提•艾力", "买买提．艾力", "买买提.艾力"):
        assert certificate_lookup(number=dotted.number, name=typed, client="203.0.113.5").holder == "买****力"


def test_a_wrong_name_and_an_unknown_number_get_the_same_answer(world: dict[str, Any]) -> None:
    with pytest.raises(CertificateNotFound) as wrong_name:
        certificate_lookup(number=world["valid"].number, name="李四", client="203.0.113.5")
    with pytest.raises(CertificateNotFound) as unknown:
        certificate_lookup(number="NO-SUCH-NUMBER", name="张小三", client="203.0.113.5")
    with pytest.raises(CertificateNotFound):
        certificate_lookup(number=world["valid"].number, name="张", client="203.0.113.5")
    assert wrong_name.value.message == unknown.value.message
    assert wrong_name.value.status == 404


def test_expired_revoked_and_imported_certificates(world: dict[str, Any]) -> None:
    def state(key: str) -> str:
        return certificate_lookup(number=world[key].number, name="张小三", client="203.0.113.5").state

    assert state("expired") == "expired"
    assert state("revoked") == "revoked"
    imported = certificate_lookup(number=world["imported"].number, name="张小三", client="203.0.113.5")
    assert imported.state == "valid"
    assert imported.issuer == "某省应急管理厅"
    assert imported.operation_category == "低压电工作业"
    # The state on the day asked: the valid one is expired the day after its last day.
    after = world["valid"].valid_until + dt.timedelta(days=1)
    assert certificate_lookup(number=world["valid"].number, name="张小三", client="x", today=after).state == "expired"


def test_a_certificate_issued_by_passing_an_exam_is_found(cast: Any) -> None:
    provider = cast.east.provider
    session = make_session(
        provider,
        make_paper(provider, make_bank(provider)),
        certificate_type=CertificateType.PRINCIPAL,
        pass_score=Decimal("10"),
    )
    person = cast.east.learner
    attempt = attempt_start(notice_confirmed=True, session=session, person=person)
    for aq in attempt.questions.all():
        attempt_save_answer(attempt=attempt, question_id=aq.pk, answer=correct_answer(aq), client_seq=1)
    attempt = attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.EXAMINEE).attempt
    certificate = Certificate.objects.get(attempt=attempt)
    found = certificate_lookup(number=certificate.number, name=person.name, client="203.0.113.5")
    assert (found.state, found.issuer) == ("valid", provider.name)


def test_lookups_are_limited_per_address_found_or_not(settings: Any, world: dict[str, Any]) -> None:
    settings.EXAMS_CERTIFICATE_LOOKUPS_PER_MINUTE = 3
    minute = 1_800_000_000 // 60 * 60  # the start of a window
    number = world["valid"].number
    certificate_lookup(number=number, name="张小三", client="198.51.100.7", now=minute + 1)
    for _ in range(2):
        with pytest.raises(CertificateNotFound):
            certificate_lookup(number=number, name="李四", client="198.51.100.7", now=minute + 2)
    with pytest.raises(TooManyLookups) as refused:
        certificate_lookup(number=number, name="张小三", client="198.51.100.7", now=minute + 20)
    assert refused.value.status == 429
    assert refused.value.details["retry_after"] == 40
    # Another address is not held back, and the next minute starts afresh.
    assert certificate_lookup(number=number, name="张小三", client="198.51.100.8", now=minute + 20).state == "valid"
    assert certificate_lookup(number=number, name="张小三", client="198.51.100.7", now=minute + 60).state == "valid"


def test_the_window_counter_counts_every_hit() -> None:
    assert [window_hit("t:k", limit=2, period=10, now=100.0) for _ in range(4)] == [0, 0, 10, 10]
    assert window_hit("t:k", limit=2, period=10, now=109.5) == 1
    assert window_hit("t:k", limit=2, period=10, now=110.0) == 0


# --- the two doors ---------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    state: str | None  # valid / expired / revoked when found
    code: str | None  # the refusal's code
    body: str
    headers: Any


def _page(client: Client, number: str, name: str) -> Answer:
    response = client.post(PAGE, {"number": number, "name": name}, REMOTE_ADDR="192.0.2.10")
    body = response.content.decode()
    state = re.search(r'data-lookup-result data-state="(\w+)"', body)
    code = re.search(r'data-refusal="(\w+)"', body)
    return Answer(response.status_code, state and state.group(1), code and code.group(1), body, response)


def _api(client: Client, number: str, name: str) -> Answer:
    response = client.get(API, {"number": number, "name": name}, REMOTE_ADDR="192.0.2.10")
    data = response.json()
    return Answer(response.status_code, data.get("state"), data.get("code"), response.content.decode(), response)


DOORS: dict[str, Callable[[Client, str, str], Answer]] = {"page": _page, "api": _api}


@pytest.fixture(params=list(DOORS))
def door(request: pytest.FixtureRequest) -> Callable[[str, str], Answer]:
    client = Client()  # anonymous: both doors are public
    return lambda number, name: DOORS[request.param](client, number, name)


def test_each_door_answers_the_state_and_nothing_private(door: Callable[..., Answer], world: dict[str, Any]) -> None:
    for key, state in (("valid", "valid"), ("expired", "expired"), ("revoked", "revoked"), ("imported", "valid")):
        answer = door(world[key].number, "张小三")
        assert (answer.status, answer.state) == (200, state), key
        assert "张*三" in answer.body
        for private in ("张小三", world["person"].id_number, world[key].masked_id_number, world[key].enterprise_name):
            assert private not in answer.body
    assert "某省应急管理厅" in door(world["imported"].number, "张小三").body


def test_each_door_refuses_a_wrong_name(door: Callable[..., Answer], world: dict[str, Any]) -> None:
    for number, name in ((world["valid"].number, "李四"), ("NO-SUCH-NUMBER", "张小三")):
        answer = door(number, name)
        assert answer.state is None
        assert answer.code == "certificate_not_found"
        assert world["valid"].number not in answer.body.replace(f'value="{world["valid"].number}"', "")


def test_each_door_is_rate_limited(settings: Any, door: Callable[..., Answer], world: dict[str, Any]) -> None:
    settings.EXAMS_CERTIFICATE_LOOKUPS_PER_MINUTE = 2
    clear_of_window_end()  # the limit counts per clock minute
    assert door(world["valid"].number, "李四").code == "certificate_not_found"
    assert door(world["valid"].number, "张小三").state == "valid"
    refused = door(world["valid"].number, "张小三")
    assert refused.status == 429
    assert refused.code == "too_many_lookups"
    assert refused.state is None
    assert int(refused.headers["Retry-After"]) in range(1, 61)


def test_the_page_and_the_api_share_one_count(settings: Any, world: dict[str, Any]) -> None:
    settings.EXAMS_CERTIFICATE_LOOKUPS_PER_MINUTE = 2
    clear_of_window_end()  # the limit counts per clock minute
    client = Client()
    assert _page(client, world["valid"].number, "张小三").state == "valid"
    assert _api(client, world["valid"].number, "张小三").state == "valid"
    assert _page(client, world["valid"].number, "张小三").status == 429
    assert _api(client, world["valid"].number, "张小三").status == 429


def test_the_page_speaks_chinese(world: dict[str, Any]) -> None:
    client = Client()
    form = client.get(PAGE)
    assert form.status_code == 200
    assert "证书查询" in form.content.decode()
    assert "持证人姓名" in form.content.decode()
    found = _page(client, world["imported"].number, "张小三")
    for text in ("有效", "特种作业操作证", "低压电工作业", "某省应急管理厅", world["imported"].valid_until.isoformat()):
        assert text in found.body, text
    assert "未查到编号与持证人姓名同时相符的证书" in _page(client, "NO-SUCH-NUMBER", "张小三").body


def test_the_page_says_in_chinese_when_the_limit_is_reached(settings: Any, world: dict[str, Any]) -> None:
    settings.EXAMS_CERTIFICATE_LOOKUPS_PER_MINUTE = 1
    client = Client()
    _page(client, world["valid"].number, "张小三")
    refused = _page(client, world["valid"].number, "张小三")
    assert refused.status == 429
    assert "证书查询过于频繁：每分钟最多 1 次" in refused.body


def test_the_page_prefills_the_number_and_is_not_indexed(world: dict[str, Any]) -> None:
    response = Client().get(PAGE, {"number": world["valid"].number})
    assert f'value="{world["valid"].number}"' in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-store" in response["Cache-Control"]


def test_an_incomplete_form_is_not_counted(settings: Any, world: dict[str, Any]) -> None:
    settings.EXAMS_CERTIFICATE_LOOKUPS_PER_MINUTE = 1
    client = Client()
    empty = client.post(PAGE, {"number": world["valid"].number, "name": ""}, REMOTE_ADDR="192.0.2.10")
    assert empty.status_code == 200
    assert "data-lookup-result" not in empty.content.decode()
    assert _page(client, world["valid"].number, "张小三").state == "valid"


def test_the_api_door_validates_and_ignores_credentials(world: dict[str, Any]) -> None:
    client = Client()
    missing = client.get(API, {"number": world["valid"].number})
    assert missing.status_code == 400
    assert "name" in missing.json()["errors"]
    too_long = client.get(API, {"number": "X" * 33, "name": "张小三"})
    assert too_long.status_code == 400
    stale_token = client.get(
        API, {"number": world["valid"].number, "name": "张小三"}, HTTP_AUTHORIZATION="Token not-a-real-token"
    )
    assert stale_token.status_code == 200
    data = stale_token.json()
    assert data["holder"] == "张*三"
    assert data["cert_type"] == CertificateType.NEW_EMPLOYEE
    assert set(data) == {
        "number",
        "holder",
        "cert_type",
        "cert_type_label",
        "operation_category",
        "issuer",
        "issued_on",
        "valid_until",
        "state",
        "state_label",
    }


def test_the_api_door_is_in_the_openapi_schema(cast: Any) -> None:
    # The schema is for signed-in readers (the door itself is public).
    schema = login_client(cast.east.learner.user).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/certificates/verify/"]["get"]
    assert operation["operationId"] == "certificate_verify"
    assert {p["name"] for p in operation["parameters"]} == {"number", "name"}
    assert {"200", "404", "429"} <= set(operation["responses"])
    assert operation.get("security") in ([], [{}])


def test_the_login_page_links_the_lookup(db: None) -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert f'href="{PAGE}"' in page
    assert "证书查询" in page


def test_a_typed_verification_address_points_to_the_lookup_whether_the_number_exists_or_not(
    world: dict[str, Any],
) -> None:
    client = Client()
    number = world["valid"].number
    real = client.get(f"/exams/verify/{number}/")
    made_up = client.get("/exams/verify/AQ2026NOSUCH/")
    assert real.status_code == made_up.status_code == 404
    assert f'href="{PAGE}?number={number}"' in real.content.decode()
    assert f'href="{PAGE}?number=AQ2026NOSUCH"' in made_up.content.decode()

    # Nothing tells the two apart but the number typed: no enumeration by address either.
    def shown(response: Any, typed: str) -> str:
        page = response.content.decode().replace(typed, "N")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)  # the language form's token

    assert shown(real, number) == shown(made_up, "AQ2026NOSUCH")
    assert "data-verify " not in real.content.decode()
    assert world["valid"].enterprise_name not in real.content.decode()
