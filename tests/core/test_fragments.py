"""core.fragments: the slots through which proctoring adds to exams' pages without exams importing it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import format_html

from core import fragments
from proctoring import fragments as proctoring_fragments
from tests.conftest import Cast, login_client
from tests.proctoring.conftest import make_proctored


@pytest.fixture
def without_proctoring() -> Iterator[None]:
    """Proctoring's contributions taken out for one test, and put back."""
    saved = {slot: dict(fragments._registry[slot]) for slot in fragments._registry}
    for slot in saved:
        fragments.unregister(slot, proctoring_fragments.NAME)
    yield
    for slot, contributors in saved.items():
        fragments._registry[slot].clear()
        fragments._registry[slot].update(contributors)


def test_proctoring_registers_with_both_slots() -> None:
    assert proctoring_fragments.NAME in fragments.registered(fragments.EXAM_PAGE)
    assert proctoring_fragments.NAME in fragments.registered(fragments.SESSION_ADMIN_LINKS)


def test_a_plain_string_is_escaped_and_safe_html_kept(without_proctoring: None) -> None:
    fragments.register(fragments.EXAM_PAGE, "plain", lambda **_: "<script>alert(1)</script>")
    fragments.register(fragments.EXAM_PAGE, "safe", lambda **_: format_html("<p>{}</p>", "<b>"))
    html = fragments.render(fragments.EXAM_PAGE, request=RequestFactory().get("/"), attempt=None)
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt;<p>&lt;b&gt;</p>"


def test_an_unknown_slot_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="exam_pgae"):
        fragments.register("exam_pgae", "x", lambda **_: "")


@pytest.mark.django_db
def test_exams_pages_stand_alone_without_proctorings_contributions(cast: Cast, without_proctoring: None) -> None:
    """The exam page and the admin pages render their plain form when nothing is registered."""
    data = make_proctored(cast)
    learner = login_client(cast.east.learner.user)
    page = learner.get(reverse("exams:attempt", args=[data["attempt"].pk])).content.decode()
    assert "data-question=" in page
    assert "proctor-client.js" not in page

    admin = login_client(cast.platform_admin)
    home = admin.get(reverse("exams:admin_home")).content.decode()
    assert f'data-session="{data["session"].pk}"' in home
    assert "data-policy-link" not in home
    assert "data-review-queue" not in home
    stats = admin.get(reverse("exams:session_stats", args=[data["session"].pk])).content.decode()
    assert "data-proctoring-links" not in stats


@pytest.mark.django_db
def test_with_proctoring_registered_the_same_pages_carry_its_client_and_links(cast: Cast) -> None:
    data: dict[str, Any] = make_proctored(cast)
    page = login_client(cast.east.learner.user).get(reverse("exams:attempt", args=[data["attempt"].pk]))
    assert "proctor-client.js" in page.content.decode()
    stats = login_client(cast.platform_admin).get(reverse("exams:session_stats", args=[data["session"].pk]))
    assert reverse("proctoring:live", args=[data["session"].pk]) in stats.content.decode()
