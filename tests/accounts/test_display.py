"""Imported workers sign in by phone or ID number; pages and messages name them, never their generated username."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def test_signing_in_by_phone_greets_the_worker_by_name() -> None:
    # What the roster import makes: a random username, the person's name, their phone.
    factories.make_user("uba1ae81a", display_name="张三", phone="13912345670")
    client = Client()
    client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"login": "13912345670", "password": factories.PASSWORD}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    messages = [str(m) for m in response.context["messages"]]
    assert any("张三" in m for m in messages), messages
    assert "uba1ae81a" not in page


def test_a_user_without_a_name_is_shown_by_username() -> None:
    from allauth.account.utils import user_display

    assert user_display(User(username="east_trainer")) == "east_trainer"
    assert user_display(User(username="uba1ae81a", display_name="李四")) == "李四"
