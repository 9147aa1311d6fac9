"""An exam ended by the proctoring policy says so, apart from one a proctor ended."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from exams.models import Attempt
from proctoring.services.actions import proctor_terminate
from proctoring.services.events import EventResult, event_record
from tests.conftest import Cast, login_client
from tests.proctoring.conftest import make_proctored

pytestmark = pytest.mark.django_db


def _client(user: Any, language: str) -> Client:
    client = login_client(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _switch_tab(data: dict[str, Any], seq: int) -> EventResult:
    ids = {"attempt_id": data["attempt"].pk, "session_id": data["session"].pk}
    event_record(**ids, client_seq=seq, event_type="hidden")
    return event_record(**ids, client_seq=seq + 1, event_type="visible", duration_ms=6000)


def test_tab_switch_limit_submits_with_the_policy_reason(cast: Cast) -> None:
    data = make_proctored(cast, tab_warn_at=1, tab_submit_at=1, phone_aware=False)
    assert _switch_tab(data, 1).submitted
    attempt = Attempt.objects.get(pk=data["attempt"].pk)
    assert (attempt.status, attempt.submit_reason) == (Attempt.Status.SUBMITTED, "auto_policy")

    result = reverse("exams:result", args=[attempt.pk])
    assert "系统自动提交（监考规则）" in _client(cast.east.learner.user, "zh-hans").get(result).content.decode()
    english = _client(cast.east.learner.user, "en").get(result).content.decode()
    assert "Submitted automatically (proctoring rules)" in english
    assert "Ended by the proctor" not in english

    detail = _client(cast.east.proctor, "zh-hans").get(reverse("proctoring:review_detail", args=[attempt.pk]))
    page = detail.content.decode()
    assert 'data-timeline-submitted="auto_policy"' in page
    assert page.count("系统自动提交（监考规则）") >= 2  # the header and the timeline


def test_a_proctor_ending_the_exam_is_still_the_proctor(cast: Cast) -> None:
    data = make_proctored(cast)
    attempt = proctor_terminate(attempt=data["attempt"], by=cast.east.proctor, reason="旁人代答")
    assert attempt.submit_reason == Attempt.SubmitReason.PROCTOR
    page = _client(cast.east.proctor, "en").get(reverse("proctoring:review_detail", args=[attempt.pk]))
    assert 'data-timeline-submitted="proctor"' in page.content.decode()
