"""The result page shows answers as a person writes them: 正确/错误, letters with their text, the blanks' words."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.utils import translation

from exams.models import AttemptQuestion
from question_bank.display import answer_display
from question_bank.models import QuestionType
from tests.conftest import login_client
from tests.exams.conftest import CONFIRM


def test_answers_are_written_as_a_person_writes_them() -> None:
    options = ["二氧化碳", "氮气", "水"]
    with translation.override("zh-hans"):
        assert answer_display(QuestionType.TRUE_FALSE, True) == "正确"
        assert answer_display(QuestionType.TRUE_FALSE, False) == "错误"
        assert answer_display(QuestionType.SINGLE, "A", options) == "A. 二氧化碳"
        assert answer_display(QuestionType.MULTIPLE, "AC", options) == "A. 二氧化碳；C. 水"
        assert answer_display(QuestionType.FILL_BLANK, [["119", "火警"], ["110"]]) == "119/火警；110"
        assert answer_display(QuestionType.FILL_BLANK, ["二氧化碳", "氮气"]) == "二氧化碳；氮气"
        assert answer_display(QuestionType.SINGLE, None, options) == ""
    with translation.override("en"):
        assert answer_display(QuestionType.TRUE_FALSE, True) == "True"


@pytest.mark.django_db
def test_the_result_page_shows_no_python_notation(cast: Any, exam: dict[str, Any]) -> None:
    exam["session"].review_answers = True
    exam["session"].save()
    client = login_client(cast.east.learner.user)
    started = client.post(f"/api/v1/exams/{exam['session'].pk}/attempts/", CONFIRM, content_type="application/json")
    attempt_id = started.json()["attempt_id"]
    for q in started.json()["questions"]:
        answer = {"single": "A", "multiple": "AB", "true_false": True, "fill_blank": ["二氧化碳"] * q.get("blanks", 0)}
        client.put(
            f"/api/v1/attempts/{attempt_id}/answers/{q['id']}/",
            data=json.dumps({"answer": answer[q["type"]], "client_seq": 1}),
            content_type="application/json",
        )
    client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    page = client.get(f"/exams/attempts/{attempt_id}/result/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    shown = re.findall(r"<span data-(?:given|key)>(.*?)</span>", page)
    assert shown
    for text in shown:
        assert not re.search(r"\[|\]|'|\bTrue\b|\bFalse\b", text), text
    for aq in AttemptQuestion.objects.filter(attempt_id=attempt_id):
        if aq.qtype == QuestionType.TRUE_FALSE:
            assert "<span data-given>正确</span>" in page
        if aq.qtype == QuestionType.SINGLE:
            assert f"<span data-given>A. {aq.options[0]}</span>" in page
        if aq.qtype == QuestionType.FILL_BLANK:
            assert "二氧化碳" in page
    # Scores as people write them: "40 / 40", never "40.0" or "5.00".
    score_line = re.search(r'<p class="result-score[^>]*>(.*?)</p>', page, re.S).group(1)
    assert not re.search(r"\d\.0\b|\d\.00\b", re.sub(r"<[^>]+>", " ", score_line)), score_line
    assert not re.search(r" · \d+\.0+ / \d", page)
