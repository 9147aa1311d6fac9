"""Who is who in the shared cast (tests/conftest.py), by a short name a test can be parametrized with."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from organizations.models import Person


def cast_user(cast: Any, who: str) -> Any:
    """The user at ``who`` in the cast: "outsider", "west.bureau", "east.training_admin", or
    "west.learner" (a learner is a person; this is their user)."""
    found = attrgetter(who)(cast)
    return found.user if isinstance(found, Person) else found
