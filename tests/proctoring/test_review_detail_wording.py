"""The review page as a Chinese proctor reads it: durations in seconds, a score without '.0', and a
tab-switch flag that does not say 切屏 twice."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from exams.models import Attempt
from exams.services.attempts import attempt_submit
from proctoring.services.events import event_record
from tests.conftest import Cast, login_client
from tests.proctoring.conftest import make_proctored

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _switch_tab(data: dict[str, Any], seq: int, away_ms: int) -> None:
    ids = {"attempt_id": data["attempt"].pk, "session_id": data["session"].pk}
    event_record(**ids, client_seq=seq, event_type="hidden")
    event_record(**ids, client_seq=seq + 1, event_type="visible", duration_ms=away_ms)


def test_durations_score_and_flags_read_as_people_write_them(cast: Cast) -> None:
    data = make_proctored(cast, tab_warn_at=2, tab_submit_at=None, tab_ignore_seconds=0, phone_aware=False)
    _switch_tab(data, 1, 12000)
    _switch_tab(data, 3, 400)
    attempt_submit(attempt=data["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    Attempt.objects.filter(pk=data["attempt"].pk).update(score=Decimal("75.0"))

    html = login_client(cast.east.proctor).get(reverse("proctoring:review_detail", args=[data["attempt"].pk]))
    text = _text(html.content.decode())

    assert "页面恢复显示 · 12 秒" in text
    assert "页面恢复显示 · 0.4 秒" in text
    assert " ms" not in text
    assert "得分 75 ·" in text
    assert "75.0" not in text
    # The flag raised at the warning limit: its detail already says what it is.
    assert "切屏 2 次" in text
    assert "切屏 切屏" not in text
    assert "标记：切屏 2 次" in text
    assert "自动提醒：您已离开考试页面" in text  # the full-width label colon, as on every other line
