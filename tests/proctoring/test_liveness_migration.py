"""The migration that adds liveness: policies that existed keep their flow (no liveness), new ones ask for it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from proctoring.models import ProctoringPolicy
from tests.conftest import Cast
from tests.proctoring.conftest import proctored_session

BEFORE = ("proctoring", "0004_flag_kind_consent_withdrawn")

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_existing_policies_get_no_liveness_and_new_ones_ask_for_it(
    cast: Cast, django_db_serialized_rollback: Any
) -> None:
    session = proctored_session(cast, require_liveness=True)
    try:
        _migrate([BEFORE])
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        assert ProctoringPolicy.objects.get(session=session).require_liveness is False
        assert ProctoringPolicy(session=session).require_liveness is True
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
