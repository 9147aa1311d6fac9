"""Every URL pattern and websocket route refuses other tenants.

How it works (and how a new app extends it):

* Routes WITH parameters: the kwargs come from ``tests/route_params.py``
  (see its docstring); they point at an EAST-district object. The outsider and
  the WEST learner, enterprise admin and bureau official must get 403 or 404
  (GET; a route that answers GET with 405 is POSTed with an empty body). A
  superuser (or the entry's ``_as`` user) must reach it (any status but
  401/403/404/5xx), which proves the kwargs name something real. A parametrised route without an entry FAILS this test:
  add one to tests/route_params.py.
* Routes WITHOUT parameters: anonymous users are sent to the login page or get
  401/403; the outsider and the WEST users never see EAST data in the body.
* Websocket routes in config.routing: an anonymous connection is refused.

Routes skipped on purpose are in ``EXCLUDED`` below with the reason; routes
public by design are in ``PUBLIC_ROUTES`` in tests/route_params.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests import factories
from tests.conftest import Cast, login_client
from tests.route_params import PUBLIC_ROUTES, ROUTE_PARAMS

# allauth's own login/password/MFA views under accounts/ hold no tenant data
# (tests/accounts covers them); other apps' views under accounts/ ARE walked.
ALLAUTH_MODULE = "allauth."
# prefix of the full route string -> why it is not walked here
EXCLUDED: dict[str, str] = {
    "i18n/": "the language switch only sets a cookie",
    "static/": "static assets are public",
    "media/": "not served by URL (private files are streamed by permission-checking views)",
    "api/schema/": "the OpenAPI schema is public by design (no data, only the API's shape)",
    "api/docs/": "Swagger UI is public by design (no data)",
    "admin/login/": "admin's internal view: the login redirect (tests/accounts/test_admin.py)",
    "admin/logout/": "admin's internal view: logout",
    "admin/password_change/": "admin's internal view: the staff member's own password",
    "admin/jsi18n/": "admin's internal view: JavaScript translation catalogue",
    "admin/r/": "admin's internal view-on-site redirect (content type + id, staff only)",
    "admin/(?P<url>.*)$": "admin's catch-all that redirects unknown admin URLs",
}

LOGIN_PATH = "/accounts/login/"


@dataclass
class Route:
    route: str  # full route string, prefixes concatenated
    name: str | None  # namespaced name
    params: list[str]
    module: str = ""  # where the view lives

    @property
    def label(self) -> str:
        return f"{self.name or '(unnamed)'} [{self.route}]"


def _walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            route = prefix + str(p.pattern)
            params = list(_param_names(route))
            callback = getattr(p.callback, "view_class", p.callback)
            yield Route(route, name, params, getattr(callback, "__module__", ""))


def _param_names(route: str) -> Iterator[str]:
    for m in re.finditer(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route):
        yield m.group(1) or m.group(2)


def _public(route: Route) -> bool:
    return route.name in PUBLIC_ROUTES or route.route in PUBLIC_ROUTES


def _excluded(route: Route) -> bool:
    if route.route.startswith("accounts/") and route.module.startswith(ALLAUTH_MODULE):
        return True
    return any(route.route.startswith(prefix) for prefix in EXCLUDED)


def all_routes() -> list[Route]:
    return [r for r in _walk(get_resolver().url_patterns) if not _excluded(r)]


def _registry_entry(route: Route) -> Any:
    for key, build in ROUTE_PARAMS.items():
        if isinstance(key, str):
            if key in (route.name, route.route):
                return build
        elif key.fullmatch(route.route) or (route.name and key.fullmatch(route.name)):
            return build
    return None


_GROUP = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>(?:[^()\\]|\\.)*\)")


def _substitute(match: re.Match[str], kwargs: dict[str, Any]) -> str:
    converter, name = match.group(1), match.group(2) or match.group(3)
    # DRF's suffix converter expects the dot as part of the value (".json").
    return ("." if converter == "drf_format_suffix" else "") + str(kwargs[name])


def build_url(route: str, kwargs: dict[str, Any]) -> str:
    """Substitute kwargs into a path() or re_path() route and return a URL."""
    url = _GROUP.sub(lambda m: _substitute(m, kwargs), route)
    url = url.replace("^", "").replace("$", "").replace("/?", "").replace("\\.", ".")
    return "/" + url


def _cast_users(cast: Cast) -> dict[str, Any]:
    return {
        "outsider": cast.outsider,
        "west learner": cast.west.learner.user,
        "west enterprise admin": cast.west.enterprise_admin,
        "west bureau": cast.west.bureau,
    }


def _east_secrets(cast: Cast) -> list[str]:
    """Strings that only EAST data would put in a page."""
    secrets = [cast.east.learner.name, cast.east.learner.id_number, cast.east.provider.name]
    for e in cast.east.enterprises:
        secrets += [e.name, e.credit_code]
    return secrets


def _fetch(client: Client, url: str) -> Any:
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def _final(client: Client, url: str) -> Any:
    """Follow redirects (the admin bounces non-staff to its login view, which answers 403)."""
    response = _fetch(client, url)
    hops = 0
    while response.status_code in (301, 302) and hops < 5:
        location = response["Location"]
        if urlsplit(location).path == LOGIN_PATH:
            return response
        response = client.get(location)
        hops += 1
    return response


def _body(response: Any) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


@pytest.mark.django_db
def test_every_parametrised_route_refuses_other_tenants(cast: Cast) -> None:
    root = factories.make_user("scoping_root", is_staff=True, is_superuser=True)
    users = _cast_users(cast)
    clients = {label: login_client(user) for label, user in users.items()}
    missing, leaks, checked = [], [], 0
    for route in all_routes():
        params = [p for p in route.params if p != "format"]
        if not params or _public(route):
            continue
        build = _registry_entry(route)
        if build is None:
            missing.append(route.label)
            continue
        kwargs = dict(build(cast))
        witness = kwargs.pop("_as", root)
        kwargs.setdefault("format", "json")
        url = build_url(route.route, kwargs)
        assert resolve(url).route.replace("^", "") == route.route.replace("^", ""), f"{url} is not {route.label}"
        seen = _fetch(login_client(witness), url)
        # Any answer but "not found / not allowed / crashed" shows the witness reached it
        # (a POST with an empty body may well be a 400 or 409).
        reached = seen.status_code not in (401, 403, 404) and seen.status_code < 500
        assert reached, (
            f"{route.label}: {url} gave {seen.status_code} to {witness}; the kwargs in tests/route_params.py "
            "must name an object that exists and that user can reach"
        )
        for label, client in clients.items():
            status = _final(client, url).status_code
            if status not in (403, 404):
                leaks.append(f"{route.label}: {url} gave {status} to the {label}")
        checked += 1
    report = []
    if missing:
        report += [
            "These routes take URL parameters but have no entry in tests/route_params.py; add one building "
            "an EAST-district object for each:",
            *missing,
        ]
    if leaks:
        report += ["Other tenants reached EAST objects:", *leaks]
    assert not report, "\n  ".join(report)
    assert checked >= 5  # the walk found the organizations and API routes


@pytest.mark.django_db
def test_parameterless_routes_show_no_other_tenant_data(cast: Cast) -> None:
    secrets = _east_secrets(cast)
    clients = {label: login_client(user) for label, user in _cast_users(cast).items()}
    anonymous = Client()
    problems, checked = [], 0
    for route in all_routes():
        if [p for p in route.params if p != "format"]:
            continue
        url = build_url(route.route, {"format": "json"})
        response = _final(anonymous, url)
        if not _public(route):
            redirected_to_login = response.status_code == 302 and urlsplit(response["Location"]).path == LOGIN_PATH
            if not (redirected_to_login or response.status_code in (401, 403)):
                problems.append(f"{route.label}: {url} gave {response.status_code} to an anonymous user")
        for label, client in {"anonymous": anonymous, **clients}.items():
            body = _body(_final(client, url))
            shown = [s for s in secrets if s in body]
            if shown:
                problems.append(f"{route.label}: {url} showed EAST data {shown} to the {label}")
        checked += 1
    assert not problems, "\n  ".join(["Parameterless routes leak:", *problems])
    assert checked >= 5


def test_the_walk_sees_the_known_routes() -> None:
    labels = {r.name for r in all_routes()}
    assert "account_login" not in labels  # allauth's views are skipped by module
    assert {"home", "organizations:enterprise_detail", "api:enterprise-detail", "api:api-me"} <= labels
    assert build_url(r"api/v1/^people/(?P<pk>[^/.]+)\.(?P<format>[a-z0-9]+)/?$", {"pk": 7, "format": "json"}) == (
        "/api/v1/people/7.json"
    )
    assert build_url("org/people/<id:pk>/", {"pk": 7}) == reverse("organizations:person_detail", args=[7])


def _ws_routes() -> list[tuple[str, list[str]]]:
    from config.routing import websocket_urlpatterns

    return [
        (r.route, list(_param_names(r.route)))
        for r in _walk(websocket_urlpatterns)  # type: ignore[arg-type]
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_websocket_route_refuses_anonymous(cast: Cast) -> None:
    routes = _ws_routes()
    assert routes, "config.routing has no websocket routes"
    missing, accepted = [], []
    for route, params in routes:
        kwargs: dict[str, Any] = {}
        if params:
            build = _registry_entry(Route(route, None, params))
            if build is None:
                missing.append(route)
                continue
            kwargs = dict(build(cast))
            kwargs.pop("_as", None)
        url = build_url(route, kwargs)
        if async_to_sync(_ws_accepts)(url):
            accepted.append(url)
    assert not missing, "Websocket routes without an entry in tests/route_params.py: " + ", ".join(missing)
    assert not accepted, "Anonymous websocket connections were accepted: " + ", ".join(accepted)


async def _ws_accepts(url: str) -> bool:
    from config.asgi import application

    communicator = WebsocketCommunicator(application, url, headers=[(b"origin", b"http://testserver")])
    connected, _code = await communicator.connect()
    await communicator.disconnect()
    return connected
