"""Proctoring: consent, face enrolment, identity checks, snapshots, browser events, flags, reviews.

Images (reference photos, identity-check captures, snapshots) are files under
``settings.PRIVATE_STORAGE_ROOT``, never under a public media URL: rows keep
their relative path (``*_path``) and views stream them after a permission
check and an audit row (``MediaAccessLog``). Retention deletes the files and
blanks the path; the rows (outcome, distance, threshold, decisions) stay.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from exams.models import Attempt, ExamSession
from organizations.models import Person
from proctoring.vision import DEFAULT_MATCH_THRESHOLD, DEFAULT_MISMATCH_THRESHOLD


class FaceOutcome(models.TextChoices):
    MATCH = "match", _("Face matches")
    # Between the policy's two thresholds: another frame is asked for and a person reviews the attempt.
    UNCERTAIN = "uncertain", _("Face uncertain")
    MISMATCH = "mismatch", _("Different face")
    NO_FACE = "no_face", _("No face visible")
    MULTIPLE_FACES = "multiple_faces", _("Several faces")


class FaceConsent(models.Model):
    """Explicit, separate consent to face processing; withdrawing it purges the biometrics."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="face_consents", verbose_name=_("person"))
    text_version = models.CharField(_("consent text version"), max_length=32)
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("recorded by")
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-given_at"]
        verbose_name = _("face-processing consent")
        verbose_name_plural = _("face-processing consents")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(withdrawn_at__isnull=True), name="faceconsent_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} v{self.text_version}"


class FaceEnrolment(models.Model):
    class Source(models.TextChoices):
        LIVE = "live", _("Live capture")
        ID_PHOTO = "id_photo", _("ID photo uploaded by an admin")

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="face_enrolment", verbose_name=_("person")
    )
    consent = models.ForeignKey(FaceConsent, on_delete=models.PROTECT, related_name="+", verbose_name=_("consent"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # 128 little-endian float64 (proctoring.vision.encoding_to_bytes).
    encoding = models.BinaryField(editable=False)
    # Bumped on every re-enrolment: the key of vision.reference_cache entries.
    version = models.PositiveIntegerField(default=1, editable=False)
    photo_path = models.CharField(max_length=255, blank=True, editable=False)
    photo_purged_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("enrolled by")
    )
    created_at = models.DateTimeField(_("enrolled at"), default=timezone.now)

    class Meta:
        verbose_name = _("face enrolment")
        verbose_name_plural = _("face enrolments")

    def __str__(self) -> str:
        return f"{self.person_id} v{self.version}"


def _distance_threshold(verbose_name: Any, default: float, help_text: Any) -> models.FloatField:
    """A face-distance threshold of a policy (proctoring.vision.decide; chosen by bench/eval_faces.py)."""
    return models.FloatField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(0.2), MaxValueValidator(0.9)],
        help_text=help_text,
    )


