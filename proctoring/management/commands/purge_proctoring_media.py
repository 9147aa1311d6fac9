from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from proctoring.services.retention import purge_media


class Command(BaseCommand):
    help = (
        "Delete proctoring face images (snapshots, identity-check captures, reference photos) older than "
        "the retention; decisions, distances and event logs are kept. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")
        parser.add_argument(
            "--days", type=int, default=None, help=f"Retention in days (default {settings.PROCTORING_RETENTION_DAYS})."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.PROCTORING_RETENTION_DAYS
        if days < 1:
            self.stderr.write("--days must be at least 1")
            raise SystemExit(2)
        counts = purge_media(days=days, dry_run=options["dry_run"])
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(
            f"{verb} {counts['snapshots']} snapshot(s), {counts['identity_checks']} identity-check capture(s) "
            f"and {counts['reference_photos']} reference photo(s) older than {days} days."
        )
