"""The exam wizard (考试向导): defaults from the bank, validation that names the field, one transaction, scope."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from exams.models import ExamSession, PaperRule, PaperTemplate
from exams.services.errors import WizardRefused
from exams.services.papers import RuleSpec, paper_create_rules
from exams.services.wizard import TypeRule, exam_wizard_create
from proctoring.models import ProctoringPolicy
from question_bank.models import Bank, QuestionType
from tests.conftest import login_client
from tests.exams.conftest import make_bank, make_question

URL = "/exams/manage/wizard/"


def _bank(provider: Any, counts: dict[str, int], code: str = "wizard-bank") -> Bank:
    bank = Bank.objects.create(owner=provider, code=code, name="危化品题库")
    for qtype, count in counts.items():
        for n in range(count):
            make_question(bank, qtype, n)
    return bank


def _values(response: Any) -> dict[str, Any]:
    """What pressing a button on this page posts: the carried values and the shown form as displayed."""
    context = response.context
    data: dict[str, Any] = {}
    for name, value in context["hidden"]:
        data.setdefault(name, []).append(value)
    data["step"] = context["index"]
    form = context["form"]
    if form is None:
        return data
    data[f"seen-{context['step'].name}"] = "1"
    for bound in form:
        value = bound.value()
        if bound.widget_type == "checkbox":
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [getattr(v, "pk", v) for v in value]
        elif value is not None:
            data[bound.html_name] = bound.field.widget.format_value(value)
    return data


def _press(client: Client, response: Any, action: str = "next", **changes: Any) -> Any:
    data = _values(response)
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    data["action"] = action
    return client.post(URL, data)


def _step(response: Any) -> str:
    return response.context["step"].name if response.context["step"] else "summary"


@pytest.mark.django_db
def test_defaults_come_from_what_the_bank_holds(cast: Any) -> None:
    bank = _bank(
        cast.east.provider,
        {QuestionType.SINGLE: 25, QuestionType.MULTIPLE: 4, QuestionType.TRUE_FALSE: 12, QuestionType.SUBJECTIVE: 3},
    )
    trainer = login_client(cast.east.training_admin)
    rules = trainer.get(f"{URL}?bank={bank.pk}")
    assert _step(rules) == "rules"
    initial = rules.context["form"].initial
    # 20 single (the target), all 4 multiple, 10 of 12 true/false; no fill-in row: the bank has none.
    assert (initial["count_single"], initial["count_multiple"], initial["count_true_false"]) == (20, 4, 10)
    assert [row["qtype"] for row in rules.context["form"].rows] == ["single", "multiple", "true_false"]
    assert "rules-count_subjective" not in rules.content.decode()

    session = _press(trainer, rules)
    assert _step(session) == "session"
    initial = session.context["form"].initial
    total = 20 * 2 + 4 * 3 + 10 * 2  # 72
    assert initial["pass_score"] == Decimal(total) * Decimal("0.6")
    assert (initial["duration_minutes"], initial["attempts_allowed"]) == (60, 2)
    now = timezone.now()
    assert abs(initial["opens_at"] - now) < dt.timedelta(minutes=2)
    assert initial["closes_at"] - initial["opens_at"] == dt.timedelta(days=7)
    assert initial["eligible_enterprises"] == []  # a trainer's scope: everyone the centre serves

    # Not a certificate exam: proctoring is offered, off.
    proctoring = _press(trainer, session)
    assert _step(proctoring) == "proctoring"
    assert proctoring.context["form"].initial["enabled"] is False


@pytest.mark.django_db
def test_a_proctored_certificate_exam_from_the_manage_home_in_one_transaction(cast: Any) -> None:
    bank = make_bank(cast.east.provider, per_type=6)
    trainer = login_client(cast.east.training_admin)
    assert 'href="/exams/manage/wizard/"' in trainer.get("/exams/manage/").content.decode()
    page = trainer.get(URL)
    assert _step(page) == "bank"
    page = _press(trainer, page, **{"bank-bank": bank.pk})
    assert _step(page) == "rules"
    page = _press(trainer, page)
    page = _press(trainer, page, **{"session-certificate_type": "new_employee"})
    assert _step(page) == "proctoring"
    assert page.context["form"].initial["enabled"] is True  # a certificate exam is proctored by default
    summary = _press(trainer, page)
    assert _step(summary) == "summary"
    text = summary.content.decode()
    assert "危化品" not in text
    assert "题库 bank-east" in text
    assert not PaperTemplate.objects.exists()
    assert not ExamSession.objects.exists()

    created = _press(trainer, summary, action="create")
    session = ExamSession.objects.get()
    assert created["Location"] == f"/exams/manage/sessions/{session.pk}/statistics/"
    # 6 of each type (fewer than the targets): 6×2 + 6×3 + 6×2 + 5×2 = 52 points, pass at 60 %.
    assert session.paper.rules.count() == 4
    assert set(PaperRule.banks.through.objects.values_list("bank_id", flat=True)) == {bank.pk}
    assert session.pass_score == Decimal("31.2")
    assert (session.attempts_allowed, session.duration_minutes, session.certificate_type) == (2, 60, "new_employee")
    policy = ProctoringPolicy.objects.get(session=session)
    assert session.proctoring_policy_id == policy.pk
    assert policy.require_identity_check
    assert policy.require_liveness
    assert policy.tab_submit_at is None


@pytest.mark.django_db
def test_too_many_questions_and_a_pass_mark_above_the_total_name_the_field_and_keep_the_values(cast: Any) -> None:
    bank = make_bank(cast.east.provider, per_type=6)
    trainer = login_client(cast.east.training_admin)
    rules = trainer.get(f"{URL}?bank={bank.pk}")
    refused = _press(trainer, rules, **{"rules-count_single": "9", "rules-paper_name": "我的试卷"})
    assert _step(refused) == "rules"
    form = refused.context["form"]
    assert "本题库每份试卷最多可抽取该题型 6 道题（相似题只算一道）。" in form.errors["count_single"][0]
    assert form["count_single"].value() == "9"
    assert form["paper_name"].value() == "我的试卷"

    session = _press(trainer, refused, **{"rules-count_single": "6"})
    assert _step(session) == "session"
    too_high = _press(trainer, session, **{"session-pass_score": "53"})
    assert _step(too_high) == "session"
    assert "及格分高于试卷总分 52" in too_high.context["form"].errors["pass_score"][0]
    assert too_high.context["form"]["pass_score"].value() == "53"

    proctoring = _press(trainer, too_high, **{"session-pass_score": "31.2"})
    assert _step(proctoring) == "proctoring"
    zero = _press(trainer, proctoring, **{"proctoring-enabled": "on", "proctoring-tab_submit_at": "0"})
    assert _step(zero) == "proctoring"
    assert zero.context["form"].errors["tab_submit_at"]
    too_high = _press(trainer, zero, action="back")
    assert _step(too_high) == "session"

    # Going back keeps what was typed on the later step.
    back = _press(trainer, too_high, action="back", **{"session-title": "年度考试"})
    assert _step(back) == "rules"
    assert back.context["form"]["paper_name"].value() == "我的试卷"
    again = _press(trainer, back)
    assert again.context["form"]["title"].value() == "年度考试"
    assert not PaperTemplate.objects.exists()
    assert not ExamSession.objects.exists()


@pytest.mark.django_db
def test_it_validates_ownership(cast: Any) -> None:
    east_bank = make_bank(cast.east.provider, per_type=6)
    west = login_client(cast.west.training_admin)
    assert west.get(f"{URL}?bank={east_bank.pk}").status_code == 404
    assert west.get(f"{URL}?bank=abc").status_code == 404
    posted = west.post(URL, {"step": 0, "action": "next", "seen-bank": "1", "bank-bank": east_bank.pk})
    assert _step(posted) == "bank"
    assert posted.context["form"].errors["bank"]
    for user in (cast.outsider, cast.east.learner.user, cast.east.bureau, cast.east.proctor):
        assert login_client(user).get(URL).status_code == 403
    assert Client().get(URL).status_code == 302
    assert not ExamSession.objects.exists()


@pytest.mark.django_db
def test_a_refused_step_undoes_the_paper_and_the_session(cast: Any) -> None:
    bank = make_bank(cast.east.provider, per_type=6)
    now = timezone.now()
    fields = {"opens_at": now, "closes_at": now + dt.timedelta(days=7), "pass_score": Decimal(6)}
    call = {
        "provider": cast.east.provider,
        "bank": bank,
        "available": {QuestionType.SINGLE: 6},
        "paper_name": "试卷",
        "rules": [TypeRule(qtype=QuestionType.SINGLE, count=5, score=Decimal(2))],
        "title": "考试",
        "session_fields": fields,
        "created_by": cast.east.training_admin,
    }
    # The policy refuses a tab limit of 0 after the paper and the session were written: nothing stays.
    with pytest.raises(ValidationError):
        exam_wizard_create(**call, steps={"proctoring": {"enabled": True, "tab_submit_at": 0}})
    assert not PaperTemplate.objects.exists()
    assert not ExamSession.objects.exists()
    with pytest.raises(WizardRefused) as refused:
        exam_wizard_create(**call | {"session_fields": fields | {"pass_score": Decimal(11)}}, steps={})
    assert refused.value.details["field"] == "pass_score"
    with pytest.raises(WizardRefused) as refused:
        exam_wizard_create(**call | {"available": {QuestionType.SINGLE: 4}}, steps={})
    assert refused.value.details["field"] == "count_single"
    assert not PaperTemplate.objects.exists()
    session = exam_wizard_create(**call, steps={"proctoring": {"enabled": False}})
    assert session.paper.rules.get().count == 5
    assert not ProctoringPolicy.objects.exists()


@pytest.mark.django_db
def test_without_a_registered_step_the_wizard_has_only_its_own(cast: Any) -> None:
    """Exams knows proctoring only through core.wizard_steps: unregistered, the step and its policy are gone."""
    from core import wizard_steps
    from proctoring import wizard as proctoring_wizard

    bank = make_bank(cast.east.provider, per_type=6)
    trainer = login_client(cast.east.training_admin)
    wizard_steps.unregister(proctoring_wizard.NAME)
    try:
        page = _press(trainer, trainer.get(f"{URL}?bank={bank.pk}"))
        page = _press(trainer, page, **{"session-certificate_type": "principal"})
        assert _step(page) == "summary"
        assert [str(t) for t in page.context["steps"]] == ["题库", "试卷", "考试场次", "确认"]
        _press(trainer, page, action="create")
    finally:
        wizard_steps.register(proctoring_wizard.STEP)
    session = ExamSession.objects.get()
    assert session.certificate_type == "principal"
    assert session.proctoring_policy_id is None
    assert not ProctoringPolicy.objects.exists()


@pytest.mark.django_db
def test_a_trainer_with_one_bank_finds_it_chosen(cast: Any) -> None:
    bank = make_bank(cast.east.provider, per_type=2)
    trainer = login_client(cast.east.training_admin)
    page = trainer.get(URL)
    assert page.context["form"]["bank"].value() == bank.pk
    radio = re.search(rf'<input type="radio" name="bank-bank" value="{bank.pk}"[^>]*>', page.content.decode())
    assert radio is not None
    assert "checked" in radio.group(0)
    make_bank(cast.east.provider, code="second-bank", per_type=2)
    assert trainer.get(URL).context["form"]["bank"].value() is None


class _RefusingForm(forms.Form):
    note = forms.CharField(required=False)


def _refuse(*, session: Any, data: dict[str, Any], by: Any) -> None:
    raise ValidationError("此项设置被拒绝。")


@pytest.mark.django_db
def test_a_registered_steps_refusal_undoes_everything_and_shows_on_the_last_step(cast: Any) -> None:
    from core import wizard_steps

    step = wizard_steps.WizardStep(
        name="refusing",
        title="拒绝",
        form_class=_RefusingForm,
        initial=lambda *, certificate: {},
        summary=lambda data: [],
        apply=_refuse,
    )
    bank = make_bank(cast.east.provider, per_type=6)
    trainer = login_client(cast.east.training_admin)
    wizard_steps.register(step)
    try:
        page = _press(trainer, trainer.get(f"{URL}?bank={bank.pk}"))
        while _step(page) != "summary":
            page = _press(trainer, page)
        refused = _press(trainer, page, action="create")
    finally:
        wizard_steps.unregister(step.name)
    assert _step(refused) == "refusing"
    assert refused.context["form"].non_field_errors() == ["此项设置被拒绝。"]
    assert not PaperTemplate.objects.exists()
    assert not ExamSession.objects.exists()
    assert not ProctoringPolicy.objects.exists()


@pytest.mark.django_db
def test_a_sibling_group_counts_once_for_the_wizard(cast: Any) -> None:
    """Two questions of one sibling group (even of two types) give the wizard one question to draw, not two."""
    from exams.selectors import bank_type_counts
    from question_bank.models import SiblingGroup, SiblingMember

    bank = make_bank(cast.east.provider, per_type=3)
    before = bank_type_counts(bank.pk)
    single = bank.questions.filter(type=QuestionType.SINGLE).order_by("pk")
    true_false = bank.questions.filter(type=QuestionType.TRUE_FALSE).order_by("pk")
    group = SiblingGroup.objects.create(bank=bank)
    SiblingMember.objects.create(group=group, question=single[0])
    SiblingMember.objects.create(group=group, question=true_false[0])
    after = bank_type_counts(bank.pk)
    assert sum(after.values()) == sum(before.values()) - 1
    paper = paper_create_rules(
        provider=cast.east.provider,
        name="全部可抽",
        rules=[RuleSpec(qtype=qtype, count=n, score=Decimal("1"), banks=[bank]) for qtype, n in after.items()],
    )
    assert paper.rules.count() == len(after)
