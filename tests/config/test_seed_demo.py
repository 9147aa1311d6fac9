"""seed_demo: idempotent, guarded outside DEBUG, valid data, working accounts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from organizations.models import Enterprise, Jurisdiction, Person, RoleGrant, TrainingProvider

README_ACCOUNTS = ["demo_admin", "demo_bureau", "demo_trainer", "demo_enterprise", "demo_proctor", "demo_learner"]


def _counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count() for m in (User, Enterprise, Jurisdiction, Person, RoleGrant, TrainingProvider)
    }


@pytest.fixture
def debug_on(settings: Any) -> None:
    settings.DEBUG = True


def test_refuses_with_debug_off_unless_forced(db: None, settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", verbosity=0)
    assert not User.objects.filter(username="demo_admin").exists()
    call_command("seed_demo", "--force", verbosity=0)
    assert User.objects.filter(username="demo_admin").exists()


def test_is_idempotent(db: None, debug_on: None) -> None:
    call_command("seed_demo", verbosity=0)
    first = _counts()
    assert first["Enterprise"] >= 2
    assert first["Person"] >= 1
    call_command("seed_demo", verbosity=0)
    assert _counts() == first


def test_every_seeded_record_is_valid(db: None, debug_on: None) -> None:
    call_command("seed_demo", verbosity=0)
    for model in (Jurisdiction, Enterprise, Person, TrainingProvider):
        for obj in model.objects.all():
            obj.full_clean()
    for user in User.objects.filter(username__startswith="demo_"):
        user.full_clean()


@pytest.mark.parametrize("username", README_ACCOUNTS)
def test_readme_accounts_log_in(db: None, debug_on: None, username: str) -> None:
    call_command("seed_demo", verbosity=0)
    client = Client()
    response = client.post("/accounts/login/", {"login": username, "password": "demo-pass-2026"})
    assert response.status_code == 302, response.content.decode()[:500]
    home = client.get("/")
    assert home.status_code == 200  # no MFA or password-change detour in the demo
    assert client.get("/api/v1/me/").json()["username"] == username
