"""The evidence of a class: its page (facts, attendance lines, site photos), the sheet as PDF and xlsx,
the photos themselves, and adding or removing photos.

Thin: scope with ``classroom.selectors`` (``class_evidence_visible_to`` to read, ``classes_run_by`` to
change), call ``classroom.evidence``, render. An invitee is not let in: a learner sees their own line on
their own pages, never the class's list of names or its photos.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from classroom import evidence, selectors
from classroom.models import SitePhoto, TrainingClass
from classroom.routes import evidence_pages
from classroom.services.errors import ClassroomError
from core.http import no_store, refusal_message
from core.spreadsheets import XLSX_CONTENT_TYPE, attachment_response

# A phone photo is a few MB; reading more than the cap (plus one byte to tell) is never needed.
_READ_LIMIT = evidence.PHOTO_MAX_BYTES + 1


def _visible(request: HttpRequest, pk: int) -> TrainingClass:
    return get_object_or_404(selectors.class_evidence_visible_to(request.user), pk=pk)


@evidence_pages.get("<id:pk>/evidence/", name="detail")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = _visible(request, pk)
    runs = selectors.classes_run_by(request.user).filter(pk=training_class.pk).exists()
    sheet = evidence.attendance_sheet(training_class)
    frozen = evidence.photos_frozen(training_class)
    context = {
        "training_class": training_class,
        "sheet": sheet,
        "lines": [list(zip(sheet.columns, line.cells(), strict=True)) for line in sheet.lines],
        "photos": evidence.photos_of(training_class),
        "may_change_photos": runs and not frozen,
        "frozen": frozen,
        "photo_limit": evidence.PHOTOS_PER_CLASS,
    }
    return no_store(render(request, "classroom/evidence/detail.html", context))


def _sheet_response(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    training_class = _visible(request, pk)
    sheet = evidence.attendance_sheet(training_class)
    content, content_type = (
        (evidence.sheet_pdf(sheet), "application/pdf")
        if kind == "pdf"
        else (evidence.sheet_xlsx(sheet), XLSX_CONTENT_TYPE)
    )
    filename = evidence.sheet_filename(training_class, kind)
    return no_store(attachment_response(content=content, filename=filename, content_type=content_type))


@evidence_pages.get("<id:pk>/evidence/sheet.pdf", name="sheet_pdf")
def sheet_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _sheet_response(request, pk, "pdf")


@evidence_pages.get("<id:pk>/evidence/sheet.xlsx", name="sheet_xlsx")
def sheet_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _sheet_response(request, pk, "xlsx")


def _photo_response(request: HttpRequest, pk: int, photo_pk: int, *, thumb: bool) -> HttpResponse:
    training_class = _visible(request, pk)
    photo = get_object_or_404(SitePhoto, pk=photo_pk, training_class=training_class)
    data = evidence.photo_bytes(photo, thumb=thumb)
    if data is None:
        raise Http404
    evidence.photo_view_record(photo=photo, user=request.user, thumb=thumb, ip=request.META.get("REMOTE_ADDR"))
    response = HttpResponse(data, content_type=evidence.CONTENT_TYPE)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return no_store(response)


@evidence_pages.get("<id:pk>/evidence/photos/<id:photo_pk>/", name="photo")
def photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    return _photo_response(request, pk, photo_pk, thumb=False)


@evidence_pages.get("<id:pk>/evidence/photos/<id:photo_pk>/thumb/", name="photo_thumb")
def photo_thumb(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    return _photo_response(request, pk, photo_pk, thumb=True)


@evidence_pages.post("<id:pk>/evidence/photos/", name="photos_add")
def photos_add(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = get_object_or_404(selectors.classes_run_by(request.user), pk=pk)
    uploads = request.FILES.getlist("photos")
    if len(uploads) > evidence.PHOTOS_PER_CLASS:  # refused before anything is read
        messages.error(
            request,
            _("A class keeps at most %(limit)d photos; it has %(count)d.")
            % {"limit": evidence.PHOTOS_PER_CLASS, "count": training_class.photos.count()},
        )
        return redirect("classroom_evidence:detail", pk=training_class.pk)
    files = []
    for upload in uploads:
        if upload.size is not None and upload.size > evidence.PHOTO_MAX_BYTES:
            messages.error(
                request,
                _("%(name)s is %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "name": upload.name,
                    "size": round(upload.size / 1_048_576, 1),
                    "limit": evidence.PHOTO_MAX_BYTES // 1_048_576,
                },
            )
            return redirect("classroom_evidence:detail", pk=training_class.pk)
        files.append((upload.name or "", upload.read(_READ_LIMIT)))
    with refusal_message(request, ClassroomError):
        added = evidence.photos_add(training_class=training_class, by=request.user, files=files)
        messages.success(
            request,
            ngettext("%(count)d photo added.", "%(count)d photos added.", len(added)) % {"count": len(added)},
        )
    return redirect("classroom_evidence:detail", pk=training_class.pk)


@evidence_pages.post("<id:pk>/evidence/photos/<id:photo_pk>/delete/", name="photo_delete")
def photo_delete(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    training_class = get_object_or_404(selectors.classes_run_by(request.user), pk=pk)
    photo = get_object_or_404(SitePhoto, pk=photo_pk, training_class=training_class)
    with refusal_message(request, ClassroomError):
        evidence.photo_delete(photo=photo, by=request.user)
        messages.success(request, _("The photo was removed."))
    return redirect("classroom_evidence:detail", pk=training_class.pk)
