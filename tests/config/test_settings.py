"""Start-up with malformed environment values stops with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config.startup import ROOT, SETTINGS, refused, started


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
    assert name in refused(**{name: value})


def test_good_values_start() -> None:
    shown = started(
        SETTINGS + "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.DATABASES['default']['PORT'], "
        "s.CACHES['default']['BACKEND'], s.BACKGROUND_THREADS)",
        DEBUG="off",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://user:pw@db.example:6543/safetrain",
        REDIS_URL="redis://cache.example:6379/1",
        BACKGROUND_THREADS="4",
    )
    assert shown == [
        "False",
        "django.db.backends.postgresql",
        "6543",
        "core.cache.SharedPoolRedisCache",
        "4",
    ]


def test_embedded_default_starts() -> None:
    shown = started(
        SETTINGS
        + "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.BACKGROUND_BACKEND)"
    )
    assert shown == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "threads",
    ]


def test_debug_off_requires_a_secret_key() -> None:
    assert "SECRET_KEY" in refused(DEBUG="0")


def test_mfa_required_by_default_outside_debug() -> None:
    code = SETTINGS + "print(*sorted(s.MFA_REQUIRED_ROLES))"
    assert started(code, DEBUG="false", SECRET_KEY="y" * 50) == ["bureau_official", "platform_admin"]
    assert started(code, DEBUG="true") == []


def _database(**env: str) -> list[str]:
    """The database's engine, file, transaction mode, timeout and whether WAL is on; start-up must succeed."""
    return started(
        SETTINGS + "d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['OPTIONS']['transaction_mode'], d['OPTIONS']['timeout'], "
        "'journal_mode=WAL' in d['OPTIONS']['init_command'])",
        **env,
    )


def test_sqlite_url_with_an_absolute_path_is_honoured(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.sqlite3"
    shown = _database(DATABASE_URL=f"sqlite:///{target}")  # four slashes: sqlite:////tmp/...
    assert shown == ["django.db.backends.sqlite3", str(target), "IMMEDIATE", "20", "True"]


def test_sqlite_url_with_a_relative_path_is_relative_to_the_project() -> None:
    assert _database(DATABASE_URL="sqlite:///var/ci.sqlite3")[1] == str(ROOT / "var" / "ci.sqlite3")


def test_sqlite_url_really_writes_to_that_file(tmp_path: Path) -> None:
    target = tmp_path / "migrated.sqlite3"
    started(
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('CREATE TABLE marker (x int)'); connection.close()",
        DATABASE_URL=f"sqlite:///{target}",
    )
    assert target.exists()
    assert not (ROOT / "marker").exists()


def test_sqlite_path_keeps_working(tmp_path: Path) -> None:
    target = tmp_path / "by-path.sqlite3"
    assert _database(SQLITE_PATH=str(target))[:2] == ["django.db.backends.sqlite3", str(target)]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("sqlite://somehost/db.sqlite3", "host part"),
        ("sqlite:///dir/", "names no database file"),
        ("sqlite:///db.sqlite3?mode=ro", "not supported"),
    ],
)
def test_unusable_sqlite_url_is_refused_with_a_clear_message(url: str, words: str) -> None:
    stderr = refused(DATABASE_URL=url)
    assert "DATABASE_URL" in stderr
    assert words in stderr


def test_sqlite_url_and_sqlite_path_naming_different_files_are_refused(tmp_path: Path) -> None:
    stderr = refused(DATABASE_URL=f"sqlite:///{tmp_path / 'a.sqlite3'}", SQLITE_PATH=str(tmp_path / "b.sqlite3"))
    assert "set only one of them" in stderr


def test_a_malformed_parallel_worker_count_stops_start_up() -> None:
    assert "DATABASE_PARALLEL_WORKERS" in refused(
        DATABASE_URL="postgres://user:pw@db.example:6543/safetrain", DATABASE_PARALLEL_WORKERS="two"
    )


@pytest.mark.django_db
def test_postgresql_connections_run_with_the_parallel_workers_and_jit_configured() -> None:
    """What a live connection of the app's reports (PostgreSQL only: the setting is its server's)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL server setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        workers = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    assert (workers, jit) == ("1", "off")
    db = connection.settings_dict
    login = f"{db['USER']}:{db['PASSWORD']}" if db["PASSWORD"] else db["USER"]
    shown = started(
        "import django; django.setup(); from django.db import connection as c; cur = c.cursor(); "
        "cur.execute('SHOW max_parallel_workers_per_gather'); print(cur.fetchone()[0])",
        DATABASE_URL=f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        DATABASE_PARALLEL_WORKERS="0",
    )
    assert shown == ["0"]
