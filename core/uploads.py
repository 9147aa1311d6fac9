"""Checks every uploaded spreadsheet passes before any parser sees it.

- size cap (``settings.UPLOAD_MAX_BYTES``);
- the format by its magic bytes, not its name: xlsx is a ZIP (``PK\\x03\\x04``),
  csv is text that decodes as UTF-8 (with or without BOM) or GB18030; a legacy
  .xls (OLE2) only where the caller reads it (``allow_xls``: question banks);
- zip bombs: the sum of the declared uncompressed sizes and the compression
  ratio are checked from the ZIP directory before anything is inflated; then
  every part is inflated in bounded chunks, because a crafted directory can
  lie about the sizes and the parsers (calamine's Rust zip reader, openpyxl)
  would believe the stream, not the directory;
- XML entity tricks: a workbook part with a DTD (``<!DOCTYPE``/``<!ENTITY``) is
  refused — Excel never writes one — and openpyxl parses through defusedxml.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
MAX_COMPRESSION_RATIO = 200
_INFLATE_CHUNK = 1 << 20
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")

try:  # openpyxl uses defusedxml when it is importable; it must be.
    import defusedxml  # noqa: F401
except ImportError as exc:  # pragma: no cover - a broken installation
    raise ImportError("defusedxml is required so that openpyxl parses uploaded workbooks safely") from exc


class UploadRejected(ValueError):
    """The file was refused before parsing; the message is for the user."""


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "xlsx", "csv", or "xls" when the caller allows it
    data: bytes
    name: str

    def stream(self) -> BinaryIO:
        return io.BytesIO(self.data)


def _refuse_oversize_or_empty(data: bytes) -> None:
    limit = settings.UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise UploadRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(len(data) / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)}
        )
    if not data.strip():
        raise UploadRejected(_("The file is empty."))


def check_spreadsheet(data: bytes, name: str = "", *, allow_xls: bool = False) -> CheckedUpload:
    """``allow_xls``: the caller reads legacy .xls workbooks (kind ``"xls"``, an OLE2 file) too."""
    _refuse_oversize_or_empty(data)
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if data.startswith(XLSX_MAGIC):
        if suffix == "csv":
            raise UploadRejected(_("The file is named .csv but its content is not CSV text."))
        _check_zip(data)
        return CheckedUpload("xlsx", data, name)
    if data.startswith(OLE_MAGIC):
        if allow_xls:
            if suffix == "csv":
                raise UploadRejected(_("The file is named .csv but its content is not CSV text."))
            return CheckedUpload("xls", data, name)
        raise UploadRejected(_("Old .xls files are not supported: save the file as .xlsx and upload it again."))
    if suffix in ("xlsx", "xlsm"):
        # Magic bytes decide; a name that promises a workbook must not be read as text.
        raise UploadRejected(_("The file is named .xlsx but its content is not an Excel workbook."))
    if _is_text(data):
        return CheckedUpload("csv", data, name)
    raise UploadRejected(_("The file is neither an Excel workbook (.xlsx) nor a CSV text file."))


def check_uploaded_file(uploaded: object, *, allow_xls: bool = False) -> CheckedUpload:
    """Read a Django UploadedFile with the size cap enforced while reading."""
    limit = settings.UPLOAD_MAX_BYTES
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise UploadRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)}
        )
    data = uploaded.read(limit + 1)  # type: ignore[attr-defined]
    return check_spreadsheet(data, getattr(uploaded, "name", ""), allow_xls=allow_xls)


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
    # Without the BOM, error positions count from the sample's start (utf-8-sig counts after it).
    sample = sample.removeprefix(b"\xef\xbb\xbf")
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
    _refuse_zip_bomb(infos, "workbook")
    for info in infos:
        _inflate_within_declared_size(data, info)


# What a zip bomb is refused with, by the kind of file it claims to be: (too large, too compressed).
_ZIP_BOMB_MESSAGES = {
    "workbook": (
        gettext_lazy(
            "The workbook would expand to %(size)s MB, over the limit of %(limit)s MB; it is refused as a possible zip bomb."
        ),
        gettext_lazy("Part %(name)s of the workbook is compressed %(ratio)d:1; it is refused as a possible zip bomb."),
    ),
    "docx": (
        gettext_lazy(
            "The Word document would expand to %(size)s MB, over the limit of %(limit)s MB; "
            "it is refused as a possible zip bomb."
        ),
        gettext_lazy(
            "Part %(name)s of the Word document is compressed %(ratio)d:1; it is refused as a possible zip bomb."
        ),
    ),
    "pptx": (
        gettext_lazy(
            "The presentation would expand to %(size)s MB, over the limit of %(limit)s MB; "
            "it is refused as a possible zip bomb."
        ),
        gettext_lazy(
            "Part %(name)s of the presentation is compressed %(ratio)d:1; it is refused as a possible zip bomb."
        ),
    ),
}


def _refuse_zip_bomb(infos: list[zipfile.ZipInfo], kind: str) -> None:
    """Refuse an archive by its directory, before anything is inflated: the declared sizes add up
    over ``UPLOAD_MAX_UNCOMPRESSED_BYTES``, or a part over 1 MiB is compressed beyond
    ``MAX_COMPRESSION_RATIO``. The messages name the ``kind`` of file (``_ZIP_BOMB_MESSAGES``)."""
    too_large, too_compressed = _ZIP_BOMB_MESSAGES[kind]
    total = sum(info.file_size for info in infos)
    if total > settings.UPLOAD_MAX_UNCOMPRESSED_BYTES:
        raise UploadRejected(
            too_large % {"size": total // 1_048_576, "limit": settings.UPLOAD_MAX_UNCOMPRESSED_BYTES // 1_048_576}
        )
    for info in infos:
        if (
            info.compress_size
            and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO
            and info.file_size > 1_048_576
        ):
            raise UploadRejected(
                too_compressed % {"name": info.filename, "ratio": info.file_size // info.compress_size}
            )


def _inflate_within_declared_size(data: bytes, info: zipfile.ZipInfo) -> None:
    """Inflate one part, stopping as soon as it outgrows its declared size."""
    damaged = UploadRejected(_("The file claims to be an Excel workbook but is damaged or not a workbook."))
    lying = UploadRejected(
        _(
            "Part %(name)s of the workbook is larger than its archive directory says; it is refused as a possible zip bomb."
        )
        % {"name": info.filename}
    )
    start = info.header_offset
    header = data[start : start + 30]
    if len(header) < 30 or header[:4] != XLSX_MAGIC:
        raise damaged
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    offset = start + 30 + name_length + extra_length
    compressed = memoryview(data)[offset : offset + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise lying
        _refuse_dtd(bytes(compressed), info.filename)
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise UploadRejected(
            _("Part %(name)s of the workbook uses a compression method Excel does not write.") % {"name": info.filename}
        )
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    tail = b""
    pending = bytes(compressed)
    try:
        while pending:
            chunk = inflater.decompress(pending, _INFLATE_CHUNK)
            pending = inflater.unconsumed_tail
            produced += len(chunk)
            if produced > info.file_size:
                raise lying
            _refuse_dtd(tail + chunk, info.filename)
            tail = chunk[-16:]
            if not chunk and not pending:
                break
        chunk = inflater.flush()
    except zlib.error:
        raise damaged from None
    produced += len(chunk)
    if produced != info.file_size:
        raise lying if produced > info.file_size else damaged
    _refuse_dtd(tail + chunk, info.filename)


def _refuse_dtd(chunk: bytes, name: str) -> None:
    if name.endswith((".xml", ".rels", ".vml")) and any(marker in chunk for marker in _DTD_MARKERS):
        raise UploadRejected(
            _("Part %(name)s of the workbook declares XML entities, which Excel never writes; it is refused.")
            % {"name": name}
        )


def not_a_workbook(data: bytes) -> UploadRejected | None:
    """For an Office package that is not a workbook (a Word document or a presentation saved
    or renamed as .xlsx), the refusal that names what it is; None for anything else. The
    question bank reads Word files by their content, so this is for readers of sheets alone."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "xl/workbook.xml" in names:
        return None
    if DOCX_MAIN_PART in names:
        return UploadRejected(
            _("The file is a Word document, not an Excel workbook: upload the .xlsx workbook or a .csv file.")
        )
    if PPTX_MAIN_PART in names:
        return UploadRejected(
            _("The file is a PowerPoint presentation, not an Excel workbook: upload the .xlsx workbook or a .csv file.")
        )
    return None


