"""Classroom pages (课堂培训): the trainer's list, schedule form, code board and live attendance; the learner's
sign page (the QR's target), result and 我的课堂.

Every view scopes through ``classroom.selectors`` (a class outside the user's scope is a 404) and writes
through ``classroom.services``; a refusal is shown as the service's message, or a fixed one for the
sign-in codes a learner meets at the door.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from classroom import selectors
from classroom.forms import CancelForm, ClassForm, InviteForm, ManualSignForm, owner_of, owners_for
from classroom.models import Attendance, TrainingClass
from classroom.routes import pages
from classroom.services import attendance as attendance_services
from classroom.services import codes
from classroom.services import schedule as schedule_services
from classroom.services.errors import ClassroomError
from core.http import no_store, refusal_message, refusal_on_form, wants_json
from organizations.selectors import person_of
from proctoring import selectors as proctoring_selectors
from proctoring.views import camera_strings
from training.selectors import credit_hours_text

# How often the trainer's page asks for the attendance list (seconds).
ATTENDANCE_POLL_SECONDS = 4
# Largest face photo the sign page accepts (the proctoring limit).
PHOTO_MAX_BYTES = getattr(settings, "PROCTORING_PHOTO_MAX_BYTES", 2_000_000)


def door_message(error: ClassroomError) -> str:
    """What a learner at the door reads for a refusal: fixed, plain Chinese for the common cases."""
    fixed = {
        "code_expired": _("The sign-in code has expired. Scan the QR code on the screen again."),
        "code_invalid": _("This code is not valid for this class. Scan the QR code on the screen again."),
        "not_invited": _("You are not on this class's list. Ask the trainer to invite you."),
        "already_signed_in": _("You have signed in to this class already: no need to sign in again."),
        "already_signed_out": _("You have signed out of this class already."),
        "not_signed_in": _("You have not signed in to this class yet: scan the sign-in code first."),
        "class_not_open": _("This class is not open for signing in now."),
        "class_closed": _("This class has ended."),
        "wrong_code": _("This is the other code (sign-in or sign-out). Scan the code the trainer shows now."),
        "face_required": _(
            "This class needs a face check, and you have no usable face enrolment. Ask the trainer to sign you in."
        ),
        "face_check_failed": _(
            "The face check did not pass. Try again facing the camera in good light, or ask the trainer to sign you in."
        ),
    }
    return fixed.get(error.code, error.message)


def _class_run_by(request: HttpRequest, pk: int) -> TrainingClass:
    found = selectors.classes_run_by(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _class_visible(request: HttpRequest, pk: int) -> TrainingClass:
    found = selectors.classes_visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def phase_of(training_class: TrainingClass, now: dt.datetime) -> str:
    """upcoming / in_progress / past / cancelled: where a class is in its day."""
    if training_class.status == TrainingClass.Status.CANCELLED:
        return "cancelled"
    if training_class.status == TrainingClass.Status.CLOSED or training_class.ends_at <= now:
        return "past"
    if training_class.starts_at <= now:
        return "in_progress"
    return "upcoming"


def _may_schedule(user: Any) -> bool:
    return bool(owners_for(user))


# --- trainer: list, schedule, edit, cancel, invite ----------------------------------------


@pages.get("", name="list")
def class_list(request: HttpRequest) -> HttpResponse:
    """课堂培训: the classes this user runs, in three groups."""
    may_schedule = _may_schedule(request.user)
    run = selectors.classes_run_by(request.user)
    if not may_schedule and not run.exists():
        if person_of(request.user) is not None:
            return redirect("classroom:mine")
        raise PermissionDenied
    now = timezone.now()
    groups: dict[str, list[TrainingClass]] = {"in_progress": [], "upcoming": [], "past": []}
    for training_class in run.exclude(status=TrainingClass.Status.CANCELLED).order_by("starts_at", "pk")[:500]:
        groups[phase_of(training_class, now)].append(training_class)
    groups["past"].reverse()
    cancelled = list(run.filter(status=TrainingClass.Status.CANCELLED).order_by("-starts_at")[:20])
    return render(
        request,
        "classroom/class_list.html",
        {
            "sections": [
                ("in_progress", pgettext("class", "In progress"), groups["in_progress"]),
                ("upcoming", _("Upcoming"), groups["upcoming"]),
                ("past", _("Past"), groups["past"][:50]),
            ],
            "cancelled": cancelled,
            "may_schedule": may_schedule,
        },
    )


def _field_errors(form: Any, error: ClassroomError) -> None:
    errors = error.details.get("errors") or {}
    if not isinstance(errors, dict) or not errors:
        form.add_error(None, error.message)
        return
    for field, problem in errors.items():
        text = problem if isinstance(problem, str) else " ".join(map(str, problem))
        name = {"starts_at": "start", "ends_at": "end", "credit_minutes": "hours"}.get(field, field)
        form.add_error(name if name in form.fields else None, text)


@pages.route("new/", name="new", methods=("GET", "POST"))
def class_new(request: HttpRequest) -> HttpResponse:
    """安排课堂: the class and, in the same step, whom to invite."""
    if not _may_schedule(request.user):
        raise PermissionDenied
    form = ClassForm(request.POST or None, user=request.user)
    probe = TrainingClass(**form.owner) if (form.owner["owner_enterprise"] or form.owner["owner_provider"]) else None
    pool = selectors.people_invitable_by(probe) if probe is not None else None
    invite_form = InviteForm(request.POST or None, pool=pool) if pool is not None else None
    if request.method == "POST" and form.is_valid() and (invite_form is None or invite_form.is_valid()):
        owner = owner_of(form.cleaned_data["owner"])
        with refusal_on_form(form, ClassroomError, place=_field_errors):
            with transaction.atomic():
                training_class = schedule_services.class_schedule(by=request.user, **owner, **form.service_fields())
                invited = 0
                if invite_form is not None and invite_form.has_choice():
                    invited = schedule_services.invite(
                        training_class=training_class, by=request.user, **invite_form.chosen()
                    )
            messages.success(request, _("Class scheduled; %(count)d people invited.") % {"count": invited})
            return redirect("classroom:detail", pk=training_class.pk)
    return render(
        request,
        "classroom/class_form.html",
        {"form": form, "invite_form": invite_form, "training_class": None},
    )


@pages.route("<id:pk>/edit/", name="edit", methods=("GET", "POST"))
def class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = _class_run_by(request, pk)
    if training_class.status != TrainingClass.Status.SCHEDULED:
        messages.error(request, _("A closed or cancelled class cannot be changed."))
        return redirect("classroom:detail", pk=training_class.pk)
    form = ClassForm(request.POST or None, user=request.user, training_class=training_class)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form, ClassroomError, place=_field_errors):
            schedule_services.class_update(training_class=training_class, by=request.user, **form.service_fields())
            messages.success(request, _("Class saved."))
            return redirect("classroom:detail", pk=training_class.pk)
    return render(
        request, "classroom/class_form.html", {"form": form, "invite_form": None, "training_class": training_class}
    )


@pages.route("<id:pk>/cancel/", name="cancel", methods=("GET", "POST"))
def class_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = _class_run_by(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form, ClassroomError):
            schedule_services.class_cancel(
                training_class=training_class, by=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Class cancelled."))
            return redirect("classroom:list")
    return render(request, "classroom/class_cancel.html", {"form": form, "training_class": training_class})


@pages.route("<id:pk>/invite/", name="invite", methods=("GET", "POST"))
def class_invite(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = _class_run_by(request, pk)
    already = set(training_class.invitations.values_list("person_id", flat=True))
    form = InviteForm(request.POST or None, pool=selectors.people_invitable_by(training_class), already=already)
    if request.method == "POST" and form.is_valid():
        if not form.has_choice():
            form.add_error(None, _("Choose a post, a department or some people."))
        else:
            with refusal_on_form(form, ClassroomError):
                added = schedule_services.invite(training_class=training_class, by=request.user, **form.chosen())
                messages.success(request, _("%(count)d people invited.") % {"count": added})
                return redirect("classroom:detail", pk=training_class.pk)
    return render(
        request,
        "classroom/class_invite.html",
        {"form": form, "training_class": training_class, "invited_count": len(already)},
    )


# --- the class page: code board, live attendance, 代签, 结束课堂 -----------------------------


def qr_svg(url: str) -> SafeString:
    """The QR of ``url`` as inline SVG (server-rendered: no script, no CDN)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return mark_safe(svg)  # noqa: S308 - our own SVG from the qrcode package; the URL is ours, path-data only


