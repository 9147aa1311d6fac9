"""``python manage.py import_data KIND FILE [--user USERNAME] [--dry-run]``: the records a district already has.

The kinds are registered by the apps (``core.tabular``). Without ``--user`` the
operator imports with every scope and no importing user is recorded; with it,
the user's scope applies to every row. Exit status 1 when any row has an error
(nothing is written then), 0 otherwise.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core import tabular
from core.management.imports import add_check_switches, read_file, write_row_errors
from core.uploads import UploadRejected


class Command(BaseCommand):
    help = "Import jurisdictions, enterprises, people, certificates or training records from an .xlsx or .csv file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help="What the file holds: " + ", ".join(k.code for k in tabular.kinds()) + ".")
        parser.add_argument("file", help="The first sheet of an .xlsx, or a .csv (UTF-8 or GB18030).")
        parser.add_argument("--user", help="Import as this user (their scope applies; they are recorded as importer).")
        add_check_switches(parser, valid_only=False)
        parser.add_argument(
            "--credentials-out",
            metavar="FILE.csv",
            help="people: write the new accounts' one-time passwords here (mode 0600) instead of printing them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = tabular.kind_get(options["kind"])
        if kind is None:
            raise CommandError(
                _("Unknown kind “%(kind)s”: use one of %(kinds)s.")
                % {"kind": options["kind"], "kinds": ", ".join(k.code for k in tabular.kinds())}
            )
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(_("--user: no active user is called %(name)s.") % {"name": options["user"]})
            if not kind.allowed(user):
                raise CommandError(_("--user: %(name)s may not import %(kind)s.") % {"name": user, "kind": kind.code})
        data, name = read_file(options["file"])
        try:
            result = tabular.run_import_bytes(kind=kind, data=data, name=name, user=user, dry_run=options["dry_run"])
        except UploadRejected as exc:
            raise CommandError(str(exc)) from None

        write_row_errors(self.stderr.write, result.errors)
        if result.refused:
            raise CommandError(
                _("%(n)d error(s) in %(rows)d row(s): nothing was imported.")
                % {"n": len(result.errors), "rows": len({e.row for e in result.errors})}
            )
        self.stdout.write(summary(result))
        if result.credentials:
            tabular.hand_out(self.stdout.write, result.credentials, options["credentials_out"])


def summary(result: tabular.ImportResult) -> str:
    if result.dry_run:
        heading = _("Dry run, nothing written")
    elif not result.changed:
        heading = _("Nothing changed: every row was already imported")
    else:
        heading = _("Imported")
    return _("%(heading)s — %(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
        "heading": heading,
        "kind": result.kind.code,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
