"""The live grid for an examinee who has submitted: warn, liveness and stop are not offered (disabled, with
why), and the server's refusal, should one come anyway, is in Chinese."""

from __future__ import annotations

import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.urls import reverse

from exams.models import Attempt
from exams.services.attempts import attempt_submit
from tests.conftest import Cast, login_client
from tests.doors import session_cookie, socket_open
from tests.proctoring.conftest import make_proctored

OWN_ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def _tile(html: str, attempt_id: int) -> str:
    match = re.search(rf'<article [^>]*data-attempt="{attempt_id}".*?</article>', html, re.S)
    assert match, "the page has no tile for this attempt"
    return match.group(0)


def _actions(tile: str) -> dict[str, bool]:
    """Each action button's label and whether it can be pressed."""
    buttons = re.findall(r"<button ([^>]*)>(.*?)</button>", tile, re.S)
    return {label: "disabled" not in attrs for attrs, label in buttons}


def _why_off(tile: str) -> str | None:
    match = re.search(r"<span [^>]*data-actions-off([^>]*)>(.*?)</span>", tile, re.S)
    assert match
    return None if "hidden" in match.group(1) else match.group(2).strip()


@pytest.mark.django_db
def test_a_running_attempt_offers_the_actions_a_submitted_one_says_why_not(cast: Cast) -> None:
    data = make_proctored(cast, require_identity_check=False)
    url = reverse("proctoring:live", args=[data["session"].pk])
    proctor = login_client(cast.east.proctor)
    attempt_id = data["attempt"].pk

    tile = _tile(proctor.get(url).content.decode(), attempt_id)
    assert "考试中" in tile
    assert _actions(tile) == {"警告": True, "要求活体检测": True, "终止": True}
    assert _why_off(tile) is None

    attempt_submit(attempt=data["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    tile = _tile(proctor.get(url).content.decode(), attempt_id)
    assert "已交卷" in tile
    assert _actions(tile) == {"警告": False, "要求活体检测": False, "终止": False}
    assert _why_off(tile) == "已交卷，不能再操作"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ending_a_submitted_exam_is_refused_in_chinese(cast: Cast) -> None:
    data = make_proctored(cast, require_identity_check=False)
    attempt_submit(attempt=data["attempt"], reason=Attempt.SubmitReason.EXAMINEE)
    path = f"/ws/proctoring/sessions/{data['session'].pk}/"
    headers = [OWN_ORIGIN, session_cookie(cast.east.proctor)]

    async def run() -> dict[str, Any]:
        grid, connected, _ = await socket_open(path, headers)
        assert connected
        await grid.receive_json_from(timeout=10)  # rows
        await grid.send_json_to({"type": "terminate", "attempt": data["attempt"].pk, "reason": "有人代考"})
        reply = await grid.receive_json_from(timeout=10)
        await grid.disconnect()
        return reply

    reply = async_to_sync(run)()
    assert reply["type"] == "error"
    assert reply["detail"] == "本场考试不在进行中。"
