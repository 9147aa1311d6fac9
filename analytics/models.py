"""Analytics records: export jobs, and published reports (§7) with their frozen figures and people."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organizations.models import Enterprise, Jurisdiction, Person


class ExportJob(models.Model):
    """One export asked for on the statistics pages, written by a background job.

    ``params`` are the question as the page sent it (``from``, ``to``,
    ``jurisdiction``, ``enterprise``, ``group_by`` and the indicator's own);
    the job checks them and the requester's scope again when it runs. The file
    lives in private storage (``analytics.exports``), named by ``file``
    relative to it, and is deleted after ``ANALYTICS_EXPORT_RETENTION_HOURS``.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    class Kind(models.TextChoices):
        XLSX = "xlsx", "xlsx"
        CSV = "csv", "csv"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    code = models.CharField(_("indicator"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    people = models.BooleanField(_("people list"), default=False)
    people_status = models.CharField(_("people shown"), max_length=16, blank=True)
    kind = models.CharField(_("format"), max_length=8, choices=Kind.choices)
    language = models.CharField(max_length=16, default="zh-hans")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(_("rows written"), default=0)
    total = models.PositiveIntegerField(_("rows in all"), default=0)
    file = models.CharField(max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        constraints = [
            models.CheckConstraint(name="exportjob_done_within_total", condition=Q(total=0) | Q(done__lte=F("total"))),
        ]
        indexes = [models.Index(fields=["status", "finished_at"])]

    def __str__(self) -> str:
        return self.file_name or f"{self.code} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)


# --- published reports (月报/季报) ------------------------------------------------------------
#
# A published report is evidence: once written, its figures and the people behind them never
# change. The querysets and save()/delete() refuse edits, and the admin registers no edit page.


class FrozenQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("A published report is frozen.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("A published report is frozen.")


class _Frozen(models.Model):
    objects = FrozenQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("A published report is frozen.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("A published report is frozen.")


class PublishedReport(_Frozen):
    """A period's figures published by a bureau for one scope, frozen when published."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly report")
        QUARTERLY = "quarterly", _("Quarterly report")
        OTHER = "other", _("Other period")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    date_from = models.DateField(pgettext_lazy("date", "from"))
    date_to = models.DateField(pgettext_lazy("date", "to"))
    # The reference date the figures were computed for (the earlier of date_to and the publishing day).
    as_of = models.DateField(_("as of"))
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("jurisdiction")
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("enterprise")
    )
    group_by = models.CharField(_("grouped by"), max_length=16, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("published report")
        verbose_name_plural = _("published reports")
        constraints = [
            models.CheckConstraint(name="report_period_ordered", condition=models.Q(date_to__gte=models.F("date_from")))
        ]

    def __str__(self) -> str:
        return self.title


class ReportFigure(_Frozen):
    """One indicator's total and rows as published (``rows``: ``[{key, label, numerator, denominator}]``)."""

    report = models.ForeignKey(PublishedReport, on_delete=models.PROTECT, related_name="figures")
    indicator = models.CharField(_("indicator"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(max_length=16, default="rate")
    numerator = models.FloatField()
    denominator = models.IntegerField(null=True)
    rows = models.JSONField(default=list)
    extra = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["report", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["report", "indicator"], name="report_figure_once")]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.indicator}"

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


class ReportPerson(_Frozen):
    """One person behind a published figure, as they stood when it was published."""

    report = models.ForeignKey(PublishedReport, on_delete=models.PROTECT, related_name="people")
    indicator = models.CharField(_("indicator"), max_length=64)
    # The indicator's person id, kept as a number: most indicators count people, but public
    # first-aid coverage counts public learners and the regulators' rate staff without a
    # roster entry (0). One person may stand more than once (an exam per session, a year each).
    person_id = models.BigIntegerField()
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    credit_code = models.CharField(max_length=18)
    enterprise_name = models.CharField(max_length=200)
    status = models.CharField(max_length=8)  # "counted" | "missing"
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["report", "indicator", "pk"]
        indexes = [models.Index(fields=["report", "indicator", "status"])]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.indicator} · {self.name}"


# --- pre-aggregated facts (analytics.facts) ----------------------------------------------------
#
# Per-subject rows with the derived columns an indicator's predicates need
# already computed, maintained on write: database triggers (migration
# 0002_facts_facts) append the person, enterprise, session or user a write
# touched to ``FactDirty`` in the writer's own transaction, whatever door wrote
# (service, admin, import, bulk update, COPY), and ``analytics.facts.facts_refresh``
# recomputes the facts of those people. ``compute`` reads the facts only when
# nothing is pending (it refreshes a short queue itself), else the live SQL.


class FactDirty(models.Model):
    """A source row changed: the facts of this ``key`` (a person, enterprise,
    exam session or user id, by ``kind``) must be recomputed. Appended by the
    triggers (duplicates allowed: a unique key would let a refresh delete a
    marker a still-open transaction re-used); deleted by id after a refresh."""

    kind = models.CharField(max_length=16)
    key = models.BigIntegerField()

    class Meta:
        verbose_name = _("pending fact refresh")
        verbose_name_plural = _("pending fact refreshes")

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class FactState(models.Model):
    """The one row saying whether the facts were ever built over the data
    (``built_at``); without it ``compute`` reads the live SQL. Refreshes lock it
    (``select_for_update``) so two never interleave."""

    built_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # The calendar years ``AnnualFact`` covers (``ANALYTICS_FACTS_ANNUAL_YEARS`` up to the
    # year of the last rebuild); a question about another year reads the live SQL.
    annual_from = models.PositiveSmallIntegerField(null=True, blank=True)
    annual_to = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("fact state")
        verbose_name_plural = _("fact states")

    def __str__(self) -> str:
        return f"facts built {self.built_at}"


def _person_key() -> models.ForeignKey[Any]:
    """The person a fact is about: a key to join through (``person__user_id``),
    without a constraint (facts are rebuilt from the rows, never the other way)."""
    return models.ForeignKey(Person, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")


class ExamPairFact(models.Model):
    """One (person, exam session) pair, as ``exam_pass_rate`` counts it: the
    session's closing day (local), the enterprise of the person's employment
    on it (else their current one) and its status in force that day, whether
    the pair sat, whether its best attempt passed, and the best score."""

    session_id = models.BigIntegerField()
    person = _person_key()
    ref_date = models.DateField()
    enterprise_id = models.BigIntegerField(null=True)
    st_jurisdiction_id = models.BigIntegerField(null=True)
    st_industry_id = models.BigIntegerField(null=True)
    sat = models.BooleanField()
    counted = models.BooleanField()
    best_score = models.DecimalField(max_digits=7, decimal_places=1, null=True)

    class Meta:
        # Covering (PostgreSQL): a period's pairs are read from the index alone.
        indexes = [
            models.Index(
                fields=["ref_date"],
                include=["st_jurisdiction_id", "st_industry_id", "enterprise_id", "sat", "counted", "best_score"],
                name="exampairfact_period",
            )
        ]

    def __str__(self) -> str:
        return f"pair {self.session_id}/{self.person_id}"


class HolderFact(models.Model):
    """One stretch ``[day_from, day_to]`` of an employment in a post that must
    hold a certificate, over which nothing the certificate rates read changes:
    the enterprise status in force and the wanted certificates valid. ``holds_until``
    is the latest ``valid_until`` of the wanted type's certificates valid over
    the stretch (``None``: none valid, not counted). ``day_to`` of an open
    employment is 9999-12-31."""

    employment_id = models.BigIntegerField()
    person = _person_key()
    enterprise_id = models.BigIntegerField()
    post = models.CharField(max_length=32)
    day_from = models.DateField()
    day_to = models.DateField()
    st_jurisdiction_id = models.BigIntegerField(null=True)
    st_industry_id = models.BigIntegerField(null=True)
    holds_until = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["post", "day_to", "day_from"],
                include=["st_jurisdiction_id", "st_industry_id", "enterprise_id", "holds_until"],
                name="holderfact_on_day",
            )
        ]

    def __str__(self) -> str:
        return f"employment {self.employment_id} {self.day_from}–{self.day_to}"


class CompletionFact(models.Model):
    """One completed assignment of an employee, as ``course_completions`` counts
    it: the local completion day, the enterprise of the employment on it (else
    the current one) and its status in force that day."""

    assignment_id = models.BigIntegerField()
    person = _person_key()
    ref_date = models.DateField()
    enterprise_id = models.BigIntegerField(null=True)
    st_jurisdiction_id = models.BigIntegerField(null=True)
    st_industry_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["ref_date"],
                include=["st_jurisdiction_id", "st_industry_id", "enterprise_id"],
                name="completionfact_period",
            )
        ]

    def __str__(self) -> str:
        return f"assignment {self.assignment_id}"


class LedgerDayFact(models.Model):
    """The 学时 credited on one local day at one enterprise, as ``training_hours``
    counts them (each entry's seconds by its post's and its industry risk's
    学时), with the enterprise status in force that day."""

    enterprise_id = models.BigIntegerField()
    ref_date = models.DateField()
    st_jurisdiction_id = models.BigIntegerField(null=True)
    st_industry_id = models.BigIntegerField(null=True)
    hours = models.FloatField()
    entries = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["ref_date"],
                include=["st_jurisdiction_id", "st_industry_id", "enterprise_id", "hours"],
                name="ledgerdayfact_period",
            ),
            models.Index(fields=["enterprise_id", "ref_date"], name="ledgerdayfact_enterprise"),
        ]

    def __str__(self) -> str:
        return f"enterprise {self.enterprise_id} on {self.ref_date}"


