"""Who sees which bank: the one place question-bank scoping lives.

- platform admins manage every bank;
- training admins manage their providers' banks;
- bureau officials read banks of providers in their subtree and banks shared into it;
- learners practise on shared banks whose jurisdiction contains their
  enterprise's, and on platform banks shared with everyone; never on an
  exam-only bank (``Bank.Purpose.EXAM_ONLY``), whose questions reach exams only;
- anyone else sees nothing.

Who may own a bank and where it may be shared (``bank_owner_choices``,
``share_reach_of``, ``sharing_jurisdictions_for``) is read here too: the web
form, the API, the admin and the service all take it from these functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from core.users import is_signed_in
from organizations.models import Jurisdiction, RoleGrant, TrainingProvider
from organizations.selectors import (
    ancestor_paths,
    is_platform_admin,
    jurisdiction_paths_of,
    person_of,
    provider_ids_managed_by,
    subtree_q,
)
from question_bank.models import (
    Bank,
    ImportJob,
    PracticeAnswer,
    PracticeSession,
    Question,
    QuestionType,
    SiblingGroup,
    SiblingMember,
    SiblingSplit,
    WrongAnswer,
)

Role = RoleGrant.Role


def banks_managed_by(user: Any) -> QuerySet[Bank]:
    """Banks whose questions this user may import, edit, retire and export."""
    qs = Bank.objects.select_related("owner", "shared_with")
    if not is_signed_in(user):
        return qs.none()
    if is_platform_admin(user):
        return qs
    return qs.filter(owner_id__in=provider_ids_managed_by(user))


def bank_owner_choices(user: Any) -> QuerySet[TrainingProvider]:
    """Providers this user may own a bank for: the ones they administer (platform admins: any,
    and only they may also create platform banks, owned by no provider)."""
    if not is_signed_in(user):
        return TrainingProvider.objects.none()
    if is_platform_admin(user):
        return TrainingProvider.objects.all()
    return TrainingProvider.objects.filter(pk__in=provider_ids_managed_by(user))


def share_reach_of(owner: TrainingProvider | None) -> QuerySet[Jurisdiction]:
    """Where a bank of ``owner`` may be shared: the jurisdiction the provider serves and
    everything below it. A platform bank (no owner) may be shared anywhere."""
    if owner is None:
        return Jurisdiction.objects.all()
    return Jurisdiction.objects.filter(path__startswith=owner.jurisdiction.path)


def sharing_jurisdictions_for(user: Any) -> QuerySet[Jurisdiction]:
    """Jurisdictions this user may share a bank with, whichever owner they pick (the choices of
    the web form and the admin): anywhere for platform admins, otherwise the union of
    ``share_reach_of`` over the providers they administer. The service then checks the bank's
    actual owner (``services.bank_check_scope``)."""
    if not is_signed_in(user):
        return Jurisdiction.objects.none()
    if is_platform_admin(user):
        return Jurisdiction.objects.all()
    paths = [p.jurisdiction.path for p in bank_owner_choices(user).select_related("jurisdiction")]
    return Jurisdiction.objects.filter(subtree_q(paths, "path"))


def _practisable_q(user: Any) -> Q | None:
    person = person_of(user)
    if person is None:
        return None
    paths = ancestor_paths(person.enterprise.jurisdiction.path)
    return Q(visibility=Bank.Visibility.SHARED, purpose=Bank.Purpose.PRACTICE) & (
        Q(shared_with__path__in=paths) | Q(shared_with__isnull=True, owner__isnull=True)
    )


def banks_visible_to(user: Any) -> QuerySet[Bank]:
    """Banks this user may read (browse and export): managed, supervised or practised on."""
    qs = Bank.objects.select_related("owner", "shared_with")
    if not is_signed_in(user):
        return qs.none()
    if is_platform_admin(user):
        return qs
    q = Q(owner_id__in=provider_ids_managed_by(user))
    paths = jurisdiction_paths_of(user, {Role.BUREAU_OFFICIAL})
    if paths:
        q |= subtree_q(paths, "owner__jurisdiction__path") | (
            Q(visibility=Bank.Visibility.SHARED) & subtree_q(paths, "shared_with__path")
        )
    practisable = _practisable_q(user)
    if practisable is not None:
        q |= practisable
    return qs.filter(q)


def banks_practisable_by(user: Any) -> QuerySet[Bank]:
    qs = Bank.objects.select_related("owner", "shared_with")
    q = _practisable_q(user) if is_signed_in(user) else None
    if q is None:
        return qs.none()
    return qs.filter(q)


def banks_for_lesson_quizzes(user: Any) -> QuerySet[Bank]:
    """Banks a course builder may draw a lesson quiz from: those they may read that are open to
    practice (a quiz shows the questions to learners outside any exam)."""
    return banks_visible_to(user).filter(purpose=Bank.Purpose.PRACTICE)


def practice_allowed_bank_ids() -> QuerySet[Bank]:
    """``pk`` of every bank open to practice, for filtering questions by bank."""
    return Bank.objects.filter(purpose=Bank.Purpose.PRACTICE).values("pk")


def can_manage(user: Any, bank: Bank) -> bool:
    return banks_managed_by(user).filter(pk=bank.pk).exists()


def questions_managed_by(user: Any) -> QuerySet[Question]:
    return Question.objects.filter(bank__in=banks_managed_by(user)).select_related("bank")


def banks_browsable_by(user: Any) -> QuerySet[Bank]:
    """Banks whose questions *with answers* this user may browse and export: managers and supervisors."""
    return Bank.objects.filter(
        Q(pk__in=banks_managed_by(user).values("pk")) | Q(pk__in=_readable_not_practice(user).values("pk"))
    ).select_related("owner", "shared_with")


def questions_visible_to(user: Any) -> QuerySet[Question]:
    """Questions with their answers: for managers and supervisors, never for practice."""
    return Question.objects.filter(bank__in=banks_browsable_by(user).values("pk")).select_related("bank")


def _readable_not_practice(user: Any) -> QuerySet[Bank]:
    qs = Bank.objects.all()
    if not is_signed_in(user):
        return qs.none()
    if is_platform_admin(user):
        return qs
    paths = jurisdiction_paths_of(user, {Role.BUREAU_OFFICIAL})
    if not paths:
        return qs.none()
    return qs.filter(
        subtree_q(paths, "owner__jurisdiction__path")
        | (Q(visibility=Bank.Visibility.SHARED) & subtree_q(paths, "shared_with__path"))
    )


def practice_questions_for(user: Any) -> QuerySet[Question]:
    """Active questions of the banks this learner may practise on."""
    return Question.objects.filter(bank__in=banks_practisable_by(user).values("pk"), is_active=True).select_related(
        "bank"
    )


def practice_sessions_of(user: Any) -> QuerySet[PracticeSession]:
    if not is_signed_in(user):
        return PracticeSession.objects.none()
    return PracticeSession.objects.filter(user=user).select_related("bank")


def last_practice(user: Any) -> tuple[PracticeSession, dt.datetime] | None:
    """The user's latest practice run in a bank they may still practise, and when they last worked in it
    (the last answer, or the start when nothing was answered yet)."""
    sessions = practice_sessions_of(user).filter(bank__in=banks_practisable_by(user).values("pk"))
    started = sessions.order_by("-created_at", "-pk").first()
    if started is None:
        return None
    answered = (
        PracticeAnswer.objects.filter(user=user, session__in=sessions.values("pk"))
        .order_by("-answered_at", "-pk")
        .values_list("session_id", "answered_at")
        .first()
    )
    if answered is not None and answered[1] >= started.created_at:
        return sessions.get(pk=answered[0]), answered[1]
    return started, started.created_at


def import_jobs_visible_to(user: Any) -> QuerySet[ImportJob]:
    return (
        ImportJob.objects.filter(bank__in=banks_managed_by(user).values("pk")).select_related("bank").defer("payload")
    )


def staged_imports_of(user: Any) -> QuerySet[ImportJob]:
    """Imports this user uploaded to a bank they still manage: a staged upload is its uploader's alone."""
    return import_jobs_visible_to(user).filter(created_by=user) if is_signed_in(user) else ImportJob.objects.none()


