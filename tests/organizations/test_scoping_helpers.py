"""The scoping building blocks every app's selectors compose (organizations.selectors)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from hypothesis import given
from hypothesis import strategies as st

from organizations.models import Jurisdiction, RoleGrant
from organizations.selectors import (
    ancestor_paths,
    enterprise_ids_managed_by,
    grants_of,
    jurisdiction_paths_of,
    provider_ids_managed_by,
    subtree_q,
)
from tests import factories
from tests.conftest import Cast
from training import selectors as training_selectors
from training.models import Course

Role = RoleGrant.Role

_codes = st.lists(st.from_regex(r"[0-9]{6}", fullmatch=True), min_size=1, max_size=4)


@given(codes=_codes)
def test_ancestor_paths_run_from_the_root_to_the_node_itself(codes: list[str]) -> None:
    path = "/" + "/".join(codes) + "/"
    chain = ancestor_paths(path)
    assert chain == ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
    assert chain[-1] == path
    assert all(path.startswith(a) for a in chain)


@given(codes=_codes)
def test_ancestor_paths_of_a_path_without_its_trailing_slash_still_end_at_the_node(codes: list[str]) -> None:
    # Told the two copies apart: the one cut at each "/" (training's) lost the node itself here.
    path = "/" + "/".join(codes) + "/"
    assert ancestor_paths(path.rstrip("/")) == ancestor_paths(path)


@pytest.mark.django_db
def test_ancestor_paths_are_the_stored_paths_up_the_parent_chain(cast: Cast) -> None:
    factories.make_jurisdiction("990101001001", "东区第一街道第一园区", parent=cast.east.street)
    for jurisdiction in Jurisdiction.objects.select_related("parent"):
        chain = []
        node: Jurisdiction | None = jurisdiction
        while node is not None:
            chain.insert(0, node.path)
            node = node.parent
        assert ancestor_paths(jurisdiction.path) == chain, jurisdiction.code
        assert ancestor_paths(jurisdiction.path.rstrip("/")) == chain, jurisdiction.code


@pytest.mark.django_db
def test_public_courses_of_a_street_given_without_its_trailing_slash(cast: Cast) -> None:
    street_course, district_course = (
        Course.objects.create(
            title=f"{where.name}公开课",
            owner_provider=cast.east.provider,
            shared_with=where,
            is_public=True,
            published=True,
        )
        for where in (cast.east.street, cast.east.jurisdiction)
    )
    expected = {street_course, district_course}
    assert set(training_selectors.public_courses_for(cast.east.street.path)) == expected
    assert set(training_selectors.public_courses_for(cast.east.street.path.rstrip("/"))) == expected
    assert set(training_selectors.public_courses_for(cast.east.jurisdiction.path)) == {district_course}


@pytest.mark.django_db
def test_grants_and_what_they_reach(cast: Cast) -> None:
    east = cast.east
    assert grants_of(AnonymousUser()) == []
    assert grants_of(cast.outsider) == []
    assert [g.role for g in grants_of(east.bureau)] == [Role.BUREAU_OFFICIAL]

    assert provider_ids_managed_by(east.training_admin) == [east.provider.pk]
    assert provider_ids_managed_by(east.bureau) == []
    assert provider_ids_managed_by(AnonymousUser()) == []
    assert enterprise_ids_managed_by(east.enterprise_admin) == [east.enterprises[0].pk]
    assert enterprise_ids_managed_by(east.training_admin) == []
    assert enterprise_ids_managed_by(AnonymousUser()) == []

    # a granted provider reaches the jurisdiction it serves
    assert jurisdiction_paths_of(east.training_admin, {Role.TRAINING_ADMIN}) == [east.provider.jurisdiction.path]
    assert jurisdiction_paths_of(east.proctor, {Role.PROCTOR, Role.BUREAU_OFFICIAL}) == [east.jurisdiction.path]
    assert jurisdiction_paths_of(east.proctor, {Role.BUREAU_OFFICIAL}) == []
    assert jurisdiction_paths_of(AnonymousUser(), set(Role.values)) == []


@pytest.mark.django_db
def test_subtree_q_matches_the_subtrees_and_nothing_for_no_paths(cast: Cast) -> None:
    east, west = cast.east, cast.west
    assert set(Jurisdiction.objects.filter(subtree_q([east.jurisdiction.path], "path"))) == {
        east.jurisdiction,
        east.street,
    }
    assert set(Jurisdiction.objects.filter(subtree_q([east.street.path, west.jurisdiction.path], "path"))) == {
        east.street,
        west.jurisdiction,
        west.street,
    }
    assert not Jurisdiction.objects.filter(subtree_q([], "path")).exists()
