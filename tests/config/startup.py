"""Django started in a fresh interpreter with a chosen environment: what the settings make of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
# The start of a ``code`` that prints settings: ``s`` is django.conf.settings.
SETTINGS = "import django; django.setup(); from django.conf import settings as s; "


def _start(code: str = "import django; django.setup()", **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in _SELECTORS}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def started(code: str, **env: str) -> list[str]:
    """The words ``code`` printed; start-up must succeed."""
    result = _start(code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def refused(**env: str) -> str:
    """What a start-up that must stop on a malformed setting wrote to stderr."""
    result = _start(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr
