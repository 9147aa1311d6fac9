"""Private files: kept under ``PRIVATE_STORAGE_ROOT``, outside any served URL, one folder per feature.

Features store paths relative to their folder and turn them into files here only, so a stored
path can never point outside that folder.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def private_root(folder: str) -> Path:
    # Read at call time so tests that override PRIVATE_STORAGE_ROOT see the new location.
    return (Path(settings.PRIVATE_STORAGE_ROOT) / folder).resolve()


def private_path(folder: str, relative: str) -> Path:
    """The file ``relative`` inside ``folder`` of private storage; ``ValueError`` when it would lie outside."""
    root = private_root(folder)
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError(f"path escapes the private {folder} storage")
    return path
