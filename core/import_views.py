"""The import_data upload page: one page for every registered kind (``core.tabular``).

A user sees the kinds their roles allow (``ImportKind.allowed``); each row is
still checked against their scope when the file is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from core import tabular
from core.import_errors import (
    errors_context,
    errors_kept_minutes,
    errors_report_get,
    errors_report_href,
    errors_report_kept,
    errors_report_url,
)
from core.import_jobs import (
    import_inline,
    import_job_credentials_take,
    import_job_result,
    import_job_start,
    jobs_visible_to,
)
from core.models import DataImport
from core.spreadsheets import XLSX_CONTENT_TYPE, attachment_response
from core.uploads import CheckedUpload, UploadRejected, check_uploaded_file


class _WithCredentials(Protocol):
    credentials: Sequence[tabular.Credential]


R = TypeVar("R", bound=_WithCredentials)


def import_upload(
    form: forms.Form, run: Callable[[CheckedUpload], R], *, upload: CheckedUpload | None = None
) -> tuple[R | None, str]:
    """Run an import (``run``) on the valid ``form``'s checked ``file`` (or on ``upload``, checked
    already); a file refused becomes that field's error. Returns the result (None when refused)
    and the href of the new accounts' one-time passwords ("" for none). For the import pages:
    import_data and the roster."""
    try:
        upload = upload or check_uploaded_file(form.cleaned_data["file"])
        result = run(upload)
    except UploadRejected as exc:
        form.add_error("file", str(exc))
        return None, ""
    # Handed out once, in this response only: nothing keeps the passwords afterwards.
    return result, tabular.credentials_href(result.credentials) if result.credentials else ""


def import_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render an import page; one that shows a result (perhaps passwords) is never cached."""
    response = render(request, template, context)
    if context.get("result") is not None:
        add_never_cache_headers(response)
    return response


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("The first sheet of an .xlsx workbook, or a .csv file (UTF-8 or GB18030)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check only: show what would change, write nothing"), required=False
    )

    def __init__(self, *args: Any, kinds: list[tabular.ImportKind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.code, k.label) for k in kinds]  # type: ignore[attr-defined]


def _kinds_or_403(request: HttpRequest) -> list[tabular.ImportKind]:
    kinds = tabular.kinds_for(request.user)
    if not kinds:
        raise PermissionDenied
    return kinds


@login_required
@require_http_methods(["GET", "POST"])
def import_data(request: HttpRequest) -> HttpResponse:
    kinds = _kinds_or_403(request)
    result = None
    credentials_href = errors_href = ""
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, kinds=kinds)
        if form.is_valid():
            kind = tabular.kind_get(form.cleaned_data["kind"])
            assert kind is not None  # the choices are the registered kinds
            dry_run = form.cleaned_data["dry_run"]
            try:
                upload = check_uploaded_file(form.cleaned_data["file"])
            except UploadRejected as exc:
                form.add_error("file", str(exc))
            else:
                if not import_inline(upload):
                    job = import_job_start(kind=kind, upload=upload, user=request.user, dry_run=dry_run)
                    return redirect("imports:job", pk=job.pk)
                result, credentials_href = import_upload(
                    form,
                    lambda upload: tabular.run_import(kind=kind, upload=upload, user=request.user, dry_run=dry_run),
                    upload=upload,
                )
                if result is not None:
                    errors_href = errors_report_href(user=request.user, source=result.source, errors=result.errors)
    else:
        initial = {"kind": request.GET["kind"]} if request.GET.get("kind") in {k.code for k in kinds} else {}
        form = ImportForm(initial=initial, kinds=kinds)
    return import_page(
        request,
        "core/import_data.html",
        {
            "form": form,
            "kinds": [
                (k, f"{reverse('imports:template')}?kind={k.code}", [f for f in k.fields if f.required]) for k in kinds
            ],
            "result": result,
            **errors_context(errors=result.errors if result is not None else [], href=errors_href),
            "credentials_href": credentials_href,
            "recent": _recent_jobs(request.user, kinds),
        },
    )


RECENT_JOBS = 10


def _recent_jobs(user: Any, kinds: list[tabular.ImportKind]) -> list[dict[str, Any]]:
    """The user's last background imports, so that a page left while one ran can be found again."""
    labels = {k.code: k.label for k in kinds}
    return [
        {"job": job, "kind_label": labels.get(job.kind, job.kind), "outcome": _outcome(job), "refused": _refused(job)}
        for job in jobs_visible_to(user)[:RECENT_JOBS]
    ]


def _refused(job: DataImport) -> bool:
    return job.status == DataImport.Status.FAILED or bool(job.result.get("refused") or job.result.get("error_count"))


def _outcome(job: DataImport) -> str:
    """A job's result in a few words, as the list of recent imports shows it."""
    if not job.is_finished:
        return str(job.get_status_display())
    if job.result.get("error_count"):
        n = job.result["error_count"]
        return ngettext("Nothing imported: %(n)d error", "Nothing imported: %(n)d errors", n) % {"n": n}
    if _refused(job):
        return _("Nothing imported")
    counts = job.counts()
    figures = _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
        "created": counts.get("created", 0),
        "updated": counts.get("updated", 0),
        "unchanged": counts.get("unchanged", 0),
    }
    return _("Check only: %(figures)s") % {"figures": figures} if job.dry_run else figures


@login_required
@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A background import: its progress while it runs (the page reloads itself), then its
    result as the upload page shows it, with the new accounts' passwords this once."""
    job = get_object_or_404(jobs_visible_to(request.user), pk=pk)
    result = import_job_result(job)
    credentials_href = ""
    if result is not None:
        result.credentials = import_job_credentials_take(job)
        credentials_href = tabular.credentials_href(result.credentials) if result.credentials else ""
    kind = tabular.kind_get(job.kind)
    response = render(
        request,
        "core/import_job.html",
        {
            "job": job,
            "kind_label": kind.label if kind else job.kind,
            "result": result,
            "credentials_href": credentials_href,
            "refused": job.result.get("refused", ""),
            **errors_context(
                errors=result.errors if result is not None else [],
                total=job.result.get("error_count", 0),
                href=(
                    errors_report_url(job.result["errors_report"])
                    if errors_report_kept(job.result.get("errors_report", ""))
                    else ""
                ),
            ),
        },
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def errors_report(request: HttpRequest, token: str) -> HttpResponse:
    """Every error of one of the user's imports, as a workbook (``core.import_errors``)."""
    kept = errors_report_get(user=request.user, token=token)
    if kept is None:
        return render(
            request, "core/import_errors_gone.html", {"errors_kept_minutes": errors_kept_minutes()}, status=404
        )
    filename, content = kept
    response = attachment_response(content=content, filename=filename, content_type=XLSX_CONTENT_TYPE)
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def template(request: HttpRequest) -> HttpResponse:
    kinds = {k.code: k for k in _kinds_or_403(request)}
    kind = kinds.get(request.GET.get("kind", ""))
    if kind is None:
        raise Http404
    return attachment_response(
        content=tabular.template_workbook(kind),
        filename=_("%(kind)s import template.xlsx") % {"kind": kind.label},
        content_type=XLSX_CONTENT_TYPE,
    )


def nav_items(*, user: Any, roles: set[str]) -> list[tuple[str, str]]:
    if not tabular.kinds_for(user):
        return []
    return [(reverse("imports:import_data"), _("Import records"))]
