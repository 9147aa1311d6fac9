"""Ids beyond a 64-bit integer are a 404 (in the path) or a 400 (in a query or body), never a 500.

An id above 2^63-1 used to reach the database: SQLite raised OverflowError,
and the request ended in a 500. Every door is walked here: every URL pattern
(pages, API, admin) with a 2^64-sized id in each id slot in turn, by GET and
by every write method; every route with id-like query parameters; JSON bodies
naming huge ids; the exam's hot routes through both server doors (ASGI, WSGI);
and the websocket routes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.urls import Resolver404, resolve
from rest_framework.authtoken.models import Token

from core.ids import MAX_ID
from tests import factories
from tests.conftest import Cast, login_client
from tests.test_every_route_is_scoped import Route, _registry_entry, _ws_routes, all_routes, build_url

HUGE = str(2**64)  # 18446744073709551616
JUST_TOO_BIG = str(MAX_ID + 1)
METHODS = ("get", "post", "put", "patch", "delete")
# Query parameters that name objects somewhere in the project's views and API.
ID_QUERY_PARAMS = ("enterprise", "bank", "attempt", "person", "session", "course", "lesson", "page", "question")


def _id_slots(kwargs: dict[str, Any]) -> list[str]:
    return [name for name, value in kwargs.items() if name != "format" and str(value).isdigit()]


def _huge_urls(cast: Cast) -> Iterator[tuple[Route, str, str]]:
    """Every parametrised route, once per id slot, with that slot set to a huge id: (route, url, value)."""
    for route in all_routes():
        params = [p for p in route.params if p != "format"]
        if not params:
            continue
        build = _registry_entry(route)
        if build is None:  # test_every_route_is_scoped names routes without an entry
            continue
        kwargs = dict(build(cast))
        kwargs.pop("_as", None)
        kwargs.setdefault("format", "json")
        for slot in _id_slots(kwargs):
            for value in (HUGE, JUST_TOO_BIG):
                yield route, build_url(route.route, {**kwargs, slot: value}), value


def _call(client: Any, method: str, url: str) -> Any:
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data=json.dumps({}), content_type="application/json")


@pytest.mark.django_db
def test_huge_ids_in_every_path_slot_are_not_found(cast: Cast) -> None:
    # The platform admin reaches every tenant's pages and API; a superuser reaches the Django admin's.
    root = factories.make_user("huge_root", is_staff=True, is_superuser=True)
    platform, superuser = login_client(cast.platform_admin), login_client(root)
    crashes, found, walked = [], [], 0
    for route, url, value in _huge_urls(cast):
        walked += 1
        admin = route.route.startswith("admin/")
        if not admin:
            # The id converter refuses the number itself: no view runs. (The admin takes object ids as text.)
            try:
                resolve(url)
                found.append(f"{route.label}: {url} still resolves with an id above 2^63-1")
            except Resolver404:
                pass
        client = superuser if admin else platform
        for method in METHODS if value == HUGE else ("get",):
            status = _call(client, method, url).status_code
            if status >= 500:
                crashes.append(f"{method.upper()} {url} ({route.label}) gave {status}")
            elif method == "get" and status not in (302, 404):
                crashes.append(f"GET {url} ({route.label}) gave {status}, not 404")
    assert walked > 50
    assert not crashes, "Huge ids crashed or reached something:\n  " + "\n  ".join(crashes)
    assert not found, "\n  ".join(found)


@pytest.mark.django_db
def test_huge_id_query_parameters_on_list_routes_never_crash(cast: Cast) -> None:
    root = factories.make_user("huge_root", is_staff=True, is_superuser=True)
    superuser, platform = [login_client(root)], [login_client(cast.platform_admin)]
    others = [login_client(u) for u in (cast.east.enterprise_admin, cast.east.training_admin, cast.east.learner.user)]
    crashes, walked = [], 0
    for route in all_routes():
        if [p for p in route.params if p != "format"] or route.route.endswith("/add/"):
            continue
        base = build_url(route.route, {"format": "json"})
        if route.route.startswith("admin/"):
            # The admin's list filters take any field of the model: walk the foreign keys' names.
            urls = [(f"{base}?{name}={HUGE}", superuser) for name in ("enterprise", "person", "bank", "session")]
        else:
            # One parameter at a time for the user who sees everything; all at once for the others.
            urls = [(f"{base}?{name}={HUGE}", platform) for name in ID_QUERY_PARAMS]
            urls.append((f"{base}?" + "&".join(f"{name}={HUGE}" for name in ID_QUERY_PARAMS), others))
        for url, clients in urls:
            walked += 1
            for client in clients:
                response = client.get(url)
                if response.status_code >= 500:
                    crashes.append(f"GET {url} ({route.label}) gave {response.status_code}")
    assert walked > 50
    assert not crashes, "Huge query ids crashed:\n  " + "\n  ".join(crashes)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/questions/?bank=", "bank"),
        ("/api/v1/practice/questions/?bank=", "bank"),
    ],
)
def test_an_api_query_id_out_of_range_is_a_400_naming_it(cast: Cast, path: str, name: str) -> None:
    client = login_client(cast.east.learner.user if "practice" in path else cast.platform_admin)
    response = client.get(path + HUGE)
    assert response.status_code == 400
    assert name in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/training/ledger/export/?enterprise=", "/org/roster/?enterprise=", "/training/enterprise/?enterprise="]
)
def test_a_page_query_id_out_of_range_is_a_400(cast: Cast, path: str) -> None:
    assert login_client(cast.east.enterprise_admin).get(path + HUGE).status_code == 400


@pytest.mark.django_db
def test_the_admin_filters_a_huge_foreign_key_to_nothing(cast: Cast) -> None:
    root = factories.make_user("huge_root", is_staff=True, is_superuser=True)
    response = login_client(root).get(f"/admin/organizations/rolegrant/?enterprise={HUGE}")
    assert response.status_code == 200
    assert "0 " in response.content.decode()  # "0 role grants"


@pytest.mark.django_db
def test_huge_ids_in_json_bodies_are_a_400_naming_the_field(cast: Cast) -> None:
    """Writes whose body names an object (bank, enterprise, …) refuse an id above 2^63-1 with a 400."""
    client = login_client(cast.platform_admin)
    bodies = {
        "/api/v1/questions/": {"bank": HUGE, "type": "single", "stem": "x", "options": ["a", "b"], "answer": "A"},
        "/api/v1/people/": {"enterprise": HUGE, "name": "x", "id_number": "x"},
    }
    problems = []
    for url, body in bodies.items():
        response = client.post(url, data=json.dumps(body), content_type="application/json")
        if response.status_code >= 500 or (response.status_code == 400 and "errors" not in response.json()):
            problems.append(f"POST {url} gave {response.status_code}: {response.content[:200]!r}")
    assert not problems, "\n  ".join(problems)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_huge_ids_in_the_exam_hot_routes_are_the_same_404_through_either_server_door(cast: Cast) -> None:
    from config.asgi import application as asgi_app
    from config.wsgi import application as wsgi_app
    from tests.doors import call, call_wsgi

    token = Token.objects.create(user=cast.east.learner.user).key
    headers = [
        ("Authorization", f"Token {token}"),
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
    ]
    body = json.dumps({"given": "A", "client_seq": 1}).encode()
    requests = [
        ("POST", f"/api/v1/exams/{HUGE}/attempts/", b""),
        ("PUT", f"/api/v1/attempts/{HUGE}/answers/1/", body),
        ("PUT", f"/api/v1/attempts/1/answers/{HUGE}/", body),
        ("PUT", "/api/v1/attempts/444898479403189355413504/answers/75192/", body),
        ("POST", f"/api/v1/attempts/{HUGE}/submit/", b"{}"),
    ]

    async def run() -> list[int]:
        return [(await call(asgi_app, method, path, raw, headers))[0] for method, path, raw in requests]

    with ThreadPoolExecutor(max_workers=1) as pool:
        through_asgi = pool.submit(asyncio.run, run()).result(timeout=120)
    through_wsgi = [call_wsgi(wsgi_app, method, path, raw, headers)[0] for method, path, raw in requests]
    assert list(zip(through_asgi, through_wsgi, strict=True)) == [(404, 404)] * len(requests)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_huge_ids_in_websocket_routes_are_refused(cast: Cast) -> None:
    from tests.doors import socket_answer

    routes = [(route, params) for route, params in _ws_routes() if params]
    assert routes
    accepted = []
    for route, params in routes:
        url = build_url(route, dict.fromkeys(params, HUGE))
        with pytest.raises(ValueError, match="No route found"):
            # Channels' URLRouter refuses a path no route matches, as for any unknown path.
            accepted.append(socket_answer(url, [(b"origin", b"http://testserver")])[0])
    assert not any(accepted), accepted


@pytest.mark.django_db
@pytest.mark.parametrize("value", [2**64, 2**63, 2**31])
def test_a_huge_client_seq_in_an_answer_or_heartbeat_is_a_400(cast: Cast, value: int) -> None:
    from tests.exams.route_data import east_exam
    from tests.training.route_data import east_training

    exam = east_exam(cast)
    attempt, question = exam["in_progress"], exam["question"]
    client = login_client(cast.east.learner.user)
    response = client.put(
        f"/api/v1/attempts/{attempt.pk}/answers/{question.pk}/",
        data=json.dumps({"answer": None, "client_seq": value}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "client_seq" in response.json()["errors"]
    lesson = east_training(cast)["video"]
    response = client.post(
        f"/api/v1/lessons/{lesson.pk}/heartbeat/",
        data=json.dumps({"token": "x", "client_seq": value, "position": value, "visible": True}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
