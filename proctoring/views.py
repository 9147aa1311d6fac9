"""Proctoring pages: consent and enrolment, the pre-exam check, the live grid, review, images."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.http import no_store, safe_next, wants_json
from exams.selectors import sessions_in_schedule_order, sessions_managed_by
from organizations.selectors import is_platform_admin, people_managed_by, person_of
from proctoring import review, selectors, storage
from proctoring.liveness_client import liveness_client
from proctoring.models import FaceEnrolment, IdentityCheck, LivenessCheck, MediaAccessLog, ProctoringPolicy
from proctoring.routes import pages
from proctoring.services import identity as identity_services
from proctoring.services.actions import policy_set, review_decide
from proctoring.services.consent import consent_give, consent_text, consent_withdraw
from proctoring.services.errors import BadEvent, BadImage, ConsentRequired, ProctoringError, image_reason_text
from proctoring.services.identity import enrol, identity_check_face, identity_request_manual, identity_result


def _upload(request: HttpRequest, name: str = "photo") -> bytes:
    upload = request.FILES.get(name)
    if upload is None:
        raise BadImage(_("Choose or capture a photo first."), reason="empty")
    if upload.size and upload.size > settings.PROCTORING_PHOTO_MAX_BYTES:
        raise BadImage(image_reason_text("frame_too_large"), reason="frame_too_large")
    return upload.read()


# --- examinee: consent and enrolment --------------------------------------------------


def camera_strings() -> dict[str, str]:
    """The capture script's UI text (static/js/proctor-capture.js): enrolment and identity check."""
    return {
        "denied": _("The camera is not available. Allow camera access, or use the manual ID check."),
        "sending": _("Checking…"),
        "ok": _("Done."),
        "failed": _("Not recognised. Try again facing the camera in good light."),
        "offline": _("Could not send the photo: check your connection and try again."),
        "liveness_passed": _("Liveness check passed. Now face the camera and tap “Check my face”."),
    }


@pages.route("face/", name="my_face", methods=("GET", "POST"))
def my_face(request: HttpRequest) -> HttpResponse:
    person = person_of(request.user)
    if person is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "consent":
                if request.POST.get("agree") != "yes":
                    raise ConsentRequired(_("Tick the box to agree, or use the manual ID check instead."))
                consent_give(person=person, by=request.user)
                messages.success(request, _("Consent recorded. Now take your reference photo."))
            elif action == "withdraw":
                consent_withdraw(person=person, by=request.user)
                messages.success(request, _("Consent withdrawn. Your face data and photos have been deleted."))
            elif action == "enrol":
                enrol(person=person, photo=_upload(request), source=FaceEnrolment.Source.LIVE, by=request.user)
                if wants_json(request):
                    return JsonResponse({"ok": True, "message": _("Your face is enrolled.")})
                messages.success(request, _("Your face is enrolled."))
            else:
                raise BadEvent(_("Unknown action."))
        except ProctoringError as exc:
            if wants_json(request):
                return JsonResponse({"ok": False, "code": exc.code, "detail": exc.message}, status=exc.status)
            messages.error(request, exc.message)
        # Never redirect(): it would read a bare word such as "account_logout" as a URL name.
        return HttpResponseRedirect(safe_next(request, reverse("proctoring:my_face")))
    context = {
        # A consent to an older text: "the text has changed, read and agree again".
        "standing": selectors.consent_state(person),
        "consent": selectors.active_consent(person),
        "enrolment": selectors.enrolment_of(person),
        "consent_version": settings.PROCTORING_CONSENT_VERSION,
        "consent_text": consent_text(),
        "next": safe_next(request, ""),
        "camera_strings": camera_strings(),
    }
    return no_store(render(request, "proctoring/my_face.html", context))


class IdPhotoForm(forms.Form):
    photo = forms.ImageField(label=gettext_lazy("ID photo"))
    consent_on_paper = forms.BooleanField(
        label=gettext_lazy("The person signed the face-processing consent form"), required=False
    )


