from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organizations.models import Jurisdiction, TrainingProvider

OPTION_LETTERS = "ABCDEFGH"


class QuestionType(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True/false")
    FILL_BLANK = "fill_blank", _("Fill in the blank")
    # 简答题, 论述题, 案例分析…: ``answer`` is the reference answer (text); nobody grades it
    # automatically, so it is practised with self-marking and never reaches an exam or a quiz.
    SUBJECTIVE = "subjective", _("Subjective")


# The types a machine can grade: the only ones exam papers, attempts, spot tests and lesson
# quizzes hold (exams' own fields take their choices from here).
AUTO_GRADED_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE, QuestionType.FILL_BLANK)
AUTO_GRADED_CHOICES = [(t.value, t.label) for t in AUTO_GRADED_TYPES]


class Bank(models.Model):
    """A question bank owned by a training provider, or by the platform when ``owner`` is empty.

    A private bank is seen only by its owner's training admins. A shared bank is
    practised by learners whose enterprise lies in the ``shared_with`` subtree;
    a platform bank shared with no jurisdiction is open to every learner.

    ``purpose`` says whether learners may practise at all: practice reveals each
    answer after one try, so an exam-only bank never reaches practice, the
    wrong-answer book or a lesson quiz; exam papers draw on both kinds. A new
    bank is exam-only unless its creator opens it to practice.

    Who may own a bank and where it may be shared is checked in
    ``services.bank_check_scope`` (every door calls it).
    """

    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Private")
        SHARED = "shared", _("Shared with a jurisdiction")

    class Purpose(models.TextChoices):
        PRACTICE = "practice", _("Practice and exams")
        EXAM_ONLY = "exam_only", _("Exams only")

    owner = models.ForeignKey(
        TrainingProvider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="question_banks",
        verbose_name=_("owner"),
        help_text=_("Empty means the bank belongs to the platform."),
    )
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200)
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    shared_with = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shared with"),
        help_text=_("Learners of enterprises in this jurisdiction and below may practise on the bank."),
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=16,
        choices=Purpose.choices,
        default=Purpose.EXAM_ONLY,
        help_text=_(
            "Practice and exams: learners it is shared with may practise on it (each answer is shown after one "
            "try) and lessons may quiz from it. Exams only: its questions appear only in exam papers."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")
        constraints = [
            # Only a platform bank may be shared with everyone (no jurisdiction).
            models.CheckConstraint(
                name="bank_shared_has_scope",
                condition=Q(visibility="private") | Q(shared_with__isnull=False) | Q(owner__isnull=True),
            ),
            models.CheckConstraint(name="bank_purpose_known", condition=Q(purpose__in=["practice", "exam_only"])),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def practice_allowed(self) -> bool:
        return self.purpose == self.Purpose.PRACTICE


# What describes a question besides its stem, options and answer, in one order: the admin form,
# the API serializer and the bulk import's INSERT all list these, so a new descriptive field is
# added here once.
QUESTION_DETAILS = (
    "explanation",
    "difficulty",
    "knowledge_point",
    "industry_tags",
    "post_tags",
    "source",
    "is_active",
)


class Question(models.Model):
    """One question of a bank.

    Canonical answer forms (``answer``): single choice ``"B"``; multiple choice
    the letters in order ``"ACD"``; true/false a JSON boolean; fill-in-blank a
    list of blanks, each a list of accepted alternatives (``[["119"], ["火警", "火灾报警"]]``).
    True/false questions store no options: 正确/错误 are implied.

    Editing a question bumps ``version``. Exam attempts snapshot the questions
    they show (stem, options, answer, version) when they start, so an edit or a
    retirement never changes an attempt already taken.
    """

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="questions", verbose_name=_("bank"))
    type = models.CharField(_("type"), max_length=16, choices=QuestionType.choices)
    stem = models.TextField(_("stem"))
    image = models.ImageField(_("image"), upload_to="question_bank/images/", blank=True)
    options = models.JSONField(_("options"), default=list, blank=True)
    answer = models.JSONField(_("answer"))
    explanation = models.TextField(_("explanation"), blank=True)
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), default=3)
    knowledge_point = models.CharField(_("knowledge point"), max_length=200, blank=True, db_index=True)
    industry_tags = models.CharField(_("industry tags"), max_length=255, blank=True)
    post_tags = models.CharField(_("post tags"), max_length=255, blank=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["bank", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["bank", "fingerprint"], name="question_unique_fingerprint_per_bank"),
            models.CheckConstraint(
                name="question_difficulty_1_to_5", condition=Q(difficulty__gte=1) & Q(difficulty__lte=5)
            ),
            models.CheckConstraint(name="question_version_positive", condition=Q(version__gte=1)),
            models.CheckConstraint(name="question_type_known", condition=Q(type__in=QuestionType.values)),
            # A subjective question has a reference answer and no options.
            models.CheckConstraint(
                name="question_subjective_reference",
                condition=~Q(type="subjective") | (Q(options=[]) & ~Q(answer="")),
            ),
        ]

    def __str__(self) -> str:
        return self.stem[:60]

    @property
    def lettered_options(self) -> list[tuple[str, str]]:
        return list(zip(OPTION_LETTERS, self.options, strict=False))

    @property
    def answer_text(self) -> str:
        """The answer as written in the import layout (``ACD``, ``正确``, ``119|火警/火灾报警``)."""
        from question_bank.importers import answer_text

        return answer_text(self.type, self.answer)

    @property
    def industry_list(self) -> list[str]:
        return [t for t in self.industry_tags.split("、") if t]

    @property
    def post_list(self) -> list[str]:
        return [t for t in self.post_tags.split("、") if t]


