"""Evidence behind 学时 ledger entries: how training shows a link to a higher app's proof of an entry.

training renders a person's ledger (the 一人一档 page) but may not import the apps above it, where
the evidence of some entries lives (classroom: the class, its attendance sheet and site photos).
So such an app registers a provider in its ``AppConfig.ready()``::

    ledger_evidence.providers.register(classroom_ledger_links)

and training asks ``links_for(entry_ids=..., user=...)``. A provider is called as
``provider(entry_ids=..., user=...)`` and returns ``{entry_id: [(label, url), ...]}`` for the entries
it has evidence of that ``user`` may open (its own scoping selector decides); entries it knows nothing
about are left out. One call per page, not one per entry.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from core.registries import Registry

Link = tuple[str, str]  # (label, url)
Provider = Callable[..., dict[int, list[Link]]]

#: The providers, in registration order (``providers.register(provider)``).
providers: Registry[Provider] = Registry()


def links_for(*, entry_ids: Collection[int], user: Any) -> dict[int, list[Link]]:
    """Every provider's links for the ledger entries ``entry_ids`` that ``user`` may open."""
    links: dict[int, list[Link]] = {}
    ids = [i for i in entry_ids if i is not None]
    if not ids:
        return links
    for provider in providers:
        for entry_id, found in provider(entry_ids=ids, user=user).items():
            links.setdefault(entry_id, []).extend(found)
    return links
