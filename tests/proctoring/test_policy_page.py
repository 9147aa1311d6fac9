"""The policy page's way back says where it goes: the link to the session's statistics page is named as
that page is titled (it said 返回考试 and opened 分数统计)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import Cast, login_client
from tests.proctoring.conftest import make_proctored

pytestmark = pytest.mark.django_db


def test_the_link_back_is_named_for_the_page_it_opens(cast: Cast) -> None:
    data = make_proctored(cast, start=False)
    trainer = login_client(cast.east.training_admin)
    html = trainer.get(reverse("proctoring:policy_edit", args=[data["session"].pk])).content.decode()
    link = re.search(r'<a href="([^"]+)" data-stats-link>(.*?)</a>', html)
    assert link, "the policy page has no link to the session"
    href, label = link.groups()
    assert href == reverse("exams:session_stats", args=[data["session"].pk])
    opened = trainer.get(href).content.decode()
    assert re.search(r"<h1>(.*?)</h1>", opened).group(1) == label == "分数统计"
