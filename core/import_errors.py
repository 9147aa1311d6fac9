"""Every error of an import, as a workbook its uploader downloads.

An import with any bad row writes nothing and names every bad row and column.
A page lists the first ``ERRORS_SHOWN`` of them (a 100k-row file may have more
errors than a phone can scroll); the workbook holds them all, in the order the
page shows them, so the importer can work through the file with it.

The workbook is an ``ImportErrorReport`` row, for the uploader alone and for
``IMPORT_ERRORS_KEPT_SECONDS`` (the messages quote cells of a file that may hold
people's data): in the database, so that every web process and a background
job's worker see it alike, and ``errors_report_purge`` (a periodic job) deletes
it once expired. The import pages (import_data, its jobs, the roster) link it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import ImportErrorReport
from core.spreadsheets import Column, Sheet, write_xlsx
from core.tabular import RowError

ERRORS_SHOWN = 1000


def errors_kept_minutes() -> int:
    """How long a list is kept, in the minutes the pages say."""
    return max(1, settings.IMPORT_ERRORS_KEPT_SECONDS // 60)


def errors_context(*, errors: Sequence[RowError], href: str, total: int | None = None) -> dict[str, Any]:
    """What ``partials/import_counts.html`` reads of a result's errors: the ones it lists, how many
    there are in all (``total``: a job keeps only the listed ones), and the download of them all."""
    return {
        "errors_listed": errors[:ERRORS_SHOWN],
        "errors_shown": ERRORS_SHOWN,
        "errors_total": len(errors) if total is None else total,
        "errors_href": href,
        "errors_kept_minutes": errors_kept_minutes(),
    }


def _oldest_kept() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.IMPORT_ERRORS_KEPT_SECONDS)


def errors_report_keep(*, user: Any, source: str, errors: Sequence[RowError]) -> str:
    """Write every error as a workbook, keep it for ``user``, and return its token."""
    sheet = Sheet(
        title=_("Errors"),
        columns=[Column(_("Row"), width=8), Column(_("Column"), width=18), Column(_("Problem"), width=80, wrap=True)],
        rows=([e.row, e.column or "—", e.message] for e in errors),
    )
    stem = source.rsplit(".", 1)[0] if "." in source else source
    filename = _("%(file)s errors.xlsx") % {"file": stem} if stem else _("Import errors.xlsx")
    token = secrets.token_urlsafe(18)
    ImportErrorReport.objects.create(
        token=token, created_by=user, file_name=filename[:255], content=write_xlsx([sheet])
    )
    return token


def errors_report_href(*, user: Any, source: str, errors: Sequence[RowError]) -> str:
    """The download link of a result's errors ("" when there are none)."""
    if not errors:
        return ""
    return errors_report_url(errors_report_keep(user=user, source=source, errors=errors))


def errors_report_url(token: str) -> str:
    return reverse("imports:errors", kwargs={"token": token})


def _kept(token: str) -> Any:
    return ImportErrorReport.objects.filter(token=token, created_at__gte=_oldest_kept())


def errors_report_kept(token: str) -> bool:
    """Whether the workbook under ``token`` is still kept (a job's page links it only then)."""
    return bool(token) and _kept(token).exists()


def errors_report_get(*, user: Any, token: str) -> tuple[str, bytes] | None:
    """The file name and workbook kept under ``token`` for ``user``; None when expired or another's."""
    report = _kept(token).filter(created_by_id=getattr(user, "pk", None)).first()
    if report is None:
        return None
    return report.file_name, bytes(report.content)


def errors_report_purge() -> int:
    """Delete the error lists kept longer than ``IMPORT_ERRORS_KEPT_SECONDS``; how many went."""
    deleted, _by_model = ImportErrorReport.objects.filter(created_at__lt=_oldest_kept()).delete()
    return deleted
