from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from question_bank import exporters
from question_bank.models import Bank, Question


class Command(BaseCommand):
    help = "Export a bank in the import layout (xlsx, csv) or as Moodle GIFT / Aiken."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bank", required=True, help="Code of the bank.")
        parser.add_argument("--format", default="xlsx", choices=["xlsx", "csv", "gift", "aiken"])
        parser.add_argument("-o", "--output", required=True, help="File to write.")
        parser.add_argument("--include-retired", action="store_true", help="Also export retired questions.")

    def handle(self, *args: Any, **options: Any) -> None:
        bank = Bank.objects.filter(code=options["bank"]).first()
        if bank is None:
            raise CommandError(f"No bank with code {options['bank']!r}.")
        questions = Question.objects.filter(bank=bank)
        if not options["include_retired"]:
            questions = questions.filter(is_active=True)
        out = Path(options["output"])
        skipped = 0
        with out.open("wb") as stream:
            fmt = options["format"]
            if fmt == "xlsx":
                written = exporters.export_xlsx(questions, stream)
            elif fmt == "csv":
                written = exporters.export_csv(questions, stream)
            elif fmt == "gift":
                written, skipped = exporters.export_gift(questions, stream)
            else:
                written, skipped = exporters.export_aiken(questions, stream)
        self.stdout.write(f"Exported {written} question(s) to {out}.")
        if skipped:
            self.stdout.write(f"Skipped {skipped} question(s) the {options['format']} format cannot hold.")
