"""The page scripts' UI text reaches them through ``json_script`` blocks built from Python dicts.

A template that wrote its JSON by hand (``"{{ _('…')|escapejs }}"`` between quotes)
broke the page's script as soon as a translation held a character JSON needs
escaped; ``json_script`` cannot. Each block holds exactly the keys its script
reads, in the page's language (Chinese by default).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import Cast, login_client
from tests.proctoring.conftest import make_proctored

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.django_db


def _block(page: str, block_id: str) -> dict[str, Any]:
    found = re.search(rf'<script id="{block_id}" type="application/json">(.*?)</script>', page, re.S)
    assert found, f"no json_script block {block_id!r}"
    return json.loads(found.group(1))


def _assert_chinese(strings: dict[str, Any], keys: set[str]) -> None:
    assert set(strings) == keys
    english = {key: value for key, value in strings.items() if not CJK.search(value)}
    assert not english, f"English on a Chinese page: {english}"


def test_no_template_writes_json_by_hand() -> None:
    templates = [p for p in ROOT.rglob("*.html") if ".venv" not in p.parts and "node_modules" not in p.parts]
    assert templates
    assert [str(p.relative_to(ROOT)) for p in templates if "escapejs" in p.read_text()] == []


def test_the_proctored_exam_page_gets_its_text_in_chinese(cast: Cast) -> None:
    data = make_proctored(cast)
    page = login_client(cast.east.learner.user).get(reverse("exams:attempt", args=[data["attempt"].pk]))
    html = page.content.decode()
    exam = _block(html, "exam-text")
    _assert_chinese(
        exam,
        {
            "blank",
            "saved",
            "saving",
            "pending",
            "timeup",
            "other_device",
            "closed",
            "submit_failed",
            # the answer card, flags and the confirmation before submit
            "position",
            "question_no",
            "answered",
            "unanswered",
            "flagged",
            "flag",
            "unflag",
            "count",
            "submit_anyway",
            "submit_now",
        },
    )
    assert exam["position"] == "第 {n} / {total} 题"
    assert exam["saved"] == "答案已全部保存"
    proctor = _block(html, "proctor-text")
    _assert_chinese(proctor, {"warning", "submitted", "camera", "reconnecting"})
    assert proctor["submitted"] == exam["closed"]


def test_the_live_grid_gets_its_text_in_chinese(cast: Cast) -> None:
    data = make_proctored(cast)
    html = login_client(cast.east.proctor).get(reverse("proctoring:live", args=[data["session"].pk])).content.decode()
    strings = _block(html, "live-text")
    # Statuses and face outcomes are looked up by their stored value.
    _assert_chinese(
        strings,
        {"connected", "reconnecting", "online", "offline", "warn_prompt", "stop_prompt", "identity"}
        | {"in_progress", "submitted", "invalidated"}
        | {"match", "uncertain", "mismatch", "no_face", "multiple_faces", "failed"}
        | {"liveness_pending", "liveness_passed", "liveness_failed"}
        | {"actions_off_submitted", "actions_off_invalidated"},  # why a finished attempt's buttons are off
    )
    assert strings["online"] == "在线"


def test_the_camera_pages_get_their_text_in_chinese(cast: Cast) -> None:
    data = make_proctored(cast, start=False)
    client = login_client(cast.east.learner.user)
    keys = {"denied", "sending", "ok", "failed", "offline", "liveness_passed"}
    for url in (reverse("proctoring:my_face"), reverse("proctoring:identity_check", args=[data["session"].pk])):
        _assert_chinese(_block(client.get(url).content.decode(), "camera-text"), keys)


def test_the_text_follows_the_language_cookie(cast: Cast, settings: Any) -> None:
    data = make_proctored(cast)
    client = login_client(cast.east.learner.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("exams:attempt", args=[data["attempt"].pk])).content.decode()
    assert _block(html, "exam-text")["saved"] == "All answers saved"
    assert _block(html, "proctor-text")["warning"] == "Warning from the proctor:"
