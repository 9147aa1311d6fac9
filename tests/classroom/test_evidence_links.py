"""core.ledger_evidence: how training asks the apps above it for the evidence behind ledger entries."""

from __future__ import annotations

from typing import Any

from core import ledger_evidence


def test_links_of_every_provider_are_merged_and_no_entries_ask_nobody() -> None:
    asked: list[list[int]] = []

    def first(*, entry_ids: list[int], user: Any) -> dict[int, list[tuple[str, str]]]:
        asked.append(list(entry_ids))
        return {entry_ids[0]: [("a", "/a/")]}

    def second(*, entry_ids: list[int], user: Any) -> dict[int, list[tuple[str, str]]]:
        return {entry_ids[0]: [("b", "/b/")], 99: [("c", "/c/")]}

    ledger_evidence.providers.register(first)
    ledger_evidence.providers.register(second)
    try:
        assert ledger_evidence.links_for(entry_ids=[], user=None) == {}
        assert asked == []
        links = ledger_evidence.links_for(entry_ids=[7, 8], user=None)
    finally:
        ledger_evidence.providers.unregister(first)
        ledger_evidence.providers.unregister(second)
    assert links[7] == [("a", "/a/"), ("b", "/b/")]
    assert links[99] == [("c", "/c/")]
    assert asked == [[7, 8]]
