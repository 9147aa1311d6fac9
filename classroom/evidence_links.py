"""classroom's provider for ``core.ledger_evidence``: a classroom ledger entry links to its class's evidence."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from classroom import selectors
from classroom.models import Attendance


def ledger_links(*, entry_ids: Collection[int], user: Any) -> dict[int, list[tuple[str, str]]]:
    """For each entry credited by a class whose evidence ``user`` may open: a link to that evidence."""
    rows = Attendance.objects.filter(
        ledger_entry_id__in=list(entry_ids),
        training_class__in=selectors.class_evidence_visible_to(user).values("pk"),
    ).values_list("ledger_entry_id", "training_class_id", "training_class__topic")
    return {
        entry_id: [
            (
                _("Class evidence: %(topic)s") % {"topic": topic},
                reverse("classroom_evidence:detail", kwargs={"pk": class_id}),
            )
        ]
        for entry_id, class_id, topic in rows
    }
