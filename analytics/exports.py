"""Exports of an indicator's table or of the people behind it, as xlsx or csv.

Every door (the export pages and their background jobs, the
``export_indicators`` command) writes through ``export_write``: the same
columns, the same ID-number masking, the same metadata. Writing streams
(``core.spreadsheets.write_to``) and the people come from
``analytics.indicators.people_iter``, so a list of a million people is never
held in memory.

The command writes columns fixed for machines: a table is ``key,label,
numerator,denominator,rate`` with a last row whose key is ``total``; a people
list is ``姓名,身份证号,统一社会信用代码,企业名称,status,reason``. ``rate`` is a
fraction between 0 and 1, empty for a zero denominator and for volume
indicators. A download from the pages (``readable``) is for people: the same
rows under headings in the page's language (代码, 名称, 分子, 分母, 比率; a
volume's value under its unit), 合计 for the total row, statuses as 达标/未达标,
and in a csv the rate as a percentage (in an xlsx it stays a number, formatted
as one).

The metadata (definition, period, filters, generated at and by) is a second
sheet of the xlsx. A csv's first line stays the column header so that a
program can read it as it is; it carries no metadata (ask for xlsx, or read
the indicator's definition from the API).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any, BinaryIO

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from analytics.errors import AnalyticsError
from analytics.indicators import (
    STATUSES,
    Query,
    compute,
    group_by_label,
    indicator_get,
    people_count,
    people_iter,
    status_label,
)
from analytics.models import ExportJob
from analytics.queries import query_build
from core import background
from core.private_files import PrivateFolder, private_path, private_storage_is_local
from core.spreadsheets import Column, Kind, Sheet, write_to
from core.users import is_signed_in
from organizations.models import Person
from organizations.selectors import id_numbers_shown_to, is_platform_admin

TABLE_COLUMNS = ("key", "label", "numerator", "denominator", "rate")
PEOPLE_COLUMNS = ("姓名", "身份证号", "统一社会信用代码", "企业名称", "status", "reason")
KINDS: tuple[Kind, ...] = ("xlsx", "csv")
# People are masked and written in chunks of this many (one query per chunk for the masking).
CHUNK = 2000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportSpec:
    """What to export: an indicator's table (``people`` false) or the people behind it."""

    query: Query
    kind: Kind
    people: bool = False
    status: str | None = None
    # For people (the pages' downloads): headings and statuses in the page's language.
    readable: bool = False


def export_filename(spec: ExportSpec) -> str:
    q = spec.query
    what = "people" if spec.people else "table"
    suffix = f"-{spec.status}" if spec.people and spec.status else ""
    return f"{q.code}-{q.date_from.isoformat()}-{q.date_to.isoformat()}-{what}{suffix}.{spec.kind}"


def rows_total(spec: ExportSpec) -> int:
    """How many data rows the export will have (for a progress bar): one SQL count."""
    if spec.people:
        return people_count(spec.query, status=spec.status)
    return 0  # a table is computed in one go; its size is known only then


def table_rows(query: Query) -> list[list[Any]]:
    result = compute(query)
    rows: list[list[Any]] = [[r.key, r.label, r.numerator, r.denominator, r.rate] for r in result.rows]
    rows.append(["total", _("Total"), result.total.numerator, result.total.denominator, result.total.rate])
    return rows


def table_sheet(spec: ExportSpec) -> Sheet:
    """The table of figures: the machine columns, or (``readable``) headings in the page's
    language, no ``total`` key on the total row, a volume's value alone under its unit, and in a
    csv the rate as a percentage (an xlsx formats the number instead)."""
    rows = table_rows(spec.query)
    if not spec.readable:
        columns = [Column(c, number_format="0.0%" if c == "rate" else None) for c in TABLE_COLUMNS]
        return Sheet(title=_("Figures"), columns=columns, rows=rows)
    indicator = indicator_get(spec.query.code)
    columns = [Column(pgettext("export column", "Code")), Column(pgettext("export column", "Name"))]
    if indicator.kind == "volume":
        columns.append(Column(f"{indicator.name} ({indicator.unit})"))
        shaped = [["" if key == "total" else key, label, numerator] for key, label, numerator, _d, _r in rows]
    else:
        columns += [
            Column(pgettext("export column", "Numerator")),
            Column(pgettext("export column", "Denominator")),
            Column(pgettext("export column", "Rate"), number_format="0.0%"),
        ]
        percent = spec.kind == "csv"
        shaped = [
            ["" if key == "total" else key, label, n, d, f"{rate:.1%}" if percent and rate is not None else rate]
            for key, label, n, d, rate in rows
        ]
    return Sheet(title=_("Figures"), columns=columns, rows=shaped)


