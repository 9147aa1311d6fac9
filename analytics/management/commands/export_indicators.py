"""``export_indicators CODE --from D --to D … --format csv|xlsx -o FILE``: an indicator's table, or the
people behind it, for scheduled reporting and for operators.

The question is checked by ``analytics.queries.query_build`` exactly as the API checks it (an operator
reads everything; ID numbers are written in full). Bad input is a ``CommandError`` naming the option,
and no file is written: the export goes to a temporary file beside ``FILE`` that replaces it only once
complete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.errors import AnalyticsError
from analytics.exports import KINDS, ExportSpec, export_write
from analytics.indicators import GROUP_BYS, people_status_checked
from analytics.queries import query_build

# query_build names parameters as the API does; the command's options are spelled like this.
OPTION_OF = {
    "indicator": "CODE",
    "from": "--from",
    "to": "--to",
    "jurisdiction": "--jurisdiction",
    "enterprise": "--enterprise",
    "group_by": "--group-by",
    "status": "--status",
}


class Command(BaseCommand):
    help = "Export an indicator's figures (or, with --people, the people behind them) as csv or xlsx."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="Indicator code (see GET /api/v1/stats/indicators/).")
        parser.add_argument("--from", dest="date_from", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="date_to", required=True, help="Last day, YYYY-MM-DD (inclusive).")
        parser.add_argument("--jurisdiction", default="", help="Jurisdiction code: its subtree only.")
        parser.add_argument("--enterprise", default="", help="Unified social credit code: that enterprise only.")
        parser.add_argument("--group-by", dest="group_by", default="", help="One of " + ", ".join(GROUP_BYS) + ".")
        parser.add_argument("--people", action="store_true", help="The people behind the figure instead of the table.")
        parser.add_argument(
            "--status",
            default="",
            help="With --people: counted or missing (default both); expiring for the certificate rates.",
        )
        parser.add_argument("--param", action="append", default=[], help="An indicator parameter, NAME=VALUE.")
        parser.add_argument("--format", dest="kind", required=True, help="csv or xlsx.")
        parser.add_argument("-o", "--output", required=True, help="File to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        if kind not in KINDS:
            raise CommandError(f"--format must be csv or xlsx, not {kind!r}.")
        status = options["status"] or None
        if status is not None and not options["people"]:
            raise CommandError("--status applies to --people only.")
        params: dict[str, Any] = {
            "from": options["date_from"],
            "to": options["date_to"],
            "jurisdiction": options["jurisdiction"],
            "enterprise": options["enterprise"],
            "group_by": options["group_by"],
        }
        for item in options["param"]:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise CommandError(f"--param must be NAME=VALUE, not {item!r}.")
            params[name] = value
        try:
            query = query_build(user=None, code=options["code"], params=params)
            status = people_status_checked(query.code, status)
        except AnalyticsError as exc:
            field = exc.details.get("field", "")
            option = OPTION_OF.get(field, f"--param {field}" if field else "")
            raise CommandError(f"{option}: {exc.message}" if option else exc.message) from None
        out = Path(options["output"])
        if not out.parent.is_dir():
            raise CommandError(f"-o: the directory {out.parent} does not exist.")
        spec = ExportSpec(query=query, kind=kind, people=options["people"], status=status)
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                export_write(spec, stream, user=None)
            os.replace(temporary, out)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stdout.write(f"Wrote {out}.")
