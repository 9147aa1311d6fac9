"""The enterprise list on a phone: each enterprise a card of labelled lines (app.css table.stack), not a
table wider than the screen with 属地 cut and 规上企业 off to the side."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import Cast, login_client

pytestmark = pytest.mark.django_db


def test_each_enterprise_is_a_card_of_labelled_lines(cast: Cast) -> None:
    html = login_client(cast.east.bureau).get(reverse("organizations:enterprise_list")).content.decode()
    table = re.search(r"<table ([^>]*)>(.*?)</table>", html, re.S)
    assert table, "the list has no table"
    assert re.search(r'class="[^"]*\bstack\b', table.group(1))
    rows = re.findall(r"<tr>(<td.*?)</tr>", table.group(2), re.S)
    assert rows
    enterprise = cast.east.enterprises[0]
    assert any(enterprise.name in row for row in rows)
    for row in rows:
        cells = re.findall(r"<td([^>]*)>", row)
        assert 'class="stack-head"' in cells[0]  # the name heads the card
        labels = [re.search(r'data-label="([^"]*)"', cell).group(1) for cell in cells[1:]]
        assert labels == ["行业", "属地", "规上企业"]
