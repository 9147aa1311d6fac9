"""Before an attempt is finished, no page, API response or event carries the answer key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from exams import events
from exams.models import AttemptQuestion
from question_bank.models import QuestionType
from tests.conftest import login_client
from tests.exams.conftest import CONFIRM


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _secrets(attempt_id: int) -> list[str]:
    secrets = []
    for aq in AttemptQuestion.objects.filter(attempt_id=attempt_id):
        if aq.qtype == QuestionType.FILL_BLANK:
            secrets += [alt for alts in aq.answer for alt in alts]
        if aq.explanation:
            secrets.append(aq.explanation)
    return secrets


@pytest.mark.django_db
def test_no_payload_before_submit_carries_the_answer_key(
    cast: Any, exam: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    seen_events: list[Any] = []
    hook = lambda name, attempt_id, data: seen_events.append((name, data))  # noqa: E731
    events.register(hook)
    client = login_client(cast.east.learner.user)
    bodies: list[tuple[str, str]] = []
    try:
        with django_capture_on_commit_callbacks(execute=True):
            bodies.append(("my exams page", client.get("/exams/").content.decode()))
            bodies.append(("my exams API", client.get("/api/v1/me/exams/").content.decode()))
            started = client.post(
                f"/api/v1/exams/{exam['session'].pk}/attempts/", CONFIRM, content_type="application/json"
            )
            bodies.append(("start API", started.content.decode()))
            data = started.json()
            attempt_id = data["attempt_id"]
            bodies.append(("exam page", client.get(f"/exams/attempts/{attempt_id}/").content.decode()))
            bodies.append(
                ("result page", client.get(f"/exams/attempts/{attempt_id}/result/", follow=True).content.decode())
            )
            bodies.append(("result API", client.get(f"/api/v1/attempts/{attempt_id}/result/").content.decode()))
            for q in data["questions"]:
                answer = {
                    "single": "A",
                    "multiple": "AB",
                    "true_false": True,
                    "fill_blank": ["x"] * q.get("blanks", 0),
                }[q["type"]]
                saved = client.put(
                    f"/api/v1/attempts/{attempt_id}/answers/{q['id']}/",
                    data=json.dumps({"answer": answer, "client_seq": 1}),
                    content_type="application/json",
                )
                assert saved.status_code == 200
                bodies.append(("answer API", saved.content.decode()))
            bodies.append(
                (
                    "resume API",
                    client.post(
                        f"/api/v1/exams/{exam['session'].pk}/attempts/", CONFIRM, content_type="application/json"
                    ).content.decode(),
                )
            )
    finally:
        events.unregister(hook)
    secrets = _secrets(attempt_id)
    assert len(secrets) >= 8  # fill-in keys and explanations exist to be leaked
    for label, body in bodies:
        leaked = [s for s in secrets if s in body]
        assert not leaked, f"{label} leaked {leaked}"
        assert "option_order" not in body, label
        if body.startswith(("{", "[")):
            assert not _keys(json.loads(body)) & {"answer_key", "correct", "explanation", "option_order", "awarded"}, (
                label
            )
    # the start payload's questions name no answer at all
    assert all("answer" not in q for q in data["questions"])
    assert seen_events
    assert all(
        not (_keys(d) & {"answer", "given", "correct"})
        and not any(s in json.dumps(d, ensure_ascii=False) for s in secrets)
        for _n, d in seen_events
    )
    # after submitting, with review allowed, the key is shown
    exam["session"].review_answers = True
    exam["session"].save()
    client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    review = client.get(f"/api/v1/attempts/{attempt_id}/result/").content.decode()
    assert any(s in review for s in secrets)
