"""Papers, sessions, attempts and certificates.

Flow: a training admin builds a ``PaperTemplate`` (fixed questions or draw
rules) and schedules an ``ExamSession`` on it. Before the window opens the
papers are prepared (``services.session_prepare``): one ``Attempt`` per
eligible person in status ``prepared`` with its ``AttemptQuestion`` snapshot
and a client-safe JSON payload, so that starting is one conditional UPDATE.

For the proctoring app (issue 6):

* ``ExamSession.proctoring_policy_id`` is a plain nullable integer naming a
  ``proctoring`` policy row. It is not a ForeignKey so that exams' migrations
  don't depend on proctoring's; proctoring reads it and may turn it into a
  real ForeignKey in a later exams migration.
* Terminate or force-submit an attempt with
  ``exams.services.attempts.attempt_submit(attempt=..., reason=Attempt.SubmitReason.PROCTOR)``
  (``AUTO_POLICY`` when the proctoring policy, not a person, ends it);
  invalidate it after review with ``exams.services.attempts.attempt_invalidate`` (revokes
  its certificate), and undo that when the review is revised with
  ``exams.services.attempts.attempt_reinstate``.
* Attempt lifecycle events (started, answer saved, submitted, invalidated) are
  broadcast after commit by ``exams.events``: register a listener there or listen
  on the channel-layer group ``exams.events.group_name(attempt_id)``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organizations.models import Enterprise, Jurisdiction, Person, TrainingProvider
from question_bank.display import answer_display
from question_bank.models import AUTO_GRADED_CHOICES, AUTO_GRADED_TYPES, Bank, Question


class PaperTemplate(models.Model):
    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed list of questions")
        RULES = "rules", _("Drawn by rules")

    # Empty only for the one-off papers of spot tests, drawn by an inspector.
    provider = models.ForeignKey(
        TrainingProvider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="paper_templates",
        verbose_name=_("training provider"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.RULES)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("paper template")
        verbose_name_plural = _("paper templates")

    def __str__(self) -> str:
        return self.name


class PaperRule(models.Model):
    """Draw ``count`` questions of ``qtype`` from ``banks``, filtered, each worth ``score``."""

    paper = models.ForeignKey(PaperTemplate, on_delete=models.CASCADE, related_name="rules", verbose_name=_("paper"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    banks = models.ManyToManyField(Bank, related_name="+", verbose_name=_("banks"))
    # Only types a machine grades: a subjective question needs a marker, which exams do not have.
    qtype = models.CharField(_("question type"), max_length=16, choices=AUTO_GRADED_CHOICES)
    count = models.PositiveSmallIntegerField(_("number of questions"), validators=[MinValueValidator(1)])
    score = models.DecimalField(_("score per question"), max_digits=5, decimal_places=1)
    knowledge_point = models.CharField(_("knowledge point"), max_length=200, blank=True)
    industry_tag = models.CharField(_("industry tag"), max_length=100, blank=True)
    post_tag = models.CharField(_("post tag"), max_length=100, blank=True)
    difficulty_min = models.PositiveSmallIntegerField(_("lowest difficulty"), default=1)
    difficulty_max = models.PositiveSmallIntegerField(_("highest difficulty"), default=5)

    class Meta:
        ordering = ["paper", "position", "pk"]
        verbose_name = _("paper rule")
        verbose_name_plural = _("paper rules")
        constraints = [
            models.CheckConstraint(name="paperrule_count_positive", condition=Q(count__gte=1)),
            models.CheckConstraint(
                name="paperrule_qtype_auto_graded", condition=Q(qtype__in=[t.value for t in AUTO_GRADED_TYPES])
            ),
            models.CheckConstraint(name="paperrule_score_positive", condition=Q(score__gt=0)),
            models.CheckConstraint(
                name="paperrule_difficulty_range",
                condition=Q(
                    difficulty_min__gte=1, difficulty_max__lte=5, difficulty_min__lte=models.F("difficulty_max")
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_qtype_display()} × {self.count}"


class PaperItem(models.Model):
    """One question of a fixed paper."""

    paper = models.ForeignKey(PaperTemplate, on_delete=models.CASCADE, related_name="items", verbose_name=_("paper"))
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+", verbose_name=_("question"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)

    class Meta:
        ordering = ["paper", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "question"], name="paperitem_question_once"),
            models.CheckConstraint(name="paperitem_score_positive", condition=Q(score__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id}#{self.position + 1}"


class CertificateType(models.TextChoices):
    PRINCIPAL = "principal", _("Safety knowledge and management capability certificate for principals")
    SAFETY_MANAGER = "safety_manager", _("Safety knowledge and management capability certificate for safety managers")
    NEW_EMPLOYEE = "new_employee", _("Pre-job safety training certificate for new employees")
    SPECIAL_OPERATOR = "special_operator", _("Special operations certificate")


class ExamSession(models.Model):
    class Release(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately after submitting")
        AFTER_CLOSE = "after_close", _("After the window closes")

    class Kind(models.TextChoices):
        EXAM = "exam", _("Exam")
        SPOT = "spot", _("Spot test on inspection")

    class Phase(models.TextChoices):
        """Where the window stands (computed from the clock, not stored)."""

        UPCOMING = "upcoming", pgettext_lazy("exam session phase", "Not started")
        OPEN = "open", pgettext_lazy("exam session phase", "Under way")
        ENDED = "ended", pgettext_lazy("exam session phase", "Ended")

    provider = models.ForeignKey(
        TrainingProvider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exam_sessions",
        verbose_name=_("training provider"),
    )
    paper = models.ForeignKey(PaperTemplate, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("paper"))
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.EXAM)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    attempts_allowed = models.PositiveSmallIntegerField(_("attempts allowed"), default=1)
    pass_score = models.DecimalField(_("pass score"), max_digits=6, decimal_places=1, default=Decimal("60"))
    # Who may sit: any of the lists matches; all empty means every person in
    # the provider's jurisdiction subtree.
    eligible_people = models.ManyToManyField(Person, blank=True, related_name="+", verbose_name=_("people"))
    eligible_posts = models.JSONField(_("posts"), default=list, blank=True)
    eligible_enterprises = models.ManyToManyField(
        Enterprise, blank=True, related_name="+", verbose_name=_("enterprises")
    )
    eligible_jurisdictions = models.ManyToManyField(
        Jurisdiction, blank=True, related_name="+", verbose_name=_("jurisdictions")
    )
    required_course = models.ForeignKey(
        "training.Course",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("training prerequisite"),
    )
    # Plain integer, see the module docstring: proctoring owns what it means.
    proctoring_policy_id = models.PositiveBigIntegerField(_("proctoring policy"), null=True, blank=True)
    result_release = models.CharField(
        _("result release"), max_length=16, choices=Release.choices, default=Release.IMMEDIATE
    )
    review_answers = models.BooleanField(_("examinees may review their answers"), default=False)
    partial_credit = models.BooleanField(
        _("partial credit for multiple choice"),
        default=False,
        help_text=_("A multiple-choice answer with no wrong option earns its share of the score."),
    )
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    certificate_type = models.CharField(
        _("certificate issued on pass"), max_length=32, choices=CertificateType.choices, blank=True
    )
    certificate_validity_years = models.PositiveSmallIntegerField(_("certificate validity (years)"), default=3)
    is_onboarding = models.BooleanField(
        _("onboarding assessment"),
        default=False,
        help_text=_("Passing it completes the assessment part of a new employee's pre-job training."),
    )
    grace_seconds = models.PositiveSmallIntegerField(
        _("grace period (seconds)"),
        default=30,
        help_text=_("Answers sent this long after the deadline are still accepted (network delays)."),
    )
    prepared_at = models.DateTimeField(_("papers prepared at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("exam session")
        verbose_name_plural = _("exam sessions")
        constraints = [
            models.CheckConstraint(name="examsession_window_order", condition=Q(closes_at__gt=models.F("opens_at"))),
            models.CheckConstraint(name="examsession_duration_positive", condition=Q(duration_minutes__gte=1)),
            models.CheckConstraint(name="examsession_attempts_positive", condition=Q(attempts_allowed__gte=1)),
            models.CheckConstraint(
                name="examsession_exam_has_provider", condition=Q(kind="spot") | Q(provider__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def phase(self, now: dt.datetime | None = None) -> ExamSession.Phase:
        now = now or timezone.now()
        if now < self.opens_at:
            return self.Phase.UPCOMING
        return self.Phase.OPEN if now < self.closes_at else self.Phase.ENDED

    def results_released(self, now: dt.datetime | None = None) -> bool:
        if self.result_release == self.Release.IMMEDIATE:
            return True
        return (now or timezone.now()) >= self.closes_at


class Attempt(models.Model):
    class Status(models.TextChoices):
        PREPARED = "prepared", _("Prepared")
        IN_PROGRESS = "in_progress", pgettext_lazy("exam attempt", "In progress")
        SUBMITTED = "submitted", _("Submitted")
        INVALIDATED = "invalidated", _("Invalidated")

    class SubmitReason(models.TextChoices):
        EXAMINEE = "examinee", _("Submitted by the examinee")
        TIME_UP = "time_up", _("Time up")
        DEADLINE_JOB = "deadline_job", _("Submitted by the server at the deadline")
        PROCTOR = "proctor", _("Ended by the proctor")
        # Tab-switch or face rules of the proctoring policy, with no human involved.
        AUTO_POLICY = "auto_policy", _("Submitted automatically (proctoring rules)")

    session = models.ForeignKey(
        ExamSession, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("session")
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="exam_attempts", verbose_name=_("person"))
    seq = models.PositiveSmallIntegerField(_("attempt number"), default=1)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PREPARED)
    # The client-safe paper (no answers), in the examinee's order: start and
    # resume send it as is, without touching the question rows.
    payload = models.JSONField(default=list, editable=False)
    max_score = models.DecimalField(_("maximum score"), max_digits=7, decimal_places=1, default=Decimal("0"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submit_reason = models.CharField(_("submitted by"), max_length=16, choices=SubmitReason.choices, blank=True)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    breakdown = models.JSONField(_("knowledge-point breakdown"), default=list, blank=True)
    # One active device: start/resume hands out a new token and saves carrying
    # an older one are refused.
    device_token = models.CharField(max_length=32, blank=True, editable=False)
    invalidated_reason = models.CharField(_("reason for invalidation"), max_length=255, blank=True)
    # Spot tests: who ran it (the inspector whose phone the worker used).
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            models.UniqueConstraint(fields=["session", "person", "seq"], name="attempt_unique_seq"),
            models.CheckConstraint(name="attempt_seq_positive", condition=Q(seq__gte=1)),
            models.CheckConstraint(
                name="attempt_started_has_deadline",
                condition=Q(status="prepared") | Q(started_at__isnull=False, deadline__isnull=False),
            ),
            models.CheckConstraint(
                name="attempt_submitted_is_graded",
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False, score__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="attempt_status_deadline"),
            models.Index(fields=["person", "session"], name="attempt_person_session"),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.person} · #{self.seq}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.INVALIDATED)

    # Set by exams.services.attempts.attempt_start on the instance it just moved out of "prepared":
    # no answer can be saved yet, so the start response skips looking (not a field).
    fresh_start = False


class AttemptQuestion(models.Model):
    """A question as it was when the paper was prepared, in the examinee's option order.

    ``options`` are in the shown order and ``answer`` is expressed in the shown
    letters, so grading never looks at the bank again. ``given`` and
    ``client_seq`` hold the latest saved answer.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="questions")
    question = models.ForeignKey(Question, on_delete=models.SET_NULL, null=True, related_name="+")
    position = models.PositiveSmallIntegerField()
    qtype = models.CharField(max_length=16, choices=AUTO_GRADED_CHOICES)
    stem = models.TextField()
    options = models.JSONField(default=list)
    option_order = models.JSONField(default=list)  # shown position -> index in the bank's options
    answer = models.JSONField()
    explanation = models.TextField(blank=True)
    knowledge_point = models.CharField(max_length=200, blank=True)
    question_version = models.PositiveIntegerField(default=1)
    score = models.DecimalField(max_digits=5, decimal_places=1)
    given = models.JSONField(null=True, blank=True)
    client_seq = models.PositiveIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    awarded = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    is_correct = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attemptquestion_position_once"),
            models.UniqueConstraint(fields=["attempt", "question"], name="attemptquestion_question_once"),
            # No attempt ever holds a question nobody can grade (subjective): the last line behind the services.
            models.CheckConstraint(
                name="attemptquestion_qtype_auto_graded", condition=Q(qtype__in=[t.value for t in AUTO_GRADED_TYPES])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position + 1}"

    @property
    def type(self) -> str:
        # question_bank.services.is_correct/normalise_given read ``type``.
        return self.qtype

    @property
    def given_text(self) -> str:
        """The learner's answer as a person writes it ("" when unanswered)."""
        return answer_display(self.qtype, self.given, self.options)

    @property
    def answer_text(self) -> str:
        """The key as a person writes it: 正确 / 错误, "B. 二氧化碳", the blanks' words."""
        return answer_display(self.qtype, self.answer, self.options)


