"""The evidence of a class (课堂培训的佐证): site photos (现场照片) and the attendance sheet (签到表).

* Site photos: taken by whoever runs the class (``classroom.selectors.classes_run_by``) and uploaded
  from a phone as JPEG, PNG or WebP. The picture is checked by its bytes (``core.uploads.check_image``),
  turned upright and re-encoded as a JPEG without any metadata (the camera's GPS position, its serial
  number), so what is kept is a plain picture; a small thumbnail is kept beside it. Both live in private
  storage (``core.private_files``, folder ``classroom``) and are served only through the evidence views,
  each view recorded in the audit log. Photos change only while the class is scheduled: a closed class's
  evidence is frozen, and so is a cancelled one's.
* The attendance sheet: one line per invitee (and per person signed in without an invitation) with the
  ID number masked, how each sign-in and sign-out was verified, the 学时 credited and the remarks an auditor
  looks for (absent, late, left early, no sign-out, signed by the trainer and why). ``sheet_pdf`` and
  ``sheet_xlsx`` render the same ``AttendanceSheet``; the xlsx goes through ``core.spreadsheets`` (no
  formula injection from a name).
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import user_display
from classroom import selectors
from classroom.models import Attendance, SitePhoto, TrainingClass
from classroom.services.attendance import credit_waits_for_quiz
from classroom.services.errors import ClassroomError, NotAllowed
from core.audit import audit_record
from core.models import AuditEntry
from core.pdf import tables_pdf
from core.private_files import PrivateFolder
from core.spreadsheets import Column, Sheet, write_xlsx
from core.uploads import UploadRejected, check_image
from organizations.validators import mask_id_number

FOLDER = "classroom"
PHOTO_MAX_BYTES = 20 * 1024 * 1024  # a phone's full-resolution photo; what is kept is re-encoded and smaller
PHOTO_MAX_PIXELS = 64_000_000  # a 50-megapixel phone camera's full picture; decoded scaled down (JPEG draft)
PHOTO_MAX_SIDE = 2048  # the longest side kept
THUMB_SIDE = 480
PHOTOS_PER_CLASS = 30
PHOTO_KINDS = {"jpg", "png", "webp"}
CONTENT_TYPE = "image/jpeg"

# Audit actions of the evidence (core.AuditEntry.action).
ACTION_PHOTO_ADD = "classroom.photo_add"
ACTION_PHOTO_DELETE = "classroom.photo_delete"
ACTION_PHOTO_VIEW = "classroom.photo_view"
# classroom.services.attendance.sign_manual's actions, and the reason it records with each.
MANUAL_ACTIONS = {"classroom.sign_in_manual": "in", "classroom.sign_out_manual": "out"}


class PhotoRejected(ClassroomError, ValueError, code="photo_rejected", status=400):
    """An upload that is not a photo we keep; the message names the file."""


class EvidenceFrozen(ClassroomError, code="evidence_frozen", status=409):
    """The class is closed or cancelled: its photos no longer change."""


# --- private storage ------------------------------------------------------------------------------


# Site photos show the class, not a face to match: not biometric, kept unencrypted.
_photos = PrivateFolder(FOLDER)


def _write(relative: str, data: bytes) -> None:
    _photos.write(relative, data)


def _unlink(relative: str) -> None:
    _photos.delete(relative)


def thumb_path(relative: str) -> str:
    """Where a photo's thumbnail is kept, beside it."""
    return relative.rsplit(".", 1)[0] + "-thumb.jpg"


def photo_bytes(photo: SitePhoto, *, thumb: bool = False) -> bytes | None:
    """The stored picture (or its thumbnail); None when the file is gone. Callers check scope first."""
    return _photos.read(thumb_path(photo.path) if thumb else photo.path)


# --- photos ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedPhoto:
    image: bytes
    thumb: bytes


