"""Who is asking: the test every scoping selector starts with."""

from __future__ import annotations

from typing import Any


def is_signed_in(user: Any) -> bool:
    """Whether ``user`` is a signed-in user.

    Selectors take ``request.user``, a socket scope's user, or ``None`` (a task, a
    door that has not authenticated yet): for ``None``, ``AnonymousUser`` and
    anything without ``is_authenticated`` they answer "nothing".
    """
    return bool(getattr(user, "is_authenticated", False))
