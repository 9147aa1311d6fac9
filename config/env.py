"""Strict parsing of environment variables.

Every helper raises ``ImproperlyConfigured`` naming the variable, so a typo in
a deployment stops start-up instead of silently falling back to a default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum {minimum}")
    return number


_RATE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(value: str, *, name: str = "rate") -> tuple[int, int]:
    """``"10/10m"`` → ``(10, 600)``: at most 10 in any window of 600 seconds.

    The period is a whole number (1 if left out) and one unit: s, m, h or d.
    Anything else, a zero count or a zero period raises naming ``name``.
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", value, flags=re.ASCII)
    if match is None:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate: write COUNT/PERIOD with a unit s, m, h or d, such as 10/10m"
        )
    count, length, unit = int(match[1]), int(match[2] or 1), match[3]
    if count < 1 or length < 1:
        raise ImproperlyConfigured(f"{name}={value!r}: the count and the period must be at least 1")
    return count, length * _RATE_UNITS[unit]


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate such as ``10/10m`` (see ``parse_rate``) as ``(count, seconds)``."""
    value = _raw(name)
    return parse_rate(default if value is None else value, name=name)


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """``X-Forwarded-Proto`` (or ``X-Forwarded-Proto=https``) → Django's ``SECURE_PROXY_SSL_HEADER``.

    Set it only when a proxy in front of the site overwrites that header on
    every request: otherwise any client could claim to have come over https.
    """
    value = _raw(name)
    if value is None:
        return None
    header, _, expected = value.partition("=")
    header, expected = header.strip(), (expected.strip() or "https")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", header) or not re.fullmatch(r"[A-Za-z0-9.-]+", expected):
        raise ImproperlyConfigured(f"{name}={value!r} is not a header name such as X-Forwarded-Proto (=https)")
    return "HTTP_" + header.upper().replace("-", "_"), expected


def env_report_uri(name: str) -> str | None:
    """A CSP report endpoint: a path on this site (``/csp-report/``) or an https:// URL."""
    value = _raw(name)
    if value is None:
        return None
    if value.startswith("/") and not value.startswith("//"):
        return value
    env_url(name, schemes=("https",))
    return value


def env_url(name: str, *, schemes: tuple[str, ...]) -> str | None:
    """Return the URL in ``name`` or None; raise if it is set but malformed."""
    value = _raw(name)
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a non-numeric port
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid URL: {exc}") from None
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}")
    if not parts.hostname and not parts.path.strip("/"):
        raise ImproperlyConfigured(f"{name} names no host")
    return value


def postgres_settings(
    url: str, name: str = "DATABASE_URL", pool_max: int = 0, parallel_workers: int | None = None
) -> dict[str, object]:
    """Django DATABASES entry for a postgres:// URL.

    ``pool_max`` > 0 turns on psycopg's connection pool (Django ≥ 5.1): under
    ASGI every concurrent request runs in its own thread with its own
    connection, so a burst of examinees otherwise exhausts max_connections.
    """
    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    if not database:
        raise ImproperlyConfigured(f"{name} names no database (…/DBNAME)")
    connection = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }
    # JIT compiles each statistics query for seconds before it runs (bench_analytics:
    # one figure 5 s slower with it); no query of ours runs long enough to repay it.
    server_options = "-c jit=off"
    if parallel_workers is not None:
        # Workers per parallel scan besides the backend itself: on the 2-core reference
        # machine one worker fills both cores, where the server's default of two starts
        # three processes for two cores and, on a statistics figure over 80,000 fact
        # rows, costs more to start than it saves (bench_analytics.py).
        server_options += f" -c max_parallel_workers_per_gather={parallel_workers}"
    options: dict[str, object] = {"options": server_options}
    if pool_max > 0:
        return {
            **connection,
            "CONN_MAX_AGE": 0,
            "OPTIONS": {**options, "pool": {"min_size": 1, "max_size": pool_max, "timeout": 30}},
        }
    return {
        **connection,
        "OPTIONS": options,
        "CONN_MAX_AGE": 60,
        # No health check: it is a ``SELECT 1`` before every ORM hop of a websocket consumer
        # (channels treats each as a request), ~7 % of a class's connect storm (bench_ws.py).
        # A connection that broke is still noticed: the failing query marks it unusable and
        # Django closes it before the next request.
        "CONN_HEALTH_CHECKS": False,
    }


def sqlite_path_from_url(url: str, *, base_dir: Path, name: str = "DATABASE_URL") -> str:
    """The database file a ``sqlite://`` URL names (dj-database-url's spelling).

    ``sqlite:///relative/db.sqlite3`` is relative to ``base_dir`` (the project
    directory, not the current directory, so that manage.py, daphne and celery
    started from anywhere share one file); ``sqlite:////abs/db.sqlite3`` is
    absolute; ``sqlite:///:memory:`` is an in-memory database. A URL with a
    host (``sqlite://x/db``), a query or no file is refused, naming ``name``.
    """
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        raise ImproperlyConfigured(f"{name} is not a sqlite:// URL")
    if parts.netloc:
        raise ImproperlyConfigured(
            f"{name}={url!r} has a host part ({parts.netloc!r}): write sqlite:///relative/path or sqlite:////absolute/path"
        )
    if parts.query or parts.fragment:
        raise ImproperlyConfigured(f"{name}={url!r}: options in a sqlite:// URL are not supported")
    # urlsplit keeps the slash that separates the (empty) host from the path.
    path = unquote(parts.path)[1:]
    if not path or path.endswith("/"):
        raise ImproperlyConfigured(f"{name}={url!r} names no database file (sqlite:///path/to/file.sqlite3)")
    if path == ":memory:":
        return path
    file = Path(path)
    return str(file if file.is_absolute() else base_dir / file)


def sqlite_settings(path: str) -> dict[str, object]:
    """Django DATABASES entry for the SQLite file at ``path``."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            # WAL and a busy timeout let the ASGI server's threads and the
            # in-process workers share the file without "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        },
    }