def _is_heic(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in {b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"heim", b"heis"}


def photo_prepare(data: bytes, name: str = "") -> PreparedPhoto:
    """Check an uploaded photo and re-encode it (upright, no metadata) with its thumbnail.

    Raises ``PhotoRejected`` whose message names the file and says what to do instead."""
    from PIL import Image, ImageOps

    label = name or _("the photo")
    if not data:
        raise PhotoRejected(_("%(name)s is empty.") % {"name": label}, field="photos")
    if _is_heic(data):
        raise PhotoRejected(
            _(
                "%(name)s is a HEIC photo, which browsers cannot show: set the camera to take JPEG photos "
                "(on an iPhone: Settings › Camera › Formats › Most Compatible) or share it as JPEG."
            )
            % {"name": label},
            field="photos",
        )
    try:
        kind = check_image(data, max_bytes=PHOTO_MAX_BYTES, max_pixels=PHOTO_MAX_PIXELS)
    except UploadRejected as exc:
        raise PhotoRejected(f"{label}：{exc}", field="photos") from None
    if kind not in PHOTO_KINDS:
        raise PhotoRejected(
            _("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": label},
            field="photos",
        )
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format == "JPEG":
                # Decode at the nearest 1/2, 1/4 or 1/8 scale still above what is kept: a large photo costs
                # a fraction of its full size in memory and time.
                opened.draft("RGB", (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            picture = ImageOps.exif_transpose(opened) or opened
            picture.load()
            if picture.mode in ("RGBA", "LA", "P"):
                rgba = picture.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                picture = flat
            else:
                picture = picture.convert("RGB")
            picture.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            image = io.BytesIO()
            picture.save(image, "JPEG", quality=85, optimize=True)  # no exif=, so no metadata is written
            small = picture.copy()
            small.thumbnail((THUMB_SIDE, THUMB_SIDE))
            thumb = io.BytesIO()
            small.save(thumb, "JPEG", quality=80)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise PhotoRejected(_("%(name)s is damaged or not a photo.") % {"name": label}, field="photos") from None
    return PreparedPhoto(image=image.getvalue(), thumb=thumb.getvalue())


def _check_runs(training_class: TrainingClass, by: Any) -> None:
    if not selectors.classes_run_by(by).filter(pk=training_class.pk).exists():
        raise NotAllowed(_("Only the trainer and the organisers of this class may change its photos."))


def _check_open(training_class: TrainingClass) -> None:
    if training_class.status != TrainingClass.Status.SCHEDULED:
        raise EvidenceFrozen(
            _("The class is %(status)s: its photos can no longer change.")
            % {"status": training_class.get_status_display()}
        )


def photos_add(*, training_class: TrainingClass, by: Any, files: Sequence[tuple[str, bytes]]) -> list[SitePhoto]:
    """Keep the uploaded photos (``(file name, bytes)`` pairs) of a scheduled class: all of them, or, when one
    is refused, none (the error names it)."""
    _check_runs(training_class, by)
    if not files:
        raise PhotoRejected(_("Choose at least one photo."), field="photos")
    prepared = [photo_prepare(data, name) for name, data in files]
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = TrainingClass.objects.select_for_update().get(pk=training_class.pk)
            _check_open(locked)
            present = SitePhoto.objects.filter(training_class=locked).count()
            if present + len(prepared) > PHOTOS_PER_CLASS:
                raise PhotoRejected(
                    _("A class keeps at most %(limit)d photos; it has %(count)d.")
                    % {"limit": PHOTOS_PER_CLASS, "count": present},
                    field="photos",
                )
            photos = []
            for item in prepared:
                relative = f"site_photos/{locked.pk}/{secrets.token_hex(12)}.jpg"
                _write(relative, item.image)
                written.append(relative)
                _write(thumb_path(relative), item.thumb)
                written.append(thumb_path(relative))
                photo = SitePhoto.objects.create(
                    training_class=locked,
                    path=relative,
                    content_type=CONTENT_TYPE,
                    size=len(item.image),
                    uploaded_by=by,
                )
                audit_record(actor=by, action=ACTION_PHOTO_ADD, obj=locked, detail={"photo": photo.pk})
                photos.append(photo)
    except BaseException:
        for relative in written:
            _unlink(relative)
        raise
    return photos


def photo_delete(*, photo: SitePhoto, by: Any) -> None:
    """Remove a photo of a scheduled class (its files go once the deletion is committed)."""
    training_class = photo.training_class
    _check_runs(training_class, by)
    with transaction.atomic():
        locked = TrainingClass.objects.select_for_update().get(pk=training_class.pk)
        _check_open(locked)
        relative = photo.path
        audit_record(
            actor=by,
            action=ACTION_PHOTO_DELETE,
            obj=locked,
            detail={"photo": photo.pk, "uploaded_by": photo.uploaded_by_id},
        )
        photo.delete()
        transaction.on_commit(lambda: (_unlink(relative), _unlink(thumb_path(relative))))


def photo_view_record(*, photo: SitePhoto, user: Any, thumb: bool, ip: str | None) -> None:
    """Record that ``user`` was sent the photo (call after the scope check, before sending it)."""
    audit_record(actor=user, action=ACTION_PHOTO_VIEW, obj=photo, detail={"thumb": thumb, "ip": ip or ""})


def photos_of(training_class: TrainingClass) -> list[SitePhoto]:
    return list(training_class.photos.select_related("uploaded_by").order_by("uploaded_at", "pk"))


def photos_frozen(training_class: TrainingClass) -> bool:
    return training_class.status != TrainingClass.Status.SCHEDULED


# --- the attendance sheet -------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetLine:
    name: str
    id_number: str  # masked
    enterprise: str
    signed_in: str
    in_how: str
    signed_out: str
    out_how: str
    credited_minutes: int
    credited_hours: str
    remarks: str
    absent: bool

    def cells(self) -> list[str]:
        return [
            self.name,
            self.id_number,
            self.enterprise,
            self.signed_in,
            self.in_how,
            self.signed_out,
            self.out_how,
            self.credited_hours,
            self.remarks,
        ]


@dataclass(frozen=True)
class AttendanceSheet:
    title: str
    facts: list[tuple[str, str]]
    columns: list[str]
    lines: list[SheetLine]
    totals: str
    photo_count: int


def _hours(seconds: int) -> str:
    return f"{seconds / 60 / settings.MINUTES_PER_CREDIT_HOUR:.2f}"


def _time(value: dt.datetime | None, day: dt.date) -> str:
    """ "09:03" on the class's day, "2026-03-02 09:03" on another; "—" for none."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return date_format(local, "H:i") if local.date() == day else date_format(local, "Y-m-d H:i")


def _span(training_class: TrainingClass) -> str:
    start, end = timezone.localtime(training_class.starts_at), timezone.localtime(training_class.ends_at)
    last = date_format(end, "H:i") if end.date() == start.date() else date_format(end, "Y-m-d H:i")
    return f"{date_format(start, 'Y-m-d H:i')} – {last}"


def _owner(training_class: TrainingClass) -> str:
    owner = training_class.owner_enterprise or training_class.owner_provider
    return owner.name if owner is not None else "—"


def _manual_reasons(attendances: Sequence[Attendance]) -> dict[tuple[int, str], str]:
    """The reason the trainer gave for each manual sign-in or sign-out, by (attendance id, "in"/"out")."""
    entries = AuditEntry.objects.filter(
        object_type=Attendance._meta.label_lower, object_id__in=[str(a.pk) for a in attendances]
    ).order_by("at", "pk")
    reasons: dict[tuple[int, str], str] = {}
    for entry in entries:
        kind = MANUAL_ACTIONS.get(entry.action)
        if kind is not None:
            reasons[(int(entry.object_id), kind)] = entry.reason
    return reasons


def _how(attendance: Attendance, kind: str, reasons: dict[tuple[int, str], str]) -> str:
    method = attendance.in_method if kind == "in" else attendance.out_method
    if not method:
        return "—"
    label = str(Attendance.Method(method).label)
    reason = reasons.get((attendance.pk, kind), "")
    if method == Attendance.Method.MANUAL and reason:
        return _("%(how)s (reason: %(reason)s)") % {"how": label, "reason": reason}
    return label


def _running(training_class: TrainingClass) -> bool:
    """Still scheduled: nobody is absent yet, only not signed in (the sheet of a class in progress)."""
    return training_class.status == TrainingClass.Status.SCHEDULED


def _remarks(training_class: TrainingClass, attendance: Attendance) -> list[str]:
    remarks = []
    tolerance = training_class.tolerance_minutes
    late = int((attendance.signed_in_at - training_class.starts_at).total_seconds() // 60)
    if late > tolerance:
        remarks.append(_("late %(minutes)d min") % {"minutes": late})
    elif late > 0:
        remarks.append(_("late %(minutes)d min, within the tolerance") % {"minutes": late})
    if attendance.signed_out_at is None:
        remarks.append(_("not signed out yet") if _running(training_class) else _("no sign-out"))
    else:
        early = int((training_class.ends_at - attendance.signed_out_at).total_seconds() // 60)
        if early > tolerance:
            remarks.append(_("left %(minutes)d min early") % {"minutes": early})
        elif early > 0:
            remarks.append(_("left %(minutes)d min early, within the tolerance") % {"minutes": early})
        if credit_waits_for_quiz(attendance):
            remarks.append(_("credit waits for the end-of-class quiz"))
    return remarks


def attendance_sheet(training_class: TrainingClass) -> AttendanceSheet:
    """The sheet of a class: its facts, one line per invitee (absent ones too), the totals. Callers check
    that the reader may see the class's evidence (``selectors.class_evidence_visible_to``)."""
    day = timezone.localtime(training_class.starts_at).date()
    attendances = list(selectors.attendance_of(training_class))
    by_person = {a.person_id: a for a in attendances}
    reasons = _manual_reasons(attendances)
    people = [i.person for i in selectors.invitations_of(training_class)]
    invited = {p.pk for p in people}
    people += sorted((a.person for a in attendances if a.person_id not in invited), key=lambda p: p.name)
    lines = []
    for person in people:
        attendance = by_person.get(person.pk)
        common = {
            "name": person.name,
            "id_number": mask_id_number(person.id_number) if person.id_number else "—",
            "enterprise": person.enterprise.name,
        }
        if attendance is None:
            lines.append(
                SheetLine(
                    **common,
                    signed_in="—",
                    in_how="—",
                    signed_out="—",
                    out_how="—",
                    credited_minutes=0,
                    credited_hours=_hours(0),
                    remarks=_("not signed in yet") if _running(training_class) else _("absent"),
                    absent=True,
                )
            )
            continue
        remarks = _remarks(training_class, attendance)
        if person.pk not in invited:
            remarks.append(_("not invited"))
        lines.append(
            SheetLine(
                **common,
                signed_in=_time(attendance.signed_in_at, day),
                in_how=_how(attendance, "in", reasons),
                signed_out=_time(attendance.signed_out_at, day),
                out_how=_how(attendance, "out", reasons),
                credited_minutes=attendance.credited_seconds // 60,
                credited_hours=_hours(attendance.credited_seconds),
                remarks="；".join(remarks) or "—",
                absent=False,
            )
        )
    photo_count = training_class.photos.count()
    present = [line for line in lines if not line.absent]
    credited = sum(a.credited_seconds for a in attendances)
    manual = sum(
        1
        for a in attendances
        if Attendance.Method.MANUAL in (a.in_method, a.out_method)  # signed in or out by the trainer
    )
    if _running(training_class):
        totals = _(
            "%(invited)d invited, %(present)d signed in, %(absent)d not signed in yet, %(signed_out)d signed out, "
            "%(manual)d signed by the trainer; %(hours)s credit hours credited so far; %(photos)d site photos."
        )
    else:
        totals = _(
            "%(invited)d invited, %(present)d present, %(absent)d absent, %(signed_out)d signed out, "
            "%(manual)d signed by the trainer; %(hours)s credit hours credited in all; %(photos)d site photos."
        )
    totals = totals % {
        "invited": len(invited),
        "present": len(present),
        "absent": len(lines) - len(present),
        "signed_out": sum(1 for a in attendances if a.signed_out_at is not None),
        "manual": manual,
        "hours": _hours(credited),
        "photos": photo_count,
    }
    facts = [
        (pgettext("attendance sheet", "Topic"), training_class.topic),
        (pgettext("attendance sheet", "Level"), training_class.get_level_display()),
        (pgettext("attendance sheet", "Organised by"), _owner(training_class)),
        (pgettext("attendance sheet", "Trainer"), user_display(training_class.trainer)),
        (pgettext("attendance sheet", "Place"), training_class.place),
        (pgettext("attendance sheet", "Time"), _span(training_class)),
        (
            pgettext("attendance sheet", "Credit hours"),
            _("%(hours)s (%(minutes)d minutes)")
            % {"hours": _hours(training_class.credit_minutes * 60), "minutes": training_class.credit_minutes},
        ),
        (
            pgettext("attendance sheet", "Tolerance"),
            _("%(minutes)d minutes") % {"minutes": training_class.tolerance_minutes},
        ),
        (pgettext("attendance sheet", "Status"), training_class.get_status_display()),
        (pgettext("attendance sheet", "Site photos"), str(photo_count)),
    ]
    if training_class.course_id:
        facts.insert(1, (pgettext("attendance sheet", "Course"), training_class.course.title))  # type: ignore[union-attr]
    return AttendanceSheet(
        title=_("Attendance sheet: %(topic)s") % {"topic": training_class.topic},
        facts=facts,
        columns=[
            pgettext("attendance sheet", "Name"),
            pgettext("attendance sheet", "ID card number"),
            pgettext("attendance sheet", "Enterprise"),
            pgettext("attendance sheet", "Signed in"),
            pgettext("attendance sheet", "Sign-in verified by"),
            pgettext("attendance sheet", "Signed out"),
            pgettext("attendance sheet", "Sign-out verified by"),
            pgettext("attendance sheet", "Credit hours"),
            pgettext("attendance sheet", "Remarks"),
        ],
        lines=lines,
        totals=totals,
        photo_count=photo_count,
    )


def sheet_pdf(sheet: AttendanceSheet) -> bytes:
    return tables_pdf(
        title=sheet.title,
        lines=sheet.facts,
        tables=[
            (
                pgettext("attendance sheet", "Attendance"),
                sheet.totals,
                sheet.columns,
                [line.cells() for line in sheet.lines],
                _("Nobody is invited to this class."),
            )
        ],
        landscape=True,
    )


def sheet_xlsx(sheet: AttendanceSheet) -> bytes:
    """One sheet: the class's facts on top, then the lines under their column titles, then the totals."""
    widths = [12, 22, 24, 16, 26, 16, 26, 10, 40]
    columns = [Column(title, width=w, wrap=True) for title, w in zip(sheet.columns, widths, strict=True)]
    rows: list[list[Any]] = [[sheet.title]]
    rows += [[label, value] for label, value in sheet.facts]
    rows.append([])
    rows.append(list(sheet.columns))
    for line in sheet.lines:
        cells: list[Any] = line.cells()
        cells[7] = float(line.credited_hours)  # a number, so that the column sums
        rows.append(cells)
    rows.append([])
    rows.append([pgettext("attendance sheet", "Totals"), sheet.totals])
    return write_xlsx(
        [Sheet(title=pgettext("attendance sheet", "Attendance sheet"), columns=columns, rows=rows, header=False)]
    )


def sheet_filename(training_class: TrainingClass, extension: str) -> str:
    """签到表-<topic>-<date>.<ext>; core.spreadsheets.attachment_response makes it safe to send."""
    day = timezone.localtime(training_class.starts_at).date().isoformat()
    return f"{pgettext('attendance sheet', 'Attendance sheet')}-{training_class.topic}-{day}.{extension}"