class ImportJob(models.Model):
    """An upload being imported in the background; the page polls its status."""

    class Status(models.TextChoices):
        STAGED = "staged", _("Awaiting confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", pgettext_lazy("import", "Running")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("bank"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    # The upload itself travels in the database, so a Celery worker on another
    # host can read it; it is emptied once the import has run.
    payload = models.BinaryField(default=b"", editable=False)
    valid_only = models.BooleanField(_("import valid rows only"), default=False)
    # The columns as the uploader mapped them ({"0": "type", "3": null…}); null: recognised from the header.
    column_map = models.JSONField(_("column mapping"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        constraints = [models.CheckConstraint(name="importjob_progress_percent", condition=Q(progress__lte=100))]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)

    def counts(self) -> dict[str, Any]:
        return self.result.get("counts", {})


class ColumnMapping(models.Model):
    """How an admin mapped the columns of a spreadsheet to question fields, remembered per bank
    and per header (the same titles in the same order), to pre-fill the next upload."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="column_mappings", verbose_name=_("bank"))
    header_key = models.CharField(max_length=64, editable=False)  # sha256 of the normalised titles
    headers = models.JSONField(_("column titles"), default=list)
    column_map = models.JSONField(_("column mapping"), default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [models.UniqueConstraint(fields=["bank", "header_key"], name="column_mapping_once_per_header")]

    def __str__(self) -> str:
        return f"{self.bank_id} · {'、'.join(self.headers)[:60]}"


class PracticeSession(models.Model):
    """A learner's practice run: the questions drawn and how far they got.

    Practice is kept apart from exams entirely: nothing here is read by grading.
    """

    class Mode(models.TextChoices):
        ORDER = "order", _("In order")
        RANDOM = "random", _("At random")
        WRONG = "wrong", _("Wrong-answer book")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_sessions", verbose_name=_("user")
    )
    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="+", verbose_name=_("bank"))
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.ORDER)
    knowledge_point = models.CharField(_("knowledge point"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    question_ids = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    correct_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("practice session")
        verbose_name_plural = _("practice sessions")

    def __str__(self) -> str:
        return f"{self.user} · {self.bank}"

    @property
    def total(self) -> int:
        return len(self.question_ids)

    @property
    def finished(self) -> bool:
        return self.position >= self.total


class PracticeAnswer(models.Model):
    """One practice answer. A subjective question is marked by the learner: ``is_correct`` is
    empty between the answer (which reveals the reference) and the self-mark (掌握了 / 没掌握)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(PracticeSession, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    given = models.JSONField()
    is_correct = models.BooleanField(null=True)
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-answered_at"]
        indexes = [models.Index(fields=["user", "question"])]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "question"], condition=Q(session__isnull=False), name="practice_once_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.question_id} · {'✓' if self.is_correct else '✗'}"


class WrongAnswer(models.Model):
    """The wrong-answer book (错题本): a question leaves it when answered right from the book."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    times_wrong = models.PositiveIntegerField(default=1)
    last_wrong_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_wrong_at"]
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="wrong_answer_once_per_question")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.question_id} ×{self.times_wrong}"


class SiblingGroup(models.Model):
    """Questions of one bank that ask the same thing (near duplicates): a paper or a spot test
    draws at most one of them.

    A scan (``question_bank.siblings.siblings_scan``) suggests groups; the trainer confirms them
    or splits a question out. A group is ``confirmed`` once the trainer confirmed every member;
    a re-scan that adds a question to a confirmed group makes it ``suggested`` again. Suggested
    groups count for draws too: an unreviewed pair is far likelier a real pair than not.
    """

    class Status(models.TextChoices):
        SUGGESTED = "suggested", pgettext_lazy("sibling group", "Suggested")
        CONFIRMED = "confirmed", pgettext_lazy("sibling group", "Confirmed")

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="sibling_groups", verbose_name=_("bank"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUGGESTED)
    similarity = models.FloatField(_("similarity"), default=0)  # the strongest link found by the scan
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["bank", "status", "-similarity", "id"]
        verbose_name = _("sibling group")
        verbose_name_plural = _("sibling groups")
        constraints = [
            models.CheckConstraint(name="siblinggroup_status_known", condition=Q(status__in=["suggested", "confirmed"]))
        ]

    def __str__(self) -> str:
        return f"{self.bank_id} · #{self.pk}"

    @property
    def similarity_percent(self) -> int:
        return round(self.similarity * 100)


class SiblingMember(models.Model):
    """A question in a sibling group: a question is in at most one group. ``confirmed``: the
    trainer saw it in the group and agreed (a re-scan keeps it; unconfirmed members are recomputed)."""

    group = models.ForeignKey(SiblingGroup, on_delete=models.CASCADE, related_name="members")
    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="sibling_membership")
    confirmed = models.BooleanField(default=False)

    class Meta:
        ordering = ["group", "question"]
        verbose_name = _("sibling group member")
        verbose_name_plural = _("sibling group members")

    def __str__(self) -> str:
        return f"{self.group_id} · {self.question_id}"


class SiblingSplit(models.Model):
    """Two questions the trainer said are not siblings (one was split out of the other's group):
    no scan ever puts them in one group again. Stored once per pair, lower id first."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    split_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    split_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sibling split")
        verbose_name_plural = _("sibling splits")
        constraints = [
            models.UniqueConstraint(fields=["question", "other"], name="siblingsplit_once_per_pair"),
            models.CheckConstraint(name="siblingsplit_ordered_pair", condition=Q(question__lt=models.F("other"))),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} ≠ {self.other_id}"
