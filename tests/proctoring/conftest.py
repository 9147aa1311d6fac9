"""Proctoring fixtures: private storage in a temp dir, packaged faces, a proctored EAST exam."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from exams.services.attempts import attempt_start
from proctoring.models import FaceEnrolment
from proctoring.services.actions import policy_set
from proctoring.services.consent import consent_give
from proctoring.services.identity import enrol, identity_decide, identity_request_manual
from tests.support import faces

# A valid policy as the edit forms (the page and the admin) post it; a test overrides the fields it is about.
POLICY_FORM = {
    "snapshot_min_seconds": 30,
    "snapshot_max_seconds": 90,
    "tab_warn_at": 2,
    "tab_submit_at": 4,
    "tab_ignore_seconds": 3,
    "face_flag_after": 2,
    "missing_flag_after": 2,
    "missing_grace_seconds": 30,
    "match_threshold": 0.45,
    "mismatch_threshold": 0.5,
    "identity_max_tries": 3,
    "require_identity_check": "on",
    "allow_non_biometric": "on",
}


@pytest.fixture(autouse=True)
def _private_storage(settings: Any, tmp_path: Any) -> Any:
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture(autouse=True)
def _close_pool_connections() -> Any:
    # Socket handlers store on pool threads whose connections would outlive the test
    # (and keep PostgreSQL from dropping the test database).
    yield
    from core.pools import close_worker_pool_connections

    close_worker_pool_connections()
    _close_background_connections()
    _close_thread_sensitive_connection()


def _close_thread_sensitive_connection() -> None:
    """And asgiref's one thread for thread-sensitive calls (channels' ``database_sync_to_async``).

    Outside a request that thread lives for the whole run, and under ``CONN_MAX_AGE``
    its connection stays open after ``close_old_connections``.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import sync_to_async
    from django.db import connections

    # A thread of its own: no loop runs there, and none with an outer async_to_sync.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, sync_to_async(connections.close_all, thread_sensitive=True)()).result(timeout=30)


def _close_background_connections() -> None:
    """Same for core.background's worker threads (snapshots processed in-process)."""
    import threading

    from django.db import connections

    from core import background

    executor = background._executor
    if executor is None:
        return
    workers = executor._max_workers
    barrier = threading.Barrier(workers)

    def close() -> None:
        try:
            barrier.wait(timeout=5)  # one task per thread
        except threading.BrokenBarrierError:
            pass
        connections.close_all()

    for future in [executor.submit(close) for _ in range(workers)]:
        future.result()


@pytest.fixture(scope="session")
def hopper_snapshot() -> bytes:
    return faces.snapshot_jpeg(faces.grace_hopper_bgr())


@pytest.fixture(scope="session")
def blank_snapshot() -> bytes:
    return faces.blank_jpeg()


def pass_identity_check(session: Any, person: Any, proctor: Any) -> Any:
    """The identity check passed through the real services: the examinee asks, a proctor approves."""
    from proctoring.models import IdentityCheck

    check = identity_request_manual(session=session, person=person)
    if check.result == IdentityCheck.Result.PASSED:
        return check
    return identity_decide(check=check, by=proctor, passed=True, note="身份证核对一致")


def proctored_session(cast: Any, *, bank_code: str | None = None, **policy: Any) -> Any:
    """An open EAST exam session ("监考考试", on a bank of its own) with a proctoring policy; nobody has started it.

    Unless ``require_liveness`` is given, the policy does not ask for liveness.
    """
    from tests.exams.conftest import make_bank, make_paper, make_session

    provider = cast.east.provider
    paper = make_paper(provider, make_bank(provider, code=bank_code or f"proctored-{uuid.uuid4().hex[:10]}"))
    session = make_session(provider, paper, title="监考考试")
    # The face-check flow as it was before liveness (a still photo cannot pass liveness):
    # the liveness tests ask for it with require_liveness=True.
    policy.setdefault("require_liveness", False)
    policy_set(session=session, **policy)
    return session


def make_proctored(cast: Any, *, start: bool = True, **policy: Any) -> dict[str, Any]:
    """An open EAST session with a policy, and (``start``) the EAST learner's attempt started after the check."""
    session = proctored_session(cast, **policy)
    pol = session.proctoring_policy
    attempt = None
    if start:
        if pol.require_identity_check:
            pass_identity_check(session, cast.east.learner, cast.east.proctor)
        attempt = attempt_start(notice_confirmed=True, session=session, person=cast.east.learner)
    return {"session": session, "policy": pol, "attempt": attempt}


@pytest.fixture
def proctored(cast: Any) -> dict[str, Any]:
    return make_proctored(
        cast, tab_warn_at=2, tab_submit_at=3, tab_ignore_seconds=2, phone_aware=False, face_flag_after=2
    )


def enrol_astronaut(person: Any, photo: bytes) -> FaceEnrolment:
    consent_give(person=person, by=person.user)
    return enrol(person=person, photo=photo, source=FaceEnrolment.Source.LIVE, by=person.user)