class NewHireFact(models.Model):
    """One employment ``new_employee_training_rate`` counts, for a window
    opening ``pretraining_days`` before its start: the status on the start day,
    the 学时 required, the first day the onboarding 学时 credited in the window
    reached them (``hours_done_on``; 0001-01-01 when none are required) and the
    first day an onboarding assessment was passed in it (``assessed_on``: a
    passed onboarding entry at the enterprise or a passed onboarding exam).
    Certificates are read at question time (valid on the window's last day)."""

    employment_id = models.BigIntegerField()
    person = _person_key()
    enterprise_id = models.BigIntegerField()
    start_date = models.DateField()
    end_date = models.DateField(null=True)
    st_jurisdiction_id = models.BigIntegerField(null=True)
    st_industry_id = models.BigIntegerField(null=True)
    pretraining_days = models.PositiveSmallIntegerField()
    required_seconds = models.IntegerField()
    hours_done_on = models.DateField(null=True)
    assessed_on = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["pretraining_days", "start_date"],
                include=[
                    "st_jurisdiction_id",
                    "st_industry_id",
                    "enterprise_id",
                    "end_date",
                    "hours_done_on",
                    "assessed_on",
                ],
                name="newhirefact_period",
            )
        ]

    def __str__(self) -> str:
        return f"new hire {self.employment_id}"


