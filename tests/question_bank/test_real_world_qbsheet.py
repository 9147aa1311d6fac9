"""Real spreadsheets from public repositories (see real_world/README.md): how many questions each holds
(counted by hand), how many import, five keys checked by hand against the file, and the messages of the
rows that cannot import."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from question_bank import services
from question_bank.models import Bank, Question, QuestionType

REAL = Path(__file__).parent / "real_world"
OBJECTIVE = [QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE, QuestionType.FILL_BLANK]

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank() -> Bank:
    return services.bank_create(actor=None, code="real-world", name="真实题库", owner=None)


def _import(bank: Bank, name: str) -> services.ImportResult:
    return services.import_file(bank=bank, data=(REAL / name).read_bytes(), name=name, valid_only=True)


def _kinds(result: services.ImportResult) -> Counter[tuple[str, str]]:
    """(column, message with the quoted values and numbers blanked) → how many rows say it."""
    return Counter(
        (e.column, re.sub(r"\d+", "N", re.sub(r"“[^”]*”", "“…”", e.message), flags=re.ASCII)) for e in result.errors
    )


def _question(bank: Bank, stem_part: str) -> Question:
    return Question.objects.get(bank=bank, stem__contains=stem_part)


def _objective_created(bank: Bank) -> int:
    """What was created of the four objective types (the subjective type is another helper's part)."""
    return Question.objects.filter(bank=bank, type__in=OBJECTIVE).count()


def test_power_safety_rules_bank_typed_all_fill_in_is_refused_row_by_row_with_reasons(bank: Bank) -> None:
    result = _import(bank, "qbsheet_power_safety_rules_anhui.xlsx")
    assert result.rows == 344  # counted by hand
    assert result.created == 58
    assert Question.objects.filter(bank=bank).count() == 58
    assert len({e.row for e in result.errors}) == 344 - 58  # every other row is refused, by row number
    kinds = _kinds(result)
    fill_with_options = (
        "A",
        "The type says 填空题 but the row has options and the answer “…” names option letters: "
        "is it a choice question? Correct the type.",
    )
    assert kinds[fill_with_options] == 157
    assert kinds[("答案", "The type says 填空题 but the answer “…” is a true/false answer: is it 判断题?")] == 102
    assert kinds[("A", "A fill-in-blank question has no options.")] == 20
    gaps = sum(n for (column, message), n in kinds.items() if message.startswith("Options must be filled in order"))
    assert gaps == 5
    blanks = [e for e in result.errors if e.message.startswith("The stem has")]
    assert [(e.row, e.message) for e in blanks] == [
        # “不低于18％、不 6 超过1000u L/L”: the / of the unit reads as “or”, so the cell is not cut at 、.
        (24, "The stem has 2 blank(s) but the answer gives 1: write one answer per blank, separated by |."),
        (345, "The stem has 2 blank(s) but the answer gives 1: write one answer per blank, separated by |."),
    ]
    # Five keys, checked by hand against the file (and GB 26860).
    assert _question(bank, "运用中的电气设备是指").answer == [
        ["全部带有电压"],
        ["一部分带有电压"],
        ["一经操作即带有 电压"],
    ]
    assert _question(bank, "变更工作班成员或工作负责人时").answer == [["变更"]]
    assert _question(bank, "高压设备发生接地故障时").answer == [["4m"], ["8m"]]
    assert _question(bank, "检修发电机时，在发电机出口母线处").answer == [["验明无电压"], ["接地线"]]
    assert _question(bank, "在室外高压设备上工作").answer == [["“止步，高压危险！”"], ['“从此 进出！"']]
    # The true/false row typed 填空题 is not stored with the key “×”.
    assert not Question.objects.filter(bank=bank, stem__startswith="备用的旁路开关不是运用中的电气设备").exists()


def test_power_new_staff_bank_one_sheet_per_type(bank: Bank) -> None:
    result = _import(bank, "qbsheet_power_new_staff_contest.xlsx")
    assert result.rows == 2174 + 1082 + 2058 + 809 + 720  # counted by hand, sheet by sheet
    # 21 objective duplicates, and 27 among the 问答题 (21 with the same reference answer, 6 with another:
    # imported once, with the first one's reference, and said so).
    assert result.duplicates == 48
    other_reference = [w for w in result.warnings if "another reference answer" in w.message]
    assert len(other_reference) == 6
    assert _objective_created(bank) == 6078
    counts = Counter(Question.objects.filter(bank=bank).values_list("type", flat=True))
    assert (counts["single"], counts["multiple"], counts["true_false"], counts["fill_blank"]) == (2162, 1074, 2055, 787)
    # 问答题 are subjective questions with their reference answers: 720 rows, 27 of them repeats.
    assert Question.objects.filter(bank=bank, type=QuestionType.SUBJECTIVE).count() == 720 - 27
    reference = _question(bank, "什么情况下设备的停、送电，可填用一张电气第一种工作票？").answer
    assert reference.startswith("（1）属于同一电压等级.位于同一平面场所")
    assert reference.endswith("（3）全站停电。")
    blank_errors = [e for e in result.errors if e.message.startswith("The stem has")]
    assert len(blank_errors) == 22
    assert {e.column for e in blank_errors} == {"填空题!答案A"}
    assert "填空题!答案A" in {e.column for e in result.errors}
    assert any(e.column == "多选题!正确答案（必填）" and "at least two answers" in e.message for e in result.errors)
    assert result.ignored_columns == ["填空题!填空顺序", "问答题!关键词："]
    # Five keys, checked by hand against the file.
    assert _question(bank, "2013年6月6日，习近平总书记就做好安全生产工作作出重要指示：（  ），发展").answer == "B"
    assert _question(bank, "依据系统安全理论，关于安全概念的描述，错误的是").answer == "D"
    assert _question(bank, "必须建立健全安全生产责任体系，（  ），注重举一反三").answer == "ACD"
    first_aid = Question.objects.get(bank=bank, stem="经常有人工作的场所及施工车辆上宜配备急救箱，存放常用药品。")
    assert (first_aid.type, first_aid.answer) == ("true_false", False)
    assert _question(bank, "电气工作人员应具备必要的_(1)_和技能").answer == [["安全生产知识"], ["触电急救"]]
    q = _question(bank, "现场使用的安全工具和器具应合格")
    assert (q.answer, q.difficulty) == (True, 1)  # 难度 易


def test_legacy_xls_bank_is_read(bank: Bank) -> None:
    result = _import(bank, "qbsheet_maogai_practice.xls")
    assert result.rows == 995  # counted by hand: 340 判断题, 330 单选题, 239 多选题, 44 填空题, 42 简答题
    counts = Counter(Question.objects.filter(bank=bank, type__in=OBJECTIVE).values_list("type", flat=True))
    assert (counts["true_false"], counts["single"], counts["multiple"]) == (340, 330, 239)
    # The 44 填空题 and 42 简答题 keep their answer in option A and answer “A”: read as such, and said so.
    # The whole file imports.
    assert result.errors == []
    assert counts["fill_blank"] == 44
    assert Question.objects.filter(bank=bank, type=QuestionType.SUBJECTIVE).count() == 42
    from_option = [w for w in result.warnings if "taken from option A" in w.message]
    assert len(from_option) == 44 + 42
    assert _question(bank, "（）是一事物区别于其他事物的内在规定性。").answer == [["质"]]
    assert _question(bank, "（）是保持事物质的稳定性的数量界限。").answer == [["度"]]
    reference = _question(bank, "简述量变和质变的关系。")
    assert (reference.options, reference.answer.startswith("一，量变是质变的必要准备。")) == ([], True)
    assert result.ignored_columns == ["目录", "章节"]  # “D项目” (sic) is read as option D
    # Five keys, checked by hand against the file.
    assert _question(bank, "关于矛盾的共性与个性").answer == "CD"
    assert _question(bank, "古希腊学者欧布里德").answer == "C"
    assert _question(bank, "质变体现了事物发展的渐变性和连续性").answer is False  # options 正确/错误, answer B
    assert _question(bank, "量变质变规律是事物发展渐进性和飞跃性统一的体现").answer is True  # answer A
    d = _question(bank, "“不积跬步，无以至千里")
    assert (d.answer, len(d.options), d.options[3]) == ("AD", 4, "质变是量变的必然结果")


def test_scraped_csv_bank(bank: Bank) -> None:
    result = _import(bank, "qbsheet_community_course.csv")
    assert result.rows == 1550  # counted by hand: 794 单选题, 386 多选题, 360 判断题, 8 简答题, 1 论述题, 1 填空题
    assert result.duplicates == 38
    assert _objective_created(bank) == 1469
    errored = {e.row for e in result.errors}
    assert len(errored) == 38
    kinds = _kinds(result)
    assert kinds[("答案", "“…” is not a true/false answer (正确/错误, 对/错, √/×, T/F…).")] == 26
    # 9 简答题/论述题: 4 have no reference answer (refused), 5 are stored. One of those 5 holds the scraped
    # page text “章节测验 已完成” as its reference: a subjective answer is free text, so this is not caught.
    assert kinds[("答案", "A subjective question needs its reference answer in the answer column.")] == 4
    assert Question.objects.filter(bank=bank, type=QuestionType.SUBJECTIVE).count() == 5
    polluted = [e for e in result.errors if e.message.startswith("The answer “") and "option letters" in e.message]
    assert len(polluted) == 6
    assert result.ignored_columns == ["章节", "分组"]
    # The stray “** ” markup is not part of the stem.
    assert not Question.objects.filter(bank=bank, stem__startswith="*").exists()
    # Five keys, checked by hand against the file.
    assert _question(bank, "1902年，( )最早提出“中华民族”概念").answer == "A"
    assert _question(bank, "党的十八大以来，中国特色社会主义进入新时代。习帜平总书记在民族工作领域").answer == "AC"
    assert _question(bank, "隋唐时期，绢马和茶马贸易").answer is True
    assert _question(bank, "梁启超在( )正式提出“中华民族”概念").answer == "C"
    assert _question(bank, "改革开放后，( )年中国经济总量突破1万亿元").answer == "C"