def code_payload(request: HttpRequest, training_class: TrainingClass, kind: str) -> dict[str, Any]:
    now = timezone.now()
    code = codes.class_code(training_class, kind, now=now)
    url = request.build_absolute_uri(codes.sign_path(training_class, code.code))
    # The board moves on at the window's end; the code itself is still accepted for a short grace after it.
    seconds_left = max(1, int((code.refresh_at - now).total_seconds() + 0.999))
    return {
        "kind": kind,
        "code": code.code,
        "expires_at": code.expires_at.isoformat(),
        "seconds_left": seconds_left,
        "url": url,
        "svg": str(qr_svg(url)),
        "sign_in_opens": attendance_services.sign_in_not_open_yet(training_class, now) if kind == "in" else "",
    }


def _kind(request: HttpRequest) -> str:
    return "out" if request.GET.get("kind") == "out" else "in"


def _attendance_rows(training_class: TrainingClass) -> list[dict[str, Any]]:
    """Every invitee with their attendance (or none yet): signed in first, in sign-in order, then the rest by name."""
    records = {a.person_id: a for a in selectors.attendance_of(training_class)}
    rows = []
    for invitation in training_class.invitations.select_related("person").order_by("person__name", "pk"):
        rows.append({"person": invitation.person, "attendance": records.pop(invitation.person_id, None)})
    rows += [{"person": a.person, "attendance": a} for a in records.values()]
    signed = sorted((r for r in rows if r["attendance"]), key=lambda r: r["attendance"].signed_in_at)
    waiting = [r for r in rows if not r["attendance"]]
    for row in signed:
        attendance = row["attendance"]
        row["credited_hours"] = credit_hours_text(attendance.credited_seconds // 60) if attendance.credited_at else None
        # Decided but nothing in the ledger (no sign-out at the close, all minutes deducted, quiz pending):
        # the trainer sees why, as the learner does on their result page.
        row["credit_note"] = attendance.credit_detail if attendance.credited_at is None else ""
    return signed + waiting


def _attendance_context(training_class: TrainingClass) -> dict[str, Any]:
    rows = _attendance_rows(training_class)
    return {
        "training_class": training_class,
        "rows": rows,
        "invited": training_class.invitations.count(),
        "signed_in": sum(1 for r in rows if r["attendance"]),
        "signed_out": sum(1 for r in rows if r["attendance"] and r["attendance"].signed_out_at),
    }


@pages.get("<id:pk>/", name="detail")
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The class page. The trainer sees the code board and the live list; an invitee or overseer the class."""
    training_class = _class_visible(request, pk)
    runs = selectors.classes_run_by(request.user).filter(pk=pk).exists()
    now = timezone.now()
    context: dict[str, Any] = {
        "training_class": training_class,
        "phase": phase_of(training_class, now),
        "hours": credit_hours_text(training_class.credit_minutes),
        "runs": runs,
        "lesson_plans": list(training_class.lesson_plans.all()),
    }
    if runs:
        kind = _kind(request)
        open_for_codes = training_class.status == TrainingClass.Status.SCHEDULED
        context.update(_attendance_context(training_class))
        context.update(
            {
                "kind": kind,
                "code": code_payload(request, training_class, kind) if open_for_codes else None,
                "manual_form": ManualSignForm(training_class=training_class, initial={"kind": kind}),
                "board_config": {
                    "code_url": reverse("classroom:code", args=[training_class.pk]) + f"?kind={kind}",
                    "attendance_url": reverse("classroom:attendance", args=[training_class.pk]),
                    "poll_seconds": ATTENDANCE_POLL_SECONDS,
                    "offline": _("Connection lost: retrying…"),
                    "countdown": _("Changes in {s} s"),
                    "confirm_close": _("End the class now? No one can sign in or out afterwards."),
                },
            }
        )
        return no_store(render(request, "classroom/class_board.html", context))
    person = person_of(request.user)
    record = Attendance.objects.filter(training_class=training_class, person=person).first() if person else None
    context["attendance"] = record
    context["state"] = attendance_services.sign_state(record) if record else None
    return render(request, "classroom/class_detail.html", context)


@pages.get("<id:pk>/code/", name="code")
def class_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The board's current code as JSON (the page asks again when the countdown ends)."""
    training_class = _class_run_by(request, pk)
    if training_class.status != TrainingClass.Status.SCHEDULED:
        return no_store(JsonResponse({"detail": _("This class has ended."), "code": "class_closed"}, status=409))
    return no_store(JsonResponse(code_payload(request, training_class, _kind(request))))


@pages.get("<id:pk>/attendance/", name="attendance")
def class_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The live attendance list as an HTML fragment, polled by the class page every few seconds.

    Polling rather than a websocket: the list changes a few times a minute at most, a trainer's phone
    may sleep and wake, and a plain GET works the same behind gunicorn (WSGI) and daphne."""
    training_class = _class_run_by(request, pk)
    return no_store(render(request, "classroom/_attendance.html", _attendance_context(training_class)))


@pages.post("<id:pk>/manual/", name="manual")
def class_manual(request: HttpRequest, pk: int) -> HttpResponse:
    """代签: sign a person in or out by hand, with the reason (audit-logged by the service)."""
    training_class = _class_run_by(request, pk)
    form = ManualSignForm(request.POST, training_class=training_class)
    if form.is_valid():
        data = form.cleaned_data
        try:
            attendance_services.sign_manual(
                training_class=training_class,
                person=data["person"],
                kind=data["kind"],
                reason=data["reason"],
                by=request.user,
            )
        except ClassroomError as exc:
            messages.error(request, door_message(exc))
        else:
            done = _("%(name)s signed in.") if data["kind"] == "in" else _("%(name)s signed out.")
            messages.success(request, done % {"name": data["person"].name})
    else:
        problems = "; ".join(
            f"{form.fields[f].label if f in form.fields else ''}{': ' if f in form.fields else ''}{' '.join(e)}"
            for f, e in form.errors.items()
        )
        messages.error(request, _("Not signed: %(problems)s") % {"problems": problems})
    return redirect(reverse("classroom:detail", args=[training_class.pk]) + f"?kind={data_kind(request)}#manual")


def data_kind(request: HttpRequest) -> str:
    return "out" if request.POST.get("kind") == "out" else "in"


@pages.post("<id:pk>/close/", name="close")
def class_close(request: HttpRequest, pk: int) -> HttpResponse:
    """结束课堂: no more codes; everyone still signed in is handled by the service."""
    training_class = _class_run_by(request, pk)
    with refusal_message(request, ClassroomError):
        attendance_services.class_close(training_class=training_class, by=request.user)
        messages.success(request, _("Class ended."))
    return redirect("classroom:detail", pk=training_class.pk)


# --- learner: the QR's target, the result, 我的课堂 ---------------------------------------


def _upload(request: HttpRequest) -> bytes | None:
    upload = request.FILES.get("photo")
    if upload is None:
        return None
    if upload.size and upload.size > PHOTO_MAX_BYTES:
        raise ValueError
    return upload.read()


@pages.route("<id:pk>/sign/", name="sign", methods=("GET", "POST"))
def class_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The page the QR opens (``/classes/<id>/sign/?code=…``): the class and one big confirm button.

    GET only shows; the POST (with the code, and the face photo when the class needs one) signs.
    """
    training_class = _class_visible(request, pk)
    person = person_of(request.user)
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    error = ""
    kind = ""
    if code:
        try:
            kind = codes.code_read(training_class, code)
        except ClassroomError as exc:
            error = door_message(exc)
    if request.method == "POST" and not error:
        try:
            frame = _upload(request)
        except ValueError:
            error = _("The photo is too large. Try again.")
            frame = None
        if not error:
            try:
                if person is None:
                    raise PermissionDenied
                attendance_services.sign_by_code(
                    training_class=training_class, user=request.user, code=code, frame=frame
                )
            except ClassroomError as exc:
                error = door_message(exc)
                if wants_json(request):
                    return no_store(JsonResponse({"ok": False, "code": exc.code, "detail": error}, status=exc.status))
            else:
                done = reverse("classroom:signed", args=[training_class.pk])
                if wants_json(request):
                    return no_store(JsonResponse({"ok": True, "redirect": done}))
                return redirect(done)
        elif wants_json(request):
            return no_store(JsonResponse({"ok": False, "code": "bad_photo", "detail": error}, status=400))
    record = Attendance.objects.filter(training_class=training_class, person=person).first() if person else None
    needs_face = training_class.requires_face and kind == "in"
    context = {
        "training_class": training_class,
        "code": code,
        "kind": kind,
        "error": error,
        "attendance": record,
        "needs_face": needs_face,
        "hours": credit_hours_text(training_class.credit_minutes),
    }
    if needs_face and person is not None:
        context.update(
            {
                "enrolment": proctoring_selectors.enrolment_of(person),
                "consent": proctoring_selectors.active_consent(person),
                "camera_strings": {
                    **camera_strings(),
                    "denied": _("The camera is not available. Ask the trainer to sign you in."),
                },
            }
        )
    status = 400 if error and request.method == "POST" else 200
    return no_store(render(request, "classroom/sign.html", context, status=status))


@pages.get("<id:pk>/signed/", name="signed")
def class_signed(request: HttpRequest, pk: int) -> HttpResponse:
    """After signing: the time, the status and, after sign-out, the credited 学时."""
    training_class = _class_visible(request, pk)
    person = person_of(request.user)
    record = Attendance.objects.filter(training_class=training_class, person=person).first() if person else None
    if record is None:
        raise Http404
    state = attendance_services.sign_state(record)
    credited = state.get("credited_minutes")
    return no_store(
        render(
            request,
            "classroom/signed.html",
            {
                "training_class": training_class,
                "attendance": record,
                "state": state,
                "credited_hours": credit_hours_text(credited) if credited is not None else None,
            },
        )
    )


@pages.get("mine/", name="mine")
def my_classes(request: HttpRequest) -> HttpResponse:
    """我的课堂: the classes the learner is invited to, coming ones first, with their own attendance."""
    person = person_of(request.user)
    if person is None:
        raise PermissionDenied
    now = timezone.now()
    invited = list(selectors.classes_invited(request.user)[:200])
    records = {a.training_class_id: a for a in Attendance.objects.filter(person=person, training_class__in=invited)}
    coming, past = [], []
    for training_class in invited:
        phase = phase_of(training_class, now)
        row = {
            "class": training_class,
            "phase": phase,
            "attendance": records.get(training_class.pk),
            "hours": credit_hours_text(training_class.credit_minutes),
        }
        (past if phase == "past" else coming).append(row)
    past.reverse()
    return render(request, "classroom/my_classes.html", {"coming": coming, "past": past})
