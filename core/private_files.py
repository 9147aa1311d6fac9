"""Private files: kept outside any served URL, one folder per feature.

Features store paths relative to their folder and turn them into files here only, so a stored
path can never point outside that folder.

Where the files live is the operator's choice (``PRIVATE_STORAGE_BACKEND``): under
``PRIVATE_STORAGE_ROOT`` on this host (the default), or in an S3-compatible bucket
(``STORAGES["private"]``, django-storages) that every host shares. A ``PrivateFolder`` saves,
reads, lists and deletes in either; a biometric folder (face images) is Fernet-encrypted at rest
when ``BIOMETRIC_ENCRYPTION_KEYS`` holds keys.
"""

from __future__ import annotations

import contextlib
import functools
import posixpath
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.module_loading import import_string

PRIVATE_ALIAS = "private"
# Every Fernet token starts with its version byte 0x80 and a timestamp's zero high bytes; a JPEG or PNG never does.
_TOKEN_PREFIX = b"gAAAAA"


class BiometricKeyError(ImproperlyConfigured):
    """The biometric key is malformed, or a stored face image was encrypted with a key that is not configured."""


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


def _bucket() -> Storage:
    """The shared bucket, ``STORAGES["private"]`` (only where private storage is not local: the local disk
    is written directly, atomically, by ``PrivateFolder``)."""
    return storages[PRIVATE_ALIAS]


def private_storage_is_local() -> bool:
    return PRIVATE_ALIAS not in settings.STORAGES


def private_storage_for(folder: str) -> Storage:
    """A Storage rooted at ``folder`` of private storage, for a ``FileField`` (training's lesson files)."""
    if private_storage_is_local():
        return FileSystemStorage(location=Path(settings.PRIVATE_STORAGE_ROOT) / folder, base_url=None)
    config = settings.STORAGES[PRIVATE_ALIAS]
    options = dict(config.get("OPTIONS", {}))
    options["location"] = posixpath.join(options.get("location", ""), folder)
    return import_string(config["BACKEND"])(**options)


# --- biometric encryption -------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise BiometricKeyError(
                f"BIOMETRIC_ENCRYPTION_KEY: key {number} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
            ) from None
    return MultiFernet(fernets)


def biometric_fernet() -> MultiFernet | None:
    """The configured keys, the first one encrypting; None when face images are kept in the clear."""
    keys = tuple(settings.BIOMETRIC_ENCRYPTION_KEYS)
    return _fernet_for(keys) if keys else None


def biometric_seal(data: bytes) -> bytes:
    fernet = biometric_fernet()
    return data if fernet is None else fernet.encrypt(data)


def biometric_open(stored: bytes) -> bytes:
    """The image in ``stored``: decrypted when it was written encrypted, as is when written before encryption."""
    if not stored.startswith(_TOKEN_PREFIX):
        return stored
    fernet = biometric_fernet()
    if fernet is None:
        raise BiometricKeyError("a face image is stored encrypted, but BIOMETRIC_ENCRYPTION_KEY is not set")
    try:
        return fernet.decrypt(stored)
    except InvalidToken:
        raise BiometricKeyError(
            "a face image is encrypted with a key that BIOMETRIC_ENCRYPTION_KEY does not hold "
            "(keep the old key after the new one while rotating)"
        ) from None


# --- folders --------------------------------------------------------------------------------------


