"""The one place exams asks training whether a person may sit.

``training.selectors.is_eligible_for_exam`` is training's public answer; this
wrapper only fixes the call shape exams uses, so a change on training's side
touches one function here.
"""

from __future__ import annotations

from typing import Any

from organizations.models import Person


def eligibility_for_course(*, person: Person, course: Any) -> Any:
    """Truthy when ``person`` completed ``course``; ``.reason`` explains a refusal."""
    from training.selectors import is_eligible_for_exam

    return is_eligible_for_exam(person=person, course=course)
