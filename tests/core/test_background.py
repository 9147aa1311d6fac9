"""The embedded default's worker threads (core.background): a task that meets SQLite's write lock
is tried again; any other failure is not."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError, connection

from core import background


class _Task:
    """A task whose first runs fail with ``error``; then it returns how often it ran."""

    name = "tests.flaky"

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.runs = failures, error, 0

    def run(self, *args: Any, **kwargs: Any) -> int:
        self.runs += 1
        if self.runs <= self.failures:
            raise self.error
        return self.runs


@pytest.mark.django_db
def test_a_task_that_meets_the_sqlite_lock_runs_again() -> None:
    task = _Task(2, OperationalError("database table is locked: core_dataimport"))
    if connection.vendor != "sqlite":
        with pytest.raises(OperationalError):
            background._run_in_thread(task, (), {})
        assert task.runs == 1  # PostgreSQL has no such lock to wait out
        return
    assert background._run_in_thread(task, (), {}) == 3


@pytest.mark.django_db
def test_it_gives_up_after_the_retries_and_never_retries_other_errors() -> None:
    locked = _Task(100, OperationalError("database is locked"))
    with pytest.raises(OperationalError):
        background._run_in_thread(locked, (), {})
    assert locked.runs == (background.SQLITE_LOCK_RETRIES + 1 if connection.vendor == "sqlite" else 1)
    broken = _Task(1, OperationalError("no such table: core_dataimport"))
    with pytest.raises(OperationalError):
        background._run_in_thread(broken, (), {})
    assert broken.runs == 1
    other = _Task(1, ValueError("bad"))
    with pytest.raises(ValueError, match="bad"):
        background._run_in_thread(other, (), {})
    assert other.runs == 1