class ProctoringPolicy(models.Model):
    """What one exam session asks of proctoring. Defaults are lenient; limits are off unless set."""

    session = models.OneToOneField(
        ExamSession, on_delete=models.CASCADE, related_name="proctoring_policy", verbose_name=_("exam session")
    )
    snapshot_min_seconds = models.PositiveSmallIntegerField(
        _("shortest interval between snapshots (s)"), default=20, validators=[MinValueValidator(5)]
    )
    snapshot_max_seconds = models.PositiveSmallIntegerField(_("longest interval between snapshots (s)"), default=60)
    tab_warn_at = models.PositiveSmallIntegerField(
        _("warn at this many tab switches"), default=1, validators=[MinValueValidator(1)]
    )
    tab_submit_at = models.PositiveSmallIntegerField(
        _("submit automatically at this many tab switches"),
        null=True,
        blank=True,
        help_text=_("Empty: never submit automatically."),
    )
    tab_ignore_seconds = models.PositiveSmallIntegerField(_("ignore tab switches shorter than (s)"), default=2)
    face_flag_after = models.PositiveSmallIntegerField(
        _("flag for review after this many failed face checks in a row"), default=3, validators=[MinValueValidator(1)]
    )
    face_submit_after = models.PositiveSmallIntegerField(
        _("submit automatically after this many failed face checks in a row"),
        null=True,
        blank=True,
        help_text=_("Empty: face results never end an exam by themselves."),
    )
    phone_aware = models.BooleanField(
        _("phone-aware"),
        default=True,
        help_text=_("Tolerate the short system pop-ups of a phone (calls, notifications, keyboard)."),
    )
    match_threshold = _distance_threshold(
        _("face match threshold"),
        DEFAULT_MATCH_THRESHOLD,
        _(
            "A face at or under this distance from the reference matches. Lower is stricter: fewer impostors "
            "pass, more real examinees wait for a proctor. The default was calibrated on real photos; change it "
            "only on your own measurements."
        ),
    )
    mismatch_threshold = _distance_threshold(
        _("face mismatch threshold"),
        DEFAULT_MISMATCH_THRESHOLD,
        _(
            "A face over this distance is a different person. Between the two thresholds the result is "
            "uncertain: another frame is asked for soon and the attempt goes to review, never to an automatic "
            "submit."
        ),
    )
    missing_flag_after = models.PositiveSmallIntegerField(
        _("flag for review after this many missed snapshot intervals"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_(
            "A snapshot gap longer than this many longest intervals, plus the grace below, is flagged once. "
            "Only examinees with an enrolled face send snapshots."
        ),
    )
    missing_submit_after = models.PositiveSmallIntegerField(
        _("submit automatically after this many missed snapshot intervals"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("Empty: missing snapshots never end an exam by themselves."),
    )
    missing_grace_seconds = models.PositiveSmallIntegerField(
        _("grace for late snapshots (s)"),
        default=30,
        validators=[MaxValueValidator(600)],
        help_text=_("Added to every snapshot gap limit: a reconnect or a slow network is not a missing snapshot."),
    )
    identity_max_tries = models.PositiveSmallIntegerField(
        _("identity-check tries before a proctor decides"), default=3, validators=[MinValueValidator(1)]
    )
    require_identity_check = models.BooleanField(_("identity check before the exam"), default=True)
    # New policies ask for it; the migration gave existing ones False, so sessions already set up keep their flow.
    require_liveness = models.BooleanField(
        _("liveness check before the face check"),
        default=True,
        help_text=_(
            "The examinee performs 2-3 random actions (blink, open the mouth, turn the head) before the face "
            "check, so that a photo held up to the camera does not pass."
        ),
    )
    allow_non_biometric = models.BooleanField(_("allow a manual ID check instead of face processing"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("proctoring policy")
        verbose_name_plural = _("proctoring policies")
        constraints = [
            models.CheckConstraint(
                name="policy_snapshot_bounds",
                condition=Q(snapshot_min_seconds__gte=5, snapshot_max_seconds__gte=models.F("snapshot_min_seconds")),
            ),
            models.CheckConstraint(
                name="policy_submit_after_warn",
                condition=Q(tab_submit_at__isnull=True) | Q(tab_submit_at__gte=models.F("tab_warn_at")),
            ),
            models.CheckConstraint(
                name="policy_face_thresholds",
                condition=Q(
                    match_threshold__gte=0.2,
                    mismatch_threshold__gte=models.F("match_threshold"),
                    mismatch_threshold__lte=0.9,
                ),
                violation_error_message=_("The mismatch threshold must be at or above the match threshold."),
            ),
            models.CheckConstraint(
                name="policy_missing_submit_after_flag",
                condition=Q(missing_flag_after__gte=1)
                & (Q(missing_submit_after__isnull=True) | Q(missing_submit_after__gte=models.F("missing_flag_after"))),
                violation_error_message=_(
                    "Submitting for missing snapshots must come at or after flagging them (missed intervals)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session}"


class IdentityCheck(models.Model):
    """One try at the pre-exam identity check (人脸核验), or a proctor's manual check."""

    class Kind(models.TextChoices):
        FACE = "face", _("Face check")
        MANUAL = "manual", _("Manual ID check by a proctor")

    class Result(models.TextChoices):
        PASSED = "passed", pgettext_lazy("check result", "Passed")
        FAILED = "failed", pgettext_lazy("check result", "Failed")
        PENDING = "pending", _("Waiting for a proctor")

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identity_checks")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    outcome = models.CharField(_("face outcome"), max_length=16, choices=FaceOutcome.choices, blank=True)
    distance = models.FloatField(null=True, blank=True)
    # The match threshold used; mismatch_threshold is null on rows from the single-tolerance days.
    threshold = models.FloatField(null=True, blank=True)
    mismatch_threshold = models.FloatField(null=True, blank=True)
    failure_reason = models.CharField(max_length=64, blank=True)
    photo_path = models.CharField(max_length=255, blank=True, editable=False)
    photo_purged_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("identity check")
        verbose_name_plural = _("identity checks")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=Q(kind="manual", result="pending"),
                name="identitycheck_one_pending_manual",
            ),
        ]
        indexes = [models.Index(fields=["session", "person"], name="identitycheck_session_person")]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.person_id} {self.kind} {self.result}"


class AttemptMonitor(models.Model):
    """Running counters of one proctored attempt: what the policy and the live grid read."""

    attempt = models.OneToOneField(Attempt, on_delete=models.CASCADE, related_name="monitor")
    last_seq = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    tab_switches = models.PositiveSmallIntegerField(default=0)
    warnings = models.PositiveSmallIntegerField(default=0)
    face_failures_in_row = models.PositiveSmallIntegerField(default=0)
    # Frames between the two thresholds (neither a pass nor a failure; services.decide_face_policy).
    face_uncertain = models.PositiveIntegerField(default=0, db_default=0)
    snapshot_count = models.PositiveIntegerField(default=0)
    last_snapshot = models.ForeignKey("Snapshot", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    flag_count = models.PositiveSmallIntegerField(default=0)
    online = models.BooleanField(default=False)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Snapshot rate, server clock only (services.snapshot_receive): the "theoretical arrival time"
    # of a GCRA limiter, i.e. when the next frame is due if frames came at exactly one per interval.
    snapshot_tat = models.DateTimeField(null=True, blank=True)
    last_snapshot_at = models.DateTimeField(null=True, blank=True)
    snapshot_bytes = models.PositiveBigIntegerField(default=0, db_default=0)
    # The start (last snapshot, or the attempt's start) of the snapshot gap already flagged;
    # the next stored snapshot clears it, so each gap is flagged once (services.snapshot_gaps_check).
    snapshot_gap_since = models.DateTimeField(null=True, blank=True)
    snapshot_storage_full_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.attempt_id}"


class Snapshot(models.Model):
    """One in-exam frame. Never dropped: it ends ``processed`` or ``failed`` with a reason."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="snapshots")
    received_at = models.DateTimeField(default=timezone.now)
    size_bytes = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, choices=FaceOutcome.choices, blank=True)
    distance = models.FloatField(null=True, blank=True)
    # The match threshold used; mismatch_threshold is null on rows from the single-tolerance days.
    threshold = models.FloatField(null=True, blank=True)
    mismatch_threshold = models.FloatField(null=True, blank=True)
    face_count = models.PositiveSmallIntegerField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    photo_path = models.CharField(max_length=255, blank=True, editable=False)
    photo_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "received_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="snapshot_failed_has_reason", condition=~Q(status="failed") | ~Q(failure_reason="")
            ),
        ]
        indexes = [models.Index(fields=["received_at"], name="snapshot_received")]

    def __str__(self) -> str:
        return f"{self.attempt_id}@{self.received_at:%H:%M:%S} {self.status}"


class BrowserEvent(models.Model):
    """A browser event, stored before anything is broadcast; (attempt, client_seq) makes resends harmless."""

    class Type(models.TextChoices):
        HIDDEN = "hidden", _("Page hidden")
        VISIBLE = "visible", _("Page visible again")
        BLUR = "blur", _("Window lost focus")
        FOCUS = "focus", _("Window focused again")
        FULLSCREEN_EXIT = "fullscreen_exit", _("Left full screen")
        COPY = "copy", _("Copy")
        PASTE = "paste", _("Paste")
        CONTEXTMENU = "contextmenu", _("Context menu")
        UNLOAD = "unload", _("Page closed or reloaded")
        OFFLINE = "offline", _("Went offline")
        ONLINE = "online", _("Back online")
        FACE_PROMPT = "face_prompt", _("Shown the “face not visible” prompt")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="browser_events")
    client_seq = models.PositiveIntegerField()
    type = models.CharField(max_length=24, choices=Type.choices)
    # How long the page was hidden / unfocused / offline, sent with the return event.
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    counted = models.BooleanField(default=False, help_text="Counted as a tab switch by the policy.")
    client_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempt", "client_seq"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "client_seq"], name="browserevent_seq_once"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.client_seq} {self.type}"


class Flag(models.Model):
    class Kind(models.TextChoices):
        FACE = "face", _("Face checks failed")
        # The first uncertain face check of an attempt: a person looks at it (never submits by itself).
        FACE_UNCERTAIN = "face_uncertain", _("Face checks uncertain")
        TAB_SWITCHES = "tab_switches", _("Tab switches")
        AUTO_SUBMITTED = "auto_submitted", _("Submitted automatically")
        TERMINATED = "terminated", _("Ended by a proctor")
        IDENTITY = "identity", _("Identity checked manually")
        SNAPSHOTS_MISSING = "snapshots_missing", _("Snapshots missing")
        SNAPSHOT_STORAGE = "snapshot_storage", _("Snapshot storage limit reached")
        # services.consent_withdraw: the examinee withdrew face-processing consent while the attempt ran.
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Face-processing consent withdrawn during the exam")
        LIVENESS = "liveness", _("Liveness check failed")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="proctoring_flags")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    detail = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempt", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.kind}"

    def _names_its_kind(self) -> bool:
        return str(self.get_kind_display()).casefold() in self.detail.casefold()

    @property
    def badge_text(self) -> str:
        """The kind, or the detail where that already names it (切屏 2 次, not 切屏 · 切屏 2 次)."""
        return self.detail if self.detail and self._names_its_kind() else str(self.get_kind_display())

    @property
    def detail_text(self) -> str:
        """What follows the badge: the detail, unless the badge already is the detail."""
        return "" if self.detail and self._names_its_kind() else self.detail


class ProctorMessage(models.Model):
    """What a proctor (or the policy) told the examinee, for the timeline."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        TERMINATE = "terminate", _("Exam ended")
        POLICY = "policy", _("Automatic notice")
        LIVENESS = "liveness", _("Liveness check requested")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="proctor_messages")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.CharField(max_length=500)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempt", "sent_at", "pk"]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.kind}"


class ReviewDecision(models.Model):
    """A decision on a flagged attempt: who, when, what and why.

    Rows are never changed or deleted: a revision is a new row that ``revises``
    the one it replaces, so the rows of an attempt form one chain (the first
    decision, then each revision) and the row nobody revises is the current
    decision. The constraints keep the chain linear under concurrent writes.
    """

    class Decision(models.TextChoices):
        VALID = "valid", _("Valid")
        INVALID = "invalid", _("Invalid")

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="review_decisions")
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    reason = models.CharField(pgettext_lazy("decision", "reason"), max_length=255, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    revises = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revised_by",
        verbose_name=_("revises"),
    )

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        constraints = [
            models.CheckConstraint(name="review_invalid_has_reason", condition=~Q(decision="invalid") | ~Q(reason="")),
            models.CheckConstraint(
                name="review_revision_has_reason", condition=Q(revises__isnull=True) | ~Q(reason="")
            ),
            models.UniqueConstraint(
                fields=["attempt"], condition=Q(revises__isnull=True), name="review_one_first_decision"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.decision}"


class MediaAccessLog(models.Model):
    """Every view of a face image: who looked at which image of whom, and when."""

    class Kind(models.TextChoices):
        SNAPSHOT = "snapshot", _("Snapshot")
        IDENTITY = "identity", _("Identity-check capture")
        ENROLMENT = "enrolment", _("Reference photo")
        LIVENESS = "liveness", _("Liveness-check frame")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    accessed_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-accessed_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}:{self.object_id}"


# The challenges of proctoring.liveness.Challenge, as the examinee is asked to perform them.
LIVENESS_PROMPTS = {
    "blink": _("Blink your eyes"),
    "mouth_open": _("Open your mouth"),
    "turn_left": _("Turn your head to the left"),
    "turn_right": _("Turn your head to the right"),
}


class LivenessCheck(models.Model):
    """One action-liveness check (动作活体): 2-3 random challenges, each answered with a burst of frames.

    ``results`` holds per step the decision and its numbers (ratios, counts,
    distances), never an image or a descriptor. The frames are kept (under
    ``frames_path``, a folder of private storage) only when the check failed,
    as evidence for review, under the same retention as identity photos; a
    passed check keeps none (a constraint says so). ``encoding`` is the face
    seen in a passed ``identity`` check, kept only until the identity check
    compares its photo with it (or consent is withdrawn, or retention ends).
    """

    class Purpose(models.TextChoices):
        IDENTITY = "identity", _("Before the exam (identity check)")
        ON_DEMAND = "on_demand", _("During the exam, on request")

    class Status(models.TextChoices):
        PENDING = "pending", _("In progress")
        PASSED = "passed", pgettext_lazy("check result", "Passed")
        FAILED = "failed", pgettext_lazy("check result", "Failed")

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="liveness_checks")
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, null=True, blank=True, related_name="liveness_checks"
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    challenges = models.JSONField(_("challenges"), default=list)
    results = models.JSONField(_("step results"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    expires_at = models.DateTimeField(_("deadline"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    frames_path = models.CharField(max_length=255, blank=True, editable=False)
    frames_purged_at = models.DateTimeField(null=True, blank=True)
    encoding = models.BinaryField(default=b"", blank=True, editable=False)
    # The try at the identity check this check decided: the failed face try a failed check counts as,
    # or the passed face check that rested on it.
    identity_check = models.OneToOneField(
        IdentityCheck,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="liveness_check",
        editable=False,
    )
    flag = models.OneToOneField(
        Flag, on_delete=models.SET_NULL, null=True, blank=True, related_name="liveness_check", editable=False
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("liveness check")
        verbose_name_plural = _("liveness checks")
        constraints = [
            models.CheckConstraint(name="liveness_failed_has_reason", condition=~Q(status="failed") | ~Q(reason="")),
            models.CheckConstraint(
                name="liveness_passed_keeps_no_frames", condition=~Q(status="passed") | Q(frames_path="")
            ),
            models.CheckConstraint(
                name="liveness_on_demand_has_attempt", condition=~Q(purpose="on_demand") | Q(attempt__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["session", "person"], condition=Q(status="pending"), name="liveness_one_pending"
            ),
        ]
        indexes = [models.Index(fields=["session", "person"], name="liveness_session_person")]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.person_id} {self.purpose} {self.status}"

    def steps(self) -> list[dict[str, str]]:
        """Each challenge with its prompt and, once decided, its status and reason."""
        done = {result["step"]: result for result in self.results}
        return [
            {
                "step": index,
                "challenge": challenge,
                "prompt": str(LIVENESS_PROMPTS.get(challenge, challenge)),
                "status": done[index]["status"] if index in done else "pending",
                "reason": done[index]["reason"] if index in done else "",
            }
            for index, challenge in enumerate(self.challenges)
        ]