# --- Word documents and pictures ------------------------------------------------

DOCX_MAIN_PART = "word/document.xml"
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_PIXELS = 25_000_000
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "BMP": "bmp", "WEBP": "webp"}
_XML_CHUNK = 1 << 20


def _open_ooxml(data: bytes, main_part: str, damaged: UploadRejected) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """An OOXML package's archive and directory (nothing inflated); ``damaged`` when it is no ZIP
    or lacks ``[Content_Types].xml`` or its ``main_part``."""
    if not data.startswith(XLSX_MAGIC):
        raise damaged
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise damaged from None
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or main_part not in names:
        raise damaged
    return archive, infos


def check_docx(data: bytes, name: str = "") -> CheckedUpload:
    """A Word (.docx) upload: a real OOXML word-processing package, zip-bomb safe.

    The sum of the declared part sizes is capped (``UPLOAD_MAX_UNCOMPRESSED_BYTES``)
    and so is the compression ratio, before anything is inflated; then every XML
    part is inflated through ``zipfile`` (which never yields more than the size
    its directory declares) in bounded chunks and refused if it declares a DTD.
    """
    _refuse_oversize_or_empty(data)
    if data.startswith(OLE_MAGIC):
        raise UploadRejected(_("Old Word .doc files are not supported: save the file as .docx and upload it again."))
    damaged = UploadRejected(_("The file is named .docx but is not a Word document, or it is damaged."))
    archive, infos = _open_ooxml(data, DOCX_MAIN_PART, damaged)
    _refuse_zip_bomb(infos, "docx")
    for info in infos:
        if not info.filename.endswith((".xml", ".rels")):
            continue
        tail = b""
        try:
            with archive.open(info) as part:
                while chunk := part.read(_XML_CHUNK):
                    if any(marker in tail + chunk for marker in _DTD_MARKERS):
                        raise UploadRejected(
                            _(
                                "Part %(name)s of the Word document declares XML entities, which Word never writes; "
                                "it is refused."
                            )
                            % {"name": info.filename}
                        )
                    tail = chunk[-16:]
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError):
            raise damaged from None
    return CheckedUpload("docx", data, name)