@pages.route("people/<id:person_id>/id-photo/", name="id_photo", methods=("GET", "POST"))
def id_photo(request: HttpRequest, person_id: int) -> HttpResponse:
    """An admin enrols a person from their ID photo (consent recorded separately, on paper or by the person)."""
    person = get_object_or_404(people_managed_by(request.user), pk=person_id)
    form = IdPhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["consent_on_paper"]:
                consent_give(person=person, by=request.user)
            request.FILES["photo"].seek(0)
            enrol(
                person=person,
                photo=request.FILES["photo"].read(),
                source=FaceEnrolment.Source.ID_PHOTO,
                by=request.user,
            )
        except ProctoringError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The ID photo is enrolled for %(name)s.") % {"name": person.name})
            return redirect("proctoring:id_photo", person_id=person.pk)
    context = {
        "person": person,
        "form": form,
        "consent": selectors.active_consent(person),
        "enrolment": selectors.enrolment_of(person),
    }
    return no_store(render(request, "proctoring/id_photo.html", context))


# --- examinee: identity check before the exam -------------------------------------------


@pages.route("sessions/<id:session_id>/check/", name="identity_check", methods=("GET", "POST"))
def identity_check(request: HttpRequest, session_id: int) -> HttpResponse:
    waiting = selectors.identity_waiting_for(request.user, session_id)
    if waiting is None:
        raise Http404
    session, person = waiting
    policy = selectors.policy_for(session)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "manual":
                identity_request_manual(session=session, person=person)
            else:
                check = identity_check_face(session=session, person=person, frame=_upload(request))
                payload = identity_result(check, selectors.identity_status(session, person, policy))
                if wants_json(request):
                    return JsonResponse(payload)
        except ProctoringError as exc:
            if wants_json(request):
                return JsonResponse({"ok": False, "code": exc.code, "detail": exc.message}, status=exc.status)
            messages.error(request, exc.message)
        return redirect("proctoring:identity_check", session_id=session.pk)
    status = selectors.identity_status(session, person, policy)
    state = selectors.identity_state_message(session, status)
    if wants_json(request):
        # The waiting page's fallback when its socket is down: the same message the socket sends.
        return no_store(JsonResponse(state))
    context = {
        "session": session,
        "policy": policy,
        "status": status,
        "refusal_reason": state["reason"],
        "wait_config": {
            "ws_url": f"/ws/proctoring/sessions/{session.pk}/identity/",
            "poll_url": request.path,
            "poll_seconds": IDENTITY_POLL_SECONDS,
        },
        "enrolment": selectors.enrolment_of(person),
        "consent": selectors.active_consent(person),
        "camera_strings": camera_strings(),
        # The face photo waits behind a liveness check, unless one passed within the last minutes.
        "liveness": (
            liveness_client(session_id=session.pk, purpose=LivenessCheck.Purpose.IDENTITY)
            if policy is not None
            and policy.require_liveness
            and selectors.recent_identity_liveness(session, person, timezone.now()) is None
            else None
        ),
    }
    return no_store(render(request, "proctoring/identity_check.html", context))


# How often the waiting page asks while its socket is down.
IDENTITY_POLL_SECONDS = 10


# --- proctors ---------------------------------------------------------------------------


def _require_proctor(request: HttpRequest) -> None:
    if not selectors.is_proctor(request.user):
        raise PermissionDenied


@pages.get("", name="home")
def proctor_home(request: HttpRequest) -> HttpResponse:
    _require_proctor(request)
    # What a proctor watches first: the sessions open now, then the next to open, then the latest ended
    # (the exams list's schedule order).
    sessions = sessions_in_schedule_order(
        selectors.sessions_proctored_by(request.user).filter(proctoring_policy__isnull=False), now=timezone.now()
    )
    context = {"sessions": sessions[:100], "queue_count": selectors.review_queue(request.user).count()}
    return render(request, "proctoring/home.html", context)


