"""Checks every uploaded spreadsheet passes before any parser sees it.

- size cap (``settings.UPLOAD_MAX_BYTES``);
- the format by its magic bytes, not its name: xlsx is a ZIP (``PK\\x03\\x04``),
  csv is text that decodes as UTF-8 (with or without BOM) or GB18030;
- zip bombs: the sum of the declared uncompressed sizes and the compression
  ratio are checked from the ZIP directory before anything is inflated.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
MAX_COMPRESSION_RATIO = 200


class UploadRejected(ValueError):
    """The file was refused before parsing; the message is for the user."""


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "xlsx" or "csv"
    data: bytes
    name: str

    def stream(self) -> BinaryIO:
        return io.BytesIO(self.data)


def check_spreadsheet(data: bytes, name: str = "") -> CheckedUpload:
    limit = settings.UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise UploadRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(len(data) / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)}
        )
    if not data.strip():
        raise UploadRejected(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        _check_zip(data)
        return CheckedUpload("xlsx", data, name)
    if data.startswith(OLE_MAGIC):
        raise UploadRejected(_("Old .xls files are not supported: save the file as .xlsx and upload it again."))
    if _is_text(data):
        return CheckedUpload("csv", data, name)
    raise UploadRejected(_("The file is neither an Excel workbook (.xlsx) nor a CSV text file."))


def check_uploaded_file(uploaded: object) -> CheckedUpload:
    """Read a Django UploadedFile with the size cap enforced while reading."""
    limit = settings.UPLOAD_MAX_BYTES
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise UploadRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)}
        )
    data = uploaded.read(limit + 1)  # type: ignore[attr-defined]
    return check_spreadsheet(data, getattr(uploaded, "name", ""))


def decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadRejected(_("The CSV file is not in UTF-8 or GB18030 encoding."))


def _is_text(data: bytes) -> bool:
    sample = data[:65536]
    if b"\x00" in sample:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the sample boundary is fine.
            if exc.start >= len(sample) - 4:
                return True
            continue
        return True
    return False


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UploadRejected(_("The file claims to be an Excel workbook but is damaged or not a workbook.")) from None
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        raise UploadRejected(_("The file is a ZIP archive but not an Excel workbook."))
    total = sum(info.file_size for info in infos)
    if total > settings.UPLOAD_MAX_UNCOMPRESSED_BYTES:
        raise UploadRejected(
            _(
                "The workbook would expand to %(size)s MB, over the limit of %(limit)s MB; it is refused as a possible zip bomb."
            )
            % {"size": total // 1_048_576, "limit": settings.UPLOAD_MAX_UNCOMPRESSED_BYTES // 1_048_576}
        )
    for info in infos:
        if (
            info.compress_size
            and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO
            and info.file_size > 1_048_576
        ):
            raise UploadRejected(
                _("Part %(name)s of the workbook is compressed %(ratio)d:1; it is refused as a possible zip bomb.")
                % {"name": info.filename, "ratio": info.file_size // info.compress_size}
            )
