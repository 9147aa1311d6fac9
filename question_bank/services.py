"""Writes for question banks: imports, edits, retirement, practice."""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import registries
from core.db import insert_rows
from organizations.models import Jurisdiction, TrainingProvider
from question_bank import importers, selectors
from question_bank.importers import CleanQuestion, ParseResult, RawRow, RawTable
from question_bank.models import (
    OPTION_LETTERS,
    QUESTION_DETAILS,
    Bank,
    ColumnMapping,
    ImportJob,
    PracticeAnswer,
    PracticeSession,
    Question,
    QuestionType,
    WrongAnswer,
)
from question_bank.siblings import siblings_scan_soon

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
    notices: list[importers.RowError] = field(default_factory=list)
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
            "notices": [n.as_dict() for n in self.notices[:max_messages]],
            "truncated": max(len(self.errors), len(self.warnings), len(self.notices)) > max_messages,
            "ignored_columns": self.ignored_columns,
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
        notices=parsed.notices,
        duplicates=parsed.duplicates,
        ignored_columns=list(parsed.ignored_columns),
    )
    write = not dry_run and (valid_only or not parsed.errors)
    questions = parsed.questions
    total = max(len(questions), 1)
    now = timezone.now()
    saved: list[str] = []  # pictures this import put in storage: removed again if it fails
    try:
        _import_batches(bank, questions, result, write, source, now, saved, progress, batch_size, total)
    except BaseException:
        storage = Question._meta.get_field("image").storage
        for name in saved:
            storage.delete(name)
        raise
    result.written = write
    if write and (result.created or result.updated):
        siblings_scan_soon(bank=bank)
    return result


def _import_batches(
    bank: Bank,
    questions: list[CleanQuestion],
    result: ImportResult,
    write: bool,
    source: str,
    now: Any,
    saved: list[str],
    progress: Progress | None,
    batch_size: int,
    total: int,
) -> None:
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
                _insert(bank, to_create, source, now, saved)
                Question.objects.bulk_update(to_update, [*_COMPARED, "version", "updated_at"], batch_size=500)
            if progress is not None:
                progress("write", min((start + batch_size) / total, 1.0))


