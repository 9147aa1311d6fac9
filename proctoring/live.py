"""What the proctoring sockets of one server process share: the event store and the live-grid flusher.

``record_event(item)``
    Stores one browser event with the others that arrived meanwhile (one
    ``EventBatcher`` per process, see ``proctoring.batching``) and returns its
    result once committed. The batches run on a thread of their own: during a
    class's connect storm the shared pool is busy with connects and snapshots,
    and an event batch queued behind them would wait hundreds of milliseconds
    for its ack (``bench/bench_ws.py --timeline`` showed it).

``queue_live(layer, session_id, row)``
    The live grid's counters, coalesced per session and attempt and sent to the
    session's proctors at most every ``LIVE_FLUSH_SECONDS``: a class of 1,000
    examinees makes ~200 events a second, the grid needs a few updates.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from core.pools import sync_to_worker_pool
from proctoring import batching, broadcast
from proctoring.services.events import EventIn, EventResult, events_record

_event_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="proctor-events")
_events_record = sync_to_worker_pool(events_record, executor=_event_thread)


async def _store_events(items: list[EventIn]) -> list[Any]:
    return await _events_record(items=items)


_event_batcher = batching.EventBatcher(_store_events)


async def record_event(item: EventIn) -> EventResult:
    """Store ``item`` (committed on return); raises its ``ProctoringError`` if refused."""
    return await _event_batcher.record(item)


LIVE_FLUSH_SECONDS = 0.5
_live: dict[int, dict[int, dict[str, Any]]] = {}
_flusher: asyncio.Task[None] | None = None


def queue_live(layer: Any, session_id: int, row: dict[str, Any]) -> None:
    """Queue ``row`` (one attempt's counters, the latest wins) for the session's live grid."""
    global _flusher
    _live.setdefault(session_id, {})[row["attempt"]] = row
    loop = asyncio.get_running_loop()
    if _flusher is None or _flusher.done() or _flusher.get_loop() is not loop:
        _flusher = loop.create_task(_flush_live(layer))


async def _flush_live(layer: Any) -> None:
    global _flusher
    while True:
        await asyncio.sleep(LIVE_FLUSH_SECONDS)
        if not _live:
            break
        batch = dict(_live)
        _live.clear()
        for session_id, rows in batch.items():
            await layer.group_send(
                broadcast.session_group(session_id),
                {"type": "proctoring.message", "payload": {"type": "events", "rows": list(rows.values())}},
            )
    _flusher = None
