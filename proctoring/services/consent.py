"""Consent to face processing: give it, withdraw it (which deletes the person's biometrics)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import registries
from exams.models import Attempt
from organizations.models import Person
from proctoring import broadcast, storage, vision
from proctoring.models import (
    AttemptMonitor,
    FaceConsent,
    FaceEnrolment,
    Flag,
    IdentityCheck,
    LivenessCheck,
    ProctorMessage,
    Snapshot,
)
from proctoring.selectors import active_consent, consent_state, snapshots_required_q
from proctoring.services.errors import ConsentOutdated, ConsentRequired
from proctoring.services.events import monitor_for
from proctoring.services.retention import purge_liveness_frames

logger = logging.getLogger(__name__)


def consent_text() -> str:
    """What the person agrees to (version ``PROCTORING_CONSENT_VERSION``): a change here needs a new version."""
    return _(
        "Proctored exams compare photos taken by your camera with a reference photo of you, to check that you are "
        "the person sitting the exam. Before the exam, and when a proctor asks during it, a liveness check asks you "
        "to perform a few short actions in front of the camera (blink, open your mouth, turn your head), so that a "
        "photo held up to the camera does not pass; its frames are deleted once it is decided, unless it failed "
        "(they are then kept for the proctors' review like other photos). Your reference face data and the photos "
        "are kept privately, seen only by the proctors of your exams and platform administrators, and deleted "
        "after the retention period. You can withdraw this consent at any time: your face data is then deleted "
        "at once."
    )


def consent_outdated_text() -> str:
    return _("The consent text has changed since you agreed. Please read it and agree again.")


def consent_give(
    *, person: Person, by: Any, text_version: str | None = None, now: dt.datetime | None = None
) -> FaceConsent:
    """Record consent to face processing for the current text (``PROCTORING_CONSENT_VERSION``).

    Idempotent while a consent to the current text stands. A consent standing
    for an older text is superseded: it is closed (``withdrawn_at`` = the new
    row's ``given_at``, nothing purged, since the person did not withdraw) and
    a new row records consent to the current text; the old row stays as the
    record of what was agreed to before. An enrolment made under the old
    consent keeps its photo and is used again from now on (``enrolment_of``).
    ``text_version``, when given, is the version the person read; another
    than the current one raises ``ConsentOutdated`` and records nothing.
    """
    current = settings.PROCTORING_CONSENT_VERSION
    if text_version is not None and text_version != current:
        raise ConsentOutdated(consent_outdated_text())
    now = now or timezone.now()
    with transaction.atomic():
        standing = FaceConsent.objects.select_for_update().filter(person=person, withdrawn_at__isnull=True).first()
        if standing is not None and standing.text_version == current:
            return standing
        if standing is not None:
            standing.withdrawn_at = now
            standing.save(update_fields=["withdrawn_at"])
        try:
            with transaction.atomic():
                return FaceConsent.objects.create(
                    person=person, text_version=current, given_at=now, given_by=by if getattr(by, "pk", None) else None
                )
        except IntegrityError:
            # Given at the same moment by another request: theirs stands.
            return FaceConsent.objects.get(person=person, withdrawn_at__isnull=True)


def consent_require(person: Person) -> FaceConsent:
    consent = active_consent(person)
    if consent is not None:
        return consent
    if consent_state(person).outdated:
        raise ConsentOutdated(consent_outdated_text())
    raise ConsentRequired(_("Face processing needs the person's consent first."))


# Follow-up event of purge_person_biometrics: apps above proctoring that keep face images of their own
# (classroom's sign-in face checks) delete them too; each returns how many files it deletes.
BIOMETRICS_PURGED = "proctoring.biometrics_purged"


def purge_person_biometrics(*, person: Person, now: dt.datetime | None = None) -> int:
    """Delete the person's encoding and every face image of theirs; keep outcomes and distances.

    Returns how many files were deleted. Files go after the commit, so a
    rollback never leaves rows pointing at deleted files. Face images kept by
    apps above proctoring are deleted by their ``BIOMETRICS_PURGED`` follow-ups.
    """
    now = now or timezone.now()
    paths: list[str] = []
    with transaction.atomic():
        enrolment = FaceEnrolment.objects.filter(person=person).first()
        if enrolment is not None:
            paths.append(enrolment.photo_path)
            enrolment.delete()
        snaps = Snapshot.objects.filter(attempt__person=person).exclude(photo_path="")
        paths += list(snaps.values_list("photo_path", flat=True))
        snaps.update(photo_path="", photo_purged_at=now)
        checks = IdentityCheck.objects.filter(person=person).exclude(photo_path="")
        paths += list(checks.values_list("photo_path", flat=True))
        checks.update(photo_path="", photo_purged_at=now)
        folders = purge_liveness_frames(LivenessCheck.objects.filter(person=person), now)
        transaction.on_commit(lambda: [storage.delete(p) for p in paths])
        others: list[int] = []
        registries.run_follow_ups(BIOMETRICS_PURGED, person=person, now=now, deleted=others)
    vision.reference_cache.discard(person.pk)
    return len([p for p in paths if p]) + folders + sum(others)


def consent_withdraw(*, person: Person, by: Any, now: dt.datetime | None = None) -> int:
    """Withdraw consent: the person's biometrics are purged at once. Returns the files deleted.

    Withdrawing does not switch the camera off unnoticed: every running
    proctored attempt of the person that must send snapshots (``snapshots_required_q``,
    decided when the paper was delivered) is flagged for review at once
    (``Flag.Kind.CONSENT_WITHDRAWN``, shown on the live grid and in the review
    queue). The attempt still owes its snapshots, but no frame of the person is
    accepted any more (``snapshot_receive`` refuses it with ``consent_required``,
    nothing stored or face-matched), so the missing-snapshot rule
    (``snapshot_gaps_check``) then applies as usual.
    """
    now = now or timezone.now()
    with transaction.atomic():
        withdrawn = FaceConsent.objects.filter(person=person, withdrawn_at__isnull=True).update(withdrawn_at=now)
        running = (
            list(
                Attempt.objects.filter(person=person, status=Attempt.Status.IN_PROGRESS, started_at__isnull=False)
                .filter(session__proctoring_policy__isnull=False)
                .filter(snapshots_required_q())
                .values_list("pk", "session_id")
            )
            if withdrawn
            else []
        )
        # Before the purge: the enrolment the exists-check reads is deleted by it.
        deleted = purge_person_biometrics(person=person, now=now)
        for attempt_id, session_id in running:
            _consent_withdrawn_flag(attempt_id, session_id, now)
    logger.info("Face consent withdrawn for person %s; %d image(s) purged", person.pk, deleted)
    return deleted


def _consent_withdrawn_flag(attempt_id: int, session_id: int, now: dt.datetime) -> None:
    """Flag a running attempt whose examinee withdrew consent; tell its proctors and the examinee."""
    with translation.override(settings.LANGUAGE_CODE):  # stored for proctors, like the policy's texts
        detail = _("Face-processing consent was withdrawn during the exam")
        text = _(
            "You withdrew consent to face processing. Snapshots are no longer accepted; this is recorded for "
            "the proctor, and the exam's rules on missing snapshots apply."
        )
    monitor_for(attempt_id)
    Flag.objects.create(attempt_id=attempt_id, kind=Flag.Kind.CONSENT_WITHDRAWN, detail=detail, created_at=now)
    AttemptMonitor.objects.filter(attempt_id=attempt_id).update(flag_count=F("flag_count") + 1)
    ProctorMessage.objects.create(attempt_id=attempt_id, kind=ProctorMessage.Kind.POLICY, text=text, sent_at=now)
    flags = AttemptMonitor.objects.filter(attempt_id=attempt_id).values_list("flag_count", flat=True).first()
    broadcast.to_examinee(attempt_id, {"type": "warning", "text": text, "consent_withdrawn": True})
    broadcast.to_proctors(
        session_id, {"type": "snapshots", "attempt": attempt_id, "consent_withdrawn": True, "flags": flags}
    )
