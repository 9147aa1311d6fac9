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
* Writes (``test_every_write_to_another_tenants_object_is_refused``): every
  parametrised route gets POST, PUT, PATCH and DELETE with the EAST object in
  the path and EAST ids in the body (``bank``, ``person``, ``enterprise``,
  ``session``, ``course`` …, see ``east_body_ids``), from the outsider and from
  the WEST users (the same role as the route's witness, or every staff role
  when the witness is the superuser). Each must be refused (403/404, 405 for a
  method the route does not take, or a redirect to a login page) and the
  database must be exactly as before (every table's rows, see
  ``database_fingerprint``). Parameterless routes get the same writes with
  EAST ids in the body: no 5xx and, again, nothing changed.

Routes skipped on purpose are in ``EXCLUDED`` below with the reason; routes
public by design are in ``PUBLIC_ROUTES`` in tests/route_params.py.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests import factories
from tests.conftest import Cast, login_client
from tests.doors import socket_answer
from tests.route_params import PUBLIC_ROUTES, ROUTE_PARAMS

# allauth's own login/password/MFA views under accounts/ hold no tenant data
# (tests/accounts covers them); other apps' views under accounts/ ARE walked.
ALLAUTH_MODULE = "allauth."
# prefix of the full route string -> why it is not walked here
EXCLUDED: dict[str, str] = {
    "i18n/": "the language switch only sets a cookie",
    "static/": "static assets are public",
    "media/": "not served by URL (private files are streamed by permission-checking views)",
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


def _parametrised_routes(cast: Cast, root: Any, missing: list[str] | None = None) -> Iterator[tuple[Route, str, Any]]:
    """Each non-public route with parameters, its URL built from tests/route_params.py and the
    witness (the entry's ``_as``, else ``root``) who must reach it. Routes without an entry are
    skipped, their labels added to ``missing``."""
    for route in all_routes():
        params = [p for p in route.params if p != "format"]
        if not params or _public(route):
            continue
        build = _registry_entry(route)
        if build is None:
            if missing is not None:
                missing.append(route.label)
            continue
        kwargs = dict(build(cast))
        witness = kwargs.pop("_as", root)
        query = kwargs.pop("_query", None)
        kwargs.setdefault("format", "json")
        url = build_url(route.route, kwargs)
        yield route, (f"{url}?{urlencode(query)}" if query else url), witness


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


def check_parametrised_routes(cast: Cast, client_for: Callable[[Any], Any]) -> None:
    """Every route with parameters, built for an EAST object: its witness reaches it, and the other tenants of
    ``_cast_users`` get 403 or 404. ``client_for(user)`` is a signed-in client (in-process here; a real HTTP
    client against the scaled topology in tests/drills/test_scaled_security.py)."""
    root = factories.make_user("scoping_root", is_staff=True, is_superuser=True)
    users = _cast_users(cast)
    clients = {label: client_for(user) for label, user in users.items()}
    missing, leaks, checked = [], [], 0
    for route, url, witness in _parametrised_routes(cast, root, missing=missing):
        assert resolve(urlsplit(url).path).route.replace("^", "") == route.route.replace("^", ""), (
            f"{url} is not {route.label}"
        )
        seen = _fetch(client_for(witness), url)
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


def check_parameterless_routes(cast: Cast, client_for: Callable[[Any], Any]) -> None:
    """Every route without parameters: an anonymous user is sent to log in or refused, and no page shows
    EAST data to anyone outside EAST. ``client_for(None)`` is the anonymous client."""
    secrets = _east_secrets(cast)
    clients = {label: client_for(user) for label, user in _cast_users(cast).items()}
    anonymous = client_for(None)
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


def _in_process_client(user: Any) -> Client:
    return Client() if user is None else login_client(user)


@pytest.mark.django_db
def test_every_parametrised_route_refuses_other_tenants(cast: Cast) -> None:
    check_parametrised_routes(cast, _in_process_client)


@pytest.mark.django_db
def test_parameterless_routes_show_no_other_tenant_data(cast: Cast) -> None:
    check_parameterless_routes(cast, _in_process_client)


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
        if socket_answer(url, [(b"origin", b"http://testserver")])[0]:
            accepted.append(url)
    assert not missing, "Websocket routes without an entry in tests/route_params.py: " + ", ".join(missing)
    assert not accepted, "Anonymous websocket connections were accepted: " + ", ".join(accepted)


# ---------------------------------------------------------------------------
# Writes: POST, PUT, PATCH and DELETE with another tenant's ids

WRITE_METHODS = ("post", "put", "patch", "delete")
ADMIN_LOGIN_PATH = "/admin/login/"
# Tables a refused request may still touch: the session store and login-attempt records.
VOLATILE_TABLES = {"sessions.session"}
VOLATILE_APPS = {"axes"}


def database_fingerprint() -> dict[str, str]:
    """A digest of every row of every table (but the volatile ones), by model label."""
    digests = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label_lower in VOLATILE_TABLES or meta.app_label in VOLATILE_APPS:
            continue
        rows = list(model._base_manager.order_by("pk").values_list())
        digests[meta.label_lower] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(label for label in before.keys() | after.keys() if before.get(label) != after.get(label))


def east_body_ids(cast: Cast) -> dict[str, Any]:
    """Field names that name objects in our forms and serializers, each set to an EAST object's id."""
    from tests.exams.route_data import east_exam
    from tests.question_bank.route_data import east_question_bank
    from tests.training.route_data import east_training

    exam, bank, training = east_exam(cast), east_question_bank(cast), east_training(cast)
    learner = cast.east.learner
    return {
        "enterprise": cast.east.enterprises[0].pk,
        "person": learner.pk,
        "people": [learner.pk],
        "selected": [learner.pk],
        "learner": learner.user.pk,
        "user": learner.user.pk,
        "provider": cast.east.provider.pk,
        "owner": cast.east.provider.pk,
        "jurisdiction": cast.east.street.pk,
        "shared_with": cast.east.jurisdiction.code,
        "bank": bank["bank"].pk,
        "banks": [bank["bank"].pk],
        "question": bank["question"].pk,
        "course": training["course"].pk,
        "courses": [training["course"].pk],
        "lesson": training["video"].pk,
        "session": exam["running"].pk,
        "paper": exam["paper"].pk,
        "attempt": exam["in_progress"].pk,
    }


def _write(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    if url.startswith("/api/"):
        return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    if method == "post":
        return client.post(url, body)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def _refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return True
    if response.status_code in (301, 302):
        return urlsplit(response["Location"]).path in (LOGIN_PATH, ADMIN_LOGIN_PATH)
    return False


def _write_users(cast: Cast, witness: Any) -> dict[str, Any]:
    """The outsider and the WEST users of the witness's role (every staff role for the superuser)."""
    same_role = {
        cast.east.learner.user: {"west learner": cast.west.learner.user},
        cast.east.enterprise_admin: {"west enterprise admin": cast.west.enterprise_admin},
        cast.east.training_admin: {"west training admin": cast.west.training_admin},
        cast.east.proctor: {"west proctor": cast.west.proctor},
        cast.east.bureau: {"west bureau": cast.west.bureau},
    }.get(witness)
    if same_role is None:
        same_role = {
            "west learner": cast.west.learner.user,
            "west enterprise admin": cast.west.enterprise_admin,
            "west training admin": cast.west.training_admin,
            "west proctor": cast.west.proctor,
            "west bureau": cast.west.bureau,
        }
    return {"outsider": cast.outsider, **same_role}


@pytest.mark.django_db
def test_every_write_to_another_tenants_object_is_refused(cast: Cast) -> None:
    root = factories.make_user("scoping_write_root", is_staff=True, is_superuser=True)
    body = east_body_ids(cast)
    clients: dict[Any, Client] = {}

    def client_of(user: Any) -> Client:
        if user not in clients:
            clients[user] = login_client(user)
        return clients[user]

    leaks, changes, checked, refused_by_scope = [], [], 0, 0
    # A route without an entry is named by test_every_parametrised_route_refuses_other_tenants.
    for route, url, witness in _parametrised_routes(cast, root):
        users = _write_users(cast, witness)
        if route.route.startswith("admin/"):
            # The admin refuses every non-staff user in one place: the outsider and one WEST user suffice.
            users = dict(list(users.items())[:2])
        for user in users.values():
            client_of(user)  # logging in writes a session row: before the snapshot
        before = database_fingerprint()
        for method in WRITE_METHODS:
            for label, user in users.items():
                response = _write(client_of(user), method, url, body)
                if not _refused(response):
                    leaks.append(f"{method.upper()} {url} ({route.label}) gave {response.status_code} to the {label}")
                if response.status_code in (403, 404):
                    refused_by_scope += 1
                if response.status_code == 405 and label == "outsider":
                    break  # the route does not take this method at all
        changed = _changed(before, database_fingerprint())
        if changed:
            changes.append(f"{route.label}: writes by other tenants changed {changed}")
        checked += 1
    report = []
    if leaks:
        report += ["Writes to EAST objects were not refused:", *leaks]
    if changes:
        report += ["Refused writes still changed the database:", *changes]
    assert not report, "\n  ".join(report)
    assert checked >= 50
    assert refused_by_scope >= 100  # the writes reached the views' scoping, not only 405s


@pytest.mark.django_db
def test_writes_naming_another_tenants_ids_in_the_body_change_nothing(cast: Cast) -> None:
    """Parameterless routes (creates, uploads, forms) with EAST ids in the body, from WEST users and the outsider."""
    body = east_body_ids(cast)
    users = {
        "outsider": cast.outsider,
        "west learner": cast.west.learner.user,
        "west enterprise admin": cast.west.enterprise_admin,
        "west training admin": cast.west.training_admin,
        "west proctor": cast.west.proctor,
        "west bureau": cast.west.bureau,
    }
    clients = {label: login_client(user) for label, user in users.items()}
    crashes, changes, checked = [], [], 0
    for route in all_routes():
        if [p for p in route.params if p != "format"] or _public(route) or route.route.startswith("admin/"):
            continue
        url = build_url(route.route, {"format": "json"})
        before = database_fingerprint()
        for method in WRITE_METHODS:
            for label, client in clients.items():
                response = _write(client, method, url, body)
                if response.status_code >= 500:
                    crashes.append(f"{method.upper()} {url} ({route.label}) gave {response.status_code} to the {label}")
                if 200 <= response.status_code < 300 and url.startswith("/api/") and method != "delete":
                    crashes.append(f"{method.upper()} {url} ({route.label}) accepted EAST ids from the {label}")
        changed = _changed(before, database_fingerprint())
        if changed:
            changes.append(f"{route.label}: writes naming EAST ids changed {changed}")
        checked += 1
    assert not crashes, "\n  ".join(["Writes naming EAST ids:", *crashes])
    assert not changes, "\n  ".join(["Writes naming EAST ids changed the database:", *changes])
    assert checked >= 20


@pytest.mark.django_db
def test_a_question_for_another_tenants_bank_is_a_400_and_nothing_is_created(cast: Cast) -> None:
    from question_bank.models import Question
    from tests.question_bank.route_data import east_question_bank

    bank = east_question_bank(cast)["bank"]
    client = login_client(cast.west.training_admin)
    before = database_fingerprint()
    response = client.post(
        "/api/v1/questions/",
        data=json.dumps(
            {"bank": bank.pk, "type": "single", "stem": "西区写入东区题库?", "options": ["是", "否"], "answer": "A"}
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "bank" in response.json()["errors"]
    assert not Question.objects.filter(stem="西区写入东区题库?").exists()
    assert _changed(before, database_fingerprint()) == []
