"""Start-up with malformed environment values stops with the variable's name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Variables that select a backend; cleared so each case sees only its own.
_SELECTORS = (
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "BACKGROUND_THREADS",
    "MFA_REQUIRED_ROLES",
    "SECRET_KEY",
    "SQLITE_PATH",
)


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
        "core.cache.SharedPoolRedisCache",
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


def _database_name(**env: str) -> subprocess.CompletedProcess[str]:
    return _start(
        "import django; django.setup(); from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['OPTIONS']['transaction_mode'], d['OPTIONS']['timeout'], "
        "'journal_mode=WAL' in d['OPTIONS']['init_command'])",
        **env,
    )


def test_sqlite_url_with_an_absolute_path_is_honoured(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.sqlite3"
    result = _database_name(DATABASE_URL=f"sqlite:///{target}")  # four slashes: sqlite:////tmp/...
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", str(target), "IMMEDIATE", "20", "True"]


def test_sqlite_url_with_a_relative_path_is_relative_to_the_project() -> None:
    result = _database_name(DATABASE_URL="sqlite:///var/ci.sqlite3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == str(ROOT / "var" / "ci.sqlite3")


def test_sqlite_url_really_writes_to_that_file(tmp_path: Path) -> None:
    target = tmp_path / "migrated.sqlite3"
    result = _start(
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('CREATE TABLE marker (x int)'); connection.close()",
        DATABASE_URL=f"sqlite:///{target}",
    )
    assert result.returncode == 0, result.stderr
    assert target.exists()
    assert not (ROOT / "marker").exists()


def test_sqlite_path_keeps_working(tmp_path: Path) -> None:
    target = tmp_path / "by-path.sqlite3"
    result = _database_name(SQLITE_PATH=str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["django.db.backends.sqlite3", str(target)]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("sqlite://somehost/db.sqlite3", "host part"),
        ("sqlite:///dir/", "names no database file"),
        ("sqlite:///db.sqlite3?mode=ro", "not supported"),
    ],
)
def test_unusable_sqlite_url_is_refused_with_a_clear_message(url: str, words: str) -> None:
    result = _start(DATABASE_URL=url)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_URL" in result.stderr
    assert words in result.stderr


def test_sqlite_url_and_sqlite_path_naming_different_files_are_refused(tmp_path: Path) -> None:
    result = _start(DATABASE_URL=f"sqlite:///{tmp_path / 'a.sqlite3'}", SQLITE_PATH=str(tmp_path / "b.sqlite3"))
    assert result.returncode != 0
    assert "set only one of them" in result.stderr
