"""Demo exams for seed_demo: an open session, one gated on a course, and a past one with results.

Runs after the question-bank and training demo seeding and uses their bank and
courses when present; without them it makes a small bank of its own.
Idempotent: sessions are looked up by title.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.utils import timezone

from exams.models import Attempt, CertificateType, ExamSession, PaperTemplate
from exams.services.attempts import attempt_save_answer, attempt_start, attempt_submit
from exams.services.papers import RuleSpec, paper_create_rules
from exams.services.sessions import session_create, session_prepare
from organizations.models import Enterprise, Person, TrainingProvider
from question_bank.importers import fingerprint
from question_bank.models import Bank, Question, QuestionType

OPEN_TITLE = "2026年新员工岗前安全培训考试"
# The exam pages say what is needed and when it closed: a title does not.
GATED_TITLE = "车间级安全教育结业考试"
PAST_TITLE = "2026年第四季度主要负责人和安全管理人员安全生产知识考核"
PAPER_NAME = "新员工岗前安全培训试卷"
WANTED = {QuestionType.SINGLE: 10, QuestionType.MULTIPLE: 4, QuestionType.TRUE_FALSE: 4, QuestionType.FILL_BLANK: 2}
SCORES = {
    QuestionType.SINGLE: "5",
    QuestionType.MULTIPLE: "5",
    QuestionType.TRUE_FALSE: "5",
    QuestionType.FILL_BLANK: "5",
}

_FALLBACK = [
    ("single", "发生火灾时应拨打的报警电话是？", ["110", "119", "120", "122"], "B", "消防安全"),
    (
        "single",
        "有限空间作业应遵循的原则是？",
        ["先检测后通风", "先通风、再检测、后作业", "边作业边检测", "无需检测"],
        "B",
        "有限空间",
    ),
    ("single", "安全色中表示禁止、停止的是？", ["红色", "黄色", "蓝色", "绿色"], "A", "安全标志"),
    ("single", "从业人员发现事故隐患应当？", ["自行处理", "立即报告", "置之不理", "下班后报告"], "B", "权利义务"),
    ("single", "危险化学品仓库内严禁？", ["通风", "使用明火", "设置标志", "定期检查"], "B", "危险化学品"),
    ("multiple", "三级安全教育包括？", ["厂级", "车间级", "班组级", "家庭级"], "ABC", "三级安全教育"),
    ("multiple", "灭火的基本方法有？", ["冷却法", "窒息法", "隔离法", "加热法"], "ABC", "消防安全"),
    ("true_false", "特种作业人员必须持证上岗。", [], True, "特种作业"),
    ("true_false", "安全帽可以不系下颏带。", [], False, "个体防护"),
    ("fill_blank", "我国安全生产方针是安全第一、____、综合治理。", [], [["预防为主"]], "安全生产方针"),
]


def _fallback_bank(provider: TrainingProvider) -> Bank:
    bank, _created = Bank.objects.get_or_create(
        code="demo-exam-basics",
        defaults={"owner": provider, "name": "考试示范题库", "purpose": Bank.Purpose.EXAM_ONLY},
    )
    for qtype, stem, options, answer, kp in _FALLBACK:
        fp = fingerprint(qtype, stem, options, answer)
        Question.objects.get_or_create(
            bank=bank,
            fingerprint=fp,
            defaults={"type": qtype, "stem": stem, "options": options, "answer": answer, "knowledge_point": kp},
        )
    return bank


def _bank(provider: TrainingProvider) -> Bank:
    # The exam-only demo bank: the demo learner cannot have practised the paper's questions.
    from demo.question_bank import DEMO_EXAM_BANK_CODE

    bank = Bank.objects.filter(code=DEMO_EXAM_BANK_CODE).first()
    if bank is not None and Question.objects.filter(bank=bank, is_active=True).count() >= 10:
        return bank
    return _fallback_bank(provider)


def _paper(provider: TrainingProvider, bank: Bank, name: str) -> PaperTemplate:
    existing = PaperTemplate.objects.filter(provider=provider, name=name).first()
    if existing is not None:
        return existing
    available = dict(
        Question.objects.filter(bank=bank, is_active=True).values_list("type").annotate(n=Count("pk")).order_by()
    )
    rules = [
        RuleSpec(qtype=qtype, count=min(want, available[qtype]), score=Decimal(SCORES[qtype]), banks=[bank])
        for qtype, want in WANTED.items()
        if available.get(qtype)
    ]
    return paper_create_rules(provider=provider, name=name, rules=rules)


def _sit(session: ExamSession, person: Person, share: float, when: dt.datetime, rng: random.Random) -> Attempt:
    attempt = attempt_start(notice_confirmed=True, session=session, person=person, now=when)
    for seq, aq in enumerate(attempt.questions.order_by("position"), start=1):
        right = rng.random() < share
        if aq.qtype == QuestionType.FILL_BLANK:
            answer: Any = [alts[0] for alts in aq.answer] if right else ["不会"] * len(aq.answer)
        elif aq.qtype == QuestionType.TRUE_FALSE:
            answer = aq.answer if right else not aq.answer
        elif right:
            answer = aq.answer
        else:
            wrong = [ch for ch in "ABCD"[: len(aq.options)] if ch not in aq.answer]
            answer = wrong[0] if wrong else None
        attempt_save_answer(
            attempt=attempt, question_id=aq.pk, answer=answer, client_seq=1, now=when + dt.timedelta(seconds=20 * seq)
        )
    return attempt_submit(
        attempt=attempt, reason=Attempt.SubmitReason.EXAMINEE, now=when + dt.timedelta(minutes=25)
    ).attempt


def _session(paper: PaperTemplate, enterprise: Enterprise, title: str, **rules: Any) -> ExamSession:
    """A demo session of the provider's paper for the learner's enterprise, passed at 60."""
    return session_create(
        provider=paper.provider,
        paper=paper,
        title=title,
        pass_score=Decimal("60"),
        eligible_enterprises=[enterprise],
        **rules,
    )


def seed(*, provider: TrainingProvider, learner: Person) -> dict[str, Any]:
    now = timezone.now()
    enterprise = learner.enterprise
    bank = _bank(provider)
    paper = _paper(provider, bank, PAPER_NAME)
    result: dict[str, Any] = {"bank": bank, "paper": paper}
    # Open now, for two months: the sessions a demo learner can sit today.
    open_now = {
        "opens_at": now - dt.timedelta(hours=1),
        "closes_at": now + dt.timedelta(days=60),
        "duration_minutes": 30,
    }

    open_session = ExamSession.objects.filter(title=OPEN_TITLE).first()
    if open_session is None:
        open_session = _session(
            paper,
            enterprise,
            OPEN_TITLE,
            **open_now,
            attempts_allowed=3,
            review_answers=True,
            partial_credit=True,
            certificate_type=CertificateType.NEW_EMPLOYEE,
        )
        session_prepare(session=open_session, now=now)
    result["open"] = open_session

    if ExamSession.objects.filter(title=GATED_TITLE).first() is None:
        from training.models import Course

        course = (
            Course.objects.filter(owner_provider=provider, title__contains="车间").first()
            or Course.objects.filter(owner_provider=provider).first()
        )
        if course is not None:
            result["gated"] = _session(paper, enterprise, GATED_TITLE, **open_now, required_course=course)

    past = ExamSession.objects.filter(title=PAST_TITLE).first()
    if past is None:
        # Recent enough that its proctoring snapshots are inside the media retention
        # (30 days by default): the review page of the flagged attempt shows them.
        opens = now - dt.timedelta(days=3)
        past = _session(
            paper,
            enterprise,
            PAST_TITLE,
            opens_at=opens,
            closes_at=opens + dt.timedelta(days=2),
            duration_minutes=60,
            result_release=ExamSession.Release.AFTER_CLOSE,
            review_answers=True,
            certificate_type=CertificateType.PRINCIPAL,
        )
        rng = random.Random(2026)  # noqa: S311 - demo data
        people = list(Person.objects.filter(enterprise=enterprise).exclude(pk=learner.pk).order_by("pk")[:24])
        principal = Person.objects.filter(user__username="demo_principal").first()
        for index, person in enumerate(people):
            share = 0.95 if person == principal else 0.35 + 0.6 * rng.random()
            _sit(past, person, share, opens + dt.timedelta(hours=2, minutes=index), rng)
    result["past"] = past
    return result
