"""Guards and follow-ups: how a higher app refuses, or follows, a write in a lower app that may not import it.

``question_bank`` may not import ``training``, yet turning a bank exam-only
would silently break the lesson quizzes that draw on it. So the lower app's
service asks ``check_guards(event, **kwargs)`` before it writes, and the higher
app registers a guard for that event in its ``AppConfig.ready()``::

    registries.register_guard("question_bank.bank_update", "training.lesson_quizzes", check)

An event is named after the service that asks (``app.service``); the keyword
arguments it passes are listed below. A guard returns None to let the write
through, or raises ``django.core.exceptions.ValidationError`` naming the field
it refuses. Every guard is asked; their errors are merged into one
``ValidationError`` and nothing is written. Any other exception propagates: a
broken guard stops the write rather than letting it through.

Its sibling ``core.preconditions`` answers a different question (may this exam start, and
what must the person do first, described for listings); a guard only refuses a write, so the
two stay separate registries in the same shape.

A follow-up is the other half: the higher app's own write that must happen
with the lower app's, e.g. training's onboarding assignment when a person joins
a roster. The lower service calls ``run_follow_ups(event, **kwargs)`` where the
follow-up belongs (inside its transaction, after its own write), and the higher
app registers with ``register_follow_up`` in ``AppConfig.ready()``. Follow-ups
run in registration order; an exception propagates and undoes the whole write.
These are explicit calls from a service, not signals: the service names the
moment, and the rule lives in the higher app's service.

Guard events:

- ``"question_bank.bank_update"``: ``actor`` (the user, or None for the system),
  ``bank`` (the bank as stored), ``changes`` (field name -> new value, only the
  fields that change). Asked inside the update's transaction, with the bank's
  row locked.

Follow-up events:

- ``"organizations.person_create"``: ``person`` (just created, with its user).
  Run inside ``organizations.services.person_create``'s transaction.
- ``"training.quiz_passed"``: ``attempt`` (a lesson ``QuizAttempt`` just graded as passed).
  Run inside ``training.services.crediting.quiz_attempt_submit``'s transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError

Guard = Callable[..., None]
FollowUp = Callable[..., object]
T = TypeVar("T")


class Registry(Generic[T]):
    """An ordered set of add-ons (listeners, checks) that a higher app registers from its
    ``AppConfig.ready()``; registering twice keeps one. Iterating walks a snapshot, so an
    add-on may unregister while it runs."""

    def __init__(self) -> None:
        self._items: list[T] = []

    def register(self, item: T) -> None:
        if item not in self._items:
            self._items.append(item)

    def unregister(self, item: T) -> None:
        if item in self._items:
            self._items.remove(item)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))


class Positioned(Generic[T]):
    """Named add-ons at a position (the menu's entries, the home's sections, a person file's sections): listed by
    position, then by registration order; registering a name again replaces its add-on."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[int, T]] = {}

    def register(self, name: str, item: T, *, position: int) -> None:
        self._items[name] = (position, item)

    def unregister(self, name: str) -> None:
        self._items.pop(name, None)

    def names(self) -> list[str]:
        order = list(self._items)
        return sorted(order, key=lambda name: (self._items[name][0], order.index(name)))

    def __iter__(self) -> Iterator[T]:
        """The add-ons in order (a snapshot)."""
        return iter([self._items[name][1] for name in self.names()])


class _ByEvent:
    """Callables by event, then by name, each event's in registration order."""

    def __init__(self) -> None:
        self._by_event: dict[str, dict[str, Callable[..., Any]]] = {}

    def register(self, event: str, name: str, function: Callable[..., Any]) -> None:
        self._by_event.setdefault(event, {})[name] = function

    def unregister(self, event: str, name: str) -> None:
        self._by_event.get(event, {}).pop(name, None)

    def names(self, event: str) -> list[str]:
        return list(self._by_event.get(event, {}))

    def functions(self, event: str) -> list[Callable[..., Any]]:
        return list(self._by_event.get(event, {}).values())


_guards = _ByEvent()
_follow_ups = _ByEvent()


def register_guard(event: str, name: str, guard: Guard) -> None:
    """Register (or replace) the guard called ``name`` for ``event``; call from ``AppConfig.ready()``."""
    _guards.register(event, name, guard)


def unregister_guard(event: str, name: str) -> None:
    _guards.unregister(event, name)


def guards_for(event: str) -> list[str]:
    """Names of the guards registered for ``event``, in registration order."""
    return _guards.names(event)


def check_guards(event: str, **kwargs: Any) -> None:
    """Ask every guard of ``event``; raise one ``ValidationError`` with all their refusals, if any."""
    errors: dict[str, list[ValidationError]] = {}
    for guard in _guards.functions(event):
        try:
            guard(**kwargs)
        except ValidationError as exc:
            exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def register_follow_up(event: str, name: str, follow_up: FollowUp) -> None:
    """Register (or replace) the follow-up called ``name`` for ``event``; call from ``AppConfig.ready()``."""
    _follow_ups.register(event, name, follow_up)


def unregister_follow_up(event: str, name: str) -> None:
    _follow_ups.unregister(event, name)


def follow_ups_for(event: str) -> list[str]:
    """Names of the follow-ups registered for ``event``, in registration order."""
    return _follow_ups.names(event)


def run_follow_ups(event: str, **kwargs: Any) -> None:
    """Run every follow-up of ``event`` with ``kwargs``, in registration order."""
    for follow_up in _follow_ups.functions(event):
        follow_up(**kwargs)