def people_rows(
    query: Query,
    *,
    status: str | None,
    user: Any,
    progress: Progress | None = None,
    total: int = 0,
    readable: bool = False,
) -> Iterator[list[Any]]:
    """The people lines as rows, ID numbers shown as ``user`` may see them
    (``user=None``: an operator at the command line, who sees them in full)."""
    lines = people_iter(query, status=status)
    # The statuses as written: labelled once, not per row (a list may hold a million people).
    written = {s: status_label(s) if readable else s for s in STATUSES}
    done = 0
    while True:
        chunk = list(islice(lines, CHUNK))
        if not chunk:
            return
        shown: dict[int, str] | None = None
        if user is not None:
            shown = id_numbers_shown_to(user, [Person(pk=ln.person_id, id_number=ln.id_number) for ln in chunk])
        for ln in chunk:
            number = ln.id_number if shown is None else shown[ln.person_id]
            yield [ln.name, number, ln.credit_code, ln.enterprise_name, written[ln.status], ln.reason]
        done += len(chunk)
        if progress is not None:
            progress(done, max(total, done))


def people_sheet(rows: Iterable[list[Any]], *, readable: bool = False) -> Sheet:
    """The people sheet over ``rows`` (consumed lazily); ID numbers and credit codes stored as text."""
    text = ("身份证号", "统一社会信用代码")
    titles = (
        [*PEOPLE_COLUMNS[:4], pgettext("export column", "Status"), pgettext("export column", "Reason")]
        if readable
        else list(PEOPLE_COLUMNS)
    )
    columns = [Column(c, number_format="@" if c in text else None) for c in titles]
    return Sheet(title=_("People"), columns=columns, rows=rows)


def metadata_rows(spec: ExportSpec, *, user: Any, generated_at: dt.datetime | None = None) -> list[list[Any]]:
    """What the metadata sheet says: the definition, period, filters and who made it when."""
    q = spec.query
    indicator = indicator_get(q.code)
    generated_at = timezone.localtime(generated_at or timezone.now())
    filters = []
    if q.jurisdiction is not None:
        filters.append(_("jurisdiction %(code)s %(name)s") % {"code": q.jurisdiction.code, "name": q.jurisdiction.name})
    if q.enterprise is not None:
        filters.append(
            _("enterprise %(code)s %(name)s") % {"code": q.enterprise.credit_code, "name": q.enterprise.name}
        )
    if not filters:
        filters.append(_("the whole platform"))
    params = "; ".join(f"{p.label} ({p.name}) = {q.param(p.name)}" for p in indicator.params)
    if user is None:
        who = _("operator (command line)")
    else:
        who = user.get_username()
    rows: list[list[Any]] = [
        [_("Indicator"), f"{indicator.name} ({indicator.code})"],
        [_("Definition"), indicator.definition()],
        [_("Period"), f"{q.date_from.isoformat()} – {q.date_to.isoformat()}"],
        [_("As of"), q.as_of.isoformat()],
        [_("Scope"), "; ".join(filters)],
        [_("Grouped by"), group_by_label(q.group_by)],
        [_("Parameters"), params or "—"],
        [_("Contents"), _("people behind the figure") if spec.people else _("table of figures")],
    ]
    if spec.people:
        rows.append([_("People shown"), status_label(spec.status)])
    rows += [
        [_("Target"), "—" if indicator.target is None else f"{indicator.target:.0%}"],
        [_("Generated at"), generated_at.strftime("%Y-%m-%d %H:%M:%S %Z")],
        [_("Generated by"), who],
    ]
    return rows


def export_write(
    spec: ExportSpec,
    target: BinaryIO,
    *,
    user: Any,
    progress: Progress | None = None,
    generated_at: dt.datetime | None = None,
) -> None:
    """Write the export into ``target`` (a binary file), streaming."""
    if spec.people:
        total = rows_total(spec) if progress is not None else 0
        lines = people_rows(
            spec.query, status=spec.status, user=user, progress=progress, total=total, readable=spec.readable
        )
        data = people_sheet(lines, readable=spec.readable)
    else:
        data = table_sheet(spec)
    sheets = [data]
    if spec.kind == "xlsx":
        about = Sheet(
            title=_("About this export"),
            columns=[Column(_("Item"), width=16), Column(_("Value"), width=80, wrap=True)],
            rows=metadata_rows(spec, user=user, generated_at=generated_at),
        )
        sheets.append(about)
    write_to(target, spec.kind, sheets)
    if progress is not None and not spec.people:
        progress(1, 1)