class AnnualFact(models.Model):
    """One stretch ``[day_from, day_to]`` of calendar year ``year`` over which an
    employment started before that year is active and its enterprise status
    unchanged, as ``annual_retraining_rate`` counts it on a reference day in
    the stretch: counted when ``done_on`` (the first day of the year the
    person's annual 学时 from 1 January reached the requirement of the post
    and industry risk; 0001-01-01 when none is required) is on or before it."""

    employment_id = models.BigIntegerField()
    person = _person_key()
    enterprise_id = models.BigIntegerField()
    year = models.PositiveSmallIntegerField()
    day_from = models.DateField()
    day_to = models.DateField()
    st_jurisdiction_id = models.BigIntegerField(null=True)
    st_industry_id = models.BigIntegerField(null=True)
    done_on = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["year", "day_to", "day_from"],
                include=["st_jurisdiction_id", "st_industry_id", "enterprise_id", "done_on"],
                name="annualfact_on_day",
            )
        ]

    def __str__(self) -> str:
        return f"employment {self.employment_id} in {self.year}"


class LearnerDayFact(models.Model):
    """One (learner, local day, enterprise, status in force) on which the learner
    has a ledger entry at that enterprise, as ``active_learners`` counts it, with
    the learner's previous active day within each partition an answer can need
    (``None``: none before). A distinct count over ``[from, to]`` is then the
    number of rows in it whose previous day in the question's partition is
    before ``from`` (or, by month/quarter/year, before the group's own start):
    ``prev_all`` (any row), ``prev_enterprise`` (same enterprise),
    ``prev_industry`` (same industry in force), ``prev_j0`` … ``prev_j3`` (same
    jurisdiction at that depth of the tree: the ancestor at depth k, or the
    jurisdiction itself when it is shallower)."""

    learner_id = models.BigIntegerField()
    ref_date = models.DateField()
    enterprise_id = models.BigIntegerField()
    st_jurisdiction_id = models.BigIntegerField(null=True)
    st_industry_id = models.BigIntegerField(null=True)
    prev_all = models.DateField(null=True)
    prev_enterprise = models.DateField(null=True)
    prev_industry = models.DateField(null=True)
    prev_j0 = models.DateField(null=True)
    prev_j1 = models.DateField(null=True)
    prev_j2 = models.DateField(null=True)
    prev_j3 = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["ref_date"],
                include=[
                    "st_jurisdiction_id",
                    "st_industry_id",
                    "enterprise_id",
                    "learner_id",
                    "prev_all",
                    "prev_enterprise",
                    "prev_industry",
                    "prev_j0",
                    "prev_j1",
                    "prev_j2",
                    "prev_j3",
                ],
                name="learnerdayfact_period",
            ),
            models.Index(fields=["enterprise_id", "ref_date"], name="learnerdayfact_enterprise"),
            models.Index(fields=["learner_id"], name="learnerdayfact_learner"),
            # The few enterprises with entries on days no status was in force (``ActiveLearners._movers``).
            models.Index(
                fields=["enterprise_id"], condition=Q(st_jurisdiction_id__isnull=True), name="learnerdayfact_nostatus"
            ),
        ]

    def __str__(self) -> str:
        return f"learner {self.learner_id} on {self.ref_date}"
