"""Sibling (near-duplicate) questions: found by text, grouped, confirmed or split by the trainer,
and never drawn together into a paper or a spot test (issue 17, Trainer)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from exams.services.errors import PoolTooSmall
from exams.services.papers import PaperDrawer, RuleSpec, paper_check, paper_create_rules
from exams.services.spot_tests import spot_test_open
from question_bank import services
from question_bank.models import Bank, Question, QuestionType, SiblingGroup, SiblingMember, SiblingSplit
from question_bank.siblings import sibling_group_confirm, sibling_split, siblings_scan
from question_bank.similarity import Item, cluster, similar_pairs
from tests.conftest import login_client
from tests.exams.conftest import create_question

# The two pairs of the issue, as banks write them, and unrelated questions around them.
FIRE_SINGLE = ("single", "电器设备着火时，应首先（  ）。", ["切断电源", "用水扑救", "打开门窗", "大声呼救"], "A")
FIRE_TRUE = ("true_false", "电器设备着火时，应首先切断电源。", [], True)
RETRAIN_SINGLE = (
    "single",
    "煤矿、非煤矿山、危险化学品、烟花爆竹、金属冶炼等生产经营单位的从业人员每年再培训不少于（ ）学时。",
    ["8", "12", "20", "24"],
    "C",
)
RETRAIN_TRUE = (
    "true_false",
    "煤矿、非煤矿山、危险化学品、烟花爆竹、金属冶炼等生产经营单位的从业人员每年再培训不少于20学时。",
    [],
    True,
)
UNRELATED = [
    ("single", "我国的火灾报警电话是（ ）。", ["110", "119", "120", "122"], "B"),
    ("single", "安全色中表示禁止、停止的颜色是（ ）。", ["红色", "黄色", "蓝色", "绿色"], "A"),
    (
        "single",
        "进入有限空间作业前，应当（ ）。",
        ["先通风、再检测、后作业", "直接进入", "边作业边检测", "无需检测"],
        "A",
    ),
    ("multiple", "灭火的基本方法有（ ）。", ["冷却法", "窒息法", "隔离法", "加热法"], "ABC"),
    ("true_false", "特种作业人员必须持证上岗。", [], True),
    ("true_false", "安全帽可以不系下颏带。", [], False),
    ("true_false", "新员工上岗前的安全培训时间不得少于24学时。", [], True),
    ("fill_blank", "我国安全生产方针是安全第一、____、综合治理。", [], [["预防为主"]]),
    ("fill_blank", "使用灭火器灭火时，应对准火焰的____喷射。", [], [["根部"]]),
]


def add(bank: Bank, spec: tuple[str, str, list[str], Any], *, industry: str = "") -> Question:
    return create_question(bank, *spec, industry_tags=industry)


def sibling_bank(provider: Any, code: str = "sib") -> tuple[Bank, dict[str, Question]]:
    bank = Bank.objects.create(owner=provider, code=code, name=f"相似题库 {code}")
    named = {
        "fire_single": add(bank, FIRE_SINGLE),
        "fire_true": add(bank, FIRE_TRUE),
        "retrain_single": add(bank, RETRAIN_SINGLE),
        "retrain_true": add(bank, RETRAIN_TRUE),
    }
    for n, spec in enumerate(UNRELATED):
        named[f"other{n}"] = add(bank, spec)
    return bank, named


def groups_of(bank: Bank) -> list[set[int]]:
    found: dict[int, set[int]] = {}
    for group_id, question_id in SiblingMember.objects.filter(group__bank=bank).values_list("group_id", "question_id"):
        found.setdefault(group_id, set()).add(question_id)
    return sorted(found.values(), key=min)


def test_the_similarity_pairs_the_issues_examples_and_nothing_else() -> None:
    specs = [FIRE_SINGLE, FIRE_TRUE, RETRAIN_SINGLE, RETRAIN_TRUE, *UNRELATED]
    items = [Item(i, qtype, stem, options, answer) for i, (qtype, stem, options, answer) in enumerate(specs)]
    pairs = similar_pairs(items)
    assert set(pairs) == {(0, 1), (2, 3)}
    assert all(score >= 0.6 for score in pairs.values())
    # A fill-in-blank and the true/false statement of the same fact pair up; a choice question
    # with the same boilerplate stem and other options does not.
    more = [
        Item(0, "fill_blank", "电器设备着火时，应首先____。", answer=[["切断电源"]]),
        Item(1, "true_false", "电器设备着火时，应首先切断电源。"),
        Item(2, "single", "下列说法正确的是（ ）。", ["安全帽应系好下颏带", "可以酒后上岗"], "A"),
        Item(3, "single", "下列说法正确的是（ ）。", ["配电箱应加锁", "叉车可以载人"], "A"),
    ]
    assert set(similar_pairs(more)) == {(0, 1)}


def test_clusters_keep_split_pairs_apart_even_through_a_third_question() -> None:
    pairs = {(1, 2): 0.9, (2, 3): 0.8, (1, 3): 0.7}
    assert cluster(pairs) == [{1, 2, 3}]
    assert sorted(map(sorted, cluster(pairs, apart=[(1, 3)]))) == [[1, 2]]
    # Two existing groups never merge through a question that resembles both.
    assert sorted(map(sorted, cluster({(1, 5): 0.9, (5, 3): 0.9}, seeds=[[1, 2], [3, 4]]))) == [[1, 2, 5], [3, 4]]


@pytest.mark.django_db
def test_a_scan_groups_the_pairs_and_a_rescan_keeps_decisions(cast: Any) -> None:
    bank, q = sibling_bank(cast.east.provider)
    result = siblings_scan(bank=bank)
    assert (result.scanned, result.groups, result.suggested) == (13, 2, 2)
    assert groups_of(bank) == [
        {q["fire_single"].pk, q["fire_true"].pk},
        {q["retrain_single"].pk, q["retrain_true"].pk},
    ]
    fire = SiblingGroup.objects.get(members__question=q["fire_single"])
    sibling_group_confirm(group=fire, user=cast.east.training_admin)
    retrain = SiblingGroup.objects.get(members__question=q["retrain_single"])
    assert sibling_split(group=retrain, question_id=q["retrain_true"].pk, user=cast.east.training_admin) is None
    assert SiblingSplit.objects.filter(question=q["retrain_single"], other=q["retrain_true"]).exists()

    # A new wording of the fire question joins the confirmed group, which goes back to review.
    third = add(bank, ("fill_blank", "电器设备着火时，应首先____。", [], [["切断电源"]]))
    result = siblings_scan(bank=bank)
    assert groups_of(bank) == [{q["fire_single"].pk, q["fire_true"].pk, third.pk}]
    fire.refresh_from_db()
    assert fire.status == SiblingGroup.Status.SUGGESTED
    assert result.suggested == 1
    # The split pair stays apart; the confirmed members stay confirmed.
    assert not SiblingMember.objects.filter(question=q["retrain_true"]).exists()
    assert set(SiblingMember.objects.filter(confirmed=True).values_list("question_id", flat=True)) == {
        q["fire_single"].pk,
        q["fire_true"].pk,
    }


# Eight different facts (sentence with a blank, the right value, wrong values).
FACTS = [
    ("电器设备着火时，应首先{}。", "切断电源", ["用水扑救", "打开门窗"]),
    ("我国的火灾报警电话是{}。", "119", ["110", "120"]),
    ("进入受限空间作业应坚持{}的原则。", "先通风、再检测、后作业", ["先作业后检测", "边作业边通风"]),
    ("安全色中表示禁止、停止的是{}。", "红色", ["黄色", "绿色"]),
    ("新员工岗前安全培训时间不得少于{}学时。", "24", ["8", "16"]),
    ("高处作业是指在坠落高度基准面{}米以上有可能坠落的高处进行的作业。", "2", ["1", "3"]),
    ("手提式干粉灭火器使用时应对准火焰的{}喷射。", "根部", ["顶部", "上方"]),
    ("特种作业操作证每{}年复审一次。", "3", ["1", "5"]),
]


def scanned_bank(cast: Any, pairs: int, code: str = "draw", industry: str = "") -> tuple[Bank, list[tuple[int, int]]]:
    """``pairs`` facts, each as a single choice and its true/false statement, scanned into groups."""
    bank = Bank.objects.create(owner=cast.east.provider, code=code, name="抽题相似题库")
    facts = []
    for sentence, right, wrong in FACTS[:pairs]:
        single = add(bank, ("single", sentence.format("（ ）"), [right, *wrong, "以上都不对"], "A"), industry=industry)
        true = add(bank, ("true_false", sentence.format(right), [], True), industry=industry)
        facts.append((single.pk, true.pk))
    siblings_scan(bank=bank)
    assert sorted(map(sorted, groups_of(bank))) == sorted(map(sorted, facts))
    return bank, facts


@pytest.mark.django_db
def test_a_rule_drawn_paper_never_holds_two_siblings(cast: Any) -> None:
    bank, facts = scanned_bank(cast, pairs=8)
    # The two rules could each fill from the same fact: single choice 5 of 8, true/false 3 of 8.
    paper = paper_create_rules(
        provider=cast.east.provider,
        name="不含相似题",
        rules=[
            RuleSpec(qtype=QuestionType.SINGLE, count=5, score=Decimal(5), banks=[bank]),
            RuleSpec(qtype=QuestionType.TRUE_FALSE, count=3, score=Decimal(5), banks=[bank]),
        ],
    )
    drawer = PaperDrawer(paper)
    seen_singles: set[int] = set()
    for seed in range(200):
        drawn = {q.pk for q, _score in drawer.draw(random.Random(seed))}
        assert len(drawn) == 8
        for single, true in facts:
            assert not {single, true} <= drawn, f"seed {seed} drew both of a sibling pair"
        seen_singles |= drawn
    assert {pk for pair in facts for pk in pair} <= seen_singles  # every question still gets drawn


@pytest.mark.django_db
def test_a_bank_that_cannot_fill_the_rules_once_siblings_are_excluded_says_so(cast: Any) -> None:
    bank, _facts = scanned_bank(cast, pairs=4)
    rules = [
        RuleSpec(qtype=QuestionType.SINGLE, count=3, score=Decimal(5), banks=[bank]),
        RuleSpec(qtype=QuestionType.TRUE_FALSE, count=2, score=Decimal(5), banks=[bank]),
    ]
    with pytest.raises(PoolTooSmall) as refused, translation.override("zh-hans"):
        paper_create_rules(provider=cast.east.provider, name="太多", rules=rules)
    assert "每组相似题" in refused.value.message
    assert "只能提供 1 道" in refused.value.message
    assert refused.value.details["siblings"] is True
    assert refused.value.details["rule"] == 2
    assert refused.value.details["available"] == 1
    # Without the true/false rule's second question the four facts fill it.
    rules[1].count = 1
    paper_create_rules(provider=cast.east.provider, name="刚好", rules=rules)


@pytest.mark.django_db
def test_a_paper_scheduled_before_a_scan_left_it_short_still_draws(cast: Any) -> None:
    bank = Bank.objects.create(owner=cast.east.provider, code="late", name="后扫描题库")
    facts = []
    for sentence, right, wrong in FACTS[:3]:
        single = add(bank, ("single", sentence.format("（ ）"), [right, *wrong, "以上都不对"], "A"))
        true = add(bank, ("true_false", sentence.format(right), [], True))
        facts.append({single.pk, true.pk})
    rules = [
        RuleSpec(qtype=QuestionType.SINGLE, count=3, score=Decimal(5), banks=[bank]),
        RuleSpec(qtype=QuestionType.TRUE_FALSE, count=1, score=Decimal(5), banks=[bank]),
    ]
    paper = paper_create_rules(provider=cast.east.provider, name="扫描前", rules=rules)
    siblings_scan(bank=bank)  # three facts cannot fill four places one per fact
    with pytest.raises(PoolTooSmall):
        paper_check(paper=paper)
    drawn = {q.pk for q, _score in PaperDrawer(paper).draw(random.Random(3))}
    assert len(drawn) == 4
    assert sum(fact <= drawn for fact in facts) == 1


@pytest.mark.django_db
def test_a_spot_test_never_draws_two_siblings(cast: Any) -> None:
    bank, facts = scanned_bank(cast, pairs=6, code="spot", industry="危险化学品")
    questions = Question.objects.filter(bank=bank)
    for _n in range(25):
        attempt = spot_test_open(inspector=cast.east.bureau, person=cast.east.learner, questions=questions, count=5)
        drawn = set(attempt.questions.values_list("question_id", flat=True))
        assert len(drawn) == 5
        for single, true in facts:
            assert not {single, true} <= drawn
        attempt.session.delete()
    with pytest.raises(PoolTooSmall) as refused, translation.override("zh-hans"):
        spot_test_open(inspector=cast.east.bureau, person=cast.east.learner, questions=questions, count=7)
    assert refused.value.details["siblings"] is True
    assert "找到 12 道" in refused.value.message
    assert "只有 6 组不同的题" in refused.value.message


@pytest.mark.django_db
def test_an_import_scans_its_bank(cast: Any) -> None:
    from question_bank import importers

    bank = Bank.objects.create(owner=cast.east.provider, code="imp", name="导入题库")
    rows = [
        {
            "type": "单选题",
            "stem": FIRE_SINGLE[1],
            **dict(zip(("option_a", "option_b", "option_c", "option_d"), FIRE_SINGLE[2], strict=True)),
            "answer": "A",
        },
        {"type": "判断题", "stem": FIRE_TRUE[1], "answer": "正确"},
        {"type": "判断题", "stem": "特种作业人员必须持证上岗。", "answer": "正确"},
    ]
    table = importers.RawTable(
        rows=[importers.RawRow(i, row) for i, row in enumerate(rows, start=2)], labels={}, source="t"
    )
    services.import_parsed(bank=bank, parsed=importers.validate(table), source="t")
    fire = set(Question.objects.filter(bank=bank, stem__startswith="电器").values_list("pk", flat=True))
    assert groups_of(bank) == [fire]


@pytest.mark.django_db
def test_a_large_bank_is_scanned_in_the_background(
    cast: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from question_bank.tasks import run_sibling_scan

    settings.QUESTION_BANK_SIBLING_AUTO_SCAN_MAX = 5
    bank, q = sibling_bank(cast.east.provider)
    client = login_client(cast.east.training_admin)
    page = reverse("question_bank:bank_siblings", kwargs={"pk": bank.pk})
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(page, follow=True)
    assert "后台扫描" in response.text
    assert len(queued) == 1
    assert groups_of(bank) == []  # nothing yet: the worker runs it
    run_sibling_scan.run(bank.pk)
    assert {q["fire_single"].pk, q["fire_true"].pk} in groups_of(bank)


# --- the page ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_trainer_confirms_and_splits_on_the_page(cast: Any) -> None:
    bank, q = sibling_bank(cast.east.provider)
    client = login_client(cast.east.training_admin)
    page = reverse("question_bank:bank_siblings", kwargs={"pk": bank.pk})
    assert "data-siblings-link" in client.get(reverse("question_bank:bank_detail", kwargs={"pk": bank.pk})).text
    empty = client.get(page)
    assert empty.status_code == 200
    assert "data-sibling-group" not in empty.text
    assert client.post(page).status_code == 302  # re-scan
    shown = client.get(page).text
    assert shown.count("data-sibling-group=") == 2
    # The bank page marks the four questions that have siblings.
    assert client.get(reverse("question_bank:bank_detail", kwargs={"pk": bank.pk})).text.count("data-has-siblings") == 4
    assert FIRE_SINGLE[1] in shown
    assert FIRE_TRUE[1] in shown
    assert "切断电源" in shown
    fire = SiblingGroup.objects.get(members__question=q["fire_single"])
    retrain = SiblingGroup.objects.get(members__question=q["retrain_single"])
    response = client.post(reverse("question_bank:sibling_confirm", kwargs={"pk": fire.pk}), {"status": "suggested"})
    assert response.status_code == 302
    assert response.url.endswith("?status=suggested")
    fire.refresh_from_db()
    assert fire.status == SiblingGroup.Status.CONFIRMED
    reviewing = client.get(page, {"status": "suggested"}).text
    assert f'data-sibling-group="{retrain.pk}"' in reviewing
    assert f'data-sibling-group="{fire.pk}"' not in reviewing
    client.post(reverse("question_bank:sibling_split", kwargs={"pk": retrain.pk}), {"question": q["retrain_true"].pk})
    assert not SiblingGroup.objects.filter(pk=retrain.pk).exists()
    client.post(page)  # a re-scan does not suggest the split pair again
    assert groups_of(bank) == [{q["fire_single"].pk, q["fire_true"].pk}]
    # A question of another group is refused, and nothing changes.
    client.post(reverse("question_bank:sibling_split", kwargs={"pk": fire.pk}), {"question": q["other0"].pk})
    assert groups_of(bank) == [{q["fire_single"].pk, q["fire_true"].pk}]


@pytest.mark.django_db
def test_it_validates_ownership(cast: Any) -> None:
    """Only those who may edit the bank see or change its groups: not the other district's
    trainer, not a bureau official who may read the bank, not a learner, not an outsider."""
    bank, q = sibling_bank(cast.east.provider)
    siblings_scan(bank=bank)
    group = SiblingGroup.objects.get(members__question=q["fire_single"])
    urls = [
        ("get", reverse("question_bank:bank_siblings", kwargs={"pk": bank.pk}), {}),
        ("post", reverse("question_bank:bank_siblings", kwargs={"pk": bank.pk}), {}),
        ("post", reverse("question_bank:sibling_confirm", kwargs={"pk": group.pk}), {}),
        ("post", reverse("question_bank:sibling_split", kwargs={"pk": group.pk}), {"question": q["fire_true"].pk}),
    ]
    for user in (cast.west.training_admin, cast.east.bureau, cast.east.learner.user, cast.outsider):
        client = login_client(user)
        for method, url, data in urls:
            assert getattr(client, method)(url, data).status_code == 404, (user, url)
    group.refresh_from_db()
    assert group.status == SiblingGroup.Status.SUGGESTED
    assert group.members.count() == 2
    detail = login_client(cast.east.bureau).get(reverse("question_bank:bank_detail", kwargs={"pk": bank.pk}))
    assert detail.status_code == 200
    assert "data-siblings-link" not in detail.text
    assert "data-has-siblings" not in detail.text
    assert login_client(cast.platform_admin).get(urls[0][1]).status_code == 200


@pytest.mark.django_db
def test_export_and_reimport_leave_the_groups_alone(cast: Any) -> None:
    import io

    from question_bank import exporters

    bank, q = sibling_bank(cast.east.provider)
    siblings_scan(bank=bank)
    sibling_group_confirm(group=SiblingGroup.objects.get(members__question=q["fire_single"]), user=None)
    before = groups_of(bank)
    stream = io.BytesIO()
    exporters.export_xlsx(Question.objects.filter(bank=bank), stream)
    result = services.import_file(bank=bank, data=stream.getvalue(), name="export.xlsx")
    assert (result.created, result.updated) == (0, 0)
    assert groups_of(bank) == before
    assert SiblingGroup.objects.filter(bank=bank, status=SiblingGroup.Status.CONFIRMED).count() == 1


@pytest.mark.django_db
def test_a_split_is_named_and_can_be_undone(cast: Any) -> None:
    """The message names the split question (number and stem); the pair is listed under
    "split apart" with a restore button that lets the scan group it again."""
    bank, q = sibling_bank(cast.east.provider)
    siblings_scan(bank=bank)
    client = login_client(cast.east.training_admin)
    page = reverse("question_bank:bank_siblings", kwargs={"pk": bank.pk})
    retrain = SiblingGroup.objects.get(members__question=q["retrain_single"])
    shown = client.get(page).text
    assert "data-confirm=" in shown  # the split button asks first
    assert "data-sibling-splits" not in shown
    with translation.override("zh-hans"):
        response = client.post(
            reverse("question_bank:sibling_split", kwargs={"pk": retrain.pk}),
            {"question": q["retrain_true"].pk},
            follow=True,
            headers={"accept-language": "zh-hans"},
        )
    text = response.content.decode()
    assert f"#{q['retrain_true'].pk}「煤矿、非煤矿山" in text
    assert "已拆分" in text
    split = SiblingSplit.objects.get()
    assert f'data-split-entry="{split.pk}"' in text
    assert groups_of(bank) == [{q["fire_single"].pk, q["fire_true"].pk}]
    restored = client.post(reverse("question_bank:sibling_split_undo", kwargs={"pk": split.pk}), follow=True)
    assert not SiblingSplit.objects.exists()
    assert "data-sibling-splits" not in restored.content.decode()
    assert {q["retrain_single"].pk, q["retrain_true"].pk} in groups_of(bank)  # grouped again by the re-scan
    # Another district's trainer cannot restore a pair of this bank.
    sibling_split(
        group=SiblingGroup.objects.get(members__question=q["retrain_single"]),
        question_id=q["retrain_true"].pk,
        user=None,
    )
    split = SiblingSplit.objects.get()
    other = login_client(cast.west.training_admin)
    assert other.post(reverse("question_bank:sibling_split_undo", kwargs={"pk": split.pk})).status_code == 404
    assert SiblingSplit.objects.filter(pk=split.pk).exists()


@pytest.mark.django_db
def test_confirm_all_confirms_the_groups_of_the_page_only(cast: Any) -> None:
    bank, q = sibling_bank(cast.east.provider)
    siblings_scan(bank=bank)
    client = login_client(cast.east.training_admin)
    page = reverse("question_bank:bank_siblings", kwargs={"pk": bank.pk})
    shown = client.get(page).text
    assert "data-sibling-confirm-all" in shown
    assert shown.index("data-sibling-confirm-all") < shown.index("data-sibling-group=")
    assert shown.index("data-siblings-scan") > shown.index("data-sibling-confirm>")  # the re-scan comes last
    fire = SiblingGroup.objects.get(members__question=q["fire_single"])
    retrain = SiblingGroup.objects.get(members__question=q["retrain_single"])
    other_bank, other_q = sibling_bank(cast.east.provider, code="sib2")
    siblings_scan(bank=other_bank)
    foreign = SiblingGroup.objects.get(members__question=other_q["fire_single"])
    url = reverse("question_bank:sibling_confirm_all", kwargs={"pk": bank.pk})
    response = client.post(url, {"group": [fire.pk, foreign.pk]}, follow=True)
    assert SiblingGroup.objects.get(pk=fire.pk).status == SiblingGroup.Status.CONFIRMED
    assert SiblingGroup.objects.get(pk=retrain.pk).status == SiblingGroup.Status.SUGGESTED  # not sent
    assert SiblingGroup.objects.get(pk=foreign.pk).status == SiblingGroup.Status.SUGGESTED  # another bank
    assert "data-sibling-confirm-all" not in response.content.decode()  # one group left to review
    assert login_client(cast.west.training_admin).post(url, {"group": [retrain.pk]}).status_code == 404
    assert SiblingGroup.objects.get(pk=retrain.pk).status == SiblingGroup.Status.SUGGESTED


@pytest.mark.django_db
def test_many_groups_are_paged_and_confirmed_ones_folded(cast: Any) -> None:
    bank = Bank.objects.create(owner=cast.east.provider, code="many", name="多组题库")
    for n in range(12):  # a scan would find these; the page is what is tested here
        group = SiblingGroup.objects.create(bank=bank, similarity=0.9)
        a = add(bank, ("single", f"第{n}号阀门检修前，应首先关闭（  ）。", ["上游阀", "下游阀", "旁路", "备用"], "A"))
        b = add(bank, ("true_false", f"第{n}号阀门检修前，应首先关闭上游阀。", [], True))
        SiblingMember.objects.bulk_create(
            [SiblingMember(group=group, question=a), SiblingMember(group=group, question=b)]
        )
    client = login_client(cast.east.training_admin)
    page = reverse("question_bank:bank_siblings", kwargs={"pk": bank.pk})
    first = client.get(page).text
    assert first.count("data-sibling-group=") == 10
    assert 'class="pager"' in first
    assert first.count("data-sibling-group=") == 10  # page 1 of 2
    sibling_group_confirm(group=SiblingGroup.objects.filter(bank=bank).first(), user=None)
    confirmed = client.get(page, {"status": "confirmed"}).text
    assert confirmed.count("<details") == 1


@pytest.mark.django_db
def test_a_question_split_out_of_three_is_listed_and_restored_once(cast: Any) -> None:
    bank, q = sibling_bank(cast.east.provider)
    group = SiblingGroup.objects.create(bank=bank)
    trio = [q["fire_single"], q["fire_true"], q["other0"]]
    SiblingMember.objects.bulk_create([SiblingMember(group=group, question=x) for x in trio])
    client = login_client(cast.east.training_admin)
    client.post(reverse("question_bank:sibling_split", kwargs={"pk": group.pk}), {"question": q["other0"].pk})
    assert SiblingSplit.objects.count() == 2
    shown = client.get(reverse("question_bank:bank_siblings", kwargs={"pk": bank.pk})).text
    assert shown.count("data-split-entry=") == 1  # one split, one line
    assert f"<b>#{q['other0'].pk}</b>" in shown
    split = SiblingSplit.objects.first()
    client.post(reverse("question_bank:sibling_split_undo", kwargs={"pk": split.pk}))
    assert not SiblingSplit.objects.exists()
