"""The lesson-plan library (教案库): uploads, sharing, and providers' offers to a district.

The rules, for every door (pages, API, admin):

- Who uploads: a training admin for their provider, an enterprise admin for their enterprise,
  a platform admin for anyone. The same people edit, replace, delete and share.
- A file is judged by its content, never by its name: a PDF by its magic bytes, a docx or pptx
  as an OOXML ZIP with the right main part declared in ``[Content_Types].xml`` (zip-bomb safe),
  within ``settings.LIBRARY_MAX_BYTES``. Every refusal names its field and stores nothing.
- Sharing: ``owner`` (the owner's administrators); ``subtree`` — an enterprise with a
  jurisdiction it lies in (its street, its district…), at once; a district training centre
  with a subtree of the jurisdiction it serves, at once; other providers (universities,
  institutions) never directly: they offer the plan to a district (``offer_create``) and it
  reaches the district when an acceptor accepts; ``platform`` — platform admins only.
- Acceptors of a district: its bureau officials and the training admins of a district training
  centre serving it (``selectors.library_districts_accepted_by``). An acceptor's own offer is
  accepted as it is made.
- A plan attached to a class is not deleted (detach it from the class first).
"""

from __future__ import annotations

import io
import secrets
import zipfile
from decimal import Decimal, InvalidOperation
from typing import Any, Required, TypedDict, Unpack

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.uploads import UploadRejected, check_docx, check_pptx, ooxml_content_types
from organizations import selectors as org
from organizations.models import Enterprise, Industry, Jurisdiction, TrainingProvider
from training import selectors
from training.models import Course, LessonPlan, LibraryOffer, PlanLevel
from training.services.content import pdf_page_count
from training.services.errors import (
    LessonPlanInUse,
    LessonPlanInvalid,
    LibraryForbidden,
    MediaRejected,
    OfferDecided,
    OfferInvalid,
)

PDF_MAGIC = b"%PDF-"
_MAIN_TYPES = {
    "docx": b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "pptx": b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
# The type a plan's file is sent with, by file type (also what the API's schema lists).
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def content_type_of(plan: LessonPlan) -> str:
    return CONTENT_TYPES.get(plan.file_type, "application/octet-stream")


def _invalid(field: str, message: str) -> LessonPlanInvalid:
    return LessonPlanInvalid(message, errors={field: [message]}, field=field)


def lesson_plan_file_check(data: bytes, name: str = "") -> str:
    """The file type (``pdf``, ``docx``, ``pptx``) of an upload, judged by its content; raises
    ``LessonPlanInvalid`` naming the ``file`` field."""
    limit = settings.LIBRARY_MAX_BYTES
    if len(data) > limit:
        raise _invalid(
            "file",
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(len(data) / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)},
        )
    if not data:
        raise _invalid("file", _("The file is empty."))
    if data.startswith(PDF_MAGIC):
        return "pdf"
    if not data.startswith(b"PK\x03\x04"):
        raise _invalid("file", _("A lesson plan must be a PDF, Word (docx) or PowerPoint (pptx) file."))
    kind = "pptx" if _has_part(data, "ppt/presentation.xml") else "docx"
    try:
        (check_pptx if kind == "pptx" else check_docx)(data, name)
    except UploadRejected as exc:
        raise _invalid("file", str(exc)) from None
    if _MAIN_TYPES[kind] not in ooxml_content_types(data):
        raise _invalid("file", _("A lesson plan must be a PDF, Word (docx) or PowerPoint (pptx) file."))
    return kind


def lesson_plan_pages(data: bytes, kind: str) -> int:
    """A PDF plan's pages, as the preview draws them (0 for Word and PowerPoint); raises
    ``LessonPlanInvalid`` naming the ``file`` field for a PDF that PDFium cannot open (damaged,
    password-protected, no pages), as a document lesson's upload does: colleagues could not read it."""
    if kind != LessonPlan.FileType.PDF:
        return 0
    try:
        return pdf_page_count(data)
    except MediaRejected as exc:
        raise _invalid("file", str(exc)) from None


def _has_part(data: bytes, part: str) -> bool:
    try:
        return part in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _read_upload(upload: Any) -> bytes:
    """Read a Django UploadedFile (or bytes) without reading past the size limit."""
    if isinstance(upload, bytes):
        return upload
    limit = settings.LIBRARY_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _invalid(
            "file",
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)},
        )
    upload.seek(0)
    return upload.read(limit + 1)


