"""Every ``next`` the site takes stays on the site.

The views that take ``next``:

- ``/proctoring/face/`` (GET renders a 继续 link and a hidden field; POST consent redirects) — ours, via core.http.safe_next;
- ``/admin/login/`` (sends an anonymous visitor to the site's login with ``next``) — ours, via safe_next;
- ``/accounts/login/`` and ``/accounts/logout/`` (allauth checks ``next`` itself);
- ``/i18n/setlang/`` (Django's set_language checks ``next`` itself; base.html posts to it).
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from proctoring.services.consent import consent_give
from tests import factories
from tests.conftest import Cast, login_client

pytestmark = pytest.mark.django_db

EVIL = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "//evil.example/x",
    "https://evil.example/x",
    "\\\\evil.example",
    "/\\evil.example",
    " https://evil.example",
    "data:text/html,<script>alert(1)</script>",
]
LOCAL = "/exams/?tab=mine"


def _on_site(url: str) -> bool:
    if url.replace("\\", "/").lstrip().startswith("//"):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("", "http", "https") and parts.netloc in ("", "testserver")


def _urls_in(page: str) -> list[str]:
    """Every URL the page would follow or submit to."""
    return [html.unescape(v) for v in re.findall(r'\b(?:href|src|action|formaction)="([^"]*)"', page)]


def _hidden_next(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="next"[^>]*value="([^"]*)"', page)]


def _assert_page_safe(page: str, evil: str) -> None:
    for url in _urls_in(page):
        assert _on_site(url), url
        assert url.strip() != evil.strip()
    for value in _hidden_next(page):
        assert value.strip() != evil.strip()


# --- /proctoring/face/ ---------------------------------------------------------------


@pytest.mark.parametrize("evil", EVIL)
def test_face_page_renders_no_foreign_continue_link(cast: Cast, evil: str) -> None:
    person = cast.east.learner
    client = login_client(person.user)
    url = reverse("proctoring:my_face")
    before = client.get(url, {"next": evil}).content.decode()  # consent form with its hidden next
    _assert_page_safe(before, evil)
    consent_give(person=person, by=person.user)
    after = client.get(url, {"next": evil}).content.decode()  # the 继续 link
    _assert_page_safe(after, evil)


def _consent_comes_back(cast: Cast, next_value: str) -> Any:
    """Consent on the face page with ``next``: the answer is a redirect to the face page itself.
    Returns the learner's client."""
    client = login_client(cast.east.learner.user)
    response = client.post(reverse("proctoring:my_face"), {"action": "consent", "agree": "yes", "next": next_value})
    assert response.status_code == 302
    assert response["Location"] == reverse("proctoring:my_face")
    return client


@pytest.mark.parametrize("evil", EVIL)
def test_consent_never_redirects_off_site(cast: Cast, evil: str) -> None:
    _consent_comes_back(cast, evil)


def test_face_page_keeps_a_local_next(cast: Cast) -> None:
    person = cast.east.learner
    client = login_client(person.user)
    url = reverse("proctoring:my_face")
    assert LOCAL in _hidden_next(client.get(url, {"next": LOCAL}).content.decode())
    response = client.post(url, {"action": "consent", "agree": "yes", "next": LOCAL})
    assert response["Location"] == LOCAL
    assert LOCAL in _urls_in(client.get(url, {"next": LOCAL}).content.decode())


def test_https_request_refuses_a_plain_http_next_on_the_same_host(cast: Cast) -> None:
    client = login_client(cast.east.learner.user)
    response = client.post(
        reverse("proctoring:my_face"),
        {"action": "consent", "agree": "yes", "next": "http://testserver/exams/"},
        secure=True,
    )
    assert response["Location"] == reverse("proctoring:my_face")


# --- /admin/login/ ----------------------------------------------------------------------


@pytest.mark.parametrize("evil", EVIL)
def test_admin_login_passes_on_no_foreign_next(evil: str) -> None:
    response = Client().get("/admin/login/", {"next": evil})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(reverse("account_login"))
    assert parse_qs(urlsplit(location).query)["next"] == [reverse("admin:index")]


def test_admin_login_keeps_a_local_next() -> None:
    response = Client().get("/admin/login/", {"next": "/admin/organizations/"})
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == ["/admin/organizations/"]


# --- allauth login and logout, Django's set_language ----------------------------------------


@pytest.mark.parametrize("evil", EVIL)
def test_login_never_redirects_off_site(evil: str) -> None:
    user = factories.make_user()
    client = Client()
    page = client.get(reverse("account_login"), {"next": evil})
    assert all(_on_site(url) for url in _urls_in(page.content.decode()))
    response = client.post(
        reverse("account_login"), {"login": user.username, "password": factories.PASSWORD, "next": evil}
    )
    assert response.status_code == 302
    assert _on_site(response["Location"]), response["Location"]
    assert evil.strip() not in response["Location"]


def test_login_follows_a_local_next() -> None:
    user = factories.make_user()
    response = Client().post(
        reverse("account_login"), {"login": user.username, "password": factories.PASSWORD, "next": LOCAL}
    )
    assert response["Location"] == LOCAL


@pytest.mark.parametrize("evil", EVIL)
def test_logout_and_language_switch_never_redirect_off_site(evil: str) -> None:
    client = login_client(factories.make_user())
    language = client.post("/i18n/setlang/", {"language": "en", "next": evil})
    assert language.status_code == 302
    assert _on_site(language["Location"])
    logout = client.post(reverse("account_logout"), {"next": evil})
    assert logout.status_code == 302
    assert _on_site(logout["Location"]), logout["Location"]


def test_language_switch_follows_a_local_next(client: Any) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOCAL})
    assert response["Location"] == LOCAL


# --- a bare word is not a URL name: /proctoring/face/ never reverses or follows it --------------------

WORDS = ["foo", "account_logout", "logout", "java%0ascript:alert(1)", "java\nscript:alert(1)"]


@pytest.mark.parametrize("word", WORDS)
def test_face_post_with_a_bare_word_next_stays_on_the_face_page(cast: Cast, word: str) -> None:
    client = _consent_comes_back(cast, word)
    # Not logged out by next=account_logout.
    assert client.get(reverse("proctoring:my_face")).status_code == 200


@pytest.mark.parametrize("word", WORDS)
def test_face_page_renders_no_bare_word_next(cast: Cast, word: str) -> None:
    person = cast.east.learner
    client = login_client(person.user)
    consent_give(person=person, by=person.user)
    page = client.get(reverse("proctoring:my_face"), {"next": word})
    assert page.status_code == 200
    assert word not in _hidden_next(page.content.decode())
    assert word not in _urls_in(page.content.decode())


def test_face_post_with_a_query_string_next_in_the_url(cast: Cast) -> None:
    # next in the query string of a POST (no next field in the body) is checked the same way.
    client = login_client(cast.east.learner.user)
    url = reverse("proctoring:my_face") + "?next=account_logout"
    response = client.post(url, {"action": "consent", "agree": "yes"})
    assert response["Location"] == reverse("proctoring:my_face")
