"""Export pages: ask for an export, watch its job, download the file.

``export_start`` takes the statistics question as the API does (``code``,
``from``, ``to``, ``jurisdiction``, ``enterprise``, ``group_by``, the
indicator's parameters) plus ``people``, ``status`` and ``format``, checked by
``analytics.queries.query_build`` for the signed-in user. A table, or a people
list of at most ``ANALYTICS_EXPORT_INLINE_ROWS``, is sent at once; a longer list
becomes an ``ExportJob`` written in the background, with a page that shows its
progress and the download link. Only the requester (and a platform admin) sees
a job or its file.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from analytics.errors import AnalyticsError
from analytics.exports import (
    KINDS,
    ExportSpec,
    export_filename,
    export_job_create,
    export_job_has_file,
    export_job_open,
    export_jobs_visible_to,
    export_write,
    rows_total,
)
from analytics.indicators import people_status_checked
from analytics.models import ExportJob
from analytics.queries import may_read_statistics, query_build
from analytics.routes import pages
from core.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, safe_filename

TRUE = ("1", "true", "on", "yes")
QUESTION_FIELDS = ("from", "to", "jurisdiction", "enterprise", "group_by")


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "analytics/export_error.html", {"message": message}, status=status)


def _content_type(kind: str) -> str:
    return XLSX_CONTENT_TYPE if kind == "xlsx" else CSV_CONTENT_TYPE


def _download(handle: Any, filename: str, kind: str) -> FileResponse:
    response = FileResponse(handle, as_attachment=True, filename=safe_filename(filename))
    response["Content-Type"] = _content_type(kind)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@pages.post("exports/", name="export_start")
def export_start(request: HttpRequest) -> HttpResponse:
    if not may_read_statistics(request.user):
        raise PermissionDenied
    data = request.POST
    kind = data.get("format") or "xlsx"
    if kind not in KINDS:
        return _refused(request, _("“format” must be xlsx or csv."), 400)
    wants_people = (data.get("people") or "").lower() in TRUE
    status = data.get("status") or None
    params = {k: v for k, v in data.items() if k not in ("csrfmiddlewaretoken", "code", "people", "status", "format")}
    try:
        query = query_build(user=request.user, code=data.get("code") or "", params=params)
        status = people_status_checked(query.code, status)
    except AnalyticsError as exc:
        return _refused(request, exc.message, exc.status)
    spec = ExportSpec(query=query, kind=kind, people=wants_people, status=status, readable=True)  # type: ignore[arg-type]
    if spec.people and rows_total(spec) > settings.ANALYTICS_EXPORT_INLINE_ROWS:
        job = export_job_create(user=request.user, spec=spec, params=params)
        return redirect("analytics:export_detail", pk=job.pk)
    # Small enough to send at once; still streamed through a temporary file, never built in memory.
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    export_write(spec, handle, user=request.user)
    handle.seek(0)
    return _download(handle, export_filename(spec), kind)


def _state(job: ExportJob) -> dict[str, Any]:
    state: dict[str, Any] = {
        "status": job.status,
        "status_display": str(job.get_status_display()),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "finished": job.is_finished,
        "error": job.error,
        "download_url": None,
    }
    if export_job_has_file(job):
        state["download_url"] = reverse("analytics:export_download", kwargs={"pk": job.pk})
    return state


@pages.get("exports/<id:pk>/", name="export_detail")
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(export_jobs_visible_to(request.user), pk=pk)
    return render(
        request,
        "analytics/export_detail.html",
        {"job": job, "state": _state(job), "retention_hours": settings.ANALYTICS_EXPORT_RETENTION_HOURS},
    )


@pages.get("exports/<id:pk>/status/", name="export_status")
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(export_jobs_visible_to(request.user), pk=pk)
    return JsonResponse(_state(job))


@pages.get("exports/<id:pk>/download/", name="export_download")
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(export_jobs_visible_to(request.user), pk=pk)
    handle = export_job_open(job)
    if handle is None:
        raise Http404
    return _download(handle, job.file_name, job.kind)