def tag_q(field: str, tag: str) -> Q:
    """Rows whose ``、``-joined tag field holds exactly ``tag``."""
    return (
        Q(**{field: tag})
        | Q(**{f"{field}__startswith": f"{tag}、"})
        | Q(**{f"{field}__endswith": f"、{tag}"})
        | Q(**{f"{field}__contains": f"、{tag}、"})
    )


def filter_questions(
    qs: QuerySet[Question],
    *,
    search: str = "",
    qtype: str = "",
    difficulty: str = "",
    knowledge_point: str = "",
    tag: str = "",
    active: str = "",
) -> QuerySet[Question]:
    if search:
        qs = qs.filter(Q(stem__icontains=search) | Q(explanation__icontains=search))
    if qtype:
        qs = qs.filter(type=qtype)
    if difficulty.isdigit():
        qs = qs.filter(difficulty=int(difficulty))
    if knowledge_point:
        qs = qs.filter(knowledge_point=knowledge_point)
    if tag:
        qs = qs.filter(tag_q("industry_tags", tag) | tag_q("post_tags", tag))
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs


def knowledge_points(qs: QuerySet[Question]) -> list[str]:
    return [k for k in qs.order_by().values_list("knowledge_point", flat=True).distinct() if k]


def industry_tags(qs: QuerySet[Question]) -> list[str]:
    tags: dict[str, None] = {}
    for value in qs.order_by().values_list("industry_tags", flat=True).distinct()[:500]:
        for tag in value.split("、"):
            if tag:
                tags[tag] = None
    return sorted(tags)


