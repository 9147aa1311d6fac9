"""What the import commands share (``import_data``, ``import_employees``, ``import_questions``): the
file named on the command line, read as an upload would be, the check-first switches, and the rows'
errors written one a line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from core.tabular import RowError


def read_file(value: str) -> tuple[bytes, str]:
    """The bytes of the file at ``value`` (one byte past the upload cap at most: the upload check
    refuses a larger file by its size) and its name."""
    path = Path(value)
    try:
        with path.open("rb") as handle:
            data = handle.read(settings.UPLOAD_MAX_BYTES + 1)
    except OSError as exc:
        raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}) from None
    return data, path.name


def add_check_switches(parser: CommandParser, *, valid_only: bool = True) -> None:
    """``--dry-run``, and where a file may be imported in part, ``--valid-only``."""
    parser.add_argument("--dry-run", action="store_true", help="Check every row and report; write nothing.")
    if valid_only:
        parser.add_argument(
            "--valid-only", action="store_true", help="Import the rows without errors even if other rows have some."
        )


def write_row_errors(write: Callable[[str], object], errors: Iterable[RowError]) -> None:
    """Each error on its own line, named by its row and (when it has one) its column."""
    for error in errors:
        where = _("row %(row)d") % {"row": error.row}
        if error.column:
            where += f" [{error.column}]"
        write(f"{where}: {error.message}")
