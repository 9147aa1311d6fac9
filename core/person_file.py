"""一人一档: the sections of a person's training file, each contributed by the app that holds its records.

organizations shows a person's file (page and PDF) but may not import training, exams or
proctoring (the layers contract). So each of those apps registers a contributor in its
``AppConfig.ready()``::

    person_file.contributors.register("training", training_person_file.sections, position=20)

and organizations asks ``sections_of(person=..., user=...)``. A contributor is called as
``contributor(person=..., user=...)`` and returns ``Section`` s: what ``user`` may read about
``person`` through its own app's scoping selector, as rows of text already formatted in the
active language. The page and the PDF render every section the same way, so a new kind of
record is one contributor, not a change to either. A file never holds images: faces, photos and
answer keys stay on their own pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format

from core.registries import Positioned

# The text of an empty cell (no date, no score).
NONE = "—"


@dataclass(frozen=True)
class Section:
    """One table of a person's file."""

    key: str  # stable, for anchors and tests
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    empty: str  # said instead of the table when there are no rows
    summary: str = ""  # one line under the title (a total)
    # Per row, links to the evidence behind it ((label, url) pairs; see core.ledger_evidence): the page shows
    # them in a last column, the PDF archive leaves them out (a file never holds images).
    row_links: Sequence[Sequence[tuple[str, str]]] = ()

    def labelled_rows(self) -> list[list[tuple[str, str]]]:
        """Each row's cells with their column titles (a phone shows a row as a card of labelled lines)."""
        return [list(zip(self.columns, row, strict=True)) for row in self.rows]

    @property
    def has_links(self) -> bool:
        return any(self.row_links)

    def page_rows(self) -> list[tuple[list[tuple[str, str]], Sequence[tuple[str, str]]]]:
        """Each row's labelled cells with its evidence links (none when the section has no links)."""
        links = list(self.row_links) + [()] * (len(self.rows) - len(self.row_links))
        return list(zip(self.labelled_rows(), links, strict=True))


Contributor = Callable[..., Sequence[Section]]

#: The contributors by name, in the order their sections come (``register(name, contributor, position=...)``).
contributors: Positioned[Contributor] = Positioned()


def sections_of(*, person: Any, user: Any) -> list[Section]:
    """Every section of ``person``'s file as ``user`` may read it, in the contributors' order."""
    return [section for contributor in contributors for section in contributor(person=person, user=user)]


def day(value: dt.date | None) -> str:
    return date_format(value, "Y-m-d") if value is not None else NONE


def moment(value: dt.datetime | None) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value is not None else NONE