def accuracy_by_knowledge_point(user: Any) -> list[dict[str, Any]]:
    """Per knowledge point: answers given in practice, how many right, and the rate."""
    if not is_signed_in(user):
        return []
    rows = (
        # A subjective answer counts once the learner has marked it.
        PracticeAnswer.objects.filter(user=user, is_correct__isnull=False)
        .values("question__knowledge_point")
        .annotate(total=Count("pk"), correct=Count("pk", filter=Q(is_correct=True)))
        .order_by("question__knowledge_point")
    )
    return [
        {
            "knowledge_point": row["question__knowledge_point"],
            "total": row["total"],
            "correct": row["correct"],
            "rate": round(100 * row["correct"] / row["total"]) if row["total"] else 0,
        }
        for row in rows
    ]


def wrong_answer_count(user: Any, bank: Bank | None = None) -> int:
    if not is_signed_in(user):
        return 0
    # A bank turned exam-only since the answer was given leaves the book.
    qs = WrongAnswer.objects.filter(user=user, question__bank__purpose=Bank.Purpose.PRACTICE)
    if bank is not None:
        qs = qs.filter(question__bank=bank)
    return qs.count()


def wrong_question_ids(user: Any) -> QuerySet[WrongAnswer]:
    return WrongAnswer.objects.filter(user=user, question__bank__purpose=Bank.Purpose.PRACTICE).values("question_id")


def subjective_count(bank_ids: Any) -> int:
    """Active subjective questions in these banks: exams and lesson quizzes leave them out (nobody
    marks them there), and their builders say how many were left out."""
    return Question.objects.filter(bank_id__in=bank_ids, is_active=True, type=QuestionType.SUBJECTIVE).count()


def sibling_groups_visible_to(user: Any) -> QuerySet[SiblingGroup]:
    """Sibling groups of the banks this user may edit: only they see and change them."""
    return SiblingGroup.objects.filter(bank__in=banks_managed_by(user).values("pk")).select_related("bank")


def sibling_splits_visible_to(user: Any) -> QuerySet[SiblingSplit]:
    """Pairs split apart in the banks this user may edit, newest first, with both questions."""
    return (
        SiblingSplit.objects.filter(question__bank__in=banks_managed_by(user).values("pk"))
        .select_related("question", "other")
        .order_by("-split_at", "-pk")
    )


def sibling_keys(questions: QuerySet[Question]) -> dict[int, int]:
    """Question id -> its sibling group, for those of ``questions`` in a group (suggested or
    confirmed: both keep their members apart in a draw). One query, ``questions`` as a subquery."""
    return dict(
        SiblingMember.objects.filter(question__in=questions.order_by().values("pk")).values_list(
            "question_id", "group_id"
        )
    )


def sibling_members_of(groups: Any) -> dict[int, list[SiblingMember]]:
    """Each group's members with their questions (one query), by group id."""
    found: dict[int, list[SiblingMember]] = {}
    for member in (
        SiblingMember.objects.filter(group__in=list(groups)).select_related("question").order_by("question_id")
    ):
        found.setdefault(member.group_id, []).append(member)
    return found