class PrivateFolder:
    """One feature's folder of private storage; ``biometric`` folders are encrypted when a key is set.

    On the local disk a file is written to ``.part`` and renamed, so a reader never sees half of it
    (``FileSystemStorage.save`` neither replaces nor writes atomically); an object store's put is atomic.
    """

    def __init__(self, name: str, *, biometric: bool = False) -> None:
        self.name = name
        self.biometric = biometric

    def _key(self, relative: str) -> str:
        """The storage name of ``relative``; ``ValueError`` when it would lie outside the folder."""
        parts = relative.split("/")
        if (
            not relative
            or "\\" in relative
            or "\x00" in relative
            or posixpath.isabs(relative)
            or any(part in ("", ".", "..") for part in parts)
        ):
            raise ValueError(f"path escapes the private {self.name} storage")
        return f"{self.name}/{relative}"

    def write(self, relative: str, data: bytes) -> str:
        key = self._key(relative)
        if self.biometric:
            data = biometric_seal(data)
        if private_storage_is_local():
            path = private_path(self.name, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)
        else:
            saved = _bucket().save(key, ContentFile(data))
            if saved != key:
                raise RuntimeError(f"private storage renamed {key} to {saved}: set file_overwrite")
        return relative

    def read(self, relative: str) -> bytes | None:
        """The file's bytes (decrypted), or None when it is gone or the path is not one of this folder's."""
        if not relative:
            return None
        try:
            if private_storage_is_local():
                stored = private_path(self.name, relative).read_bytes()
            else:
                with _bucket().open(self._key(relative), "rb") as handle:
                    stored = handle.read()
        except (FileNotFoundError, IsADirectoryError, ValueError):
            return None
        return biometric_open(stored) if self.biometric else stored

    def delete(self, relative: str) -> bool:
        """Remove the file; True if it existed. Missing files are fine (purges are idempotent)."""
        if not relative:
            return False
        try:
            if private_storage_is_local():
                private_path(self.name, relative).unlink()
                return True
            key, storage = self._key(relative), _bucket()
        except (FileNotFoundError, ValueError):
            return False
        existed = storage.exists(key)
        storage.delete(key)
        return existed

    def listdir(self, folder: str) -> list[str]:
        """The names of the files directly in ``folder``, sorted, without unfinished ``.part`` files."""
        if not folder:
            return []
        try:
            if private_storage_is_local():
                directory = private_path(self.name, folder)
                names = [p.name for p in directory.iterdir() if p.is_file()] if directory.is_dir() else []
            else:
                _dirs, names = _bucket().listdir(self._key(folder))
        except (FileNotFoundError, ValueError):
            return []
        return sorted(name for name in names if not name.endswith(".part"))

    def delete_folder(self, folder: str) -> int:
        """Remove ``folder`` and the files directly in it; returns how many files there were. Idempotent."""
        if not folder:
            return 0
        try:
            key = self._key(folder)
            if private_storage_is_local():
                directory = private_path(self.name, folder)
                if not directory.is_dir():
                    return 0
                count = 0
                for path in directory.iterdir():
                    path.unlink(missing_ok=True)
                    count += 1
                directory.rmdir()
                return count
            storage = _bucket()
            _dirs, names = storage.listdir(key)
        except (FileNotFoundError, ValueError):
            return 0
        for name in names:
            storage.delete(f"{key}/{name}")
        return len(names)

    # --- large files, streamed (exports); not for biometric folders, which are small and encrypted whole ---

    @contextlib.contextmanager
    def writer(self, relative: str) -> Iterator[IO[bytes]]:
        """A stream that becomes the file ``relative`` when the block ends without error (nothing otherwise)."""
        if self.biometric:
            raise TypeError("biometric files are written whole, with write()")
        key = self._key(relative)
        if private_storage_is_local():
            path = private_path(self.name, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".part")
            try:
                with partial.open("wb") as stream:
                    yield stream
                partial.replace(path)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            return
        # Spooled to a local temporary file, then uploaded in one go (multipart above the threshold).
        with tempfile.TemporaryFile() as stream:
            yield stream
            stream.seek(0)
            saved = _bucket().save(key, File(stream))
        if saved != key:
            raise RuntimeError(f"private storage renamed {key} to {saved}: set file_overwrite")

    def open(self, relative: str) -> IO[bytes] | None:
        """The file opened for reading, or None when it is gone. The caller closes it."""
        if self.biometric:
            raise TypeError("biometric files are read whole, with read()")
        try:
            if private_storage_is_local():
                return private_path(self.name, relative).open("rb")
            return _bucket().open(self._key(relative), "rb")  # type: ignore[return-value]
        except (FileNotFoundError, IsADirectoryError, ValueError):
            return None

    def exists(self, relative: str) -> bool:
        try:
            if private_storage_is_local():
                return private_path(self.name, relative).is_file()
            return _bucket().exists(self._key(relative))
        except ValueError:
            return False

    def size(self, relative: str) -> int:
        if private_storage_is_local():
            return private_path(self.name, relative).stat().st_size
        return _bucket().size(self._key(relative))
