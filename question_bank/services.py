"""Writes for question banks: imports, edits, retirement, practice."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import registries
from organizations.models import Jurisdiction, TrainingProvider
from question_bank import importers, selectors
from question_bank.importers import CleanQuestion, ParseResult, RawRow, RawTable
from question_bank.models import (
    OPTION_LETTERS,
    Bank,
    ImportJob,
    PracticeAnswer,
    PracticeSession,
    Question,
    QuestionType,
    WrongAnswer,
)

BATCH_SIZE = 2000
PRACTICE_SESSION_SIZE = 50
_COMPARED = ("answer", "explanation", "difficulty", "knowledge_point", "industry_tags", "post_tags")
Progress = Callable[[str, float], None]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rows: int = 0
    written: bool = False
    errors: list[importers.RowError] = field(default_factory=list)
    warnings: list[importers.RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)  # titles of the file's columns nothing was read from

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicate": self.duplicates,
            "error": len({e.row for e in self.errors}),
        }

    def as_dict(self, max_messages: int = 5000) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "written": self.written,
            "errors": [e.as_dict() for e in self.errors[:max_messages]],
            "warnings": [w.as_dict() for w in self.warnings[:max_messages]],
            "ignored_columns": self.ignored_columns,
            "truncated": len(self.errors) > max_messages or len(self.warnings) > max_messages,
        }


def bank_check_scope(
    *,
    actor: Any | None,
    owner: TrainingProvider | None,
    shared_with: Jurisdiction | None,
) -> None:
    """Refuse an owner or a sharing outside the actor's reach (``ValidationError`` naming the field).

    The one rule every door applies (web form, API create and update, Django
    admin, import command, demo seeding):

    - owner: a person may own a bank only for a provider they administer
      (``selectors.bank_owner_choices``); only platform admins own platform banks;
    - shared_with: a provider's bank may be shared only with the jurisdiction the
      provider serves or one below it (``selectors.share_reach_of``); platform
      admins may share anywhere, and a platform bank may go anywhere.

    ``actor`` is the user acting, or None for the system itself (management
    commands, demo data): then only the owner's reach is checked.
    """
    platform = actor is not None and selectors.is_platform_admin(actor)
    if actor is not None and not platform:
        if owner is None or not selectors.bank_owner_choices(actor).filter(pk=owner.pk).exists():
            raise ValidationError({"owner": _("You can only own a bank for a training provider you administer.")})
    if shared_with is None or platform:
        return
    if not selectors.share_reach_of(owner).filter(pk=shared_with.pk).exists():
        raise ValidationError(
            {
                "shared_with": _(
                    "A bank of %(owner)s can be shared only with %(area)s or a jurisdiction below it, "
                    "not with %(target)s."
                )
                % {"owner": owner, "area": owner.jurisdiction if owner else "", "target": shared_with}
            }
        )


def bank_create(
    *,
    actor: Any | None,
    code: str,
    name: str,
    owner: TrainingProvider | None,
    visibility: str = Bank.Visibility.PRIVATE,
    shared_with: Jurisdiction | None = None,
    purpose: str = Bank.Purpose.EXAM_ONLY,
) -> Bank:
    """Create a bank; exam-only unless ``purpose`` opens it to practice. See ``bank_check_scope``."""
    bank_check_scope(actor=actor, owner=owner, shared_with=shared_with)
    bank = Bank(code=code, name=name, owner=owner, visibility=visibility, shared_with=shared_with, purpose=purpose)
    bank.full_clean()
    bank.save()
    return bank


BANK_EDITABLE = ("code", "name", "owner", "visibility", "shared_with", "purpose")


def bank_check_update(*, actor: Any | None, bank: Bank, changes: dict[str, Any]) -> None:
    """Refuse a change of ``bank`` (``ValidationError`` naming the field), writing nothing.

    ``changes`` holds only the fields that change. A change of owner, visibility or sharing
    is checked by ``bank_check_scope`` as on creation; every change is then put to the guards
    other apps registered for ``"question_bank.bank_update"`` (``core.registries``): training
    refuses to turn exam-only a bank that lesson quizzes draw on. ``bank_update`` calls this;
    a form that must show the refusal before saving (the Django admin) calls it in ``clean``.
    """
    if {"owner", "visibility", "shared_with"} & set(changes):
        bank_check_scope(
            actor=actor,
            owner=changes.get("owner", bank.owner),
            shared_with=changes.get("shared_with", bank.shared_with),
        )
    if changes:
        registries.check_guards("question_bank.bank_update", actor=actor, bank=bank, changes=dict(changes))


@transaction.atomic
def bank_update(*, actor: Any | None, bank: Bank, data: dict[str, Any]) -> Bank:
    """Change a bank's fields (``BANK_EDITABLE``) once ``bank_check_update`` allows it; nothing is
    written when it is refused.

    The bank's row is locked for the check and the write, so a lesson saved at the same moment
    (training locks the row a lesson names as its quiz bank) cannot slip between them."""
    unknown = set(data) - set(BANK_EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    stored = Bank.objects.select_for_update().get(pk=bank.pk)
    changed = {key: value for key, value in data.items() if getattr(stored, key) != value}
    if not changed:
        return stored
    bank_check_update(actor=actor, bank=stored, changes=changed)
    for key, value in changed.items():
        setattr(stored, key, value)
    stored.full_clean()
    stored.save()
    return stored


def import_parsed(
    *,
    bank: Bank,
    parsed: ParseResult,
    valid_only: bool = False,
    dry_run: bool = False,
    source: str = "",
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Store validated questions in bulk, matching existing ones by fingerprint.

    Nothing is written when any row is in error (unless ``valid_only``) or on
    ``dry_run``; the counts then say what an import would do. All writes happen
    in one transaction: the bank is never left half-imported.
    """
    result = ImportResult(
        rows=parsed.rows,
        errors=parsed.errors,
        warnings=parsed.warnings,
        duplicates=parsed.duplicates,
        ignored_columns=list(parsed.ignored_columns),
    )
    write = not dry_run and (valid_only or not parsed.errors)
    questions = parsed.questions
    total = max(len(questions), 1)
    now = timezone.now()
    with transaction.atomic():
        # A first import into an empty bank (the large case) needs no lookups at all.
        bank_has_questions = bank.pk is not None and Question.objects.filter(bank=bank).exists()
        for start in range(0, len(questions), batch_size):
            batch = questions[start : start + batch_size]
            existing = _existing(bank, [q.fingerprint for q in batch]) if bank_has_questions else {}
            to_create: list[CleanQuestion] = []
            to_update: list[Question] = []
            for q in batch:
                found = existing.get(q.fingerprint)
                if found is None:
                    to_create.append(q)
                    continue
                new_values = (q.answer, q.explanation, q.difficulty, q.knowledge_point, q.industry_tags, q.post_tags)
                if q.absent:
                    new_values = tuple(
                        old if name in q.absent else new
                        for name, old, new in zip(_COMPARED, found[3:], new_values, strict=True)
                    )
                if tuple(found[3:]) == new_values:
                    result.unchanged += 1
                    continue
                changed = Question(pk=found[1], version=found[2] + 1, updated_at=now)
                for name, value in zip(_COMPARED, new_values, strict=True):
                    setattr(changed, name, value)
                to_update.append(changed)
            result.created += len(to_create)
            result.updated += len(to_update)
            if write:
                _insert(bank, to_create, source, now)
                Question.objects.bulk_update(to_update, [*_COMPARED, "version", "updated_at"], batch_size=500)
            if progress is not None:
                progress("write", min((start + batch_size) / total, 1.0))
    result.written = write
    return result


