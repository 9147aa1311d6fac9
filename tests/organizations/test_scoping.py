from __future__ import annotations

import pytest

from organizations import selectors
from tests.conftest import Cast


@pytest.mark.django_db
class TestEnterprisesVisibleTo:
    def test_bureau_sees_its_subtree_only(self, cast: Cast) -> None:
        visible = set(selectors.enterprises_visible_to(cast.east.bureau))
        assert visible == set(cast.east.enterprises)

    def test_enterprise_admin_sees_own_enterprise(self, cast: Cast) -> None:
        assert list(selectors.enterprises_visible_to(cast.east.enterprise_admin)) == [cast.east.enterprises[0]]

    def test_learner_sees_own_enterprise(self, cast: Cast) -> None:
        assert list(selectors.enterprises_visible_to(cast.west.learner.user)) == [cast.west.enterprises[0]]

    def test_platform_admin_sees_all(self, cast: Cast) -> None:
        assert selectors.enterprises_visible_to(cast.platform_admin).count() == 4

    def test_outsider_sees_nothing(self, cast: Cast) -> None:
        assert not selectors.enterprises_visible_to(cast.outsider).exists()
        assert not selectors.people_visible_to(cast.outsider).exists()
        assert not selectors.jurisdictions_visible_to(cast.outsider).exists()


@pytest.mark.django_db
class TestPeopleVisibleTo:
    def test_learner_sees_only_self(self, cast: Cast) -> None:
        assert list(selectors.people_visible_to(cast.east.learner.user)) == [cast.east.learner]

    def test_bureau_sees_people_in_subtree(self, cast: Cast) -> None:
        assert list(selectors.people_visible_to(cast.west.bureau)) == [cast.west.learner]

    def test_only_enterprise_admin_manages(self, cast: Cast) -> None:
        learner = cast.east.learner
        assert selectors.can_see_full_id_number(cast.east.enterprise_admin, learner)
        assert not selectors.can_see_full_id_number(cast.east.bureau, learner)
        assert not selectors.can_see_full_id_number(learner.user, learner)
        assert not selectors.can_see_full_id_number(cast.west.enterprise_admin, learner)


@pytest.mark.django_db
def test_subtree_follows_a_moved_jurisdiction(cast: Cast) -> None:
    street = cast.east.street
    street.parent = cast.west.jurisdiction
    street.save()
    # The east chemical plant sits in that street: it now belongs to the west bureau.
    assert cast.east.enterprises[0] in selectors.enterprises_visible_to(cast.west.bureau)
    assert cast.east.enterprises[0] not in selectors.enterprises_visible_to(cast.east.bureau)
