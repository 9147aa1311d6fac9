"""Password reset by phone (手机号找回密码), on the web page and on the token API.

Messages go through the real locmem SMS backend (``accounts.sms.outbox``), as
Django's tests read mail from ``mail.outbox``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts import sms
from accounts.models import User
from tests import factories
from tests.support.clock import clear_of_window_end

PHONE = "13912345678"
NEW_PASSWORD = "Anquan-Peixun-2026"
API_CODE = "/api/v1/auth/password-reset/phone/"
API_RESET = "/api/v1/auth/password-reset/phone/confirm/"


@pytest.fixture(autouse=True)
def outbox(settings: Any) -> Iterator[list[sms.Message]]:
    settings.SMS_BACKEND = "accounts.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def worker(db: None) -> User:
    return factories.make_user("worker_reset", phone=PHONE, display_name="王师傅")


def _code(outbox: list[sms.Message]) -> str:
    assert len(outbox) == 1
    match = re.search(r"\b(\d{6})\b", outbox[0].text)
    assert match, outbox[0].text
    return match.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _can_sign_in(password: str) -> bool:
    """Through the login page, with the phone number, as the worker signs in."""
    response = Client().post("/accounts/login/", {"login": PHONE, "password": password})
    return response.status_code == 302


# --- the web page ------------------------------------------------------------------


def test_a_worker_resets_the_password_by_phone_from_the_login_page(worker: User, outbox: list[sms.Message]) -> None:
    client = Client()
    login = client.get("/accounts/login/").content.decode()
    assert "忘记密码？" in login
    assert "用手机号找回" in login
    assert 'href="/accounts/password/reset/phone/"' in login

    page = client.get("/accounts/password/reset/phone/")
    assert "手机号找回密码" in page.content.decode()
    sent = client.post("/accounts/password/reset/phone/", {"phone": "139 1234 5678"})
    assert sent.status_code == 302
    assert sent["Location"] == "/accounts/password/reset/phone/code/"
    assert outbox[0].phone == PHONE
    code = _code(outbox)
    assert "验证码" in outbox[0].text

    confirm = client.get(sent["Location"]).content.decode()
    assert "5678" in confirm
    assert PHONE not in confirm

    done = client.post(sent["Location"], {"code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/login/"
    assert "密码已重置" in client.get(done["Location"]).content.decode()
    assert _can_sign_in(NEW_PASSWORD)
    assert not _can_sign_in(factories.PASSWORD)

    # The code is spent: the same code again is refused and changes nothing.
    again = Client()
    session = again.session
    session["accounts:phone_reset_phone"] = PHONE
    session.save()
    reused = again.post(
        "/accounts/password/reset/phone/code/",
        {"code": code, "password1": "Other-Pass-9876", "password2": "Other-Pass-9876"},
    )
    assert reused.status_code == 400
    assert "验证码不正确或已过期" in reused.content.decode()
    assert _can_sign_in(NEW_PASSWORD)


def test_a_number_without_an_account_gets_the_same_answer_and_no_message(db: None, outbox: list[sms.Message]) -> None:
    response = Client().post("/accounts/password/reset/phone/", {"phone": "13700000001"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/phone/code/"
    assert outbox == []


def test_a_deactivated_account_gets_no_code(worker: User, outbox: list[sms.Message]) -> None:
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert Client().post("/accounts/password/reset/phone/", {"phone": PHONE}).status_code == 302
    assert outbox == []


def test_a_malformed_number_is_named(db: None, outbox: list[sms.Message]) -> None:
    response = Client().post("/accounts/password/reset/phone/", {"phone": "12345"})
    assert response.status_code == 400
    assert "11 位" in response.content.decode()
    assert outbox == []


def test_mismatched_or_weak_passwords_are_refused_and_the_code_stays_valid(
    worker: User, outbox: list[sms.Message]
) -> None:
    client = Client()
    client.post("/accounts/password/reset/phone/", {"phone": PHONE})
    code = _code(outbox)
    differ = client.post(
        "/accounts/password/reset/phone/code/",
        {"code": code, "password1": NEW_PASSWORD, "password2": "x" + NEW_PASSWORD},
    )
    assert differ.status_code == 400
    assert "两次输入的密码不一致" in differ.content.decode()
    weak = client.post("/accounts/password/reset/phone/code/", {"code": code, "password1": "123", "password2": "123"})
    assert weak.status_code == 400
    assert not _can_sign_in("123")
    done = client.post(
        "/accounts/password/reset/phone/code/", {"code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert _can_sign_in(NEW_PASSWORD)


def test_five_wrong_codes_spend_the_code(worker: User, outbox: list[sms.Message]) -> None:
    client = Client()
    client.post("/accounts/password/reset/phone/", {"phone": PHONE})
    code = _code(outbox)
    for _ in range(5):
        wrong = client.post(
            "/accounts/password/reset/phone/code/",
            {"code": _wrong(code), "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert wrong.status_code == 400
    right = client.post(
        "/accounts/password/reset/phone/code/", {"code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert right.status_code in (400, 429)
    assert not _can_sign_in(NEW_PASSWORD)
    assert _can_sign_in(factories.PASSWORD)


def test_one_code_a_minute_per_number(worker: User, outbox: list[sms.Message]) -> None:
    clear_of_window_end()  # the limit counts per clock minute
    assert Client().post("/accounts/password/reset/phone/", {"phone": PHONE}).status_code == 302
    second = Client().post("/accounts/password/reset/phone/", {"phone": PHONE})
    assert second.status_code == 429
    assert "秒后再试" in second.content.decode()
    assert len(outbox) == 1


def test_without_an_sms_gateway_the_page_says_so(worker: User, settings: Any, outbox: list[sms.Message]) -> None:
    settings.SMS_BACKEND = "accounts.sms.DisabledBackend"
    page = Client().get("/accounts/password/reset/phone/").content.decode()
    assert "未开通短信" in page
    refused = Client().post(API_CODE, {"phone": PHONE}, content_type="application/json")
    assert refused.status_code == 503
    assert refused.json()["code"] == "sms_unavailable"
    assert outbox == []


def test_the_code_never_reaches_a_log(worker: User, outbox: list[sms.Message], caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.post("/accounts/password/reset/phone/", {"phone": PHONE})
    code = _code(outbox)
    client.post("/accounts/password/reset/phone/code/", {"code": _wrong(code), "password1": "a", "password2": "a"})
    client.post(
        "/accounts/password/reset/phone/code/", {"code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert code not in logged
    assert PHONE not in logged


def test_the_demo_console_backend_prints_the_message(worker: User, settings: Any, capsys: Any) -> None:
    settings.SMS_BACKEND = "accounts.sms.ConsoleBackend"
    Client().post("/accounts/password/reset/phone/", {"phone": PHONE})
    printed = capsys.readouterr().out
    assert PHONE in printed
    assert re.search(r"验证码.*\d{6}", printed)


# --- the token API -------------------------------------------------------------------


def _api(url: str, **data: str) -> Any:
    return Client().post(url, data, content_type="application/json")


def test_the_api_resets_the_password_and_ends_the_old_tokens(worker: User, outbox: list[sms.Message]) -> None:
    token = Token.objects.create(user=worker)
    sent = _api(API_CODE, phone=PHONE)
    assert sent.status_code == 202
    code = _code(outbox)
    done = _api(API_RESET, phone=PHONE, code=code, new_password=NEW_PASSWORD)
    assert done.status_code == 200, done.json()
    assert _can_sign_in(NEW_PASSWORD)
    assert not Token.objects.filter(key=token.key).exists()
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401


def test_api_refusals_name_the_field(worker: User, outbox: list[sms.Message]) -> None:
    clear_of_window_end()  # its second code request is refused by the per-minute limit
    bad_phone = _api(API_CODE, phone="abc")
    assert bad_phone.status_code == 400
    assert "phone" in bad_phone.json()["errors"]
    assert _api(API_CODE, phone=PHONE).status_code == 202
    code = _code(outbox)
    wrong = _api(API_RESET, phone=PHONE, code=_wrong(code), new_password=NEW_PASSWORD)
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "code_invalid"
    assert "code" in wrong.json()["errors"]
    weak = _api(API_RESET, phone=PHONE, code=code, new_password="123")
    assert weak.status_code == 400
    assert weak.json()["code"] == "password_invalid"
    assert "new_password" in weak.json()["errors"]
    missing = _api(API_RESET, phone=PHONE)
    assert missing.status_code == 400
    assert {"code", "new_password"} <= set(missing.json()["errors"])
    again = _api(API_CODE, phone=PHONE)
    assert again.status_code == 429
    assert int(again["Retry-After"]) > 0
    assert again.json()["code"] == "rate_limited"


def test_wrong_codes_count_like_failed_sign_ins(worker: User, outbox: list[sms.Message], settings: Any) -> None:
    """LOGIN_FAILED_RATE_LIMIT (5 per 5 minutes per key) holds for codes as for passwords."""
    settings.PHONE_RESET_CODE_MINUTES = 10
    assert _api(API_CODE, phone=PHONE).status_code == 202
    code = _code(outbox)
    for _ in range(5):
        assert _api(API_RESET, phone=PHONE, code=_wrong(code), new_password=NEW_PASSWORD).status_code == 400
    refused = _api(API_RESET, phone=PHONE, code=code, new_password=NEW_PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert not _can_sign_in(NEW_PASSWORD)


def test_the_reset_pages_read_in_chinese(worker: User, outbox: list[sms.Message]) -> None:
    from tests.core.test_zh_pages import latin_words, visible_text

    client = Client()
    pages = [client.get("/accounts/login/"), client.get("/accounts/password/reset/phone/")]
    pages.append(client.post("/accounts/password/reset/phone/", {"phone": PHONE}, follow=True))
    pages.append(
        client.post("/accounts/password/reset/phone/code/", {"code": "12", "password1": "a", "password2": "b"})
    )
    for page in pages:
        assert latin_words(visible_text(page.content.decode()), set()) == set(), page.request["PATH_INFO"]