_INSERT_COLUMNS = (
    "bank_id",
    "type",
    "stem",
    "image",
    "options",
    "answer",
    "explanation",
    "difficulty",
    "knowledge_point",
    "industry_tags",
    "post_tags",
    "source",
    "is_active",
    "version",
    "fingerprint",
    "created_at",
    "updated_at",
)


def _existing(bank: Bank, fingerprints: list[str]) -> dict[str, tuple[Any, ...]]:
    """Stored questions of ``bank`` among ``fingerprints``: one query per batch.

    Raw SQL because the ORM spends more time preparing 2,000 IN parameters
    than the database spends on the index lookups."""
    ops = connection.ops
    columns = ", ".join(ops.quote_name(c) for c in ("fingerprint", "id", "version", *_COMPARED))
    table = ops.quote_name(Question._meta.db_table)
    placeholders = ", ".join(["%s"] * len(fingerprints))
    answer_field = Question._meta.get_field("answer")
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {table} WHERE bank_id = %s AND fingerprint IN ({placeholders})",  # noqa: S608
            [bank.pk, *fingerprints],
        )
        for row in cursor.fetchall():
            found[row[0]] = (row[0], row[1], row[2], answer_field.from_db_value(row[3], None, connection), *row[4:])
    return found


def _insert(bank: Bank, questions: list[CleanQuestion], source: str, now: Any) -> None:
    """INSERT through ``executemany``: bulk_create spends ~0.2 ms per row preparing
    values field by field, which is most of a 100k-row import. The values here are
    adapted with the backend's own adapters, so rows read back exactly as ORM-made ones."""
    if not questions:
        return
    ops = connection.ops
    table = connection.ops.quote_name(Question._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in _INSERT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_INSERT_COLUMNS))
    stamp = ops.adapt_datetimefield_value(now)
    source = source[:255]
    rows = [
        (
            bank.pk,
            q.type,
            q.stem,
            "",
            ops.adapt_json_value(list(q.options), None),
            ops.adapt_json_value(q.answer, None),
            q.explanation,
            q.difficulty,
            q.knowledge_point,
            q.industry_tags,
            q.post_tags,
            source,
            True,
            1,
            q.fingerprint,
            stamp,
            stamp,
        )
        for q in questions
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams the rows in one round trip: several times faster than INSERTs.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608


def import_file(
    *,
    bank: Bank,
    data: bytes,
    name: str,
    fmt: str = "auto",
    valid_only: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Check, parse, validate and store one file.

    Raises ``core.uploads.UploadRejected`` or ``importers.ImportRefused`` when
    the file as a whole is refused (nothing is written then either).
    """
    if progress is not None:
        progress("parse", 0.0)
    table = importers.read_file(data, name, fmt)
    if progress is not None:
        progress("validate", 0.0)
    parsed = importers.validate(table, progress=(lambda f: progress("validate", f)) if progress else None)
    return import_parsed(
        bank=bank, parsed=parsed, valid_only=valid_only, dry_run=dry_run, source=name, progress=progress
    )


# --- import jobs (background) --------------------------------------------------


def import_job_create(
    *, bank: Bank, user: Any, data: bytes, file_name: str, valid_only: bool, language: str = "zh-hans"
) -> ImportJob:
    from core.background import enqueue
    from question_bank.tasks import run_import_job

    job = ImportJob.objects.create(
        bank=bank, created_by=user, file_name=file_name[:255], payload=data, valid_only=valid_only
    )
    enqueue(run_import_job, job.pk, language)
    return job


_STAGE_SPAN = {"parse": (0, 20), "validate": (20, 50), "write": (50, 99)}


def import_job_run(*, job_id: int) -> None:
    """Run a queued job once: the conditional UPDATE claims it, so a redelivered task does nothing."""
    from django.core.cache import cache

    from core.uploads import UploadRejected

    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, progress=1
    )
    if claimed != 1:
        return
    job = ImportJob.objects.select_related("bank").get(pk=job_id)
    data = bytes(job.payload)

    def progress(stage: str, fraction: float) -> None:
        low, high = _STAGE_SPAN[stage]
        # The write stage runs inside one transaction, so the row can't carry the
        # progress; the cache (Redis when scaled out) can.
        cache.set(job_progress_key(job_id), int(low + (high - low) * fraction), 3600)

    status, result = ImportJob.Status.DONE, {}
    try:
        outcome = import_file(
            bank=job.bank, data=data, name=job.file_name, valid_only=job.valid_only, progress=progress
        )
        result = outcome.as_dict()
    except (UploadRejected, importers.ImportRefused) as exc:
        status, result = ImportJob.Status.REJECTED, {"refused": str(exc)}
    except Exception:
        status, result = ImportJob.Status.FAILED, {"refused": _("The import failed unexpectedly; nothing was stored.")}
        ImportJob.objects.filter(pk=job_id).update(
            status=status, result=result, payload=b"", finished_at=timezone.now()
        )
        raise
    ImportJob.objects.filter(pk=job_id).update(
        status=status, progress=100, result=result, payload=b"", finished_at=timezone.now()
    )
    cache.delete(job_progress_key(job_id))


def job_progress_key(job_id: int) -> str:
    return f"question_bank:import:{job_id}:progress"


# --- editing -------------------------------------------------------------------


def _validated_one(values: dict[str, Any]) -> CleanQuestion:
    row = RawRow(0, {key: importers.clean_cell(values.get(key, "")) for key in importers.FIELDS})
    try:
        parsed = importers.validate(RawTable(rows=[row], labels={}))
    except importers.ImportRefused:
        raise ValidationError({"stem": _("The stem is empty.")}) from None
    if parsed.errors:
        raise ValidationError({_field_of(e.column): e.message for e in parsed.errors})
    return parsed.questions[0]


def question_build(*, bank: Bank, clean: CleanQuestion, source: str) -> Question:
    """The unsaved ``Question`` for one validated import row (the one mapping from row to model)."""
    return Question(
        bank=bank,
        type=clean.type,
        stem=clean.stem,
        options=list(clean.options),
        answer=clean.answer,
        explanation=clean.explanation,
        difficulty=clean.difficulty,
        knowledge_point=clean.knowledge_point,
        industry_tags=clean.industry_tags,
        post_tags=clean.post_tags,
        source=source[:255],
        fingerprint=clean.fingerprint,
    )


def question_create(*, bank: Bank, values: dict[str, Any], source: str = "") -> Question:
    """Add one question given as import-layout values (the same checks as an import)."""
    q = _validated_one(values)
    if Question.objects.filter(bank=bank, fingerprint=q.fingerprint).exists():
        raise ValidationError(_("The bank already has a question with this type, stem and options."))
    question = question_build(bank=bank, clean=q, source=source)
    question.save()
    return question


def question_update(*, question: Question, values: dict[str, str]) -> Question:
    """Apply an edit given as import-layout cell values; bumps the version.

    Exam attempts keep their own snapshot of each question, so an edit (or a
    retirement) never changes an attempt already taken.
    """
    q = _validated_one(values)
    if Question.objects.filter(bank=question.bank, fingerprint=q.fingerprint).exclude(pk=question.pk).exists():
        raise ValidationError(_("The bank already has a question with this type, stem and options."))
    for name in ("type", "stem", "answer", "explanation", "difficulty", "knowledge_point", "industry_tags"):
        setattr(question, name, getattr(q, name))
    question.post_tags = q.post_tags
    question.options = list(q.options)
    question.fingerprint = q.fingerprint
    question.version = F("version") + 1
    try:
        with transaction.atomic():
            question.save()
    except IntegrityError:
        raise ValidationError(_("The bank already has a question with this type, stem and options.")) from None
    question.refresh_from_db()
    return question


def _field_of(column: str) -> str:
    for key, title in importers.COLUMN_TITLES.items():
        if column in (key, title):
            return key
    return column or "__all__"


def question_set_image(*, question: Question, image: Any | None) -> Question:
    """Attach (or with None remove) the stem's picture; a new picture is a new version."""
    if question.image:
        question.image.delete(save=False)
    question.image = image or ""
    question.version = F("version") + 1
    question.save(update_fields=["image", "version", "updated_at"])
    question.refresh_from_db()
    return question


def question_set_active(*, question: Question, active: bool) -> Question:
    if question.is_active != active:
        question.is_active = active
        question.version = F("version") + 1
        question.save(update_fields=["is_active", "version", "updated_at"])
        question.refresh_from_db()
    return question


# --- practice ------------------------------------------------------------------


class PracticeRefused(PermissionDenied):
    """The question or bank is not open to practice (exam-only): a 403 on every door."""


def practice_start(
    *, user: Any, bank: Bank, questions: Any, mode: str, knowledge_point: str = "", industry: str = ""
) -> PracticeSession:
    """Draw up to PRACTICE_SESSION_SIZE questions from ``questions`` (already scoped and filtered).

    Raises ``PracticeRefused`` for an exam-only bank, whatever the caller passed."""
    if bank.purpose != Bank.Purpose.PRACTICE:
        raise PracticeRefused(_("This bank is for exams only and cannot be practised."))
    questions = questions.filter(bank=bank, bank__purpose=Bank.Purpose.PRACTICE)
    if mode == PracticeSession.Mode.WRONG:
        wrong_ids = WrongAnswer.objects.filter(user=user).values("question_id")
        questions = questions.filter(pk__in=wrong_ids)
    ids = list(questions.order_by("pk").values_list("pk", flat=True))
    if mode == PracticeSession.Mode.RANDOM:
        ids = random.sample(ids, min(len(ids), PRACTICE_SESSION_SIZE))
    elif mode == PracticeSession.Mode.ORDER:
        # Continue after the last question answered in order on this bank.
        answered = set(
            PracticeAnswer.objects.filter(user=user, question__bank=bank).values_list("question_id", flat=True)
        )
        fresh = [pk for pk in ids if pk not in answered]
        ids = (fresh or ids)[:PRACTICE_SESSION_SIZE]
    else:
        ids = ids[:PRACTICE_SESSION_SIZE]
    return PracticeSession.objects.create(
        user=user, bank=bank, mode=mode, knowledge_point=knowledge_point, industry=industry, question_ids=ids
    )


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def normalise_given(question: Question, given: Any) -> Any:
    """A learner's answer in the canonical form of ``question.answer``, for grading what was
    stored already: anything unreadable becomes a wrong answer. New answers go through
    ``validate_given`` first."""
    if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        if isinstance(given, list):
            given = "".join(str(g) for g in given)
        letters = importers.parse_letters(str(given or "")) or []
        return "".join(letters)
    if question.type == QuestionType.TRUE_FALSE:
        if isinstance(given, bool):
            return given
        return importers.truth_of(str(given or ""))
    if isinstance(given, str):
        given = given.split("|")
    return [str(g).strip() for g in (given or [])]


MAX_BLANK_LENGTH = 200


def _blank_answer(given: Any) -> bool:
    return given is None or given == "" or given == []


def validate_given(question: Question, given: Any, *, field: str = "answer", allow_blank: bool = False) -> Any:
    """A learner's new answer in canonical form, or ``ValidationError`` naming ``field``.

    Choices are option letters of this question (``"AC"``, ``["A", "C"]``, ``"a、c"``), one for a
    single choice; true/false is a boolean or a word such as 正确/错误/对/错/true/false; a
    fill-in-the-blank answer is one text per blank (a list, or one string split at ``|``).
    Without ``allow_blank`` an empty choice or true/false answer is refused too (the
    lesson quiz allows it: an unanswered question counts as wrong)."""

    def refuse(message: str) -> ValidationError:
        return ValidationError({field: [message]})

    if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE):
        if _blank_answer(given):
            if allow_blank:
                return None if question.type == QuestionType.TRUE_FALSE else ""
            raise refuse(_("Choose an answer first."))
    if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        if isinstance(given, list) and all(isinstance(g, str) for g in given):
            given = "".join(given)
        allowed = OPTION_LETTERS[: len(question.options)]
        letters = importers.parse_letters(given) if isinstance(given, str) and len(given) <= 40 else None
        if letters is None or any(letter not in allowed for letter in letters):
            raise refuse(
                _("“%(answer)s” is not an option of this question: choose among %(allowed)s.")
                % {"answer": str(given)[:20], "allowed": ", ".join(allowed)}
            )
        if question.type == QuestionType.SINGLE and len(letters) > 1:
            raise refuse(_("A single-choice question takes one letter."))
        return "".join(letters)
    if question.type == QuestionType.TRUE_FALSE:
        if isinstance(given, bool):
            return given
        truth = importers.truth_of(given) if isinstance(given, str) and len(given) <= 20 else None
        if truth is None:
            raise refuse(
                _("“%(answer)s” is not an answer to a true/false question: send true or false (正确 or 错误).")
                % {"answer": str(given)[:20]}
            )
        return truth
    blanks = len(question.answer)
    if isinstance(given, str):
        given = given.split("|")
    if given is None and allow_blank:
        given = [""] * blanks
    if (
        not isinstance(given, list)
        or len(given) != blanks
        or not all(isinstance(g, str) and len(g) <= MAX_BLANK_LENGTH for g in given)
    ):
        raise refuse(
            _("The answer to this fill-in-the-blank question is a list of %(n)d text(s), at most 200 characters each.")
            % {"n": blanks}
        )
    return [g.strip() for g in given]


def is_correct(question: Question, given: Any) -> bool:
    if question.type == QuestionType.FILL_BLANK:
        if len(given) != len(question.answer):
            return False
        return all(_norm(g) in {_norm(a) for a in blank} for g, blank in zip(given, question.answer, strict=True))
    return given == question.answer


@dataclass
class PracticeOutcome:
    question: Question
    given: Any
    correct: bool


def practice_answer(
    *, user: Any, question: Question, given: Any, session: PracticeSession | None = None
) -> PracticeOutcome:
    """Record one practice answer and keep the wrong-answer book; practice never feeds exams.

    Raises ``PracticeRefused`` for a question of an exam-only bank: its answer must not be revealed;
    ``ValidationError`` naming ``answer`` for an answer this question cannot take, writing nothing."""
    if not Bank.objects.filter(pk=question.bank_id, purpose=Bank.Purpose.PRACTICE).exists():
        raise PracticeRefused(_("This bank is for exams only and cannot be practised."))
    canonical = validate_given(question, given)
    correct = is_correct(question, canonical)
    with transaction.atomic():
        if session is not None:
            session = PracticeSession.objects.select_for_update().get(pk=session.pk)
            if PracticeAnswer.objects.filter(session=session, question=question).exists():
                previous = PracticeAnswer.objects.get(session=session, question=question)
                return PracticeOutcome(question, previous.given, previous.is_correct)
        PracticeAnswer.objects.create(
            user=user, question=question, session=session, given=canonical, is_correct=correct
        )
        if correct:
            if session is not None and session.mode == PracticeSession.Mode.WRONG:
                WrongAnswer.objects.filter(user=user, question=question).delete()
        else:
            updated = WrongAnswer.objects.filter(user=user, question=question).update(
                times_wrong=F("times_wrong") + 1, last_wrong_at=timezone.now()
            )
            if not updated:
                WrongAnswer.objects.create(user=user, question=question)
        if session is not None:
            session.position = F("position") + 1
            session.correct_count = F("correct_count") + (1 if correct else 0)
            session.save(update_fields=["position", "correct_count"])
    return PracticeOutcome(question, canonical, correct)
