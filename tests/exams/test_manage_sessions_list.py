"""The exam management list (/exams/manage/) tells each session's phase at a glance — 未开始, 进行中, 已结束 —
and keeps every session's links (统计, 设置监考) as labelled lines a phone can show (table.stack)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import lxml.html
import pytest
from django.utils import timezone

from tests.conftest import login_client
from tests.exams.conftest import make_bank, make_paper, make_session

pytestmark = pytest.mark.django_db


def test_each_session_shows_its_phase_and_its_links(cast: Any) -> None:
    provider = cast.east.provider
    paper = make_paper(provider, make_bank(provider))
    now = timezone.now()
    upcoming = make_session(
        provider,
        paper,
        title="明天的考试",
        opens_at=now + dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=1, hours=2),
    )
    running = make_session(provider, paper, title="正在考")
    ended = make_session(
        provider, paper, title="上周的考试", opens_at=now - dt.timedelta(days=7), closes_at=now - dt.timedelta(days=6)
    )
    response = login_client(cast.east.training_admin).get("/exams/manage/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    tree = lxml.html.fromstring(response.content.decode())
    [table] = tree.xpath("//table[contains(concat(' ', @class, ' '), ' stack ')]")
    phases = {
        int(tr.get("data-session")): " ".join(tr.xpath(".//*[@data-session-phase]")[0].text_content().split())
        for tr in table.xpath(".//tr[@data-session]")
    }
    assert phases == {upcoming.pk: "未开始", running.pk: "进行中", ended.pk: "已结束"}
    row = table.xpath(f'.//tr[@data-session="{running.pk}"]')[0]
    # Every cell but the title is labelled, so the stacked card still says what each line is.
    assert all(td.get("data-label") for td in row.xpath("./td")[1:])
    assert row.xpath(f'.//a[@href="/exams/manage/sessions/{running.pk}/statistics/"]')
