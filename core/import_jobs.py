"""``import_data`` uploads imported in the background, with the same rules as in the request.

A file larger than ``IMPORT_INLINE_MAX_BYTES`` is not imported inside the
request (a 100k-row file takes ~15 s, longer than a phone's patience and near a
server's timeout): ``import_job_start`` stores it and queues ``import_job_run``,
and the page polls the job. The import itself is ``tabular.run_import``: every
row checked first, nothing written on any error, idempotent.

What a job keeps of the file, no longer than needed (PIPL: the file holds people's
ID numbers): the file itself goes once the job has run; the error messages, which
quote the file's cells, go after ``IMPORT_ERRORS_KEPT_SECONDS`` like the error
workbook (the rows, columns and counts stay, so the page still says what was
refused); a job that never finished (its worker was stopped) is failed after
``IMPORT_JOB_STUCK_SECONDS`` and its file emptied (``import_records_purge``).

New accounts' one-time passwords (people imports) are handed out once, as in
the request: they are kept only in the cache, encrypted with a key derived from
``SECRET_KEY``, for ``CREDENTIALS_TTL`` seconds, and removed when the uploader
first opens the finished job (``import_job_credentials_take``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import tabular
from core.background import enqueue
from core.import_errors import ERRORS_SHOWN, errors_report_keep, errors_report_purge
from core.models import DataImport
from core.uploads import CheckedUpload, UploadRejected

logger = logging.getLogger(__name__)

CREDENTIALS_TTL = 30 * 60


def import_inline(upload: CheckedUpload) -> bool:
    """Whether the upload is small enough to import within the request."""
    return len(upload.data) <= settings.IMPORT_INLINE_MAX_BYTES


def import_job_start(*, kind: tabular.ImportKind, upload: CheckedUpload, user: Any, dry_run: bool) -> DataImport:
    from core.tasks import run_data_import

    job = DataImport.objects.create(
        kind=kind.code,
        created_by=user,
        file_name=upload.name[:255],
        file_kind=upload.kind,
        payload=upload.data,
        dry_run=dry_run,
    )
    enqueue(run_data_import, job.pk, translation.get_language() or settings.LANGUAGE_CODE)
    return job


def jobs_visible_to(user: Any) -> QuerySet[DataImport]:
    """A job is its uploader's: the file may hold people's ID numbers."""
    return DataImport.objects.filter(created_by_id=getattr(user, "pk", None))


def _result_dict(result: tabular.ImportResult, user: Any) -> dict[str, Any]:
    """What the job page shows: the counts and the first errors; every error is in the
    workbook kept for the uploader (``core.import_errors``)."""
    return {
        "counts": {
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors[:ERRORS_SHOWN]],
        "error_count": len(result.errors),
        "errors_report": (
            errors_report_keep(user=user, source=result.source, errors=result.errors) if result.errors else ""
        ),
        "new_accounts": len(result.credentials),
    }


def import_job_run(*, job_id: int) -> None:
    """Run a queued job once: the conditional UPDATE claims it, so a redelivered task does nothing."""
    claimed = DataImport.objects.filter(pk=job_id, status=DataImport.Status.QUEUED).update(
        status=DataImport.Status.RUNNING
    )
    if claimed != 1:
        return
    job = DataImport.objects.select_related("created_by").get(pk=job_id)
    kind = tabular.kind_get(job.kind)
    status, result = DataImport.Status.DONE, {}
    try:
        if kind is None:
            raise UploadRejected(_("This kind of import no longer exists."))
        upload = CheckedUpload(kind=job.file_kind, data=bytes(job.payload), name=job.file_name)
        outcome = tabular.run_import(kind=kind, upload=upload, user=job.created_by, dry_run=job.dry_run)
        result = _result_dict(outcome, job.created_by)
        if outcome.credentials:
            _credentials_keep(job_id, outcome.credentials)
    except UploadRejected as exc:
        result = {"refused": str(exc)}
    except Exception:
        logger.exception("data import %s failed", job_id)
        status, result = DataImport.Status.FAILED, {"refused": _("The import failed unexpectedly; nothing was stored.")}
    DataImport.objects.filter(pk=job_id).update(status=status, result=result, payload=b"", finished_at=timezone.now())


def import_job_result(job: DataImport) -> tabular.ImportResult | None:
    """A finished job's result, shaped as the request's (for the same page); None while it runs or if refused."""
    kind = tabular.kind_get(job.kind)
    if not job.is_finished or kind is None or "counts" not in job.result:
        return None
    counts = job.result["counts"]
    return tabular.ImportResult(
        kind=kind,
        source=job.file_name,
        dry_run=job.dry_run,
        rows=counts["rows"],
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        errors=[tabular.RowError(e["row"], e["column"], e["message"]) for e in job.result.get("errors", [])],
    )


# --- what a job keeps, no longer than needed ------------------------------------------------


def import_records_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic tidy of imports (every ``IMPORT_ERRORS_PURGE_SECONDS``; Celery beat when scaled out):

    - the error workbooks past ``IMPORT_ERRORS_KEPT_SECONDS`` (``errors_report_purge``);
    - the error messages of the jobs finished before then: each quotes a cell of the file, so only its
      row and column stay, with the counts, and the page says the details were removed;
    - the jobs queued or running for longer than ``IMPORT_JOB_STUCK_SECONDS`` (their worker was stopped):
      failed, with the file emptied. Nothing of such a job was stored: an import writes in one transaction.

    Idempotent, so several processes may run it. Returns what went, by kind."""
    now = now or timezone.now()
    kept_since = now - dt.timedelta(seconds=settings.IMPORT_ERRORS_KEPT_SECONDS)
    cleared = 0
    quoting = (
        DataImport.objects.filter(finished_at__lt=kept_since, result__has_key="errors")
        .exclude(result__has_key="details_removed")
        .only("pk", "result")
    )
    for job in quoting.iterator():
        result = {
            **job.result,
            "errors": [{**error, "message": ""} for error in job.result["errors"]],
            "details_removed": True,
        }
        cleared += DataImport.objects.filter(pk=job.pk).update(result=result)
    stuck = DataImport.objects.filter(
        status__in=[DataImport.Status.QUEUED, DataImport.Status.RUNNING],
        created_at__lt=now - dt.timedelta(seconds=settings.IMPORT_JOB_STUCK_SECONDS),
    ).update(
        status=DataImport.Status.FAILED,
        payload=b"",
        finished_at=now,
        result={
            "refused": _("The import did not finish: the server stopped it. Nothing was stored; upload the file again.")
        },
    )
    return {"error_reports": errors_report_purge(), "error_details": cleared, "stuck_jobs": stuck}


# --- one-time passwords: encrypted in the cache, taken once ---------------------------------


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"core.import_jobs:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _credentials_key(job_id: int) -> str:
    return f"core:import:{job_id}:credentials"


def _credentials_keep(job_id: int, credentials: list[tabular.Credential]) -> None:
    plain = json.dumps([[c.row, c.name, c.username, c.password] for c in credentials], ensure_ascii=False)
    cache.set(_credentials_key(job_id), _fernet().encrypt(plain.encode()), CREDENTIALS_TTL)


def import_job_credentials_take(job: DataImport) -> list[tabular.Credential]:
    """The new accounts' passwords, once: the first call after the job finished returns and removes them."""
    key = _credentials_key(job.pk)
    token = cache.get(key)
    if token is None:
        return []
    cache.delete(key)
    try:
        rows = json.loads(_fernet().decrypt(token))
    except InvalidToken:
        return []
    return [tabular.Credential(row=r[0], name=r[1], username=r[2], password=r[3]) for r in rows]