_INSERT_COLUMNS = (
    "bank_id",
    "type",
    "stem",
    "image",
    "options",
    "answer",
    *QUESTION_DETAILS,
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


def _store_image(data: bytes, saved: list[str]) -> str:
    """Put an imported stem picture in the image field's storage, named by its content (one file per picture)."""
    from django.core.files.base import ContentFile

    from core.uploads import check_image

    storage = Question._meta.get_field("image").storage
    name = f"question_bank/images/import/{hashlib.sha256(data).hexdigest()[:40]}.{check_image(data)}"
    if not storage.exists(name):
        name = storage.save(name, ContentFile(data))
        saved.append(name)
    return name


def _insert(bank: Bank, questions: list[CleanQuestion], source: str, now: Any, saved: list[str]) -> None:
    """INSERT through ``core.db.insert_rows``: bulk_create spends ~0.2 ms per row preparing
    values field by field, which is most of a 100k-row import. The values here are
    adapted with the backend's own adapters, so rows read back exactly as ORM-made ones."""
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    source = source[:255]
    rows = [
        (
            bank.pk,
            q.type,
            q.stem,
            _store_image(q.image, saved) if q.image else "",
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
    insert_rows(Question, _INSERT_COLUMNS, rows, prepared=True)


def import_file(
    *,
    bank: Bank,
    data: bytes,
    name: str,
    fmt: str = "auto",
    valid_only: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    column_map: importers.ColumnMap | None = None,
) -> ImportResult:
    """Check, parse, validate and store one file.

    Raises ``core.uploads.UploadRejected`` or ``importers.ImportRefused`` when
    the file as a whole is refused (nothing is written then either). ``column_map``
    (column index -> field or None) replaces the header's recognition; check it first
    (``import_check_column_map``).
    """
    if progress is not None:
        progress("parse", 0.0)
    table = importers.read_file(data, name, fmt, column_map=column_map)
    if progress is not None:
        progress("validate", 0.0)
    parsed = importers.validate(table, progress=(lambda f: progress("validate", f)) if progress else None)
    result = import_parsed(
        bank=bank, parsed=parsed, valid_only=valid_only, dry_run=dry_run, source=name, progress=progress
    )
    result.ignored_columns = ignored_columns(table, parsed)
    return result


def ignored_columns(table: RawTable, parsed: ParseResult) -> list[str]:
    """The titles of the columns the import does not use (reported, never dropped silently)."""
    found = [*getattr(parsed, "ignored_columns", []), *table.mapped_ignored]
    return list(dict.fromkeys(title for title in found if title))


# --- import jobs (background) --------------------------------------------------


def import_job_create(
    *,
    bank: Bank,
    user: Any,
    upload: Any,
    valid_only: bool,
    language: str = "zh-hans",
    column_map: importers.ColumnMap | None = None,
) -> ImportJob:
    """Queue an import of an uploaded file at once (the API's door). ``UploadRejected`` when
    ``core.uploads`` refuses the file; a ``column_map`` is checked against it first
    (``import_check_column_map``): ``ValidationError`` naming it, nothing queued."""
    from core.background import enqueue
    from question_bank.tasks import run_import_job

    data = importers.upload_bytes(upload)
    file_name = upload.name
    if column_map is not None:
        column_map = import_check_column_map(data=data, name=file_name, column_map=column_map)
    job = ImportJob.objects.create(
        bank=bank,
        created_by=user,
        file_name=file_name[:255],
        payload=data,
        valid_only=valid_only,
        column_map=_stored_map(column_map),
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
            bank=job.bank,
            data=data,
            name=job.file_name,
            valid_only=job.valid_only,
            progress=progress,
            column_map=loaded_map(job.column_map),
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


# --- staged imports: map the columns, preview, then confirm -----------------------

# An upload waits this long for its mapping and confirmation; then it is gone.
IMPORT_STAGING_TTL = timedelta(hours=2)
PREVIEW_QUESTIONS = 5


class StagedUploadExpired(importers.ImportRefused):
    """The staged upload is older than ``IMPORT_STAGING_TTL`` (or was already confirmed)."""


def _stored_map(column_map: importers.ColumnMap | None) -> dict[str, str | None] | None:
    return None if column_map is None else {str(index): key for index, key in sorted(column_map.items())}


def loaded_map(stored: dict[str, Any] | None) -> importers.ColumnMap | None:
    """A column map as ``ImportJob``/``ColumnMapping`` keep it (JSON: string keys) for the importer."""
    if stored is None:
        return None
    return {int(index): key or None for index, key in stored.items()}


def header_key(columns: list[str]) -> str:
    """The key under which a bank remembers the mapping of a header: its titles, in order."""
    normalised = [importers.normalise_for_fingerprint(title).casefold() for title in columns]
    return hashlib.sha256("\x1f".join(normalised).encode()).hexdigest()


def import_check_column_map(*, data: bytes, name: str, column_map: dict[Any, Any]) -> importers.ColumnMap:
    """``column_map`` checked against the file's columns, as the importer takes it; else
    ``ValidationError`` on ``column_map`` naming every unknown field, column out of range,
    field given twice and required field left out."""
    if not isinstance(column_map, dict):
        raise ValidationError({"column_map": [_("The column mapping must map column numbers to field names.")]})
    problems = importers.check_column_map(column_map)
    if not problems:
        columns = import_columns(data=data, name=name)
        problems = importers.check_column_map(column_map, width=len(columns))
    if problems:
        raise ValidationError({"column_map": problems})
    return {int(index): key or None for index, key in column_map.items()}


def import_columns(*, data: bytes, name: str) -> list[str]:
    """The column titles of a spreadsheet's header row (titles not interpreted).

    Raises ``ValidationError`` on ``column_map`` for a file that has no columns to map (GIFT, Aiken,
    text), ``UploadRejected``/``ImportRefused`` when the file cannot be read."""
    if not import_mappable(name):
        raise ValidationError(
            {
                "column_map": [
                    _("Only spreadsheets (xlsx, xls, csv) have columns to map; %(name)s has none.") % {"name": name}
                ]
            }
        )
    return importers.mapped_table(importers.read_head(data, name), {}).mapped_columns


def import_mappable(name: str) -> bool:
    """Whether a file's columns can be mapped: spreadsheets, by name (their content is checked on reading)."""
    return name.lower().endswith((".xlsx", ".xlsm", ".xls", ".csv")) or "." not in name


def import_stage(*, bank: Bank, user: Any, upload: Any, valid_only: bool = False) -> ImportJob:
    """Keep an uploaded file (``UploadRejected`` when ``core.uploads`` refuses it) for its uploader to
    map and preview; nothing is imported until ``import_staged_confirm``. Uploads left waiting longer
    than the TTL are dropped."""
    data = importers.upload_bytes(upload)
    import_staged_purge()
    return ImportJob.objects.create(
        bank=bank,
        created_by=user,
        file_name=upload.name[:255],
        payload=data,
        valid_only=valid_only,
        status=ImportJob.Status.STAGED,
    )


def import_staged_purge() -> int:
    """Delete the staged uploads nobody confirmed in time (they were never imported)."""
    cutoff = timezone.now() - IMPORT_STAGING_TTL
    deleted, _by_model = ImportJob.objects.filter(status=ImportJob.Status.STAGED, created_at__lt=cutoff).delete()
    return deleted


def import_staged_check(*, job: ImportJob) -> None:
    """Raise ``StagedUploadExpired`` unless ``job`` is a staged upload still within its TTL."""
    if job.status != ImportJob.Status.STAGED or job.created_at < timezone.now() - IMPORT_STAGING_TTL:
        raise StagedUploadExpired(_("This upload has expired or was already imported; upload the file again."))


def _payload(job: ImportJob) -> bytes:
    import_staged_check(job=job)
    data = ImportJob.objects.filter(pk=job.pk).values_list("payload", flat=True).first()
    if not data:
        raise StagedUploadExpired(_("This upload has expired or was already imported; upload the file again."))
    return bytes(data)


@dataclass
class StagedColumns:
    """What the mapping page shows: the columns found, sample rows and the map to pre-fill."""

    columns: list[str]
    samples: list[list[str]]
    initial: dict[int, str | None]
    remembered: bool
    refused: str = ""  # why the header was not recognised (empty: it was)


def import_staged_columns(*, job: ImportJob) -> StagedColumns:
    """The staged file's columns, with the map to pre-fill: the one this bank remembers for
    this header, else what the header's titles are recognised as."""
    from core.uploads import UploadRejected

    head = importers.read_head(_payload(job), job.file_name)
    table = importers.mapped_table(head, {})
    refused = ""
    try:
        importers.rows_to_table(head)
    except (UploadRejected, importers.ImportRefused) as exc:
        refused = str(exc)
    saved = ColumnMapping.objects.filter(bank=job.bank, header_key=header_key(table.mapped_columns)).first()
    if job.column_map is not None:
        initial, remembered = loaded_map(job.column_map) or {}, False
    elif saved is not None:
        initial, remembered = loaded_map(saved.column_map) or {}, True
    else:
        guessed: dict[int, str | None] = {}
        for index, title in enumerate(table.mapped_columns):
            key = importers.guess_field(title)
            guessed[index] = key if key not in guessed.values() else None
        initial, remembered = guessed, False
    return StagedColumns(table.mapped_columns, table.mapped_samples, initial, remembered, refused)


def import_staged_needs_mapping(*, job: ImportJob) -> bool:
    """Whether the staged file goes to the mapping page first: a spreadsheet whose header is not
    recognised (whatever the refusal, if its columns can be read), or one this bank has a
    remembered mapping for."""
    from core.uploads import UploadRejected

    if not import_mappable(job.file_name):
        return False
    try:
        head = importers.read_head(_payload(job), job.file_name)
        columns = importers.mapped_table(head, {}).mapped_columns
    except (UploadRejected, importers.ImportRefused):
        return False
    if ColumnMapping.objects.filter(bank=job.bank, header_key=header_key(columns)).exists():
        return True
    try:
        importers.rows_to_table(head)
    except (UploadRejected, importers.ImportRefused):
        return bool(columns)
    return False


@transaction.atomic
def import_staged_map(*, job: ImportJob, user: Any, column_map: dict[Any, Any]) -> ImportJob:
    """Set the staged upload's column map (checked as ``import_check_column_map`` does) and remember
    it for this bank and header. ``ValidationError`` on ``column_map``: nothing is written."""
    data = _payload(job)
    checked = import_check_column_map(data=data, name=job.file_name, column_map=column_map)
    columns = import_columns(data=data, name=job.file_name)  # a second look at 25 rows: cheap
    stored = _stored_map(checked)
    ColumnMapping.objects.update_or_create(
        bank=job.bank,
        header_key=header_key(columns),
        defaults={"headers": columns, "column_map": stored, "updated_by": user},
    )
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.STAGED).update(column_map=stored)
    job.column_map = stored
    return job


@dataclass
class ImportPreview:
    result: ImportResult  # what an import would do (``written`` is False)
    questions: list[CleanQuestion]  # the first few, as they would be stored


def import_staged_preview(*, job: ImportJob, limit: int = PREVIEW_QUESTIONS) -> ImportPreview:
    """Parse and check the staged file as the import will, writing nothing.

    Raises ``UploadRejected``/``ImportRefused`` when the file as a whole is refused."""
    data = _payload(job)
    table = importers.read_file(data, job.file_name, column_map=loaded_map(job.column_map))
    parsed = importers.validate(table)
    result = import_parsed(bank=job.bank, parsed=parsed, dry_run=True, source=job.file_name)
    result.ignored_columns = ignored_columns(table, parsed)
    return ImportPreview(result=result, questions=parsed.questions[:limit])


def import_staged_confirm(*, job: ImportJob, valid_only: bool, language: str = "zh-hans") -> ImportJob:
    """Queue the staged upload for import. The conditional UPDATE claims it, so a second
    click (or a second tab) queues nothing; ``StagedUploadExpired`` when it is gone."""
    from core.background import enqueue
    from question_bank.tasks import run_import_job

    import_staged_check(job=job)
    claimed = ImportJob.objects.filter(
        pk=job.pk, status=ImportJob.Status.STAGED, created_at__gte=timezone.now() - IMPORT_STAGING_TTL
    ).update(status=ImportJob.Status.QUEUED, valid_only=valid_only)
    if claimed != 1:
        raise StagedUploadExpired(_("This upload has expired or was already imported; upload the file again."))
    enqueue(run_import_job, job.pk, language)
    job.refresh_from_db()
    return job


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


def question_check(*, values: dict[str, Any], question: Question | None = None) -> CleanQuestion:
    """The validated question for import-layout ``values`` (``ValidationError`` naming the fields), as an
    edit of ``question`` when given: an edit never turns a machine-graded question subjective, since exam
    papers, attempts and lesson quizzes may hold it and they take only machine-graded questions."""
    q = _validated_one(values)
    if question is not None and q.type == QuestionType.SUBJECTIVE and question.type != QuestionType.SUBJECTIVE:
        raise ValidationError(
            {
                "type": _(
                    "A question that is graded automatically cannot become subjective: exam papers and quizzes "
                    "may use it. Retire it and add a subjective question instead."
                )
            }
        )
    return q


def question_update(
    *, question: Question, values: dict[str, str], picture: bytes | None | Literal["kept"] = "kept"
) -> Question:
    """Apply an edit given as import-layout cell values; bumps the version.

    Exam attempts keep their own snapshot of each question, so an edit (or a
    retirement) never changes an attempt already taken.

    ``picture``: the stem picture the question will have once the caller's
    ``question_set_image`` in the same transaction has run (its bytes, or
    ``None`` for none); by default the current one, read from storage.
    """
    q = question_check(values=values, question=question)
    # The picture is part of what the question is (as when a Word bank brought it).
    image = _image_bytes(question) if picture == "kept" else picture
    fingerprint = importers.fingerprint(q.type, q.stem, q.options, q.answer, image=image)
    if Question.objects.filter(bank=question.bank, fingerprint=fingerprint).exclude(pk=question.pk).exists():
        raise ValidationError(_("The bank already has a question with this type, stem and options."))
    for name in ("type", "stem", "answer", "explanation", "difficulty", "knowledge_point", "industry_tags"):
        setattr(question, name, getattr(q, name))
    question.post_tags = q.post_tags
    question.options = list(q.options)
    question.fingerprint = fingerprint
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


def _image_bytes(question: Question) -> bytes | None:
    """The stem picture's bytes; a picture whose file is gone from storage is
    the editor's to replace or remove, named on the form, never a 500."""
    if not question.image:
        return None
    try:
        with question.image.open("rb") as f:
            return f.read()
    except OSError:
        raise ValidationError(
            {
                "image": _(
                    "The picture of this question is missing from storage: "
                    "upload it again or remove it, then save the question."
                )
            }
        ) from None


def upload_bytes(upload: Any) -> bytes:
    """An uploaded file's bytes, left rewound for whoever reads it next."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return bytes(data)


def question_set_image(*, question: Question, image: Any | None) -> Question:
    """Attach (or with None remove) the stem's picture; a new picture is a new version.

    The picture is part of the question's fingerprint (the same words about
    another picture are another question), so the fingerprint follows it."""
    data = upload_bytes(image) if image else None
    fingerprint = importers.fingerprint(question.type, question.stem, question.options, question.answer, image=data)
    if Question.objects.filter(bank=question.bank, fingerprint=fingerprint).exclude(pk=question.pk).exists():
        raise ValidationError(_("The bank already has this question with this picture."))
    if question.image:
        question.image.delete(save=False)
    question.image = image or ""
    question.fingerprint = fingerprint
    question.version = F("version") + 1
    question.save(update_fields=["image", "fingerprint", "version", "updated_at"])
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
    if question.type == QuestionType.SUBJECTIVE:
        return str(given or "").strip()
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
MAX_SUBJECTIVE_LENGTH = 5000


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

    if question.type == QuestionType.SUBJECTIVE:
        text = given.strip() if isinstance(given, str) else None
        if text is None or len(text) > MAX_SUBJECTIVE_LENGTH:
            raise refuse(
                _("The answer to a subjective question is a text of at most %(n)d characters.")
                % {"n": MAX_SUBJECTIVE_LENGTH}
            )
        if not text and not allow_blank:
            raise refuse(_("Write your answer first: the reference answer is shown once you have."))
        return text

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
    """Machine grading. A subjective question has none: the learner marks it in practice
    (``practice_self_mark``), and exams and quizzes never hold one."""
    if question.type == QuestionType.SUBJECTIVE:
        raise ValueError("a subjective question is not graded automatically")
    if question.type == QuestionType.FILL_BLANK:
        if len(given) != len(question.answer):
            return False
        return all(_norm(g) in {_norm(a) for a in blank} for g, blank in zip(given, question.answer, strict=True))
    return given == question.answer


@dataclass
class PracticeOutcome:
    """``correct`` is None for a subjective answer the learner has not marked yet."""

    question: Question
    given: Any
    correct: bool | None

    @property
    def awaiting_self_mark(self) -> bool:
        return self.correct is None


def _check_practice_allowed(question: Question) -> None:
    if not Bank.objects.filter(pk=question.bank_id, purpose=Bank.Purpose.PRACTICE).exists():
        raise PracticeRefused(_("This bank is for exams only and cannot be practised."))


def _record_result(*, user: Any, question: Question, session: PracticeSession | None, correct: bool) -> None:
    """Keep the wrong-answer book and the session's count for one result (inside the caller's transaction)."""
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


def practice_answer(
    *, user: Any, question: Question, given: Any, session: PracticeSession | None = None
) -> PracticeOutcome:
    """Record one practice answer and keep the wrong-answer book; practice never feeds exams.

    A subjective question's answer is the learner's text: it is stored unmarked (``correct`` None),
    the caller may now show the reference answer, and ``practice_self_mark`` records the result.

    Raises ``PracticeRefused`` for a question of an exam-only bank: its answer must not be revealed;
    ``ValidationError`` naming ``answer`` for an answer this question cannot take, writing nothing."""
    _check_practice_allowed(question)
    canonical = validate_given(question, given)
    subjective = question.type == QuestionType.SUBJECTIVE
    correct = None if subjective else is_correct(question, canonical)
    with transaction.atomic():
        if session is not None:
            session = PracticeSession.objects.select_for_update().get(pk=session.pk)
            previous = PracticeAnswer.objects.filter(session=session, question=question).first()
            if previous is not None:
                return PracticeOutcome(question, previous.given, previous.is_correct)
        PracticeAnswer.objects.create(
            user=user, question=question, session=session, given=canonical, is_correct=correct
        )
        if correct is not None:
            _record_result(user=user, question=question, session=session, correct=correct)
    return PracticeOutcome(question, canonical, correct)


def practice_pending_answer(*, user: Any, question: Question, session: PracticeSession | None) -> PracticeAnswer | None:
    """The learner's answer to a subjective question that still waits for their self-mark."""
    return (
        PracticeAnswer.objects.filter(user=user, question=question, session=session, is_correct__isnull=True)
        .order_by("-answered_at", "-pk")
        .first()
    )


def practice_self_mark(
    *, user: Any, question: Question, mastered: bool, session: PracticeSession | None = None
) -> PracticeOutcome:
    """The learner marks their own answer to a subjective question (掌握了 / 没掌握) after seeing the
    reference: recorded like a graded answer (accuracy, wrong-answer book, the session's count).

    Only after ``practice_answer``: with no answer waiting, ``ValidationError`` naming ``answer``
    (the reference is never shown before the learner has written theirs). Marking twice in a
    session keeps the first mark."""
    _check_practice_allowed(question)
    if question.type != QuestionType.SUBJECTIVE:
        raise ValidationError({"mastered": [_("Only a subjective question is marked by the learner.")]})
    with transaction.atomic():
        if session is not None:
            session = PracticeSession.objects.select_for_update().get(pk=session.pk)
            marked = PracticeAnswer.objects.filter(session=session, question=question, is_correct__isnull=False).first()
            if marked is not None:
                return PracticeOutcome(question, marked.given, marked.is_correct)
        pending = practice_pending_answer(user=user, question=question, session=session)
        if pending is None:
            raise ValidationError(
                {"answer": [_("Write your answer first: the reference answer is shown once you have.")]}
            )
        PracticeAnswer.objects.filter(pk=pending.pk).update(is_correct=mastered)
        _record_result(user=user, question=question, session=session, correct=mastered)
    return PracticeOutcome(question, pending.given, mastered)