class AttemptAnswer(models.Model):
    """Every accepted autosave, in order: the audit trail behind ``AttemptQuestion.given``.

    Unique on (question, client_seq): a replayed save is recognised, an older
    one is refused, the latest wins.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    attempt_question = models.ForeignKey(AttemptQuestion, on_delete=models.CASCADE, related_name="answers")
    client_seq = models.PositiveIntegerField()
    given = models.JSONField(null=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempt_question", "client_seq"]
        constraints = [
            models.UniqueConstraint(fields=["attempt_question", "client_seq"], name="attemptanswer_seq_once"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_question_id}@{self.client_seq}"


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")

    number = models.CharField(_("certificate number"), max_length=32, unique=True)
    cert_type = models.CharField(_("certificate type"), max_length=32, choices=CertificateType.choices)
    holder = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("holder"))
    # Snapshots: the certificate states what was true when it was issued.
    holder_name = models.CharField(_("holder name"), max_length=64)
    masked_id_number = models.CharField(_("ID card number (masked)"), max_length=18)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise"))
    enterprise_name = models.CharField(_("enterprise name"), max_length=200)
    attempt = models.OneToOneField(
        Attempt, on_delete=models.PROTECT, null=True, blank=True, related_name="certificate", verbose_name=_("attempt")
    )
    # Empty for a certificate issued outside the platform (imported).
    provider = models.ForeignKey(
        TrainingProvider, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("issuer")
    )
    issuer_name = models.CharField(_("issuing authority"), max_length=200, blank=True)
    operation_category = models.CharField(_("operation category"), max_length=100, blank=True)
    imported = models.BooleanField(_("imported"), default=False)
    source = models.CharField(_("source"), max_length=255, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=1, null=True, blank=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=255, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "number"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.CheckConstraint(
                name="certificate_validity_order", condition=Q(valid_until__gt=models.F("issued_on"))
            ),
            models.CheckConstraint(
                name="certificate_revoked_has_time", condition=Q(status="valid") | Q(revoked_at__isnull=False)
            ),
        ]
        indexes = [models.Index(fields=["holder", "cert_type"], name="certificate_holder_type")]

    def __str__(self) -> str:
        return self.number

    def state(self, today: dt.date | None = None) -> str:
        """``valid``, ``expired`` or ``revoked``: what the verification page shows."""
        if self.status == self.Status.REVOKED:
            return "revoked"
        if (today or timezone.localdate()) > self.valid_until:
            return "expired"
        return "valid"

    def state_label(self, today: dt.date | None = None) -> Any:
        return {"valid": _("Valid"), "expired": _("Expired"), "revoked": _("Revoked")}[self.state(today)]
