"""逢查必考: an inspector opens a short random quiz for a named worker, who answers on the inspector's phone."""

from __future__ import annotations

import json
from typing import Any

import lxml.html
import pytest
from django.test import Client

from exams.models import Attempt, ExamSession
from exams.views import SPOT_LIST_LIMIT
from organizations.models import Person
from organizations.validators import mask_id_number
from tests import factories
from tests.conftest import Cast, login_client
from tests.exams.conftest import correct_answer

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _search(client: Client, query: str) -> Any:
    response = client.get("/exams/spot/", {"q": query}, **ZH)
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def _found(client: Client, query: str) -> list[int]:
    """The people a search lists, as the radio buttons the inspector picks from."""
    return [int(v) for v in _search(client, query).xpath('//input[@type="radio"][@name="person"]/@value')]


@pytest.mark.django_db
def test_an_inspector_runs_a_spot_test_recorded_against_the_worker(cast: Any, exam: dict[str, Any]) -> None:
    inspector = login_client(cast.east.bureau)
    worker = cast.east.learner
    page = inspector.get(f"/exams/spot/people/{worker.pk}/")
    assert page.status_code == 200
    assert worker.name in page.content.decode()
    assert "<svg" in page.content.decode()
    opened = inspector.post(f"/exams/spot/people/{worker.pk}/")
    assert opened.status_code == 302
    attempt = Attempt.objects.get(session__kind=ExamSession.Kind.SPOT, person=worker)
    assert opened["Location"] == f"/exams/attempts/{attempt.pk}/"
    assert attempt.opened_by == cast.east.bureau
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert attempt.questions.count() == 5
    # the worker answers on the inspector's phone (the inspector's login)
    assert inspector.get(f"/exams/attempts/{attempt.pk}/").status_code == 200
    for aq in attempt.questions.all():
        saved = inspector.put(
            f"/api/v1/attempts/{attempt.pk}/answers/{aq.pk}/",
            data=json.dumps({"answer": correct_answer(aq), "client_seq": 1}),
            content_type="application/json",
        )
        assert saved.status_code == 200
    result = inspector.post(f"/api/v1/attempts/{attempt.pk}/submit/").json()
    assert result["passed"] is True
    assert result["score"] == "100.0"
    attempt.refresh_from_db()
    assert attempt.person.enterprise == cast.east.enterprises[0]
    # the worker sees the result among their own; the spot test is not an exam they can start
    assert login_client(worker.user).get(f"/api/v1/attempts/{attempt.pk}/result/").status_code == 200
    assert login_client(worker.user).get("/api/v1/me/exams/").json()[0]["session_id"] == exam["session"].pk


@pytest.mark.django_db
def test_spot_tests_stay_within_the_inspectors_jurisdiction(cast: Any, exam: dict[str, Any]) -> None:
    worker = cast.east.learner
    for user in (cast.west.bureau, cast.west.proctor):
        assert login_client(user).post(f"/exams/spot/people/{worker.pk}/").status_code == 404
    for user in (cast.outsider, cast.east.learner.user, cast.east.enterprise_admin, cast.east.training_admin):
        assert login_client(user).get(f"/exams/spot/people/{worker.pk}/").status_code == 403
    assert not Attempt.objects.filter(session__kind=ExamSession.Kind.SPOT).exists()
    # the inspector's search finds only people of their jurisdiction
    west = login_client(cast.west.bureau)
    assert _found(west, worker.name) == []
    assert _found(west, cast.west.learner.name) == [cast.west.learner.pk]


@pytest.fixture
def namesakes(cast: Cast) -> dict[str, Person]:
    """Two EAST workers called 邓刚 (different enterprises and posts) and a WEST one, each with a mobile."""
    people = {
        "chem": factories.make_person(cast.east.enterprises[0], phone="13912340001"),
        "mech": factories.make_person(cast.east.enterprises[1], post=Person.Post.SPECIAL_OPERATOR, phone="13912340002"),
        "west": factories.make_person(cast.west.enterprises[0], phone="13912340003"),
    }
    Person.objects.filter(pk__in=[p.pk for p in people.values()]).update(name="邓刚")
    for person in people.values():
        person.refresh_from_db()
    return people


