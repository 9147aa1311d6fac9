"""一人一档, organizations' part: the person's employments and posts (core.person_file)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.person_file import Section, day
from organizations.models import Employment, Person

NAME = "organizations"


def sections(*, person: Person, user: Any) -> list[Section]:
    # The page has already checked that ``user`` may see ``person`` (people_visible_to): their employments come with them.
    employments = Employment.objects.filter(person=person).select_related("enterprise").order_by("start_date", "pk")
    return [
        Section(
            key="employments",
            title=_("Employments and posts"),
            columns=(_("Enterprise"), _("Post"), pgettext("person file", "From"), pgettext("person file", "Until")),
            rows=[
                (
                    e.enterprise.name,
                    e.get_post_display(),
                    day(e.start_date),
                    day(e.end_date) if e.end_date else pgettext("person file", "Now"),
                )
                for e in employments
            ],
            empty=_("No employment recorded."),
        )
    ]
