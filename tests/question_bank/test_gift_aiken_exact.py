"""GIFT and Aiken are read as Moodle reads them (question/format/gift/format.php,
question/format/aiken/format.php): a key is exact, or the question is refused with a
message naming it, or imported with a notice saying what was not kept. And duplicate
detection compares the answers of fill-in questions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import translation

from question_bank import importers, services
from question_bank.importers import fingerprint
from question_bank.models import ImportJob, Question
from tests.conftest import login_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    # The admin reads these messages in Chinese.
    with translation.override("zh-hans"):
        yield


def gift(text: str) -> importers.ParseResult:
    return importers.validate(importers.read_gift(text))


def aiken(text: str) -> importers.ParseResult:
    return importers.validate(importers.read_aiken(text))


def keys(result: importers.ParseResult) -> list[tuple[str, Any]]:
    return [(q.type, q.answer) for q in result.questions]


def messages(items: list[importers.RowError]) -> list[str]:
    return [item.message for item in items]


# --- choice questions and weights ------------------------------------------------


def test_partial_credit_distractor_makes_a_single_choice_with_a_notice() -> None:
    result = gift("灭火器的压力指针在哪个区域表示正常？{=绿区 ~%50%黄区 ~红区}")
    assert keys(result) == [("single", "A")]  # never multiple AB
    assert result.questions[0].options == ("绿区", "黄区", "红区")
    assert messages(result.notices) == ["第 1 题：选项 B（50%）的部分得分未保存，只有选 A 得分。"]
    assert result.errors == []


def test_weights_adding_up_to_100_across_options_make_a_multiple_choice() -> None:
    result = gift(
        "灭火的基本方法有？{~%50%冷却 ~%50%窒息 ~%-100%加热}\n\n三者{~%33.33333%甲 ~%33.33333%乙 ~%33.33333%丙 ~丁}"
    )
    assert keys(result) == [("multiple", "AB"), ("multiple", "ABC")]
    assert result.notices == []  # equal weights: all-or-nothing, or each right option the same with partial credit


def test_unequal_weights_of_right_options_are_stated() -> None:
    result = gift("哪些是个体防护用品？{~%70%安全帽 ~%30%手套 ~%-100%扳手}")
    assert keys(result) == [("multiple", "AB")]
    assert messages(result.notices) == [
        "第 1 题：正确选项 A（70%）、B（30%）的分值未保存：选全 A、B 得满分（考试开启部分得分时，每个正确选项分值相同）。"
    ]


def test_weights_not_adding_up_to_100_are_refused() -> None:
    result = gift("题一{~%50%甲 ~%25%乙 ~丙}\n\n题二{~甲 ~乙 ~%-50%丙}")
    assert result.questions == []
    assert messages(result.errors) == [
        "第 1 题：得分为正的选项合计 75%，不是 100%，无法确定正确答案，未导入。",
        "第 2 题：没有得分为正的选项，无法确定正确答案，未导入。",
    ]


def test_one_full_weight_without_equals_is_a_single_choice() -> None:
    result = gift("火警电话？{~%100%119 ~110 ~%-50%120}")
    assert keys(result) == [("single", "A")]
    assert messages(result.notices) == ["第 1 题：选项 C（-50%）的扣分未保存，选错得 0 分。"]


def test_two_fully_right_options_in_a_single_choice_are_refused() -> None:
    result = gift("火警电话？{=119 =幺幺九 ~110}")
    assert result.questions == []
    assert messages(result.errors) == ["第 1 题：选项 A、B 都是满分答案，本平台的单选题只能有一个正确答案，未导入。"]


def test_equals_with_a_weight_in_a_choice_is_refused() -> None:
    result = gift("火警电话？{=%50%119 ~110}")
    assert result.questions == []
    assert "“=%50%119”" in result.errors[0].message


def test_more_options_than_the_platform_holds_is_refused_not_cut() -> None:
    options = " ".join(f"~选项{i}" for i in range(9)) + " =正确"
    result = gift(f"十选一？{{{options}}}")
    assert result.questions == []
    assert messages(result.errors) == ["第 1 题：有 10 个选项，本平台最多 8 个（A–H），未导入。"]


# --- short answers ------------------------------------------------------------------


def test_only_fully_right_short_answers_are_accepted() -> None:
    result = gift("耶稣来自 {=Nazareth =%75%Nazereth =%25%Bethlehem =%0%*#错}。")
    assert keys(result) == [("fill_blank", [["Nazareth"]])]
    assert result.questions[0].stem == "耶稣来自 ____。"
    assert messages(result.notices) == [
        "第 1 题：答案“Nazereth”（75%）、“Bethlehem”（25%）不是完全正确答案，未保存；只有“Nazareth”算对。"
    ]


def test_short_answer_without_a_fully_right_answer_is_refused_saying_why() -> None:
    result = gift("最好的动物？{=%50%猫 =%0%*}\n\n任何答案都对？{=*}")
    assert result.questions == []
    assert messages(result.errors) == [
        "第 1 题：没有可保存的完全正确答案（“猫”（50%）），未导入。",
        "第 2 题：没有可保存的完全正确答案（“*”（通配符 *）），未导入。",
    ]


def test_short_answer_with_a_separator_is_refused_not_split() -> None:
    result = gift("限速单位？{=km/h =千米每小时}")
    assert result.questions == []
    assert "“km/h”" in result.errors[0].message
    assert "“/”" in result.errors[0].message


# --- types we do not have -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "把国家和首都配对。{=Canada -> Ottawa =Italy -> Rome =Japan -> Tokyo}",
            "匹配题（GIFT matching）暂不支持，未导入。",
        ),
        ("Grant 生于哪年？{#1822:5}", "数值题（GIFT numerical）暂不支持，未导入。"),
        ("谈谈你对安全的理解。{}", "问答题（GIFT essay）暂不支持，未导入。"),
        ("谈谈你对安全的理解。{####参考：……}", "问答题（GIFT essay）暂不支持，未导入。"),
        ("以下是第一部分。", "说明文字（GIFT description）没有答案，不是题目，未导入。"),
    ],
)
def test_unsupported_types_are_refused_by_name(text: str, message: str) -> None:
    result = gift("火警电话？{=119 ~110}\n\n" + text)
    assert keys(result) == [("single", "A")]
    assert messages(result.errors) == [f"第 2 题：{message}"]
    assert result.errors[0].row == 3
    assert not any("答案为空" in m or "empty" in m for m in messages(result.errors))


def test_unsupported_questions_are_never_stored() -> None:
    bank = services.bank_create(actor=None, code="gift", name="gift", owner=None)
    text = "配对。{=Canada -> Ottawa =Italy -> Rome}\n\n火警电话？{=119 ~110}\n"
    result = services.import_file(bank=bank, data=text.encode(), name="bank.gift")
    assert not result.written  # an error: nothing is written unless the admin asks for the valid ones
    result = services.import_file(bank=bank, data=text.encode(), name="bank.gift", valid_only=True)
    assert result.counts["created"] == 1
    assert list(Question.objects.filter(bank=bank).values_list("type", "stem")) == [("single", "火警电话？")]


# --- true/false, markup, escapes --------------------------------------------------------


def test_true_false_with_feedback() -> None:
    result = gift(
        "42 是终极答案。{FALSE#42 是终极答案。#答对了。####出自《银河系漫游指南》。}\n\n"
        "电气火灾应先断电。{TRUE#错了}\n\n安全帽可以不系下颏带。{F}\n\n特种作业人员必须持证上岗。{T}"
    )
    assert keys(result) == [("true_false", False), ("true_false", True), ("true_false", False), ("true_false", True)]
    assert result.questions[0].explanation == "出自《银河系漫游指南》。"
    assert result.questions[0].stem == "42 是终极答案。"


def test_html_is_sanitised_and_read_as_text() -> None:
    result = gift(
        '[html]<p>动火作业<b>前</b>必须：</p><script>alert("x")</script><img src\\="http\\://x/p.png">'
        "<p>A &amp; B&nbsp;检查</p>{=办理动火证 ~[html]<i>直接</i>动火}"
    )
    question = result.questions[0]
    assert question.stem == "动火作业前必须：\nA & B 检查"
    assert question.options == ("办理动火证", "直接动火")
    assert "alert" not in question.stem
    assert messages(result.notices) == ["第 1 题：题干中的链接和图片（http://x/p.png）未保存，只保存了文字。"]


def test_markdown_is_read_as_text_and_blanks_survive() -> None:
    result = gift("[markdown]**动火作业**前须办理 `动火证`，见 [规定](http://x/r)。____ 是什么？{=许可 ~备案}")
    assert result.questions[0].stem == "动火作业前须办理 动火证，见 规定。____ 是什么？"
    assert messages(result.notices) == ["第 1 题：题干中的链接和图片（http://x/r）未保存，只保存了文字。"]


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("安全__第一__，____是方针", "安全第一，____是方针"),
        ("____火____", "____火____"),
        ("2*3*4 与 \\*星号\\* 与 snake_case_name", "2*3*4 与 *星号* 与 snake_case_name"),
        ("# 标题\\n> 引用", "标题\n引用"),
    ],
)
def test_markdown_leaves_blanks_escapes_and_arithmetic_alone(markdown: str, text: str) -> None:
    assert gift(f"[markdown]{markdown}{{T}}").questions[0].stem == text


def test_plain_text_keeps_what_looks_like_markup() -> None:
    result = gift("[plain]温度 <5℃ 时 **停止** 作业。{T}")
    assert result.questions[0].stem == "温度 <5℃ 时 **停止** 作业。"


def test_escapes_comments_and_titles() -> None:
    text = (
        "// 一行注释\n"
        "::标题不进题干::比例 1\\:2、C\\:\\\\temp、\\{括号\\}、\\#、\\~ 与 \\= 的写法\\n第二行 {=1\\:2 ~2\\:1#反馈不保存}\n"
    )
    result = gift(text)
    question = result.questions[0]
    assert question.stem == "比例 1:2、C:\\temp、{括号}、#、~ 与 = 的写法\n第二行"
    assert question.options == ("1:2", "2:1")
    assert question.answer == "A"


def test_braces_that_do_not_pair_are_refused() -> None:
    result = gift("火警电话 {=119 ~110\n\n两个答案块 {=a ~b} 和 {=c ~d}")
    assert messages(result.errors) == [
        "第 1 题：大括号 { } 不配对（每题只能有一个答案块；题干中的大括号请写成 \\{ 和 \\}），未导入。",
        "第 2 题：大括号 { } 不配对（每题只能有一个答案块；题干中的大括号请写成 \\{ 和 \\}），未导入。",
    ]


# --- Aiken ---------------------------------------------------------------------------------


def test_aiken_question_without_answer_does_not_swallow_the_next() -> None:
    text = "火警电话是？\nA. 110\nB. 119\n\n急救电话是？\nA. 120\nB. 110\nANSWER: A\n\n报警电话是？\nA. 110\nB. 119\n"
    result = aiken(text)
    assert [(q.stem, q.options, q.answer) for q in result.questions] == [("急救电话是？", ("120", "110"), "A")]
    assert messages(result.errors) == [
        "第 1 题（第 1 行起）没有“ANSWER:”行，未导入。",
        "第 3 题（第 10 行起）没有“ANSWER:”行，未导入。",
    ]
    assert [e.row for e in result.errors] == [1, 10]


def test_aiken_next_question_without_blank_line_is_still_a_new_question() -> None:
    result = aiken("第一题？\nA) 甲\nB) 乙\n第二题？\nA) 丙\nB) 丁\nANSWER: B\n")
    assert [(q.stem, q.answer) for q in result.questions] == [("第二题？", "B")]
    assert messages(result.errors) == ["第 1 题（第 1 行起）没有“ANSWER:”行，未导入。"]


def test_aiken_options_out_of_order_are_refused() -> None:
    result = aiken("哪个对？\nA. 甲\nC. 丙\nANSWER: C\n\n火警电话是？\nA. 110\nB. 119\nANSWER: B\n")
    assert keys(result) == [("single", "B")]
    assert messages(result.errors) == ["第 1 题：应为选项 B 的位置出现了选项 C，未导入。"]


def test_aiken_keeps_our_extensions() -> None:
    text = "进入受限空间应先\n通风检测。\nA、正确\nB、错误\nANSWER: A\n\n灭火方法有？\nA. 冷却\nB. 加热\nC. 窒息\nANSWER: A, C\n"
    result = aiken(text)
    assert keys(result) == [("true_false", True), ("multiple", "AC")]
    assert result.questions[0].stem == "进入受限空间应先\n通风检测。"


def test_a_file_of_only_refused_questions_is_not_refused_as_a_whole() -> None:
    result = gift("配对。{=a -> b =c -> d}")
    assert (result.rows, result.questions, len(result.errors)) == (1, [], 1)
    with pytest.raises(importers.ImportRefused):
        importers.read_gift("// 只有注释\n")


# --- duplicates compare answers ----------------------------------------------------------------


def test_fill_in_questions_with_the_same_stem_and_other_answers_are_not_duplicates() -> None:
    text = (
        "该安全标志的名称是 {=禁止吸烟}\n\n该安全标志的名称是 {=当心触电}\n\n"
        "该安全标志的名称是 {=当心触电}\n\n该安全标志的名称是 {=当心 触电}"
    )
    result = gift(text)
    assert keys(result) == [
        ("fill_blank", [["禁止吸烟"]]),
        ("fill_blank", [["当心触电"]]),
        ("fill_blank", [["当心 触电"]]),
    ]
    assert [w.row for w in result.warnings] == [5]


def test_fill_in_fingerprint_ignores_order_and_case_of_alternatives_but_not_blank_order() -> None:
    stem = "____ 和 ____"
    base = fingerprint("fill_blank", stem, [], [["119", "火警"], ["Ab"]])
    assert fingerprint("fill_blank", stem, [], [["火警", "119"], ["aB"]]) == base
    assert fingerprint("fill_blank", stem, [], [["Ab"], ["119", "火警"]]) != base
    # Choice and true/false questions: the key is not part of what they are.
    assert fingerprint("single", "火警？", ["110", "119"], "A") == fingerprint("single", "火警？", ["110", "119"], "B")
    assert fingerprint("true_false", "断电。", [], True) == fingerprint("true_false", "断电。", [], False)


def test_bank_keeps_two_fill_in_questions_with_one_stem_and_reimport_is_unchanged() -> None:
    bank = services.bank_create(actor=None, code="signs", name="标志", owner=None)
    text = "该安全标志的名称是 {=禁止吸烟}\n\n该安全标志的名称是 {=当心触电 =小心触电}\n".encode()
    assert services.import_file(bank=bank, data=text, name="signs.gift").created == 2
    again = services.import_file(bank=bank, data=text, name="signs.gift")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    reordered = "该安全标志的名称是 {=禁止吸烟}\n\n该安全标志的名称是 {=小心触电 =当心触电}\n".encode()
    # The same answers in another order: the same question; the stored order follows the file.
    assert services.import_file(bank=bank, data=reordered, name="signs.gift").counts["created"] == 0
    assert Question.objects.filter(bank=bank).count() == 2


def test_editor_accepts_a_second_fill_in_with_the_same_stem_and_refuses_a_true_duplicate() -> None:
    from django.core.exceptions import ValidationError

    bank = services.bank_create(actor=None, code="editor", name="editor", owner=None)
    values = {"type": "填空题", "stem": "该标志是____。", "answer": "禁止烟火"}
    services.question_create(bank=bank, values=values)
    services.question_create(bank=bank, values={**values, "answer": "当心火灾"})
    with pytest.raises(ValidationError):
        services.question_create(bank=bank, values={**values, "answer": "禁止烟火"})
    assert Question.objects.filter(bank=bank).count() == 2


# --- the summary shows the notices -----------------------------------------------------------


def test_import_page_shows_what_was_not_kept(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    bank = services.bank_create(actor=None, code="east-gift", name="东区 GIFT", owner=cast.east.provider)
    client = login_client(cast.east.training_admin)
    data = "灭火器压力指针在哪个区域表示正常？{=绿区 ~%50%黄区 ~红区}\n".encode()
    with django_capture_on_commit_callbacks(execute=False):
        staged = client.post(
            reverse("question_bank:import_upload", args=[bank.pk]), {"file": SimpleUploadedFile("q.gift", data)}
        )
        # The preview says what will not be kept before anything is written.
        preview = client.get(staged["Location"]).content.decode()
        assert "第 1 题：选项 B（50%）的部分得分未保存，只有选 A 得分。" in preview
        assert not Question.objects.filter(bank=bank).exists()
        client.post(staged["Location"])
    for job in ImportJob.objects.filter(status=ImportJob.Status.QUEUED):
        services.import_job_run(job_id=job.pk)
    job = ImportJob.objects.get(bank=bank)
    assert job.result["notices"] == [
        {"row": 1, "column": "答案", "message": "第 1 题：选项 B（50%）的部分得分未保存，只有选 A 得分。"}
    ]
    page = client.get(reverse("question_bank:import_job", args=[job.pk])).content.decode()
    assert "第 1 题：选项 B（50%）的部分得分未保存，只有选 A 得分。" in page
    assert Question.objects.get(bank=bank).answer == "A"


def test_import_command_prints_notices_and_refused_questions(tmp_path: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "q.gift"
    path.write_text("配对。{=a -> b =c -> d}\n\n压力指针？{=绿区 ~%50%黄区 ~红区}\n", encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command(
        "import_questions", str(path), "--bank", "cmd", "--create-bank", "命令", "--valid-only", stdout=out, stderr=err
    )
    assert "created 1 / updated 0 / unchanged 0 / duplicate 0 / error 1" in out.getvalue()
    assert "row 3 [答案] 第 2 题：选项 B（50%）的部分得分未保存，只有选 A 得分。" in out.getvalue()
    assert "row 1 [题型] 第 1 题：匹配题（GIFT matching）暂不支持，未导入。" in err.getvalue()


# --- migration 0003 ----------------------------------------------------------------------------


BEFORE = ("question_bank", "0002_bank_purpose")
AFTER = ("question_bank", "0003_qbgift_fingerprint_answer")


@pytest.fixture
def migrate(django_db_serialized_rollback: None) -> Iterator[Any]:
    def to(*targets: tuple[str, str]) -> Any:
        executor = MigrationExecutor(connection)
        executor.migrate(list(targets))
        executor.loader.build_graph()
        return executor.loader.project_state(list(targets)).apps

    yield to
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _old_fingerprint(qtype: str, stem: str, options: list[str]) -> str:
    import hashlib

    parts = [
        qtype,
        importers.normalise_for_fingerprint(stem),
        *(importers.normalise_for_fingerprint(o) for o in options),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_recomputes_fill_in_fingerprints_and_goes_back(migrate: Any) -> None:
    apps = migrate(BEFORE)
    Bank_ = apps.get_model("question_bank", "Bank")
    Question_ = apps.get_model("question_bank", "Question")
    bank = Bank_.objects.create(code="mig", name="mig", purpose="practice")
    rows = [
        ("fill_blank", "我国安全生产方针是安全第一、____、综合治理。", [], [["预防为主"]]),
        ("single", "火警电话？", ["110", "119"], "B"),
    ]
    for qtype, stem, options, answer in rows:
        Question_.objects.create(
            bank=bank, type=qtype, stem=stem, options=options, answer=answer,
            fingerprint=_old_fingerprint(qtype, stem, options),
        )  # fmt: skip
    apps = migrate(AFTER)
    stored = {q.type: q.fingerprint for q in apps.get_model("question_bank", "Question").objects.all()}
    # What the importer computes today: a re-import finds these rows.
    assert stored == {qtype: fingerprint(qtype, stem, options, answer) for qtype, stem, options, answer in rows}
    assert stored["fill_blank"] != _old_fingerprint(*rows[0][:3])

    apps = migrate(BEFORE)
    stored = {q.type: q.fingerprint for q in apps.get_model("question_bank", "Question").objects.all()}
    assert stored == {qtype: _old_fingerprint(qtype, stem, options) for qtype, stem, options, _a in rows}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_refuses_to_go_back_when_fill_ins_differ_only_by_answer(migrate: Any) -> None:
    apps = migrate(AFTER)
    Question_ = apps.get_model("question_bank", "Question")
    bank = apps.get_model("question_bank", "Bank").objects.create(code="mig2", name="mig2", purpose="practice")
    for answer in ([["禁止吸烟"]], [["当心触电"]]):
        Question_.objects.create(
            bank=bank, type="fill_blank", stem="该标志是____。", options=[], answer=answer,
            fingerprint=fingerprint("fill_blank", "该标志是____。", [], answer),
        )  # fmt: skip
    with pytest.raises(RuntimeError, match="differ only by their answers"):
        migrate(BEFORE)
    assert Question_.objects.filter(bank=bank).count() == 2
