"""What the exam manage pages and the exam lines elsewhere say, as a trainer reads them on a phone.

分数统计 never contradicts itself (34 examinees above, 暂无成绩 under 试题分析 was the demo's page) and
writes no needless ".0" nor a 0 nobody scored; 一人一档 writes a score as the result page does; 安排考试
offers 请选择试卷 and the enterprises ticked by jurisdiction, still checked on the server; the sessions list
is paged, under way and not started first, and an ended session is no longer set up for proctoring.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt, ExamSession
from tests import factories
from tests.conftest import Cast, login_client
from tests.exams.conftest import make_session, session_form_data
from tests.exams.test_results_and_certificates import sit

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _tree(client: Any, url: str) -> Any:
    response = client.get(url, **ZH)
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def _text(tree: Any, xpath: str) -> str:
    return " ".join(" ".join(node.text_content().split()) for node in tree.xpath(xpath))


def _total_only(session: ExamSession, person: Any, score: int) -> Attempt:
    """A submitted result recorded as a total only, without its questions (the demo's past sessions)."""
    now = timezone.now()
    return Attempt.objects.create(
        session=session,
        person=person,
        seq=1,
        status=Attempt.Status.SUBMITTED,
        max_score=Decimal("100"),
        started_at=now - dt.timedelta(hours=1),
        deadline=now,
        submitted_at=now - dt.timedelta(minutes=20),
        submit_reason=Attempt.SubmitReason.EXAMINEE,
        graded_at=now - dt.timedelta(minutes=20),
        score=Decimal(score),
        passed=score >= 60,
    )


def _stats(cast: Cast, session: ExamSession) -> Any:
    return _tree(login_client(cast.east.training_admin), reverse("exams:session_stats", args=[session.pk]))


def test_statistics_of_results_without_answers_say_so_rather_than_no_results(cast: Cast, exam: dict[str, Any]) -> None:
    session = exam["session"]
    enterprise = cast.east.enterprises[0]
    for score in (97, 32, 78):
        _total_only(session, factories.make_person(enterprise), score)
    tree = _stats(cast, session)
    assert _text(tree, "//*[@data-examinees]") == "3"
    # 69.0 and 97.0 were written with their ".0".
    assert _text(tree, "//*[@data-average]") == "69"
    assert _text(tree, "//*[@data-highest]") == "97"
    assert _text(tree, "//*[@data-lowest]") == "32"
    assert _text(tree, "//*[@data-enterprise-average]") == "69"
    items = _text(tree, "//*[@data-no-items]")
    assert "没有逐题作答记录" in items
    assert "暂无成绩" not in items
    assert not tree.xpath("//table[@data-items]")


def test_statistics_say_which_results_the_item_analysis_counts(cast: Cast, exam: dict[str, Any]) -> None:
    session = exam["session"]
    sit(session, cast.east.learner, right=6)
    _total_only(session, factories.make_person(cast.east.enterprises[1]), 70)
    tree = _stats(cast, session)
    assert tree.xpath("//table[@data-items]//tbody/tr")
    assert "试题分析计入 2 份成绩中的 1 份" in _text(tree, "//*[@data-items-partial]")


def test_statistics_without_any_result_show_no_figure(cast: Cast, exam: dict[str, Any]) -> None:
    tree = _stats(cast, exam["session"])
    assert _text(tree, "//*[@data-examinees]") == "0"
    for figure in ("data-pass-rate", "data-average", "data-highest", "data-lowest"):
        assert _text(tree, f"//*[@{figure}]") == "—", figure
    assert not tree.xpath("//svg")
    assert _text(tree, "//*[@data-no-items]") == "暂无成绩。"


def test_the_person_file_writes_a_score_as_the_result_page_does(cast: Cast, exam: dict[str, Any]) -> None:
    attempt = sit(exam["session"], cast.east.learner, right=8)
    assert attempt.score == Decimal("40")
    client = login_client(cast.east.enterprise_admin)
    tree = _tree(client, reverse("organizations:person_detail", args=[cast.east.learner.pk]))
    attempts = _text(tree, '//section[@data-section="attempts"]')
    assert "40 / 40" in attempts
    assert "40.0" not in attempts
    result = _text(_tree(login_client(cast.east.learner.user), reverse("exams:result", args=[attempt.pk])), "//main")
    assert "40 / 40" in result


def test_the_result_page_gives_the_submission_time_to_the_minute(cast: Cast, exam: dict[str, Any]) -> None:
    attempt = sit(exam["session"], cast.east.learner, right=8)
    Attempt.objects.filter(pk=attempt.pk).update(
        submitted_at=timezone.make_aware(dt.datetime(2026, 10, 11, 11, 35, 27))
    )
    tree = _tree(login_client(cast.east.learner.user), reverse("exams:result", args=[attempt.pk]))
    line = _text(tree, "//*[@data-result]/p[1]")
    assert "2026-10-11 11:35" in line
    assert "11:35:27" not in line


def test_the_session_form_asks_for_a_paper_and_lists_enterprises_by_jurisdiction(
    cast: Cast, exam: dict[str, Any]
) -> None:
    tree = _tree(login_client(cast.east.training_admin), reverse("exams:session_new"))
    [paper] = tree.xpath('//select[@name="paper"]')
    assert paper.xpath("./option")[0].text_content() == "请选择试卷"
    assert "---------" not in lxml.html.tostring(tree, encoding="unicode")
    assert tree.xpath('//input[@name="opens_at"][@type="datetime-local"]')
    groups = {
        " ".join(g.xpath("./summary")[0].text.split()): [
            " ".join(label.text_content().split()) for label in g.xpath(".//label")
        ]
        for g in tree.xpath("//*[@data-enterprise-picker]//details")
    }
    street, root = cast.east.enterprises
    assert groups == {
        cast.east.jurisdiction.name: [root.name],
        f"{cast.east.jurisdiction.name}第一街道": [street.name],
    }
    assert not tree.xpath('//select[@name="eligible_enterprises"]')


def test_the_session_form_still_refuses_an_enterprise_out_of_reach(cast: Cast, exam: dict[str, Any]) -> None:
    admin = login_client(cast.east.training_admin)
    west = cast.west.enterprises[0]
    refused = admin.post(
        reverse("exams:session_new"),
        session_form_data(exam["paper"], "西区的考试", eligible_enterprises=[west.pk]),
        **ZH,
    )
    assert refused.status_code == 200
    assert not ExamSession.objects.filter(title="西区的考试").exists()
    east = cast.east.enterprises[0]
    again = lxml.html.fromstring(
        admin.post(
            reverse("exams:session_new"),
            session_form_data(exam["paper"], "", eligible_enterprises=[east.pk]),
            **ZH,
        ).content.decode()
    )
    # The form comes back with the enterprise still ticked and its group open.
    [ticked] = again.xpath('//input[@name="eligible_enterprises"][@checked]')
    assert ticked.get("value") == str(east.pk)
    assert ticked.xpath("ancestor::details")[0].get("open") is not None
    assert _text(again, "//*[@data-picker-chosen]") == "1"
    admin.post(
        reverse("exams:session_new"),
        session_form_data(exam["paper"], "东区的考试", eligible_enterprises=[east.pk]),
    )
    assert list(ExamSession.objects.get(title="东区的考试").eligible_enterprises.all()) == [east]


def test_the_paper_form_ticks_banks_by_their_whole_name(cast: Cast, exam: dict[str, Any]) -> None:
    tree = _tree(login_client(cast.east.training_admin), reverse("exams:paper_new"))
    labels = tree.xpath('//fieldset[contains(@class, "rule-banks")]//label')
    assert [" ".join(label.text_content().split()) for label in labels[:1]] == [exam["bank"].name]
    assert not tree.xpath('//select[@name="r0_banks"]')


def test_the_sessions_list_is_paged_open_and_upcoming_first(cast: Cast, exam: dict[str, Any]) -> None:
    provider, paper = cast.east.provider, exam["paper"]
    now = timezone.now()
    ended = [
        make_session(
            provider,
            paper,
            title=f"旧考试{i:02d}",
            opens_at=now - dt.timedelta(days=30 + i),
            closes_at=now - dt.timedelta(days=29 + i),
        )
        for i in range(12)
    ]
    upcoming = make_session(
        provider, paper, title="下周的考试", opens_at=now + dt.timedelta(days=7), closes_at=now + dt.timedelta(days=8)
    )
    client = login_client(cast.east.training_admin)
    first = _tree(client, reverse("exams:admin_home"))
    rows = [int(tr.get("data-session")) for tr in first.xpath("//tr[@data-session]")]
    assert len(rows) == 10
    # Under way (the fixture's session), then not started, then the latest ended.
    assert rows[:4] == [exam["session"].pk, upcoming.pk, ended[0].pk, ended[1].pk]
    assert "第 1 页，共 2 页" in _text(first, "//nav[@class='pager']")
    second = _tree(client, reverse("exams:admin_home") + "?page=2")
    assert [int(tr.get("data-session")) for tr in second.xpath("//tr[@data-session]")] == [s.pk for s in ended[8:]]


def test_an_ended_session_is_not_offered_proctoring_setup(cast: Cast, exam: dict[str, Any]) -> None:
    now = timezone.now()
    ended = make_session(
        cast.east.provider,
        exam["paper"],
        title="上周的考试",
        opens_at=now - dt.timedelta(days=7),
        closes_at=now - dt.timedelta(days=6),
    )
    client = login_client(cast.east.training_admin)
    tree = _tree(client, reverse("exams:admin_home"))
    policy = reverse("proctoring:policy_edit", args=[ended.pk])
    ended_row = tree.xpath(f'//tr[@data-session="{ended.pk}"]')[0]
    assert not ended_row.xpath(f'.//a[@href="{policy}"]')
    assert "未设监考" in " ".join(ended_row.text_content().split())
    open_row = tree.xpath(f'//tr[@data-session="{exam["session"].pk}"]')[0]
    assert open_row.xpath(".//a[@data-policy-link]")
    stats = _tree(client, reverse("exams:session_stats", args=[ended.pk]))
    assert not stats.xpath(f'//a[@href="{policy}"]')
    assert _tree(client, reverse("exams:session_stats", args=[exam["session"].pk])).xpath("//a[@data-policy-link]")
