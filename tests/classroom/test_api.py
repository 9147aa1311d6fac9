"""The classroom API: trainers list and schedule classes and read the code; learners list their classes and sign.

The sign door runs at the real clock (the API takes no ``now``): the classes here start a few minutes ago,
and an expired code is one made for two minutes ago. Nothing sleeps."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from classroom.models import Attendance, Invitation, TrainingClass
from classroom.services.codes import class_code
from organizations.models import Person
from tests import factories
from tests.conftest import Cast
from tests.support.classroom import make_class
from training.models import CreditLedger

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture(autouse=True)
def _private(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def token_client(user: Any) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def running_class(cast: Cast, **fields: Any) -> TrainingClass:
    """A class that started 5 minutes ago and lasts an hour."""
    now = timezone.now()
    return make_class(
        cast,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(minutes=55),
        credit_minutes=60,
        **fields,
    )


def _body(cast: Cast, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "owner_enterprise": cast.east.enterprises[0].pk,
        "topic": "车间级安全教育",
        "level": "workshop",
        "starts_at": "2026-06-10T09:00:00+08:00",
        "ends_at": "2026-06-10T10:30:00+08:00",
        "place": "二车间",
        "credit_minutes": 90,
    }
    body.update(fields)
    return body


# --- trainers --------------------------------------------------------------------------------------------


def test_trainer_schedules_with_invitees_and_lists_their_classes(cast: Cast) -> None:
    plant = cast.east.enterprises[0]
    welder = factories.make_person(plant, post=Person.Post.SPECIAL_OPERATOR)
    client = token_client(cast.east.enterprise_admin)
    response = client.post(
        "/api/v1/classes/",
        _body(cast, posts=["special_operator"], people=[cast.east.learner.pk], tolerance_minutes=5),
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["topic"] == "车间级安全教育"
    assert created["invited"] == 2
    assert created["tolerance_minutes"] == 5
    assert created["trainer_id"] == cast.east.enterprise_admin.pk
    c = TrainingClass.objects.get(pk=created["id"])
    assert set(Invitation.objects.filter(training_class=c).values_list("person_id", flat=True)) == {
        welder.pk,
        cast.east.learner.pk,
    }
    listed = client.get("/api/v1/classes/").json()
    assert [row["id"] for row in listed] == [c.pk]
    # others do not see it in their list
    for user in (cast.west.enterprise_admin, cast.east.learner.user, cast.east.bureau):
        assert token_client(user).get("/api/v1/classes/").json() == []


def test_schedule_refusals_name_the_fields_and_write_nothing(cast: Cast) -> None:
    client = token_client(cast.east.enterprise_admin)
    response = client.post(
        "/api/v1/classes/",
        _body(cast, ends_at="2026-06-10T08:00:00+08:00", people=[cast.west.learner.pk]),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "class_invalid"
    assert set(response.json()["errors"]) == {"ends_at"}
    # an invitee the class may not invite undoes the whole request
    response = client.post("/api/v1/classes/", _body(cast, people=[cast.west.learner.pk]), format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"people"}
    # an enterprise that is not yours is an unknown field, not a hint
    response = client.post("/api/v1/classes/", _body(cast, owner_enterprise=cast.west.enterprises[0].pk), format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"owner_enterprise"}
    assert not TrainingClass.objects.exists()


def test_a_learner_cannot_schedule(cast: Cast) -> None:
    response = token_client(cast.east.learner.user).post(
        "/api/v1/classes/", _body(cast, owner_enterprise=None), format="json"
    )
    assert response.status_code in (400, 403)
    assert not TrainingClass.objects.exists()


def test_code_only_for_who_runs_the_class(cast: Cast) -> None:
    c = running_class(cast)
    response = token_client(cast.east.enterprise_admin).get(f"/api/v1/classes/{c.pk}/code/?kind=in")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "in"
    assert body["path"] == f"/classes/{c.pk}/sign/?code={body['code']}"
    assert dt.datetime.fromisoformat(body["expires_at"]) > timezone.now()
    assert token_client(cast.east.enterprise_admin).get(f"/api/v1/classes/{c.pk}/code/?kind=x").status_code == 400
    for user in (cast.east.learner.user, cast.west.enterprise_admin, cast.east.bureau, cast.outsider):
        assert token_client(user).get(f"/api/v1/classes/{c.pk}/code/?kind=in").status_code == 404


# --- learners ----------------------------------------------------------------------------------------------


def test_learner_signs_in_and_out_with_the_trainers_code(cast: Cast) -> None:
    c = running_class(cast)
    trainer, learner = token_client(cast.east.enterprise_admin), token_client(cast.east.learner.user)
    mine = learner.get("/api/v1/me/classes/").json()
    assert [(row["id"], row["attendance"]["status"]) for row in mine] == [(c.pk, "invited")]
    code = trainer.get(f"/api/v1/classes/{c.pk}/code/?kind=in").json()["code"]
    response = learner.post(f"/api/v1/classes/{c.pk}/sign/", {"code": code}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "signed_in"
    assert response.json()["signed_out_at"] is None
    # a second sign-in: 409, nothing changes
    again = learner.post(f"/api/v1/classes/{c.pk}/sign/", {"code": code}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_signed_in"
    assert Attendance.objects.count() == 1
    out = trainer.get(f"/api/v1/classes/{c.pk}/code/?kind=out").json()["code"]
    response = learner.post(f"/api/v1/classes/{c.pk}/sign/", {"code": out}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "signed_out"
    # left ~55 minutes early: beyond the tolerance, so almost nothing is credited, and it is in the ledger
    assert body["credited_minutes"] == CreditLedger.objects.get(learner=cast.east.learner.user).seconds // 60
    assert learner.get("/api/v1/me/classes/").json()[0]["attendance"]["status"] == "signed_out"


def test_expired_forged_and_foreign_codes_are_clear_4xx_and_write_nothing(cast: Cast) -> None:
    c = running_class(cast)
    other = running_class(cast, topic="另一个班")
    learner = token_client(cast.east.learner.user)
    expired = class_code(c, "in", now=timezone.now() - dt.timedelta(minutes=2)).code
    cases = {
        expired: "code_expired",
        "in-1-0123456789abcdef": "code_invalid",
        class_code(other, "in").code: "code_invalid",
    }
    for code, expected in cases.items():
        response = learner.post(f"/api/v1/classes/{c.pk}/sign/", {"code": code}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == expected
        assert response.json()["detail"]
    assert learner.post(f"/api/v1/classes/{c.pk}/sign/", {}, format="json").status_code == 400
    assert not Attendance.objects.exists()


def test_not_invited_and_other_enterprises_are_refused(cast: Cast) -> None:
    c = running_class(cast)
    code = class_code(c, "in").code
    # same enterprise but not invited: the class is not theirs to see
    colleague = factories.make_person(cast.east.enterprises[0])
    for user in (colleague.user, cast.west.learner.user, cast.outsider):
        response = token_client(user).post(f"/api/v1/classes/{c.pk}/sign/", {"code": code}, format="json")
        assert response.status_code == 404
    # the trainer sees the class but is not invited
    response = token_client(cast.east.enterprise_admin).post(
        f"/api/v1/classes/{c.pk}/sign/", {"code": code}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_invited"
    assert not Attendance.objects.exists()


def test_face_class_on_the_api(cast: Cast, astronaut_jpeg: bytes, astronaut_snapshot: bytes) -> None:
    from tests.proctoring.conftest import enrol_astronaut

    c = running_class(cast, requires_face=True)
    learner = token_client(cast.east.learner.user)
    code = class_code(c, "in").code
    response = learner.post(f"/api/v1/classes/{c.pk}/sign/", {"code": code}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "face_required"
    assert "by hand" in response.json()["detail"]
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    bad = learner.post(f"/api/v1/classes/{c.pk}/sign/", {"code": code, "frame": "not base64!"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"frame"}
    frame = base64.b64encode(astronaut_snapshot).decode()
    response = learner.post(
        f"/api/v1/classes/{c.pk}/sign/", {"code": class_code(c, "in").code, "frame": frame}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert Attendance.objects.get().in_method == "qr_face"