@pages.get("sessions/<id:session_id>/live/", name="live")
def live(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(selectors.sessions_proctored_by(request.user), pk=session_id)
    config = {
        "ws_url": f"/ws/proctoring/sessions/{session.pk}/",
        "decide_url": reverse("proctoring:identity_decide", args=[0]),
        "review_url": reverse("proctoring:review_detail", args=[0]),
    }
    strings = live_grid_strings()
    context = {
        "session": session,
        "config": config,
        "strings": strings,
        "tiles": [live_tile(row, strings) for row in selectors.dashboard_rows(session)],
        "pending": selectors.pending_identity_checks(session),
        "summary": selectors.live_grid_summary(session),
    }
    return no_store(render(request, "proctoring/live.html", context))


def live_tile(row: dict[str, Any], strings: dict[str, str]) -> dict[str, Any]:
    """A grid row as the page first shows it, with its labels; the script updates it as ``apply(row)`` does."""
    return {
        **row,
        "status_label": strings.get(row["status"], row["status"]),
        "face_label": strings.get(row["face"], row["face"]),
        "actions_off": strings.get(f"actions_off_{row['status']}", ""),
    }


def live_grid_strings() -> dict[str, str]:
    """The live grid script's UI text (static/js/proctor-live.js); statuses and face outcomes by their value."""
    return {
        "connected": _("Connected"),
        "reconnecting": _("Connection lost, reconnecting…"),
        "online": _("online"),
        "offline": _("offline"),
        "warn_prompt": _("Warning to send to this examinee:"),
        "stop_prompt": _("Reason for ending this exam (recorded):"),
        "in_progress": _("Sitting the exam"),
        "submitted": _("Submitted"),
        "invalidated": _("Invalidated"),
        # Why warn, liveness and stop are disabled on a tile (keyed by the attempt's status).
        "actions_off_submitted": _("Submitted: no more actions."),
        "actions_off_invalidated": _("Invalidated: no more actions."),
        "match": _("Face matches"),
        "uncertain": _("Face uncertain"),
        "mismatch": _("Different face"),
        "no_face": _("No face visible"),
        "multiple_faces": _("Several faces"),
        "failed": _("Check failed"),
        "identity": _("Waiting for a manual ID check:"),
        "liveness_pending": _("Liveness check in progress"),
        "liveness_passed": _("Liveness check passed"),
        "liveness_failed": _("Liveness check failed"),
    }


@pages.get("identity/<id:check_id>/", name="identity_review")
def identity_review(request: HttpRequest, check_id: int) -> HttpResponse:
    """A manual ID check: the person, the masked ID number, the reference photo and the automatic tries."""
    check = get_object_or_404(selectors.manual_checks_proctored_by(request.user), pk=check_id)
    context = {"file": selectors.manual_check_file(check), "session": check.session}
    return no_store(render(request, "proctoring/identity_review.html", context))


@pages.post("identity/<id:check_id>/decide/", name="identity_decide")
def identity_decide(request: HttpRequest, check_id: int) -> HttpResponse:
    check = get_object_or_404(selectors.identity_checks_proctored_by(request.user), pk=check_id)
    try:
        identity_services.identity_decide(
            check=check,
            by=request.user,
            passed=request.POST.get("decision") == "pass",
            note=request.POST.get("note", ""),
        )
    except ProctoringError as exc:
        messages.error(request, exc.message)
        if check.kind == IdentityCheck.Kind.MANUAL:
            return redirect("proctoring:identity_review", check_id=check.pk)
    else:
        messages.success(request, _("Identity decision recorded for %(name)s.") % {"name": check.person.name})
    return redirect("proctoring:live", session_id=check.session_id)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = ProctoringPolicy
        fields = [
            "snapshot_min_seconds",
            "snapshot_max_seconds",
            "tab_warn_at",
            "tab_submit_at",
            "tab_ignore_seconds",
            "face_flag_after",
            "face_submit_after",
            "missing_flag_after",
            "missing_submit_after",
            "missing_grace_seconds",
            "phone_aware",
            "match_threshold",
            "mismatch_threshold",
            "identity_max_tries",
            "require_identity_check",
            "require_liveness",
            "allow_non_biometric",
        ]


@pages.route("sessions/<id:session_id>/policy/", name="policy_edit", methods=("GET", "POST"))
def policy_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(sessions_managed_by(request.user), pk=session_id)
    current = selectors.policy_for(session)
    form = PolicyForm(request.POST or None, instance=current or ProctoringPolicy(session=session))
    if request.method == "POST" and form.is_valid():
        policy_set(session=session, **{k: v for k, v in form.cleaned_data.items()})
        messages.success(request, _("Proctoring policy saved."))
        return redirect("proctoring:policy_edit", session_id=session.pk)
    return render(request, "proctoring/policy_form.html", {"session": session, "form": form})


@pages.get("review/", name="review_queue")
def review_queue(request: HttpRequest) -> HttpResponse:
    _require_proctor(request)
    queue = (
        selectors.review_queue(request.user).select_related("session", "person").prefetch_related("proctoring_flags")
    )
    decided = selectors.reviewed(request.user)[:50]
    return render(request, "proctoring/review_queue.html", {"queue": queue[:200], "decided": decided})


@pages.route("review/<id:attempt_id>/", name="review_detail", methods=("GET", "POST"))
def review_detail(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The timeline and the decision; a platform admin or a proctor of the session may also revise a decision."""
    attempt = get_object_or_404(selectors.attempts_proctored_by(request.user).defer("payload"), pk=attempt_id)
    if request.method == "POST":
        decision, reason = request.POST.get("decision", ""), request.POST.get("reason", "")
        try:
            if request.POST.get("action") == "revise":
                review.review_revise(
                    attempt=attempt,
                    by=request.user,
                    decision=decision,
                    reason=reason,
                    # A form without the decision it was read against is treated as stale.
                    expected=_int_or_none(request.POST.get("current")) or 0,
                )
                messages.success(request, _("Decision changed. The earlier decision stays on record."))
            else:
                review_decide(attempt=attempt, by=request.user, decision=decision, reason=reason)
                messages.success(request, _("Decision recorded."))
                return redirect("proctoring:review_queue")
        except ProctoringError as exc:
            messages.error(request, exc.message)
        return redirect("proctoring:review_detail", attempt_id=attempt.pk)
    history = selectors.decision_history(attempt)
    context = {
        "attempt": attempt,
        "timeline": selectors.timeline(attempt),
        "decision": history[0] if history else None,
        "history": history,
        "flags": list(attempt.proctoring_flags.all()),
    }
    return no_store(render(request, "proctoring/review_detail.html", context))


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --- images (authorised, audited, never cached) -----------------------------------------


def _image_response(request: HttpRequest, kind: str, object_id: int, person_id: int, path: str) -> HttpResponse:
    data = storage.read(path)
    if data is None:
        raise Http404
    MediaAccessLog.objects.create(
        user=request.user,
        kind=kind,
        object_id=object_id,
        person_id=person_id,
        ip=request.META.get("REMOTE_ADDR") or None,
    )
    content_type = "image/png" if storage.sniff_suffix(data) == ".png" else "image/jpeg"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return no_store(response)


@pages.get("media/snapshots/<id:pk>/", name="snapshot_image")
def snapshot_image(request: HttpRequest, pk: int) -> HttpResponse:
    snap = get_object_or_404(selectors.snapshots_viewable_by(request.user), pk=pk)
    return _image_response(request, MediaAccessLog.Kind.SNAPSHOT, snap.pk, snap.attempt.person_id, snap.photo_path)


@pages.get("media/identity/<id:pk>/", name="identity_image")
def identity_image(request: HttpRequest, pk: int) -> HttpResponse:
    check = get_object_or_404(selectors.identity_checks_proctored_by(request.user), pk=pk)
    return _image_response(request, MediaAccessLog.Kind.IDENTITY, check.pk, check.person_id, check.photo_path)


@pages.get("media/identity/<id:check_id>/reference/", name="identity_reference_image")
def identity_reference_image(request: HttpRequest, check_id: int) -> HttpResponse:
    """The reference photo of the person on a manual ID check, for the session's proctors to compare."""
    check = get_object_or_404(selectors.manual_checks_proctored_by(request.user), pk=check_id)
    enrolment = selectors.manual_check_reference(check)
    if enrolment is None:
        raise Http404
    return _image_response(
        request, MediaAccessLog.Kind.ENROLMENT, enrolment.pk, enrolment.person_id, enrolment.photo_path
    )


@pages.get("media/references/<id:pk>/", name="enrolment_image")
def enrolment_image(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = get_object_or_404(selectors.enrolments_viewable_by(request.user), pk=pk)
    return _image_response(
        request, MediaAccessLog.Kind.ENROLMENT, enrolment.pk, enrolment.person_id, enrolment.photo_path
    )


@pages.get("media/liveness/<id:pk>/<id:index>/", name="liveness_frame")
def liveness_frame(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """A frame of a failed liveness check (the evidence a reviewer sees); a passed check keeps none."""
    check = get_object_or_404(selectors.liveness_checks_proctored_by(request.user), pk=pk)
    frames = storage.list_folder(check.frames_path)
    if index >= len(frames):
        raise Http404
    return _image_response(request, MediaAccessLog.Kind.LIVENESS, check.pk, check.person_id, frames[index])


def is_admin(user: Any) -> bool:
    return is_platform_admin(user)
