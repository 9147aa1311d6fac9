"""Private files for proctoring: face images live under PRIVATE_STORAGE_ROOT, outside any served URL.

Paths stored on rows are relative to ``PRIVATE_STORAGE_ROOT/proctoring`` and
made here only (random names), so a row can never point outside that tree.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings

SUBDIR = "proctoring"


def _root() -> Path:
    return (Path(settings.PRIVATE_STORAGE_ROOT) / SUBDIR).resolve()


def _resolve(relative: str) -> Path:
    root = _root()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError("path escapes the private proctoring storage")
    return path


def save(kind: str, owner_id: int, data: bytes, suffix: str = ".jpg") -> str:
    relative = f"{kind}/{owner_id}/{secrets.token_hex(12)}{suffix}"
    path = _resolve(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return relative


def read(relative: str) -> bytes | None:
    if not relative:
        return None
    try:
        return _resolve(relative).read_bytes()
    except (FileNotFoundError, ValueError):
        return None


def delete(relative: str) -> bool:
    """Remove the file; True if it existed. Missing files are fine (purges are idempotent)."""
    if not relative:
        return False
    try:
        _resolve(relative).unlink()
        return True
    except (FileNotFoundError, ValueError):
        return False


def sniff_suffix(data: bytes) -> str:
    return ".png" if data[:8] == b"\x89PNG\r\n\x1a\n" else ".jpg"
