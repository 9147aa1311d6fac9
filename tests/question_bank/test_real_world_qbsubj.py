"""A safety-manager bank with subjective questions, as Excel on Chinese Windows saves it (GB18030 CSV).

The file and its hand count are described in real_world/README.md: 16 questions, 13 import,
three subjective rows are refused with a message naming the row.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from question_bank import exporters, services
from question_bank.models import Bank, PracticeSession, Question
from tests.conftest import login_client
from tests.question_bank.conftest import make_east_practice_bank

pytestmark = pytest.mark.django_db

FILE = Path(__file__).parent / "real_world" / "subjective_safety_managers_gb18030.csv"


@pytest.fixture
def bank(cast: Any) -> Bank:
    return make_east_practice_bank(cast, code="managers", name="安全管理人员题库", rows=None)


def _import(bank: Bank, **kwargs: Any) -> services.ImportResult:
    return services.import_file(bank=bank, data=FILE.read_bytes(), name=FILE.name, **kwargs)


def test_the_bank_imports_every_question_but_the_three_without_a_usable_reference(bank: Bank) -> None:
    refused = _import(bank)
    assert refused.rows == 16
    assert not refused.written
    assert Question.objects.filter(bank=bank).count() == 0

    result = _import(bank, valid_only=True)
    assert result.counts["created"] == 13
    assert [(e.row, e.column) for e in result.errors] == [(15, "正确答案"), (16, "正确答案"), (17, "选项A")]
    messages = [e.message for e in result.errors]
    assert "“略” is not a reference answer" in messages[0]
    assert "needs its reference answer" in messages[1]
    assert "has no options" in messages[2]
    stored = Question.objects.filter(bank=bank)
    assert stored.filter(type="subjective").count() == 9
    assert {q.type for q in stored.exclude(type="subjective")} == {"single", "multiple", "true_false"}


def test_five_keys_checked_by_hand(bank: Bank) -> None:
    _import(bank, valid_only=True)

    def key(start: str) -> Any:
        return Question.objects.get(bank=bank, stem__startswith=start).answer

    assert key("《安全生产法》规定，生产经营单位的（ ）") == "A"  # 主要负责人
    assert key("生产经营单位新上岗的从业人员") == "C"  # 24 学时
    assert key("事故处理的“四不放过”") == "ABCD"
    # The reference answers keep their lines and their words.
    duties = key("简述生产经营单位的主要负责人")
    assert duties.count("\n") == 6
    assert duties.endswith("（七）及时、如实报告生产安全事故。")
    assert key("灭火的基本方法") == "冷却法、窒息法、隔离法、化学抑制法。"
    case = Question.objects.get(bank=bank, stem__startswith="某化工企业检修工甲")
    assert (case.type, case.options, case.knowledge_point, case.difficulty) == ("subjective", [], "受限空间", 5)


def test_an_export_of_the_bank_reads_back_unchanged(bank: Bank) -> None:
    _import(bank, valid_only=True)
    for writer, name in ((exporters.export_xlsx, "bank.xlsx"), (exporters.export_csv, "bank.csv")):
        stream = io.BytesIO()
        assert writer(Question.objects.filter(bank=bank), stream) == 13
        again = services.import_file(bank=bank, data=stream.getvalue(), name=name)
        assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 13, [])


def test_a_learner_practises_a_case_analysis_from_the_file(cast: Any, bank: Bank) -> None:
    _import(bank, valid_only=True)
    case = Question.objects.get(bank=bank, stem__startswith="某建筑工地工人")
    client = login_client(cast.east.learner.user)
    client.post(
        reverse("question_bank:practice_home"), {"bank": bank.pk, "mode": "order", "knowledge_point": "高处作业"}
    )
    session = PracticeSession.objects.latest("pk")
    assert session.question_ids == [case.pk]
    url = reverse("question_bank:practice_question", args=[session.pk])
    before = client.get(url).content.decode()
    assert "脚手架搭设后经验收合格" not in before
    after = client.post(url, {"question": case.pk, "text": "没系安全带，踏板没固定。"}).content.decode()
    assert "脚手架搭设后经验收合格方可使用" in after
