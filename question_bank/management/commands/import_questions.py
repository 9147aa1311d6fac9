from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.management.imports import add_check_switches
from core.uploads import UploadRejected
from organizations.models import TrainingProvider
from question_bank import importers, services
from question_bank.models import Bank


class Command(BaseCommand):
    help = "Import questions from an xlsx, csv, Word (.docx), numbered text (.txt), GIFT or Aiken file into a bank."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--bank", required=True, help="Code of the bank to import into.")
        parser.add_argument(
            "--create-bank", metavar="NAME", help="Create the bank with this name if it does not exist."
        )
        parser.add_argument(
            "--owner", metavar="ORG", help="Training provider code owning a new bank (default: the platform)."
        )
        parser.add_argument(
            "--purpose",
            choices=list(Bank.Purpose.values),
            default=Bank.Purpose.EXAM_ONLY,
            help="Purpose of a new bank: exam_only (default; its questions reach exam papers only) or practice "
            "(learners it is shared with may practise on it and lesson quizzes may use it).",
        )
        add_check_switches(parser)
        parser.add_argument(
            "--format",
            default="auto",
            choices=["auto", "spreadsheet", "gift", "aiken", "docx", "numbered"],
            help="File format (default: by extension).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        bank = Bank.objects.filter(code=options["bank"]).first()
        if bank is None:
            if not options["create_bank"]:
                raise CommandError(f"No bank with code {options['bank']!r}; pass --create-bank NAME to create it.")
            owner = None
            if options["owner"]:
                owner = TrainingProvider.objects.filter(code=options["owner"]).first()
                if owner is None:
                    raise CommandError(f"No training provider with code {options['owner']!r}.")
            if not options["dry_run"]:
                # The command runs as the system (actor=None): the service still checks the owner's reach.
                try:
                    bank = services.bank_create(
                        actor=None,
                        code=options["bank"],
                        name=options["create_bank"],
                        owner=owner,
                        purpose=options["purpose"],
                    )
                except ValidationError as exc:
                    raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
            else:
                bank = Bank(code=options["bank"], name=options["create_bank"], owner=owner, purpose=options["purpose"])
        try:
            # A bank not saved yet (a dry run that would create it) holds no questions: every valid row counts as new.
            result = services.import_file(
                bank=bank,
                data=path.read_bytes(),
                name=path.name,
                fmt=options["format"],
                valid_only=options["valid_only"],
                dry_run=options["dry_run"],
            )
        except (UploadRejected, importers.ImportRefused) as exc:
            raise CommandError(f"{path.name}: {exc}") from None

        counts = result.counts
        if result.written:
            summary = (
                "created {created} / updated {updated} / unchanged {unchanged} / duplicate {duplicate} / error {error}"
            )
        else:  # never "created N" when nothing was: say what an import would do
            summary = (
                "nothing written: would create {created} / update {updated} / leave {unchanged} unchanged"
                " / duplicate {duplicate} / error {error}"
            )
        self.stdout.write(summary.format(**counts))
        if result.ignored_columns:
            self.stdout.write("ignored columns: " + "、".join(result.ignored_columns))
        for warning in [*result.warnings, *result.notices]:
            self.stdout.write(f"  row {warning.row} [{warning.column}] {warning.message}")
        for error in result.errors:
            self.stderr.write(f"  row {error.row} [{error.column}] {error.message}")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
        elif not result.written:
            self.stdout.write(
                "Nothing was written because of the errors above (use --valid-only to import the valid rows)."
            )
        if result.errors and not options["valid_only"]:
            raise CommandError(f"{counts['error']} row(s) in error.", returncode=1)