def credit_minutes_from_hours(hours: Any) -> int:
    """学时 as typed (``1.5``) to minutes (``settings.MINUTES_PER_CREDIT_HOUR`` a 学时)."""
    try:
        value = Decimal(str(hours).strip())
    except (InvalidOperation, ValueError):
        raise _invalid("credit_hours", _("Enter the credit hours as a number, e.g. 2 or 1.5.")) from None
    if not value.is_finite() or value <= 0 or value > 100:
        raise _invalid("credit_hours", _("The credit hours must be more than 0 and at most 100."))
    return max(1, int((value * settings.MINUTES_PER_CREDIT_HOUR).to_integral_value()))


def _check_owner(by: Any, owner_provider: TrainingProvider | None, owner_enterprise: Enterprise | None) -> None:
    if (owner_provider is None) == (owner_enterprise is None):
        raise _invalid("owner", _("Choose the one organisation the lesson plan belongs to."))
    providers, enterprises = selectors.library_owners_for(by)
    if owner_provider is not None and not providers.filter(pk=owner_provider.pk).exists():
        raise _invalid("owner", _("You may not upload lesson plans for this training provider."))
    if owner_enterprise is not None and not enterprises.filter(pk=owner_enterprise.pk).exists():
        raise _invalid("owner", _("You may not upload lesson plans for this enterprise."))


def share_check(
    *,
    by: Any,
    owner_provider: TrainingProvider | None,
    owner_enterprise: Enterprise | None,
    share: str,
    shared_with: Jurisdiction | None,
) -> Jurisdiction | None:
    """Whether the owner may share this way; returns the jurisdiction to store (None unless a subtree)."""
    if share not in LessonPlan.Share.values:
        raise _invalid("share", _("Choose who may find the lesson plan."))
    if share == LessonPlan.Share.OWNER:
        return None
    if share == LessonPlan.Share.PLATFORM:
        if not org.is_platform_admin(by):
            raise _invalid("share", _("Only a platform administrator shares a lesson plan with the whole platform."))
        return None
    if shared_with is None:
        raise _invalid("shared_with", _("Choose the jurisdiction to share with."))
    if org.is_platform_admin(by):
        return shared_with
    if owner_enterprise is not None:
        if shared_with.path not in org.ancestor_paths(owner_enterprise.jurisdiction.path):
            raise _invalid(
                "shared_with", _("An enterprise shares only with a jurisdiction it lies in (its street or district).")
            )
        return shared_with
    assert owner_provider is not None
    if owner_provider.kind != TrainingProvider.Kind.DISTRICT_CENTRE:
        raise _invalid(
            "shared_with",
            _("A university or training institution publishes to a district through an offer the district accepts."),
        )
    if not shared_with.path.startswith(owner_provider.jurisdiction.path):
        raise _invalid("shared_with", _("A district training centre shares only within the jurisdiction it serves."))
    return shared_with


def share_targets_for_plan(*, by: Any, plan_owner: TrainingProvider | Enterprise | None) -> list[Jurisdiction]:
    """The jurisdictions a subtree share may name, for the form's choices."""
    if org.is_platform_admin(by):
        return list(Jurisdiction.objects.order_by("path"))
    if isinstance(plan_owner, Enterprise):
        return list(Jurisdiction.objects.filter(path__in=org.ancestor_paths(plan_owner.jurisdiction.path)))
    if isinstance(plan_owner, TrainingProvider) and plan_owner.kind == TrainingProvider.Kind.DISTRICT_CENTRE:
        return list(Jurisdiction.objects.filter(path__startswith=plan_owner.jurisdiction.path))
    return []


class Catalogue(TypedDict, total=False):
    """What a lesson plan is about, as ``plan_upload`` and ``plan_update`` take it (defaults: ``_catalogue``)."""

    title: Required[str]
    topic: str
    industry: Industry | None
    level: str
    credit_hours: Required[Any]


def _catalogue(
    *, title: str, topic: str = "", industry: Industry | None = None, level: str = PlanLevel.GENERAL, credit_hours: Any
) -> dict[str, Any]:
    title = (title or "").strip()
    if not title:
        raise _invalid("title", _("Enter a title."))
    if len(title) > 200:
        raise _invalid("title", _("The title is at most 200 characters."))
    topic = (topic or "").strip()
    if len(topic) > 200:
        raise _invalid("topic", _("The topic is at most 200 characters."))
    if level not in PlanLevel.values:
        raise _invalid("level", _("Choose a level."))
    return {
        "title": title,
        "topic": topic,
        "industry": industry,
        "level": level,
        "credit_minutes": credit_minutes_from_hours(credit_hours),
    }


