"""Every error of an import, as a workbook its uploader downloads.

An import with any bad row writes nothing and names every bad row and column.
A page lists the first ``ERRORS_SHOWN`` of them (a 100k-row file may have more
errors than a phone can scroll); the workbook holds them all, in the order the
page shows them, so the importer can work through the file with it.

The workbook is kept in the cache for ``ERRORS_REPORT_TTL`` seconds, for the
uploader alone: the messages quote cells of a file that may hold people's data.
A background job's worker keeps it the same way (the cache is shared when
scaled), so the import pages (import_data, its jobs, the roster) link it alike.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any, Protocol

from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext as _

from core.spreadsheets import Column, Sheet, write_xlsx

ERRORS_SHOWN = 1000
ERRORS_REPORT_TTL = 60 * 60


class ErrorLike(Protocol):
    row: int
    column: str
    message: str


def _key(token: str) -> str:
    return f"core:import:errors:{token}"


def errors_report_keep(*, user: Any, source: str, errors: Sequence[ErrorLike]) -> str:
    """Write every error as a workbook, keep it for ``user``, and return its token."""
    sheet = Sheet(
        title=_("Errors"),
        columns=[Column(_("Row"), width=8), Column(_("Column"), width=18), Column(_("Problem"), width=80, wrap=True)],
        rows=([e.row, e.column or "—", e.message] for e in errors),
    )
    token = secrets.token_urlsafe(18)
    stem = source.rsplit(".", 1)[0] if "." in source else source
    filename = _("%(file)s errors.xlsx") % {"file": stem} if stem else _("Import errors.xlsx")
    cache.set(_key(token), (getattr(user, "pk", None), filename, write_xlsx([sheet])), ERRORS_REPORT_TTL)
    return token


def errors_report_href(*, user: Any, source: str, errors: Sequence[ErrorLike]) -> str:
    """The download link of a result's errors ("" when there are none)."""
    if not errors:
        return ""
    return errors_report_url(errors_report_keep(user=user, source=source, errors=errors))


def errors_report_url(token: str) -> str:
    return reverse("imports:errors", kwargs={"token": token})


def errors_report_kept(token: str) -> bool:
    """Whether the workbook under ``token`` is still kept (a job's page links it only then)."""
    return bool(token) and _key(token) in cache


def errors_report_get(*, user: Any, token: str) -> tuple[str, bytes] | None:
    """The file name and workbook kept under ``token`` for ``user``; None when expired or another's."""
    kept = cache.get(_key(token))
    if kept is None or kept[0] is None or kept[0] != getattr(user, "pk", None):
        return None
    return kept[1], kept[2]
