"""core.registries: guards let a higher app refuse a write in a lower app that may not import it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from core import registries

EVENT = "tests.thing_update"


@pytest.fixture
def event() -> Iterator[str]:
    yield EVENT
    for name in registries.guards_for(EVENT):
        registries.unregister_guard(EVENT, name)
    for name in registries.follow_ups_for(EVENT):
        registries.unregister_follow_up(EVENT, name)


def test_no_guard_lets_everything_through(event: str) -> None:
    assert registries.guards_for(event) == []
    registries.check_guards(event, thing=1)


def test_every_guard_is_asked_and_their_refusals_are_merged(event: str) -> None:
    asked: list[dict[str, Any]] = []

    def name_guard(**kwargs: Any) -> None:
        asked.append(kwargs)
        raise ValidationError({"name": "taken"})

    def whole_guard(**kwargs: Any) -> None:
        asked.append(kwargs)
        raise ValidationError("not now")

    registries.register_guard(event, "a.name", name_guard)
    registries.register_guard(event, "b.whole", whole_guard)
    registries.register_guard(event, "c.fine", lambda **kwargs: None)
    assert registries.guards_for(event) == ["a.name", "b.whole", "c.fine"]
    with pytest.raises(ValidationError) as refused:
        registries.check_guards(event, thing=7)
    assert refused.value.message_dict == {"name": ["taken"], NON_FIELD_ERRORS: ["not now"]}
    assert asked == [{"thing": 7}, {"thing": 7}]


def _broken(**kwargs: Any) -> None:
    """A guard or follow-up with a bug in it."""
    raise RuntimeError("bug")


def test_a_broken_guard_stops_the_write(event: str) -> None:
    registries.register_guard(event, "broken", _broken)
    with pytest.raises(RuntimeError):
        registries.check_guards(event)
    registries.unregister_guard(event, "broken")
    registries.check_guards(event)


def test_follow_ups_run_in_registration_order_with_the_event_arguments(event: str) -> None:
    ran: list[tuple[str, Any]] = []
    registries.register_follow_up(event, "b.second", lambda **kwargs: ran.append(("b", kwargs)))
    registries.register_follow_up(event, "a.first", lambda **kwargs: ran.append(("a", kwargs)))
    assert registries.follow_ups_for(event) == ["b.second", "a.first"]
    registries.run_follow_ups(event, thing=3)
    assert ran == [("b", {"thing": 3}), ("a", {"thing": 3})]


def test_a_failing_follow_up_propagates(event: str) -> None:
    registries.register_follow_up(event, "broken", _broken)
    with pytest.raises(RuntimeError):
        registries.run_follow_ups(event)


def test_training_follows_a_new_roster_entry_with_its_onboarding_plan() -> None:
    # organizations does not import training: the arrow runs through this registration.
    assert "training.onboarding" in registries.follow_ups_for("organizations.person_create")


def test_a_registry_keeps_each_add_on_once_in_order_and_walks_a_snapshot() -> None:
    registry: registries.Registry[Any] = registries.Registry()
    seen: list[str] = []

    def first() -> None:
        seen.append("first")
        registry.unregister(first)  # while the walk is under way

    def second() -> None:
        seen.append("second")

    for add_on in (first, second, first):
        registry.register(add_on)
    for add_on in registry:
        add_on()
    assert seen == ["first", "second"]
    assert list(registry) == [second]
    registry.unregister(first)  # not registered any more: a no-op
    assert list(registry) == [second]