def _store_file(plan: LessonPlan, data: bytes, kind: str, name: str, pages: int) -> str:
    """Save the file on ``plan`` (not the row); returns the stored name so a failure can remove it."""
    plan.file.save(f"{secrets.token_hex(8)}.{kind}", ContentFile(data), save=False)
    plan.file_type = kind
    plan.page_count = pages
    plan.size = len(data)
    plan.file_name = (name or f"lesson-plan.{kind}").replace("/", "_").replace("\\", "_")[-200:]
    return plan.file.name


def _remove(storage: Any, name: str) -> None:
    if name:
        storage.delete(name)


def plan_upload(
    *,
    by: Any,
    upload: Any,
    file_name: str = "",
    owner_provider: TrainingProvider | None = None,
    owner_enterprise: Enterprise | None = None,
    share: str = LessonPlan.Share.OWNER,
    shared_with: Jurisdiction | None = None,
    **catalogue: Unpack[Catalogue],
) -> LessonPlan:
    """Check everything, then store the file and the row together: a failed row removes the file."""
    _check_owner(by, owner_provider, owner_enterprise)
    fields = _catalogue(**catalogue)
    shared_with = share_check(
        by=by, owner_provider=owner_provider, owner_enterprise=owner_enterprise, share=share, shared_with=shared_with
    )
    if upload is None:
        raise _invalid("file", _("Choose the lesson plan's file."))
    data = _read_upload(upload)
    name = file_name or getattr(upload, "name", "") or ""
    kind = lesson_plan_file_check(data, name)
    pages = lesson_plan_pages(data, kind)
    plan = LessonPlan(
        **fields,
        owner_provider=owner_provider,
        owner_enterprise=owner_enterprise,
        share=share,
        shared_with=shared_with,
        uploaded_by=by,
    )
    stored = ""
    try:
        with transaction.atomic():
            stored = _store_file(plan, data, kind, name, pages)
            plan.save()
    except BaseException:
        _remove(plan.file.storage, stored)
        raise
    return plan


def _require_manager(plan: LessonPlan, by: Any) -> None:
    if not selectors.lesson_plans_managed_by(by).filter(pk=plan.pk).exists():
        raise LibraryForbidden(_("Only the lesson plan's owner may change it."))


def plan_update(
    *,
    plan: LessonPlan,
    by: Any,
    share: str,
    shared_with: Jurisdiction | None = None,
    upload: Any = None,
    file_name: str = "",
    **catalogue: Unpack[Catalogue],
) -> LessonPlan:
    """Edit the catalogue data and sharing, and replace the file when ``upload`` is given (the old
    file goes once the new row is committed)."""
    _require_manager(plan, by)
    fields = _catalogue(**catalogue)
    shared_with = share_check(
        by=by,
        owner_provider=plan.owner_provider,
        owner_enterprise=plan.owner_enterprise,
        share=share,
        shared_with=shared_with,
    )
    data = kind = None
    pages = 0
    if upload is not None:
        data = _read_upload(upload)
        kind = lesson_plan_file_check(data, file_name or getattr(upload, "name", ""))
        pages = lesson_plan_pages(data, kind)
    old = plan.file.name
    storage = plan.file.storage
    stored = ""
    try:
        with transaction.atomic():
            for key, value in fields.items():
                setattr(plan, key, value)
            plan.share, plan.shared_with = share, shared_with
            if data is not None and kind is not None:
                stored = _store_file(plan, data, kind, file_name or getattr(upload, "name", ""), pages)
                transaction.on_commit(lambda: _remove(storage, old))
            plan.save()
    except BaseException:
        _remove(storage, stored)
        if stored:
            plan.file.name = old
        raise
    return plan


@transaction.atomic
def plan_delete(*, plan: LessonPlan, by: Any) -> None:
    """Delete a plan and its file, unless a class uses it."""
    _require_manager(plan, by)
    plan = LessonPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.classes.exists():
        raise LessonPlanInUse(_("The lesson plan is attached to a class; remove it from the class first."))
    name, storage = plan.file.name, plan.file.storage
    audit_record(actor=by, action="lesson_plan.delete", obj=plan, detail={"title": plan.title})
    plan.delete()
    transaction.on_commit(lambda: _remove(storage, name))


