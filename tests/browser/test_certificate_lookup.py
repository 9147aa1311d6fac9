"""证书查询 and 我的证书 on a phone (390×844), against the demo data of a real server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import SCREENSHOTS, login

pytestmark = pytest.mark.browser

# The demo's certificates (demo/analytics.py writes platform and imported ones, some revoked), read
# from the server's database; the principal passed the demo's past exam (demo/exams.py).
PICK = """
import json
from django.utils import timezone
from exams.models import Certificate
today = timezone.localdate()
def pick(**q):
    c = Certificate.objects.filter(**q).order_by("number").first()
    return {"number": c.number, "name": c.holder_name, "valid_until": c.valid_until.isoformat()}
print(json.dumps({
    "valid": pick(status="valid", imported=False, valid_until__gte=today),
    "imported": pick(status="valid", imported=True, valid_until__gte=today, cert_type="special_operator"),
    "revoked": pick(status="revoked"),
    "principal": Certificate.objects.filter(holder__user__username="demo_principal").count(),
}))
"""


@pytest.fixture(scope="module")
def demo_certificates(live_server_url: str, run_manage: Callable[..., Any]) -> dict[str, Any]:
    return json.loads(run_manage("shell", "-c", PICK).stdout.strip().splitlines()[-1])


def _look_up(page: Any, number: str, name: str) -> None:
    page.fill("#id_number", number)
    page.fill("#id_name", name)
    page.click("[data-lookup-form] button[type=submit]")
    page.wait_for_load_state()


def _masked(name: str) -> str:
    return name[0] + "*" if len(name) == 2 else name[0] + "*" * (len(name) - 2) + name[-1]


def test_anyone_looks_up_a_certificate_by_number_and_name(
    page: Any, live_server_url: str, demo_certificates: dict[str, Any]
) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server_url}/accounts/login/")
    page.click("[data-certificate-lookup]")  # from the sign-in page, no account needed
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/exams/certificates/lookup/"
    assert page.locator("h1").inner_text().strip() == "证书查询"

    valid = demo_certificates["valid"]
    _look_up(page, valid["number"], valid["name"])
    result = page.locator("[data-lookup-result]")
    assert result.get_attribute("data-state") == "valid"
    assert page.locator("[data-state-label]").inner_text().strip() == "有效"
    assert page.locator("[data-holder]").inner_text().strip() == _masked(valid["name"])
    assert valid["valid_until"] in result.inner_text()
    assert valid["name"] not in page.content()  # the full name is not shown back
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "certificate-lookup-valid-phone.png"), full_page=True)

    imported = demo_certificates["imported"]
    _look_up(page, imported["number"], f" {imported['name']} ")  # spaces as typed on a phone
    assert page.locator("[data-lookup-result]").get_attribute("data-state") == "valid"
    assert "特种作业操作证" in page.locator("[data-lookup-result]").inner_text()

    revoked = demo_certificates["revoked"]
    _look_up(page, revoked["number"], revoked["name"])
    assert page.locator("[data-state-label]").inner_text().strip() == "已撤销"
    page.screenshot(path=str(SCREENSHOTS / "certificate-lookup-revoked-phone.png"), full_page=True)

    _look_up(page, valid["number"], "无此人")
    assert page.locator("[data-lookup-result]").count() == 0
    refusal = page.locator("[data-refusal]")
    assert refusal.get_attribute("data-refusal") == "certificate_not_found"
    assert "未查到" in refusal.inner_text()
    assert page.locator("#id_number").input_value() == valid["number"]  # kept, to correct a typo
    page.screenshot(path=str(SCREENSHOTS / "certificate-lookup-not-found-phone.png"), full_page=True)
    assert errors == []


def test_a_learner_shares_a_certificate_from_my_certificates(
    new_page: Callable[..., Any], live_server_url: str, demo_certificates: dict[str, Any]
) -> None:
    if not demo_certificates["principal"]:
        pytest.skip("the demo principal holds no certificate")
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server_url)
    login(page, live_server_url, "demo_principal")
    page.click("[data-menu-toggle]")
    page.get_by_role("link", name="我的证书").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/exams/certificates/"
    card = page.locator("[data-certificate]").first
    assert card.locator("[data-download]").get_attribute("href").endswith("/pdf/")
    card.locator("summary").click()
    assert card.locator("[data-qr] svg").is_visible()
    link = card.locator("[data-share-link]").input_value()
    # Headless Chromium on Linux has no share sheet: the button copies the link instead.
    card.locator("[data-share]").click()
    page.wait_for_function("() => document.querySelector('[data-share-status]').textContent.length > 0")
    assert card.locator("[data-share-status]").inner_text().strip() == "链接已复制"
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "my-certificates-phone.png"), full_page=True)
    # The shared link opens the public verification page, signed in or not.
    anonymous = new_page()
    anonymous.goto(link)
    assert anonymous.locator("[data-verify]").get_attribute("data-state") in {"valid", "expired", "revoked"}
