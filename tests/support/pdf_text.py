"""The text a PDF written by ``core.pdf`` shows, read back without a PDF library.

reportlab writes each page as an ASCII85 + Flate stream; with the built-in CID font
``STSong-Light`` (encoding UniGB-UCS2-H) a string operand is UTF-16BE in a literal
``( ... ) Tj`` string with backslash escapes. Enough to check that a name or a heading
is really on a page (the raw file holds none of it in plain bytes).
"""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        byte = raw[i : i + 1]
        if byte != b"\\":
            out += byte
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            out += _ESCAPES.get(raw[i + 1 : i + 2], raw[i + 1 : i + 2])
            i += 2
    return bytes(out)


def page_streams(pdf: bytes) -> list[bytes]:
    streams = []
    for match in _STREAM.finditer(pdf):
        data = match.group(1).strip()
        if data.endswith(b"~>"):
            data = data[:-2]
        try:
            streams.append(zlib.decompress(base64.a85decode(data)))
        except (ValueError, zlib.error):
            continue  # not a content stream of ours (fonts, images)
    return streams


def pdf_text(pdf: bytes) -> str:
    """Every string the pages draw, one per line, in drawing order."""
    lines = []
    for stream in page_streams(pdf):
        for match in _STRING.finditer(stream):
            lines.append(_unescape(match.group(1)).decode("utf-16-be", errors="replace"))
    return "\n".join(lines)