# --- offers to a district's library ---------------------------------------------------------


def offer_create(
    *,
    by: Any,
    district: Jurisdiction,
    lesson_plan: LessonPlan | None = None,
    course: Course | None = None,
) -> LibraryOffer:
    """A provider offers its plan or course to a district. Accepted at once when ``by`` accepts for
    that district (a district training centre offering to its own district)."""
    if (lesson_plan is None) == (course is None):
        raise OfferInvalid(_("Offer one lesson plan or one course."), errors={"item": [_("Choose what to offer.")]})
    provider = lesson_plan.owner_provider if lesson_plan is not None else course.owner_provider  # type: ignore[union-attr]
    if provider is None:
        raise OfferInvalid(
            _("Only a training provider's plans and courses are offered; an enterprise shares its own directly."),
            errors={"item": [_("This belongs to an enterprise.")]},
        )
    if not org.is_platform_admin(by) and provider.pk not in org.provider_ids_managed_by(by):
        raise LibraryForbidden(_("Only the provider's training admins may offer its plans and courses."))
    if district.kind not in (Jurisdiction.Kind.DISTRICT, Jurisdiction.Kind.CITY):
        message = _("Offers go to a district (or city) library.")
        raise OfferInvalid(message, errors={"district": [message]})
    with transaction.atomic():
        live = LibraryOffer.objects.select_for_update().filter(
            district=district,
            status__in=(LibraryOffer.Status.PENDING, LibraryOffer.Status.ACCEPTED),
            **({"lesson_plan": lesson_plan} if lesson_plan is not None else {"course": course}),
        )
        if live.exists():
            message = _("This is already offered to %(district)s.") % {"district": district.name}
            raise OfferInvalid(message, errors={"district": [message]})
        offer = LibraryOffer.objects.create(
            provider=provider, district=district, lesson_plan=lesson_plan, course=course, offered_by=by
        )
        if selectors.library_districts_accepted_by(by).filter(pk=district.pk).exists():
            offer = _decide(offer, by=by, accept=True, note="")
    return offer


def offer_withdraw(*, offer: LibraryOffer, by: Any) -> LibraryOffer:
    """The provider takes back a pending or accepted offer: the district no longer sees the item."""
    if not org.is_platform_admin(by) and offer.provider_id not in org.provider_ids_managed_by(by):
        raise LibraryForbidden(_("Only the provider's training admins may withdraw its offers."))
    with transaction.atomic():
        locked = LibraryOffer.objects.select_for_update().get(pk=offer.pk)
        if locked.status not in (LibraryOffer.Status.PENDING, LibraryOffer.Status.ACCEPTED):
            raise OfferDecided(_("This offer was already rejected or withdrawn."))
        locked.status = LibraryOffer.Status.WITHDRAWN
        locked.decided_by, locked.decided_at = by, timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


def offer_decide(*, offer: LibraryOffer, by: Any, accept: bool, note: str = "") -> LibraryOffer:
    """An acceptor of the offer's district accepts it (the district's people find the item) or
    rejects it with a note saying why."""
    if not selectors.library_districts_accepted_by(by).filter(pk=offer.district_id).exists():
        raise LibraryForbidden(_("Only the district's bureau officials or training centre accept its offers."))
    note = (note or "").strip()
    if len(note) > 300:
        message = _("The note is at most 300 characters.")
        raise OfferInvalid(message, errors={"note": [message]})
    if not accept and not note:
        message = _("Say why the offer is rejected.")
        raise OfferInvalid(message, errors={"note": [message]})
    with transaction.atomic():
        locked = LibraryOffer.objects.select_for_update().get(pk=offer.pk)
        return _decide(locked, by=by, accept=accept, note=note)


def _decide(offer: LibraryOffer, *, by: Any, accept: bool, note: str) -> LibraryOffer:
    if offer.status != LibraryOffer.Status.PENDING:
        raise OfferDecided(_("This offer was already decided or withdrawn."))
    offer.status = LibraryOffer.Status.ACCEPTED if accept else LibraryOffer.Status.REJECTED
    offer.note = note
    offer.decided_by, offer.decided_at = by, timezone.now()
    offer.save(update_fields=["status", "note", "decided_by", "decided_at"])
    audit_record(actor=by, action=f"library_offer.{offer.status}", obj=offer, reason=note)
    return offer
