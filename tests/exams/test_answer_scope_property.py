"""The raw-SQL form of ``attempts_answerable_by`` admits exactly the selector's attempts, in any world.

The autosave and submit paths check ownership with ``selectors.attempts_answerable_by_sql``
(one raw condition, for speed); the selector is the rule. Hypothesis builds many small worlds
(jurisdiction trees, enterprises, providers, people with posts, staff with role grants, exam
sessions and spot tests, attempts opened by anyone) and every (user, attempt) pair must get the
same answer from both forms. Derandomized, so CI sees the same worlds every run.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from exams import selectors
from exams.models import Attempt, ExamSession, PaperTemplate
from exams.services.attempts import attempt_answerable
from organizations.models import Jurisdiction, Person, RoleGrant
from tests import factories
from tests.conftest import ensure_industries

Role = RoleGrant.Role
_index = st.integers(min_value=0, max_value=99)  # taken modulo the list it picks from


@dataclass
class World:
    streets_per_district: list[int]
    enterprises: list[int]  # jurisdiction index
    providers: list[int]  # jurisdiction index
    people: list[tuple[int, str]]  # enterprise index, post
    staff: list[tuple[bool, bool]]  # is_superuser, is_active
    grants: list[tuple[int, str, int]]  # user index, role, scope index
    sessions: list[tuple[int, str]]  # provider index, kind
    attempts: list[tuple[int, int, int | None, str]]  # session, person, opened_by user (or none), status


worlds = st.builds(
    World,
    streets_per_district=st.lists(st.integers(0, 2), min_size=1, max_size=3),
    enterprises=st.lists(_index, min_size=1, max_size=4),
    providers=st.lists(_index, min_size=1, max_size=3),
    people=st.lists(st.tuples(_index, st.sampled_from(Person.Post.values)), min_size=1, max_size=5),
    staff=st.lists(st.tuples(st.booleans(), st.booleans()), max_size=4),
    grants=st.lists(
        st.tuples(
            _index,
            st.sampled_from(
                [Role.BUREAU_OFFICIAL, Role.ENTERPRISE_ADMIN, Role.PROCTOR, Role.TRAINING_ADMIN, Role.PLATFORM_ADMIN]
            ),
            _index,
        ),
        max_size=8,
    ),
    sessions=st.lists(st.tuples(_index, st.sampled_from(ExamSession.Kind.values)), min_size=1, max_size=3),
    attempts=st.lists(
        st.tuples(_index, _index, st.none() | _index, st.sampled_from(Attempt.Status.values)),
        min_size=1,
        max_size=8,
    ),
)


def _build(world: World) -> tuple[list[User], list[Attempt]]:
    jurisdictions: list[Jurisdiction] = []
    for d, streets in enumerate(world.streets_per_district):
        district = factories.make_jurisdiction(f"9901{d:02d}", f"区{d}")
        jurisdictions.append(district)
        for s in range(streets):
            jurisdictions.append(factories.make_jurisdiction(f"9901{d:02d}{s + 1:03d}", f"街道{d}-{s}", district))
    enterprises = [factories.make_enterprise(jurisdictions[j % len(jurisdictions)]) for j in world.enterprises]
    providers = [factories.make_provider(jurisdictions[j % len(jurisdictions)]) for j in world.providers]
    people = [factories.make_person(enterprises[e % len(enterprises)], post=post) for e, post in world.people]
    staff = [factories.make_user(is_superuser=su, is_active=active) for su, active in world.staff]
    users = [p.user for p in people] + staff

    granted = set()
    for u, role, scope in world.grants:
        user = users[u % len(users)]
        if role == Role.PLATFORM_ADMIN:
            fields: dict[str, Any] = {}
        elif role == Role.ENTERPRISE_ADMIN:
            fields = {"enterprise": enterprises[scope % len(enterprises)]}
        elif role == Role.TRAINING_ADMIN:
            fields = {"provider": providers[scope % len(providers)]}
        else:
            fields = {"jurisdiction": jurisdictions[scope % len(jurisdictions)]}
        key = (user.pk, role, *(f.pk for f in fields.values()))
        if key not in granted:  # the grant's unique constraints
            granted.add(key)
            factories.grant(user, role, **fields)

    now = timezone.now()
    sessions = []
    for p, kind in world.sessions:
        provider = providers[p % len(providers)]
        sessions.append(
            ExamSession.objects.create(
                provider=provider,
                paper=PaperTemplate.objects.create(provider=provider, name="试卷"),
                title="考试",
                kind=kind,
                opens_at=now - dt.timedelta(hours=1),
                closes_at=now + dt.timedelta(hours=1),
            )
        )
    seqs: Counter[tuple[int, int]] = Counter()
    attempts = []
    for s, p, opener, status in world.attempts:
        session, person = sessions[s % len(sessions)], people[p % len(people)]
        seqs[session.pk, person.pk] += 1
        fields = {}
        if status != Attempt.Status.PREPARED:
            fields = {"started_at": now, "deadline": now + dt.timedelta(minutes=30)}
        if status == Attempt.Status.SUBMITTED:
            fields.update(submitted_at=now, score=0)
        attempts.append(
            Attempt.objects.create(
                session=session,
                person=person,
                seq=seqs[session.pk, person.pk],
                status=status,
                opened_by=None if opener is None else users[opener % len(users)],
                **fields,
            )
        )
    return users, attempts


def _raw_answerable(user: User, attempt_ids: list[int]) -> tuple[set[int], set[int]]:
    """The raw condition in both shapes the services use: as a filter, and as a yes/no column."""
    condition, params = selectors.attempts_answerable_by_sql(user)
    tables = f"{Attempt._meta.db_table} a JOIN {ExamSession._meta.db_table} s ON s.id = a.session_id"
    marks = ", ".join(["%s"] * len(attempt_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT a.id FROM {tables} WHERE a.id IN ({marks}) AND {condition}", [*attempt_ids, *params])  # noqa: S608
        filtered = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"SELECT a.id, {condition} FROM {tables} WHERE a.id IN ({marks})", [*params, *attempt_ids])  # noqa: S608
        as_column = {row[0] for row in cursor.fetchall() if row[1]}
    return filtered, as_column


@pytest.mark.django_db
def test_the_raw_answerable_condition_agrees_with_the_selector_in_generated_worlds() -> None:
    ensure_industries()
    seen: Counter[bool] = Counter()

    @settings(
        max_examples=100,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(world=worlds)
    def agree(world: World) -> None:
        with transaction.atomic():
            users, attempts = _build(world)
            attempt_ids = [a.pk for a in attempts]
            for user in users:
                answerable = set(
                    selectors.attempts_answerable_by(user).filter(pk__in=attempt_ids).values_list("pk", flat=True)
                )
                filtered, as_column = _raw_answerable(user, attempt_ids)
                assert filtered == answerable, (user.username, world)
                assert as_column == answerable, (user.username, world)
                for attempt in attempts:
                    admitted = attempt_answerable(attempt_id=attempt.pk, user=user)
                    assert admitted == (attempt.pk in answerable), (user.username, attempt.pk, world)
                    seen[admitted] += 1
            for attempt in attempts:
                assert not attempt_answerable(attempt_id=attempt.pk, user=AnonymousUser())
            transaction.set_rollback(True)

    agree()
    # The worlds were not all one-sided: both answers came up, many times.
    assert seen[True] >= 100, seen
    assert seen[False] >= 500, seen
