from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from training.services.annual import annual_training_assign


class Command(BaseCommand):
    help = (
        "Assign a year's annual retraining (年度再培训), due on 31 December of that year, to everyone on a "
        "roster whose requirement profile has annual hours > 0 (by default: principals and safety managers, "
        "and employees and special operators in high-risk industries; edit the profiles in the admin). "
        "Per enterprise and post one annual plan for the year is built from the courses available to the "
        "enterprise that match its industry and the post (the default annual plan template's courses when it "
        "has any), requiring the profile's annual hours. People hired during the year (their onboarding "
        "covers it) and people who have left are skipped; groups with no matching course are listed and "
        "skipped. Idempotent: a second run creates nothing new. Runs daily on its own (training.scheduler / "
        "Celery beat) for the current year."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, help="The year to assign (default: the current year).")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be assigned; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"] or timezone.localdate().year
        if not 2000 <= year <= 2100:
            raise CommandError(f"--year {year} is out of range (2000–2100).")
        result = annual_training_assign(year=year, dry_run=options["dry_run"])
        prefix = "[dry run] would assign" if options["dry_run"] else "assigned"
        self.stdout.write(
            f"{prefix} {result.assigned} annual retraining assignments for {year} "
            f"({result.plans_created} new plans; {result.already} already assigned)"
        )
        for group in result.no_courses:
            self.stdout.write(f"skipped, no matching course: {group}")
