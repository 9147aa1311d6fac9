"""Browser events of many sockets stored together (proctoring.services.events.events_record, proctoring.batching)."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from exams.models import Attempt
from proctoring import batching
from proctoring.models import AttemptMonitor, BrowserEvent
from proctoring.services.errors import AttemptFinished, OutOfSequence, ProctoringError
from proctoring.services.events import EventIn, events_record
from tests.conftest import Cast


def _run_in_own_thread(coroutine: Any) -> Any:
    # Not asyncio.run() here: after the browser tests the main thread may already have a
    # running loop (sync Playwright), and asyncio.run() refuses to nest.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)


def _second_attempt(cast: Cast, data: dict[str, Any]) -> Attempt:
    now = timezone.now()
    return Attempt.objects.create(
        session=data["session"],
        person=cast.west.learner,
        status=Attempt.Status.IN_PROGRESS,
        started_at=now,
        deadline=now + dt.timedelta(hours=1),
    )


def _item(attempt: Attempt, seq: Any, event: Any = "blur", **extra: Any) -> EventIn:
    return EventIn(attempt_id=attempt.pk, session_id=attempt.session_id, client_seq=seq, event_type=event, **extra)


def _stored(attempt: Attempt) -> list[tuple[int, str]]:
    return list(BrowserEvent.objects.filter(attempt=attempt).order_by("client_seq").values_list("client_seq", "type"))


def test_one_batch_answers_every_socket_on_its_own(cast: Cast, proctored: dict[str, Any]) -> None:
    first, second = proctored["attempt"], _second_attempt(cast, proctored)
    outcomes = events_record(
        items=[
            _item(first, 1, "hidden"),
            _item(second, 1, "copy"),
            _item(first, 2, "visible", duration_ms=5000),  # a switch that counts (policy ignores < 2 s)
            _item(first, 4),  # a gap: refused, naming the next expected number
            _item(second, "x"),  # malformed
            _item(second, 2, "nonsense"),  # unknown type
            _item(first, 1, "hidden"),  # a resend: acknowledged, stored once
            _item(second, 2, "paste"),
        ]
    )
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == [
        "EventResult",
        "EventResult",
        "EventResult",
        "OutOfSequence",
        "BadEvent",
        "BadEvent",
        "EventResult",
        "EventResult",
    ]
    assert outcomes[3].details == {"expected": 3}
    assert outcomes[2].counted
    assert outcomes[2].tab_switches == 1
    assert outcomes[6].duplicate
    assert _stored(first) == [(1, "hidden"), (2, "visible")]
    assert _stored(second) == [(1, "copy"), (2, "paste")]
    monitors = {m.attempt_id: m for m in AttemptMonitor.objects.all()}
    assert (monitors[first.pk].last_seq, monitors[first.pk].event_count, monitors[first.pk].tab_switches) == (2, 2, 1)
    assert (monitors[second.pk].last_seq, monitors[second.pk].event_count) == (2, 2)


def test_events_after_an_automatic_submit_in_the_same_batch_are_refused(cast: Cast, proctored: dict[str, Any]) -> None:
    # policy: submit at the third counted switch
    attempt = proctored["attempt"]
    items = []
    for n in range(3):
        items += [_item(attempt, 2 * n + 1, "hidden"), _item(attempt, 2 * n + 2, "visible", duration_ms=5000)]
    items.append(_item(attempt, 7, "blur"))
    outcomes = events_record(items=items)
    assert outcomes[5].submitted
    assert isinstance(outcomes[6], AttemptFinished)
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.SUBMITTED
    assert [seq for seq, _type in _stored(attempt)] == [1, 2, 3, 4, 5, 6]


def test_an_event_for_an_attempt_that_does_not_exist_is_refused(proctored: dict[str, Any]) -> None:
    ghost = EventIn(attempt_id=10**8, session_id=proctored["session"].pk, client_seq=1, event_type="blur")
    (outcome,) = events_record(items=[ghost])
    assert isinstance(outcome, AttemptFinished)
    assert not BrowserEvent.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sockets_waiting_together_share_batches_and_each_gets_its_own_answer(cast: Cast) -> None:
    from tests.proctoring.conftest import make_proctored

    data = make_proctored(cast, tab_warn_at=100)
    first, second = data["attempt"], _second_attempt(cast, data)
    calls: list[int] = []

    async def store(items: list[EventIn]) -> list[Any]:
        calls.append(len(items))
        return await database_sync_to_async(events_record)(items=items)

    batcher = batching.EventBatcher(store)

    async def socket(attempt: Attempt, count: int) -> list[Any]:
        answers = []
        for seq in range(1, count + 1):
            try:
                answers.append((await batcher.record(_item(attempt, seq))).client_seq)
            except ProctoringError as exc:
                answers.append(exc.code)
        return answers

    async def run() -> tuple[list[Any], list[Any], Any]:
        a, b = await asyncio.gather(socket(first, 20), socket(second, 20))
        refused = None
        try:
            await batcher.record(_item(first, 99))
        except OutOfSequence as exc:
            refused = exc.details
        return a, b, refused

    a, b, refused = _run_in_own_thread(run())
    assert a == list(range(1, 21))
    assert b == list(range(1, 21))
    assert refused == {"expected": 21}
    assert len(_stored(first)) == 20
    assert len(_stored(second)) == 20
    # The two sockets' events went to the database together, not one transaction each.
    assert len(calls) < 40
    assert max(calls) >= 2
