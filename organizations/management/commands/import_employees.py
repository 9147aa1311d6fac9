from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core import tabular
from core.management.imports import add_check_switches, read_file, write_row_errors
from core.uploads import UploadRejected
from organizations.models import Enterprise
from organizations.roster import ImportResult, import_roster_bytes
from organizations.validators import normalize_credit_code, validate_credit_code


class Command(BaseCommand):
    help = "Import an enterprise's employee roster from an .xlsx or .csv file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The roster, .xlsx or .csv (UTF-8 or GB18030).")
        parser.add_argument("--enterprise", required=True, help="The enterprise's unified social credit code.")
        add_check_switches(parser)
        parser.add_argument(
            "--credentials-out",
            metavar="FILE.csv",
            help="Write the new accounts' usernames and one-time passwords here (mode 0600) instead of printing them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = normalize_credit_code(options["enterprise"])
        try:
            validate_credit_code(code)
        except ValidationError as exc:
            raise CommandError(
                _("--enterprise: %(error)s") % {"error": " ".join(str(m) for m in exc.messages)}
            ) from None
        enterprise = Enterprise.objects.filter(credit_code=code).first()
        if enterprise is None:
            raise CommandError(_("--enterprise: no enterprise has the credit code %(code)s.") % {"code": code})

        data, name = read_file(options["file"])

        try:
            result = import_roster_bytes(
                enterprise=enterprise,
                data=data,
                name=name,
                dry_run=options["dry_run"],
                valid_only=options["valid_only"],
            )
        except UploadRejected as exc:
            raise CommandError(str(exc)) from None

        self._report(result)
        if result.credentials:
            tabular.hand_out(self.stdout.write, result.credentials, options["credentials_out"])
        if result.refused:
            raise CommandError(
                _("%(n)d error(s): nothing was imported. Fix the rows above, or use --valid-only.")
                % {"n": len(result.errors)}
            )

    def _report(self, result: ImportResult) -> None:
        write_row_errors(self.stderr.write, result.errors)
        heading = _("Dry run, nothing written") if result.dry_run else _("Import")
        self.stdout.write(
            _(
                "%(heading)s — %(enterprise)s: %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged, %(errors)d error(s) in %(error_rows)d row(s)."
            )
            % {
                "heading": heading,
                "enterprise": result.enterprise.name,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "errors": len(result.errors),
                "error_rows": len({e.row for e in result.errors}),
            }
        )