def check_image(data: bytes, *, max_bytes: int = IMAGE_MAX_BYTES, max_pixels: int = IMAGE_MAX_PIXELS) -> str:
    """A picture to show in a page: PNG, JPEG, GIF, BMP or WebP within the size caps; returns its extension.
    ``max_bytes``, ``max_pixels``: a caller that scales down what it keeps (a phone's photo) may take more."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > max_bytes:
        raise UploadRejected(
            _("The picture is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(len(data) / 1_048_576, 1), "limit": round(max_bytes / 1_048_576, 1)}
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            width, height = image.size
            if kind in IMAGE_FORMATS and width * height <= max_pixels:
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UploadRejected(_("The picture is damaged or not an image.")) from None
    if kind not in IMAGE_FORMATS:
        raise UploadRejected(
            _("The picture is in %(format)s format, which browsers cannot show: use PNG or JPEG.")
            % {"format": kind or "?"}
        )
    if width * height > max_pixels:
        raise UploadRejected(
            _("The picture has %(pixels)s million pixels; the limit is %(limit)s million.")
            % {"pixels": round(width * height / 1_000_000, 1), "limit": max_pixels // 1_000_000}
        )
    return IMAGE_FORMATS[kind]


# --- PowerPoint presentations (the lesson-plan library) -----------------------------------

PPTX_MAIN_PART = "ppt/presentation.xml"
CONTENT_TYPES_MAX_BYTES = 1 << 20


def check_pptx(data: bytes, name: str = "") -> CheckedUpload:
    """A PowerPoint (.pptx) upload: an OOXML presentation package, judged by its ZIP directory only.

    Nothing but ``[Content_Types].xml`` (capped at 1 MiB) is inflated: the file is stored and
    downloaded, never parsed here, so the directory's sizes and ratios are what a zip bomb shows.
    """
    _refuse_oversize_or_empty(data)
    damaged = UploadRejected(_("The file is not a PowerPoint presentation (.pptx), or it is damaged."))
    _archive, infos = _open_ooxml(data, PPTX_MAIN_PART, damaged)
    _refuse_zip_bomb(infos, "pptx")
    return CheckedUpload("pptx", data, name)


def ooxml_content_types(data: bytes) -> bytes:
    """The ``[Content_Types].xml`` of an OOXML package that passed its check, read in bounded
    chunks (at most ``CONTENT_TYPES_MAX_BYTES``); empty when it is missing or too large."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        info = archive.getinfo("[Content_Types].xml")
        if info.file_size > CONTENT_TYPES_MAX_BYTES:
            return b""
        with archive.open(info) as part:
            return part.read(CONTENT_TYPES_MAX_BYTES + 1)[:CONTENT_TYPES_MAX_BYTES]
    except (KeyError, zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, ValueError):
        return b""
