"""The pages that run action liveness in the browser: what they render, before any JavaScript runs.

The flow itself (prompts, bursts, the server's verdicts) is driven in Chromium
by tests/browser/test_liveness.py; here, that the widget is where it belongs,
hidden where it should be, and its text is in Chinese.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import Cast, login_client
from tests.proctoring.conftest import enrol_astronaut, make_proctored

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


def _block(page: str, block_id: str) -> dict[str, Any] | None:
    found = re.search(rf'<script id="{block_id}" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1)) if found else None


def test_the_exam_page_of_an_enrolled_examinee_carries_the_hidden_liveness_overlay(
    cast: Cast, astronaut_jpeg: bytes
) -> None:
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    data = make_proctored(cast)
    html = (
        login_client(cast.east.learner.user).get(reverse("exams:attempt", args=[data["attempt"].pk])).content.decode()
    )
    overlay = re.search(r"<div [^>]*data-liveness-overlay[^>]*>", html)
    assert overlay, "no liveness overlay on the exam page"
    assert " hidden" in overlay.group(0)  # shown only on a proctor's request
    assert "监考员要求进行活体检测" in html
    widget = re.search(r"<section [^>]*data-liveness [^>]*>", html).group(0)
    assert f'data-start-url="/api/v1/exams/{data["session"].pk}/liveness/"' in widget
    assert 'data-purpose="on_demand"' in widget
    strings = _block(html, "liveness-text")
    assert strings is not None
    english = {key: value for key, value in strings.items() if not CJK.search(value)}
    assert not english, f"English on a Chinese page: {english}"
    assert strings["step"] == "第 {step} 步，共 {total} 步"
    assert strings["countdown"] == "剩余 {seconds} 秒"
    assert html.index("js/liveness.js") < html.index("js/proctor-client.js")  # the module loads first


def test_without_a_reference_face_the_exam_page_has_no_liveness_overlay(cast: Cast) -> None:
    data = make_proctored(cast)
    html = (
        login_client(cast.east.learner.user).get(reverse("exams:attempt", args=[data["attempt"].pk])).content.decode()
    )
    assert "data-liveness-overlay" not in html
    assert _block(html, "liveness-text") is None
    assert "js/liveness.js" not in html


def test_the_identity_check_puts_the_face_photo_behind_liveness_where_the_policy_asks(
    cast: Cast, astronaut_jpeg: bytes
) -> None:
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    data = make_proctored(cast, start=False, require_liveness=True)
    url = reverse("proctoring:identity_check", args=[data["session"].pk])
    html = login_client(cast.east.learner.user).get(url).content.decode()
    widget = re.search(r"<section [^>]*data-liveness [^>]*>", html)
    assert widget, "no liveness widget on the identity check"
    assert 'data-purpose="identity"' in widget.group(0)
    assert re.search(r"<button [^>]*data-capture[^>]*hidden", html)  # the face photo waits
    assert "开始活体检测" in html
    assert _block(html, "liveness-text")["passed"] == "活体检测通过。"
    assert html.index("js/liveness.js") < html.index("js/proctor-capture.js")


def test_without_require_liveness_the_identity_check_is_unchanged(cast: Cast, astronaut_jpeg: bytes) -> None:
    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    data = make_proctored(cast, start=False, require_liveness=False)
    url = reverse("proctoring:identity_check", args=[data["session"].pk])
    html = login_client(cast.east.learner.user).get(url).content.decode()
    assert "data-liveness" not in html
    assert re.search(r"<button [^>]*data-capture[^>]*>", html)
    assert not re.search(r"<button [^>]*data-capture[^>]*hidden", html)