def test_the_inspector_finds_a_worker_by_name_mobile_or_id_number_within_scope(
    cast: Cast, namesakes: dict[str, Person]
) -> None:
    east = login_client(cast.east.bureau)
    chem, mech, west = namesakes["chem"], namesakes["mech"], namesakes["west"]
    assert sorted(_found(east, "邓刚")) == sorted([chem.pk, mech.pk])
    assert _found(east, " 邓 刚 ") == _found(east, "邓刚")  # spaces typed on a phone keyboard
    assert _found(east, "13912340002") == [mech.pk]
    assert _found(east, "139 1234 0001") == [chem.pk]
    assert _found(east, mech.id_number) == [mech.pk]
    assert _found(east, mech.id_number.lower()) == [mech.pk]
    assert mech.pk in _found(east, mech.id_number[-4:])
    assert chem.pk in _found(east, "东区化工")  # part of the enterprise's name
    # Another district's worker is found by nothing: name, mobile or ID number.
    for query in ("13912340003", west.id_number, west.id_number[-4:]):
        assert west.pk not in _found(east, query)
    assert _found(login_client(cast.west.bureau), "13912340003") == [west.pk]
    # An empty search lists nobody (the whole district is not dumped into the page).
    assert _found(east, "") == []


def test_two_workers_with_the_same_name_can_be_told_apart(cast: Cast, namesakes: dict[str, Person]) -> None:
    client = login_client(cast.east.bureau)
    tree = _search(client, "邓刚")
    lines = {
        int(label.get("data-candidate")): " ".join(label.text_content().split())
        for label in tree.xpath("//label[@data-candidate]")
    }
    chem, mech = namesakes["chem"], namesakes["mech"]
    assert set(lines) == {chem.pk, mech.pk}
    assert lines[chem.pk] != lines[mech.pk]
    assert "东区化工厂 · 从业人员" in lines[chem.pk]
    assert "东区机械厂 · 特种作业人员" in lines[mech.pk]
    for person in (chem, mech):
        assert mask_id_number(person.id_number) in lines[person.pk]
    body = client.get("/exams/spot/", {"q": "邓刚"}, **ZH).content.decode()
    for person in (chem, mech):
        assert person.id_number not in body  # masked only, never in full
    assert "---------" not in body


def test_a_worker_picked_from_the_search_gets_the_quiz(
    cast: Cast, exam: dict[str, Any], namesakes: dict[str, Person]
) -> None:
    client = login_client(cast.east.bureau)
    mech = namesakes["mech"]
    opened = client.post("/exams/spot/", {"q": "邓刚", "person": mech.pk})
    attempt = Attempt.objects.get(session__kind=ExamSession.Kind.SPOT)
    assert opened["Location"] == f"/exams/attempts/{attempt.pk}/"
    assert attempt.person == mech
    assert attempt.opened_by == cast.east.bureau


def test_a_person_outside_the_scope_is_refused_on_post(cast: Cast, namesakes: dict[str, Person]) -> None:
    client = login_client(cast.east.bureau)
    for person_id in (namesakes["west"].pk, cast.west.learner.pk, 987654321, "abc"):
        # Posted with a search that lists it, without one, or forged: the scope decides, not the list.
        for data in ({"person": person_id, "q": "邓刚"}, {"person": person_id}):
            response = client.post("/exams/spot/", data, **ZH)
            assert response.status_code == 200
            [error] = lxml.html.fromstring(response.content.decode()).xpath("//*[@data-spot-error]")
            assert "此人不在您的检查范围内" in error.text_content()
    response = client.post("/exams/spot/", {"q": "邓刚"}, **ZH)
    assert "请选择要抽考的作业人员" in response.content.decode()
    assert not Attempt.objects.filter(session__kind=ExamSession.Kind.SPOT).exists()


def test_a_search_matching_more_than_can_be_listed_says_so(cast: Cast) -> None:
    extra = SPOT_LIST_LIMIT + 3
    people = [factories.make_person(cast.east.enterprises[1]) for _ in range(extra)]
    Person.objects.filter(pk__in=[p.pk for p in people]).update(name="巡检班组")
    tree = _search(login_client(cast.east.bureau), "巡检班组")
    assert len(tree.xpath('//input[@name="person"]')) == SPOT_LIST_LIMIT
    [legend] = tree.xpath("//legend[@data-spot-matched]")
    assert legend.get("data-spot-matched") == str(extra)
    assert f"找到 {extra} 人" in legend.text_content()
    [warning] = tree.xpath("//*[@data-spot-too-many]")
    assert f"仅列出前 {SPOT_LIST_LIMIT} 人" in warning.text_content()
    # A search that fits says nothing of the kind.
    assert not _search(login_client(cast.east.bureau), cast.east.learner.name).xpath("//*[@data-spot-too-many]")
