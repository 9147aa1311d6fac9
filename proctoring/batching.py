"""Per-process batching of browser events: the sockets of one server store their events together.

A class of 1,000 examinees sends ~200 events a second. Stored one by one,
every event costs a transaction of its own (lock, insert, update, commit, and
a hop to a worker thread); the server's two cores then spend their time in
per-statement overhead and the acknowledgements queue up. Here every socket
hands its event to the process's ``EventBatcher`` and waits; the batcher
stores whatever has accumulated in one transaction
(``proctoring.services.events.events_record``) and answers each socket only after
the commit, so an acknowledgement still means "stored". There is no timer:
a batch is whatever arrived while the previous one was being written, so a
quiet server writes each event at once and a busy one writes bigger batches.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from proctoring.services.events import EventIn, EventResult

logger = logging.getLogger(__name__)

MAX_BATCH = 500


class EventBatcher:
    def __init__(self, store: Any, max_batch: int = MAX_BATCH) -> None:
        # ``store`` runs ``services.events_record`` off the event loop (an awaitable callable).
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[EventIn, asyncio.Future[EventResult]]] = []
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def record(self, item: EventIn) -> EventResult:
        """Store ``item`` with the others of its batch; raises its ``ProctoringError`` if refused."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A new event loop (a test, a restarted server): nothing of the old one can run.
            self._loop, self._pending, self._task = loop, [], None
        future: asyncio.Future[EventResult] = loop.create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: len(batch)]
            try:
                outcomes = await self.store([item for item, _future in batch])
            except Exception:
                # Something beyond one event's refusal (a policy's automatic submit failing,
                # the database going away): store one by one, so one event cannot fail the rest.
                logger.exception("batch of %d proctoring events failed; storing them one by one", len(batch))
                outcomes = []
                for item, _future in batch:
                    try:
                        outcomes.extend(await self.store([item]))
                    except Exception as exc:
                        outcomes.append(exc)
            for (_item, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # the socket went away; the client learns from hello.last_seq
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
