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
    return _write(f"{kind}/{owner_id}/{secrets.token_hex(12)}{suffix}", data)


def _write(relative: str, data: bytes) -> str:
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


def folder(kind: str, owner_id: int) -> str:
    """A new folder name for several files of one record (liveness frames); nothing is created until a save."""
    return f"{kind}/{owner_id}/{secrets.token_hex(12)}"


def save_into(folder_path: str, name: str, data: bytes) -> str:
    """Write ``data`` as ``name`` inside a folder made by ``folder``; returns the file's relative path."""
    if "/" in name or name.startswith("."):
        raise ValueError("a plain file name is expected")
    return _write(f"{folder_path}/{name}", data)


def list_folder(folder_path: str) -> list[str]:
    """The relative paths of the files in a folder, by name; [] when it is gone."""
    if not folder_path:
        return []
    try:
        directory = _resolve(folder_path)
    except ValueError:
        return []
    if not directory.is_dir():
        return []
    return [f"{folder_path}/{p.name}" for p in sorted(directory.iterdir()) if p.is_file() and p.suffix != ".part"]


def delete_folder(folder_path: str) -> int:
    """Remove a folder made by ``folder`` and its files; returns how many files there were. Idempotent."""
    if not folder_path:
        return 0
    try:
        directory = _resolve(folder_path)
    except ValueError:
        return 0
    if not directory.is_dir():
        return 0
    count = 0
    for path in directory.iterdir():
        path.unlink(missing_ok=True)
        count += 1
    directory.rmdir()
    return count
