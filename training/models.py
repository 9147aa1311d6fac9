"""Courses, plans, assignments, progress and the credit-hour (学时) ledger.

Learners are users: an employee on a roster (``user.person``) or a resident
who registered for public courses (``user.public_learner``). Progress, the
ledger and assignments hang off the user so both kinds study the same way.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.private_files import private_storage_for
from organizations.models import Enterprise, Industry, Jurisdiction, Person, TrainingProvider


class _PrivateStorage(LazyObject):
    # Lazy so tests that override PRIVATE_STORAGE_ROOT (or STORAGES) see the new location.
    # The training folder of private storage: on this host's disk, or the shared bucket (core.private_files).
    def _setup(self) -> None:
        self._wrapped = private_storage_for("training")


private_storage = _PrivateStorage()


def _private_storage() -> Any:
    return private_storage


Post = Person.Post


class Course(models.Model):
    """Owned by a training provider (optionally shared with a jurisdiction
    subtree) or private to one enterprise."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner_provider = models.ForeignKey(
        TrainingProvider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="courses",
        verbose_name=_("owning training provider"),
    )
    owner_enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="private_courses",
        verbose_name=_("private to enterprise"),
    )
    shared_with = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shared_courses",
        verbose_name=_("shared with jurisdiction subtree"),
    )
    industries = models.ManyToManyField(
        Industry,
        blank=True,
        related_name="courses",
        verbose_name=_("industry tags"),
        help_text=_("Leave empty for every industry."),
    )
    posts = models.JSONField(
        _("post tags"), default=list, blank=True, help_text=_("Post codes; leave empty for every post.")
    )
    is_public = models.BooleanField(
        _("open to public learners"),
        default=False,
        help_text=_("Residents who register in the shared jurisdiction may enrol (e.g. first aid)."),
    )
    published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.CheckConstraint(
                name="course_one_owner",
                condition=(
                    Q(owner_provider__isnull=False, owner_enterprise__isnull=True)
                    | Q(owner_provider__isnull=True, owner_enterprise__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Chapter(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="chapters", verbose_name=_("course"))
    title = models.CharField(_("title"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["course", "order", "pk"]
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    class Kind(models.TextChoices):
        VIDEO = "video", _("Video")
        DOCUMENT = "document", _("Document")
        ARTICLE = "article", _("Article")

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="lessons", verbose_name=_("chapter"))
    title = models.CharField(_("title"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    media = models.FileField(_("file"), storage=_private_storage, upload_to="lessons/%Y/%m/", blank=True)
    media_type = models.CharField(_("media type"), max_length=64, blank=True)
    body_html = models.TextField(_("article text"), blank=True, help_text=_("Sanitised rich text."))
    duration_seconds = models.PositiveIntegerField(_("video duration (seconds)"), default=0)
    page_count = models.PositiveIntegerField(_("document pages"), default=0)
    credit_minutes = models.PositiveIntegerField(
        _("credit minutes"),
        help_text=_("Study time this lesson can credit; one credit hour is a configured number of minutes."),
    )
    # Loose link to question_bank: the lesson quiz is optional and is recorded
    # through training.services.crediting.lesson_quiz_record by whoever grades it.
    quiz_bank_id = models.PositiveIntegerField(_("quiz question bank"), null=True, blank=True)
    quiz_question_count = models.PositiveSmallIntegerField(_("quiz questions"), default=0)
    quiz_pass_percent = models.PositiveSmallIntegerField(_("quiz pass mark (%)"), default=60)
    # A lesson with credited time can't be deleted (the ledger points at it):
    # retiring hides it from learners and drops it from the completion rule.
    retired = models.BooleanField(
        _("retired"),
        default=False,
        help_text=_("Hidden from learners and no longer required; time already credited stays on record."),
    )

    class Meta:
        ordering = ["chapter__course", "chapter__order", "chapter", "order", "pk"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.CheckConstraint(name="lesson_credit_positive", condition=Q(credit_minutes__gt=0)),
            models.CheckConstraint(
                name="lesson_quiz_pass_percent_range", condition=Q(quiz_pass_percent__gte=1, quiz_pass_percent__lte=100)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_quiz(self) -> bool:
        return self.quiz_bank_id is not None and self.quiz_question_count > 0

    @property
    def end_position(self) -> int:
        """Where "reached the end" is: seconds of video, pages, or 100 % of an article."""
        if self.kind == self.Kind.VIDEO:
            return self.duration_seconds
        if self.kind == self.Kind.DOCUMENT:
            return self.page_count
        return 100


class RequirementProfile(models.Model):
    """学时 a post must reach, initially and every year, by industry risk."""

    high_risk = models.BooleanField(_("high-risk industry"))
    post = models.CharField(_("post"), max_length=32, choices=Post.choices)
    initial_hours = models.PositiveIntegerField(_("initial training (credit hours)"))
    annual_hours = models.PositiveIntegerField(_("annual retraining (credit hours)"), default=0)
    minutes_per_hour = models.PositiveSmallIntegerField(
        _("minutes per credit hour"),
        null=True,
        blank=True,
        help_text=_("Empty: the platform default (45 minutes)."),
    )
    note = models.CharField(_("legal basis"), max_length=200, blank=True)

    class Meta:
        ordering = ["-high_risk", "post"]
        verbose_name = _("requirement profile")
        verbose_name_plural = _("requirement profiles")
        constraints = [models.UniqueConstraint(fields=["high_risk", "post"], name="requirement_unique_risk_post")]

    def __str__(self) -> str:
        return f"{self.get_post_display()} · {self.initial_hours}/{self.annual_hours}"


class PlanTemplate(models.Model):
    class Kind(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding (three-level)")
        ANNUAL = "annual", _("Annual retraining")
        CUSTOM = "custom", _("Custom")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ONBOARDING)
    is_default = models.BooleanField(_("default for its kind"), default=False)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("plan template")
        verbose_name_plural = _("plan templates")
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(is_default=True), name="plantemplate_one_default"),
        ]

    def __str__(self) -> str:
        return self.name


class PlanLevel(models.TextChoices):
    PLANT = "plant", _("Plant level")
    WORKSHOP = "workshop", _("Workshop level")
    TEAM = "team", _("Team level")
    GENERAL = "general", _("General")


class PlanTemplateStage(models.Model):
    """One level of a template (plant / workshop / team) with its courses."""

    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="stages")
    level = models.CharField(_("level"), max_length=16, choices=PlanLevel.choices)
    order = models.PositiveIntegerField(_("order"), default=0)
    description = models.CharField(_("description"), max_length=200, blank=True)
    courses = models.ManyToManyField(Course, blank=True, related_name="template_stages", verbose_name=_("courses"))

    class Meta:
        ordering = ["template", "order"]
        verbose_name = _("plan template stage")
        verbose_name_plural = _("plan template stages")
        constraints = [models.UniqueConstraint(fields=["template", "level"], name="stage_unique_level")]

    def __str__(self) -> str:
        return f"{self.template} · {self.get_level_display()}"


class Plan(models.Model):
    """A concrete set of courses with a required number of minutes."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=PlanTemplate.Kind.choices)
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="training_plans", verbose_name=_("enterprise")
    )
    template = models.ForeignKey(PlanTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="plans")
    post = models.CharField(_("post"), max_length=32, choices=Post.choices, blank=True)
    required_minutes = models.PositiveIntegerField(_("required minutes"))
    # The year an annual-retraining plan covers (training.services.annual.annual_training_assign).
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    courses = models.ManyToManyField(Course, through="PlanCourse", related_name="plans", verbose_name=_("courses"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "name"]
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "kind", "post", "year"],
                condition=Q(year__isnull=False),
                name="plan_unique_per_year",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlanCourse(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="plan_courses")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=16, choices=PlanLevel.choices, default=PlanLevel.GENERAL)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["plan", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "course"], name="plancourse_unique")]

    def __str__(self) -> str:
        return f"{self.plan_id} · {self.course_id}"


class Assignment(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Not started")
        IN_PROGRESS = "in_progress", pgettext_lazy("study", "In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Assigned by an admin")
        ONBOARDING = "onboarding", _("Automatic onboarding")
        PUBLIC = "public", _("Self-enrolled public course")
        ANNUAL = "annual", _("Automatic annual retraining")

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="training_assignments",
        verbose_name=_("learner"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments", verbose_name=_("course")
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments", verbose_name=_("plan")
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ASSIGNED)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                name="assignment_course_xor_plan",
                condition=Q(course__isnull=False, plan__isnull=True) | Q(course__isnull=True, plan__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["learner", "course"],
                condition=Q(course__isnull=False) & ~Q(status="cancelled"),
                name="assignment_unique_course",
            ),
            models.UniqueConstraint(
                fields=["learner", "plan"],
                condition=Q(plan__isnull=False) & ~Q(status="cancelled"),
                name="assignment_unique_plan",
            ),
        ]
        indexes = [models.Index(fields=["learner", "status"])]

    def __str__(self) -> str:
        return str(self.plan or self.course)

    @property
    def title(self) -> str:
        return self.plan.name if self.plan is not None else self.course.title  # type: ignore[union-attr]

    @property
    def kind(self) -> str:
        return "plan" if self.plan_id else "course"


class Progress(models.Model):
    """Where a learner is in one lesson. Written on the hot path by a
    conditional UPDATE in training.services.crediting.heartbeat_record.

    Positions are seconds (video), pages (document) or percent read (article).
    """

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    position = models.PositiveIntegerField(default=0)
    furthest = models.PositiveIntegerField(default=0)
    credited_seconds = models.PositiveIntegerField(default=0)
    client_seq = models.BigIntegerField(default=0)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_presence_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    quiz_passed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["learner", "lesson"], name="progress_unique"),
            models.CheckConstraint(
                name="progress_furthest_ge_position", condition=Q(furthest__gte=models.F("position"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.lesson}"


class CreditLedgerQuerySet(models.QuerySet["CreditLedger"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The credit ledger is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The credit ledger is append-only; expired rows go through ledger_purge_expired.")


_SOURCE_KEY = re.compile(r"^[a-z_]+:\d+\s+")


def ledger_source_text(source: str) -> str:
    """A ledger row's ``source`` as people read it: without the machine key that starts some of them
    (``classroom:<class id> <topic>`` shows as the topic)."""
    return _SOURCE_KEY.sub("", source or "", count=1)


class CreditLedger(models.Model):
    """Append-only record of every credited span: who, which lesson, from,
    to, how many seconds and how it was counted. Auditors export it."""

    class Method(models.TextChoices):
        HEARTBEAT = "heartbeat", _("Server-counted heartbeat")
        ADJUSTMENT = "adjustment", _("Manual adjustment")
        IMPORT = "import", _("Imported record")
        CLASSROOM = "classroom", _("Classroom attendance")

    class Purpose(models.TextChoices):
        ONBOARDING = "onboarding", _("Pre-job (onboarding) training")
        ANNUAL = "annual", _("Annual retraining")
        OTHER = "other", _("Other training")

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_ledger", verbose_name=_("learner")
    )
    # Empty for classroom training imported from outside the platform.
    lesson = models.ForeignKey(
        Lesson, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger", verbose_name=_("lesson")
    )
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"))
    seconds = models.PositiveIntegerField(_("seconds credited"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices, default=Method.HEARTBEAT)
    detail = models.CharField(_("how it was counted"), max_length=200, blank=True)
    # Snapshot of the learner's post when credited: it decides the retention period.
    post = models.CharField(_("post"), max_length=32, blank=True)
    # Whose training this was and of which kind: the enterprise and purpose of
    # the assignment it was credited under (or the imported row's). Indicators
    # count onboarding hours only for the employment at that enterprise.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("enterprise")
    )
    purpose = models.CharField(
        pgettext_lazy("training kind", "purpose"), max_length=16, choices=Purpose.choices, default=Purpose.OTHER
    )
    # Imported rows: the assessment result on the row, where the file gave one.
    assessment_passed = models.BooleanField(_("assessment passed"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = CreditLedgerQuerySet.as_manager()

    class Meta:
        ordering = ["learner", "started_at", "pk"]
        verbose_name = _("credit ledger entry")
        verbose_name_plural = _("credit ledger")
        constraints = [
            models.CheckConstraint(name="ledger_span_ordered", condition=Q(ended_at__gte=models.F("started_at"))),
        ]
        indexes = [
            models.Index(fields=["learner", "lesson"]),
            models.Index(fields=["recorded_at"]),
            models.Index(fields=["learner", "purpose", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.lesson} · {self.seconds}s"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Append-only is not expressible as a constraint: refuse edits here
        # (the admin and the queryset refuse them too).
        if self.pk is not None and not self._state.adding:
            raise PermissionError("The credit ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The credit ledger is append-only.")


class QuizAttempt(models.Model):
    """One lesson quiz: the questions drawn for the learner and, once
    submitted, the result. The answer key stays in question_bank and is
    read only when grading."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts", verbose_name=_("learner")
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="quiz_attempts", verbose_name=_("lesson"))
    question_ids = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)
    total = models.PositiveSmallIntegerField(pgettext_lazy("count", "questions"), default=0)
    correct = models.PositiveSmallIntegerField(_("correct answers"), default=0)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("lesson quiz attempt")
        verbose_name_plural = _("lesson quiz attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "lesson"], condition=Q(submitted_at__isnull=True), name="quiz_one_open_attempt"
            ),
            models.CheckConstraint(name="quiz_correct_le_total", condition=Q(correct__lte=models.F("total"))),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.lesson} · {self.correct}/{self.total}"

    @property
    def percent(self) -> int:
        return round(self.correct * 100 / self.total) if self.total else 0


class PublicLearner(models.Model):
    """A resident who registered with a phone number for public courses."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="public_learner")
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="public_learners", verbose_name=_("jurisdiction")
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("public learner")
        verbose_name_plural = _("public learners")

    def __str__(self) -> str:
        return self.name


class LessonPlan(models.Model):
    """A lesson plan (教案) in the shared library: a docx, pdf or pptx file with its catalogue data.

    Owned by an enterprise or a training provider. ``share`` says who else finds
    it: nobody (the owner only), the jurisdiction subtree ``shared_with``, or the
    whole platform. A provider's plan reaches a district's library only through
    an accepted ``LibraryOffer``.
    """

    class Share(models.TextChoices):
        OWNER = "owner", _("Only my organisation")
        SUBTREE = "subtree", _("A jurisdiction and everything below it")
        PLATFORM = "platform", _("The whole platform")

    class FileType(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word (docx)"
        PPTX = "pptx", "PowerPoint (pptx)"

    title = models.CharField(_("title"), max_length=200)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    industry = models.ForeignKey(
        Industry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lesson_plans",
        verbose_name=_("industry"),
        help_text=_("Leave empty for every industry."),
    )
    level = models.CharField(_("level"), max_length=16, choices=PlanLevel.choices, default=PlanLevel.GENERAL)
    credit_minutes = models.PositiveIntegerField(_("credit minutes"))
    file = models.FileField(_("file"), storage=_private_storage, upload_to="lesson_plans/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=200)
    file_type = models.CharField(_("file type"), max_length=8, choices=FileType.choices)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # A PDF's pages as PDFium counts them at upload (the preview's page images); 0 for Word and PowerPoint.
    page_count = models.PositiveIntegerField(_("PDF pages"), default=0)
    owner_provider = models.ForeignKey(
        TrainingProvider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lesson_plans",
        verbose_name=_("owning training provider"),
    )
    owner_enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lesson_plans",
        verbose_name=_("owning enterprise"),
    )
    share = models.CharField(
        pgettext_lazy("sharing scope", "shared with"), max_length=16, choices=Share.choices, default=Share.OWNER
    )
    shared_with = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shared_lesson_plans",
        verbose_name=_("jurisdiction subtree"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("lesson plan")
        verbose_name_plural = _("lesson plans")
        constraints = [
            models.CheckConstraint(
                name="lessonplan_one_owner",
                condition=(
                    Q(owner_provider__isnull=False, owner_enterprise__isnull=True)
                    | Q(owner_provider__isnull=True, owner_enterprise__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="lessonplan_subtree_named",
                condition=~Q(share="subtree") | Q(shared_with__isnull=False),
            ),
            models.CheckConstraint(name="lessonplan_credit_positive", condition=Q(credit_minutes__gt=0)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def credit_hours(self) -> Decimal:
        """学时, to one decimal (``settings.MINUTES_PER_CREDIT_HOUR`` minutes each)."""
        return round(Decimal(self.credit_minutes) / settings.MINUTES_PER_CREDIT_HOUR, 1)


class LibraryOffer(models.Model):
    """A training provider's offer of a course or a lesson plan to a district's library.

    It reaches the district's learners and trainers only once the district accepts it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting acceptance")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    provider = models.ForeignKey(
        TrainingProvider, on_delete=models.CASCADE, related_name="library_offers", verbose_name=_("training provider")
    )
    district = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="library_offers", verbose_name=_("district")
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, null=True, blank=True, related_name="library_offers", verbose_name=_("course")
    )
    lesson_plan = models.ForeignKey(
        LessonPlan,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="library_offers",
        verbose_name=_("lesson plan"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    note = models.CharField(_("note"), max_length=300, blank=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-offered_at", "-pk"]
        verbose_name = _("library offer")
        verbose_name_plural = _("library offers")
        constraints = [
            models.CheckConstraint(
                name="libraryoffer_one_item",
                condition=(
                    Q(course__isnull=False, lesson_plan__isnull=True)
                    | Q(course__isnull=True, lesson_plan__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["district", "course"],
                condition=Q(course__isnull=False, status__in=["pending", "accepted"]),
                name="libraryoffer_course_once",
            ),
            models.UniqueConstraint(
                fields=["district", "lesson_plan"],
                condition=Q(lesson_plan__isnull=False, status__in=["pending", "accepted"]),
                name="libraryoffer_plan_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course or self.lesson_plan} → {self.district}"