# --- background export jobs -------------------------------------------------------------------

SUBDIR = "analytics-exports"
_files = PrivateFolder(SUBDIR)


def export_path(relative: str) -> Path:
    """The file of a job, inside private storage (never served by URL; streamed by a view that checks who asks)."""
    return private_path(SUBDIR, relative)


def export_jobs_visible_to(user: Any) -> QuerySet[ExportJob]:
    """A job is its requester's alone (a platform admin may see every job)."""
    if not is_signed_in(user):
        return ExportJob.objects.none()
    if is_platform_admin(user):
        return ExportJob.objects.all()
    return ExportJob.objects.filter(requested_by=user)


def export_job_create(*, user: Any, spec: ExportSpec, params: dict[str, Any]) -> ExportJob:
    """Queue an export of ``spec`` (already checked by ``query_build`` for ``user``); it runs after commit."""
    from analytics.tasks import run_export_job

    job = ExportJob.objects.create(
        requested_by=user,
        code=spec.query.code,
        params={k: str(v) for k, v in params.items() if v not in (None, "")},
        people=spec.people,
        people_status=spec.status or "",
        kind=spec.kind,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        file_name=export_filename(spec),
    )
    background.enqueue(run_export_job, job.pk)
    return job


def export_job_run(*, job_id: int) -> None:
    """Run a queued job once: the conditional UPDATE claims it, so a redelivered task does nothing.

    The question is checked again for the requester (a grant withdrawn since
    the request means no file)."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING
    )
    if claimed != 1:
        return
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    relative = f"{job.pk}/{secrets.token_hex(12)}.{job.kind}"
    try:
        with translation.override(job.language):
            query = query_build(user=job.requested_by, code=job.code, params=job.params)
            spec = ExportSpec(
                query=query,
                kind=job.kind,  # type: ignore[arg-type]
                people=job.people,
                status=job.people_status or None,
                readable=True,  # jobs are the pages' downloads
            )
            total = rows_total(spec)
            ExportJob.objects.filter(pk=job_id).update(total=total)
            last = [0]

            def progress(done: int, of: int) -> None:
                # One UPDATE per chunk, and none closer together than a few per second's worth of rows.
                if done - last[0] >= CHUNK or done == of:
                    last[0] = done
                    ExportJob.objects.filter(pk=job_id).update(done=done, total=max(of, done))

            with _files.writer(relative) as stream:
                export_write(spec, stream, user=job.requested_by, progress=progress)
    except AnalyticsError as exc:
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED, error=exc.message, finished_at=timezone.now()
        )
        return
    except Exception:
        with translation.override(job.language):
            message = _("The export failed unexpectedly; ask for it again.")
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED, error=message, finished_at=timezone.now()
        )
        raise
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.DONE,
        file=relative,
        size=_files.size(relative),
        finished_at=timezone.now(),
    )


def export_job_has_file(job: ExportJob) -> bool:
    """Whether the job's finished file is there (not when the job is not done, expired, or its file deleted)."""
    return job.status == ExportJob.Status.DONE and bool(job.file) and _files.exists(job.file)


def export_job_open(job: ExportJob) -> IO[bytes] | None:
    """The finished file opened for reading (the caller closes it), or ``None`` when the job has none."""
    if job.status != ExportJob.Status.DONE or not job.file:
        return None
    return _files.open(job.file)


def export_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete export files older than ``ANALYTICS_EXPORT_RETENTION_HOURS`` (the jobs stay, marked expired),
    and jobs stuck unfinished that long. Idempotent."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.ANALYTICS_EXPORT_RETENTION_HOURS)
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, finished_at__lt=cutoff).only("pk", "file"):
        if job.file:
            _files.delete(job.file)
            if private_storage_is_local():
                with contextlib.suppress(OSError, ValueError):
                    export_path(job.file).parent.rmdir()
        expired += ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.DONE).update(
            status=ExportJob.Status.EXPIRED, file=""
        )
    stale = ExportJob.objects.filter(
        status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING], created_at__lt=cutoff
    ).update(status=ExportJob.Status.FAILED, error="expired before it finished", finished_at=now)
    return {"expired": expired, "stale": stale}
