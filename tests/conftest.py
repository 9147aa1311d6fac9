"""The cast, built the same way for every scoping test.

Two districts (east, west), each with a street and two enterprises; per
district a learner, an enterprise admin, a training admin, a proctor and a
bureau official; a platform admin; and ``outsider``, who belongs nowhere and
should have no access to anything.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import translation

from accounts.models import User
from organizations.models import Enterprise, Jurisdiction, Person, RoleGrant, TrainingProvider
from tests import factories

Role = RoleGrant.Role

# No Celery worker runs during the tests: tasks the PostgreSQL + Redis pass queues stay in the
# queue, and the server processes the tests start (which inherit this environment) must still
# pass their /healthz readiness probe. tests/core/test_health.py sets the threshold itself.
os.environ.setdefault("WORKER_QUEUE_MAX_WAIT_SECONDS", "0")


@dataclass
class District:
    jurisdiction: Jurisdiction
    street: Jurisdiction
    enterprises: list[Enterprise]
    provider: TrainingProvider
    learner: Person
    enterprise_admin: User
    training_admin: User
    proctor: User
    bureau: User
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Cast:
    east: District
    west: District
    platform_admin: User
    outsider: User


def ensure_industries() -> None:
    """Re-seed the industry catalogue when a transactional test flushed it.

    The catalogue comes from a data migration; pytest-django's flush after a
    ``transaction=True`` test empties it for every test that follows.
    """
    import importlib

    from organizations.models import Industry

    if Industry.objects.exists():
        return
    seed = importlib.import_module("organizations.migrations.0002_seed_industries")
    for code, name, key, high_risk, manufacturing in seed.INDUSTRIES:
        Industry.objects.create(
            code=code, name=name, is_key=key, is_high_risk=high_risk, is_manufacturing=manufacturing
        )


def _district(prefix: str, code: str, name: str) -> District:
    root = factories.make_jurisdiction(code, name)
    street = factories.make_jurisdiction(f"{code}001", f"{name}第一街道", parent=root)
    enterprises = [
        factories.make_enterprise(street, name=f"{name}化工厂", industry_code="hazardous_chemicals"),
        factories.make_enterprise(root, name=f"{name}机械厂", industry_code="machinery"),
    ]
    provider = factories.make_provider(root, code=f"{prefix}-center")
    learner = factories.make_person(enterprises[0], username=f"{prefix}_learner")
    enterprise_admin = factories.make_user(f"{prefix}_entadmin")
    factories.grant(enterprise_admin, Role.ENTERPRISE_ADMIN, enterprise=enterprises[0])
    training_admin = factories.make_user(f"{prefix}_trainer")
    factories.grant(training_admin, Role.TRAINING_ADMIN, provider=provider)
    proctor = factories.make_user(f"{prefix}_proctor")
    factories.grant(proctor, Role.PROCTOR, jurisdiction=root)
    bureau = factories.make_user(f"{prefix}_bureau")
    factories.grant(bureau, Role.BUREAU_OFFICIAL, jurisdiction=root)
    return District(root, street, enterprises, provider, learner, enterprise_admin, training_admin, proctor, bureau)


@pytest.fixture
def cast(db: None) -> Cast:
    ensure_industries()
    east = _district("east", "990101", "东区")
    west = _district("west", "990102", "西区")
    platform_admin = factories.make_user("platform", is_staff=True)
    factories.grant(platform_admin, Role.PLATFORM_ADMIN)
    outsider = factories.make_user("outsider")
    return Cast(east, west, platform_admin, outsider)


def login_client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def token_client(user: User) -> Client:
    """A client that sends only the user's API token: no session cookie, as a phone app or another system."""
    from rest_framework.authtoken.models import Token

    token, _created = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def make_staff(user: User, *codenames: str, apps: Iterable[str] | None = None) -> User:
    """``user`` made staff with the permissions named by ``codenames`` (only those of ``apps``, when given)."""
    user.is_staff = True
    user.save()
    permissions = Permission.objects.filter(codename__in=codenames)
    if apps is not None:
        permissions = permissions.filter(content_type__app_label__in=list(apps))
    user.user_permissions.add(*permissions)
    return user


def english_client(user: User) -> Client:
    """A signed-in client whose pages come in English: assertions read the English
    strings, and without the language cookie LocaleMiddleware serves Chinese."""
    client = login_client(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def english() -> Iterator[None]:
    """Messages in English for the test (``pytest.mark.usefixtures("english")``)."""
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def astronaut_jpeg() -> bytes:
    """A packaged face photo (scikit-image's astronaut), for enrolment."""
    from tests.support import faces

    return faces.astronaut_jpeg()


@pytest.fixture(scope="session")
def astronaut_snapshot() -> bytes:
    """The same face as a webcam snapshot would send it."""
    from tests.support import faces

    return faces.snapshot_jpeg(faces.astronaut_bgr())


@pytest.fixture
def client_for():
    return login_client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's deliberate slowness buys nothing in tests and costs seconds per user.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "accounts.hashers.OneTimePasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings: Any) -> None:
    # Counters in the cache (photo uploads per person, rate limits) would add up across tests for the same
    # ids; a fresh key prefix per test keeps them apart without flushing a Redis that other runs share.
    settings.CACHES = {
        alias: {**conf, "KEY_PREFIX": f"{conf.get('KEY_PREFIX', '')}t{uuid.uuid4().hex[:12]}"}
        for alias, conf in settings.CACHES.items()
    }


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    # Several pytest runs may share one PostgreSQL server (developers, helpers,
    # CI): a per-process test database name keeps them from dropping each
    # other's database mid-run.
    import os

    from pytest_django.fixtures import _set_suffix_to_test_databases

    _set_suffix_to_test_databases(suffix=f"p{os.getpid()}")
