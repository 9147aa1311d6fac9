"""Every exam route refuses the outsider and the WEST district (the route walk checks them too)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import login_client
from tests.exams.route_data import east_exam, exam_routes


@pytest.mark.django_db
def test_outsiders_and_other_districts_reach_no_exam_object(cast: Any) -> None:
    east_exam(cast)
    intruders = [
        cast.outsider,
        cast.west.learner.user,
        cast.west.enterprise_admin,
        cast.west.bureau,
        cast.west.training_admin,
    ]
    for name, build in exam_routes().items():
        if not isinstance(name, str):
            continue  # admin object pages: tests/test_every_route_is_scoped.py and tests/exams/test_admin_site.py
        kwargs = build(cast)
        kwargs.pop("_as", None)
        url = reverse(name, kwargs=kwargs)
        for user in intruders:
            client = login_client(user)
            for method in ("get", "post", "put"):
                status = getattr(client, method)(url, content_type="application/json").status_code
                assert status in (403, 404, 405), f"{name} {method} gave {status} to {user}"
            assert client.get(url).status_code in (403, 404, 405) or name.startswith("api:exam-attempt-s")


@pytest.mark.django_db
def test_my_exams_lists_only_sessions_that_admit_me(cast: Any) -> None:
    data = east_exam(cast)
    east = login_client(cast.east.learner.user).get("/api/v1/me/exams/").json()
    assert {row["session_id"] for row in east} == {data["running"].pk, data["finished"].pk}
    for user in (cast.west.learner.user, cast.outsider):
        assert login_client(user).get("/api/v1/me/exams/").json() == []
        assert data["running"].title not in login_client(user).get("/exams/").content.decode()
