"""Start-up with malformed environment values stops with the variable's name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Variables that select a backend; cleared so each case sees only its own.
_SELECTORS = ("DATABASE_URL", "REDIS_URL", "DEBUG", "BACKGROUND_THREADS", "MFA_REQUIRED_ROLES", "SECRET_KEY")


def _start(code: str = "import django; django.setup()", **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in _SELECTORS}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://x"),
        ("DATABASE_URL", "postgres://h:notaport/db"),
        ("DATABASE_URL", "postgres://h:5432/"),
        ("REDIS_URL", "http://x"),
        ("BACKGROUND_THREADS", "abc"),
        ("BACKGROUND_THREADS", "0"),
    ],
)
def test_malformed_value_stops_start_up_naming_the_variable(name: str, value: str) -> None:
    result = _start(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_good_values_start() -> None:
    result = _start(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.DATABASES['default']['PORT'], "
        "s.CACHES['default']['BACKEND'], s.BACKGROUND_THREADS)",
        DEBUG="off",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://user:pw@db.example:6543/safetrain",
        REDIS_URL="redis://cache.example:6379/1",
        BACKGROUND_THREADS="4",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "6543",
        "config.cache.SharedPoolRedisCache",
        "4",
    ]


def test_embedded_default_starts() -> None:
    result = _start(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.BACKGROUND_BACKEND)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "threads",
    ]


def test_debug_off_requires_a_secret_key() -> None:
    result = _start(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_mfa_required_by_default_outside_debug() -> None:
    code = "import django; django.setup(); from django.conf import settings as s; print(sorted(s.MFA_REQUIRED_ROLES))"
    off = _start(code, DEBUG="false", SECRET_KEY="y" * 50)
    assert off.returncode == 0, off.stderr
    assert off.stdout.strip() == "['bureau_official', 'platform_admin']"
    on = _start(code, DEBUG="true")
    assert on.stdout.strip() == "[]"
