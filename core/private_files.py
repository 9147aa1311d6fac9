"""Files under ``PRIVATE_STORAGE_ROOT``: outside any served URL, each app in a folder of its own.

Paths on rows are relative to the app's folder; every one is resolved here, so a
stored path can never lead outside that folder.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def private_root(subdir: str) -> Path:
    """The app's folder (read from settings on each call, so tests may move it)."""
    return (Path(settings.PRIVATE_STORAGE_ROOT) / subdir).resolve()


def private_path(subdir: str, relative: str) -> Path:
    """``relative`` inside the app's folder ``subdir``; ValueError when it would lead outside it."""
    root = private_root(subdir)
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError(f"path escapes the private storage folder {subdir}")
    return path
