"""Private files for proctoring: face images, in private storage (``core.private_files``), never under a URL.

Paths stored on rows are relative to the ``proctoring`` folder and made here only (random
names), so a row can never point outside it. Face images are biometric data: encrypted at
rest when ``BIOMETRIC_ENCRYPTION_KEY`` is set.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from core.private_files import PrivateFolder, private_root

SUBDIR = "proctoring"
_folder = PrivateFolder(SUBDIR, biometric=True)


def _root() -> Path:
    """The folder on this host's disk when private storage is the default filesystem one."""
    return private_root(SUBDIR)


def save(kind: str, owner_id: int, data: bytes, suffix: str = ".jpg") -> str:
    return _folder.write(f"{kind}/{owner_id}/{secrets.token_hex(12)}{suffix}", data)


def read(relative: str) -> bytes | None:
    return _folder.read(relative)


def delete(relative: str) -> bool:
    """Remove the file; True if it existed. Missing files are fine (purges are idempotent)."""
    return _folder.delete(relative)


def sniff_suffix(data: bytes) -> str:
    return ".png" if data[:8] == b"\x89PNG\r\n\x1a\n" else ".jpg"


def folder(kind: str, owner_id: int) -> str:
    """A new folder name for several files of one record (liveness frames); nothing is created until a save."""
    return f"{kind}/{owner_id}/{secrets.token_hex(12)}"


def save_into(folder_path: str, name: str, data: bytes) -> str:
    """Write ``data`` as ``name`` inside a folder made by ``folder``; returns the file's relative path."""
    if "/" in name or name.startswith("."):
        raise ValueError("a plain file name is expected")
    return _folder.write(f"{folder_path}/{name}", data)


def list_folder(folder_path: str) -> list[str]:
    """The relative paths of the files in a folder, by name; [] when it is gone."""
    return [f"{folder_path}/{name}" for name in _folder.listdir(folder_path)]


def delete_folder(folder_path: str) -> int:
    """Remove a folder made by ``folder`` and its files; returns how many files there were. Idempotent."""
    return _folder.delete_folder(folder_path)
