"""Measured runs in a child process of their own (so that a peak RSS belongs to that run): the
child's environment, and its result read back as the JSON object on its last line of output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Not bench.common's: a measured child imports this module too, and nothing more than it needs.
ROOT = Path(__file__).resolve().parents[1]

_DATABASE_SETTINGS = ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH")


def child_env() -> dict[str, str]:
    """This process's environment without its database settings (the caller names the child's),
    on production settings (DEBUG off: no query log), with the repository on the path."""
    env = {k: v for k, v in os.environ.items() if k not in _DATABASE_SETTINGS}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", PYTHONPATH=str(ROOT))
    env.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-deployment")
    return env


def child_result(script: str, args: Sequence[str], env: dict[str, str], what: str) -> dict[str, Any]:
    """Run ``script`` with ``args`` in a child Python and return the JSON object it printed last;
    stop the benchmark with the tail of its errors, naming ``what`` failed, if it fails."""
    proc = subprocess.run([sys.executable, script, *args], env=env, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{what} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
