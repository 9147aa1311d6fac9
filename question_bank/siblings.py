"""Sibling (near-duplicate) question groups: the scan, confirm and split services.

Every door (the bank's siblings page, an import, ``manage.py`` through the import) calls these.
Who may see and change a bank's groups: ``selectors.sibling_groups_visible_to`` (those who may
edit the bank). Draws read the groups through ``selectors.sibling_keys``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ServiceError
from question_bank.models import AUTO_GRADED_TYPES, Bank, Question, SiblingGroup, SiblingMember, SiblingSplit
from question_bank.similarity import Item, cluster, similar_pairs


class SiblingRefused(ServiceError):
    code = "sibling_refused"
    status = 400


@dataclass
class ScanResult:
    scanned: int  # active machine-graded questions compared
    groups: int  # sibling groups in the bank after the scan
    suggested: int  # of which waiting for the trainer


def sibling_threshold() -> float:
    return settings.QUESTION_BANK_SIBLING_PERCENT / 100


def siblings_scan(*, bank: Bank, threshold: float | None = None) -> ScanResult:
    """Recompute the bank's suggested groups; confirmed members stay, split pairs stay apart.

    Unconfirmed memberships are dropped and found again from the texts, so an edited or
    retired question leaves a suggestion it no longer belongs to. A confirmed group may grow
    (it is then suggested again, for the trainer to look at the newcomer); two groups never merge.
    """
    threshold = sibling_threshold() if threshold is None else threshold
    # The texts are compared outside the transaction: seconds for a large bank, no lock held.
    rows = Question.objects.filter(bank=bank, is_active=True, type__in=AUTO_GRADED_TYPES).values_list(
        "pk", "type", "stem", "options", "answer"
    )
    items = [Item(pk, qtype, stem, options or (), answer) for pk, qtype, stem, options, answer in rows]
    pairs = similar_pairs(items, threshold=threshold)
    with transaction.atomic():
        if Bank.objects.select_for_update().filter(pk=bank.pk).first() is None:  # one scan writes at a time
            return ScanResult(scanned=0, groups=0, suggested=0)  # the bank is gone
        alive = set(Question.objects.filter(bank=bank).values_list("pk", flat=True))  # deleted meanwhile: left out
        pairs = {pair: score for pair, score in pairs.items() if pair[0] in alive and pair[1] in alive}
        SiblingMember.objects.filter(group__bank=bank, confirmed=False).delete()
        SiblingGroup.objects.filter(bank=bank).annotate(n=Count("members")).filter(n__lt=2).delete()
        members: dict[int, list[int]] = {}
        for group_id, question_id in SiblingMember.objects.filter(group__bank=bank).values_list(
            "group_id", "question_id"
        ):
            members.setdefault(group_id, []).append(question_id)
        group_of = {q: g for g, qs in members.items() for q in qs}
        apart = SiblingSplit.objects.filter(question__bank=bank).values_list("question_id", "other_id")
        new_members: list[SiblingMember] = []
        grown: list[int] = []
        found_groups = cluster(pairs, seeds=members.values(), apart=apart)
        component = {q: index for index, found in enumerate(found_groups) for q in found}
        strongest = [0.0] * len(found_groups)
        for (a, b), score in pairs.items():
            if a in component and component[a] == component.get(b):
                strongest[component[a]] = max(strongest[component[a]], score)
        for index, found in enumerate(found_groups):
            existing = {group_of[q] for q in found if q in group_of}
            if existing:
                group_id = existing.pop()
                joining = [q for q in found if q not in group_of]
                if joining:
                    grown.append(group_id)
                    new_members += [SiblingMember(group_id=group_id, question_id=q) for q in joining]
                continue
            group = SiblingGroup.objects.create(bank=bank, similarity=round(strongest[index], 3))
            new_members += [SiblingMember(group=group, question_id=q) for q in sorted(found)]
        SiblingMember.objects.bulk_create(new_members)
        SiblingGroup.objects.filter(pk__in=grown).update(status=SiblingGroup.Status.SUGGESTED)
        groups = SiblingGroup.objects.filter(bank=bank)
        return ScanResult(
            scanned=len(items),
            groups=groups.count(),
            suggested=groups.filter(status=SiblingGroup.Status.SUGGESTED).count(),
        )


def siblings_scan_soon(*, bank: Bank) -> ScanResult | None:
    """Scan now when the bank is small enough for it to be cheap (the result), else queue the
    scan in the background after commit (``None``): what an import and the page's button run."""
    from core.background import enqueue
    from question_bank.tasks import run_sibling_scan

    if Question.objects.filter(bank=bank, is_active=True).count() <= settings.QUESTION_BANK_SIBLING_AUTO_SCAN_MAX:
        return siblings_scan(bank=bank)
    enqueue(run_sibling_scan, bank.pk)
    return None


@transaction.atomic
def sibling_group_confirm(*, group: SiblingGroup, user: Any) -> SiblingGroup:
    """The trainer agrees: every member now is a sibling of the others (re-scans keep them)."""
    group.members.update(confirmed=True)
    group.status = SiblingGroup.Status.CONFIRMED
    group.confirmed_at = timezone.now()
    group.confirmed_by = user
    group.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    return group


@transaction.atomic
def sibling_split(*, group: SiblingGroup, question_id: int, user: Any) -> SiblingGroup | None:
    """Take one question out of its group, remembered against each other member so no scan
    groups them again. A group left with one question ends (``None``)."""
    member = SiblingMember.objects.filter(group=group, question_id=question_id).first()
    if member is None:
        raise SiblingRefused(_("This question is not in the group."))
    others = list(group.members.exclude(pk=member.pk).values_list("question_id", flat=True))
    SiblingSplit.objects.bulk_create(
        [
            SiblingSplit(question_id=min(question_id, other), other_id=max(question_id, other), split_by=user)
            for other in others
        ],
        ignore_conflicts=True,
    )
    member.delete()
    if len(others) < 2:
        group.delete()
        return None
    return group


def sibling_groups_confirm(*, groups: Any, user: Any) -> int:
    """Confirm every suggested group of ``groups`` at once (the page's "confirm all"); how many."""
    confirmed = 0
    with transaction.atomic():
        for group in groups:
            if group.status != SiblingGroup.Status.CONFIRMED:
                sibling_group_confirm(group=group, user=user)
                confirmed += 1
    return confirmed


def sibling_split_batch(*, split: SiblingSplit, among: Any = None) -> tuple[int | None, list[SiblingSplit]]:
    """The pairs one "split out" stored along with ``split`` (same person, same moment, one question
    in common) and that question (``None`` when it cannot be told: a single pair)."""
    from datetime import timedelta

    if among is None:
        among = SiblingSplit.objects.filter(
            question__bank_id=split.question.bank_id,
            split_by_id=split.split_by_id,
            split_at__range=(split.split_at - timedelta(seconds=2), split.split_at + timedelta(seconds=2)),
        )
    pair = {split.question_id, split.other_id}
    batch = [s for s in among if {s.question_id, s.other_id} & pair and s.split_by_id == split.split_by_id]
    batch = [s for s in batch if abs((s.split_at - split.split_at).total_seconds()) <= 2] or [split]
    common = set.intersection(*({s.question_id, s.other_id} for s in batch))
    if len(batch) < 2 or len(common) != 1:
        return None, [split]
    return common.pop(), batch


def sibling_split_undo(*, split: SiblingSplit) -> ScanResult | None:
    """Forget that the trainer split this question out (every pair that split stored); the bank
    is scanned again so they are suggested as one group when they still read alike (``None``:
    the scan is queued)."""
    bank = split.question.bank
    _question, batch = sibling_split_batch(split=split)
    SiblingSplit.objects.filter(pk__in=[s.pk for s in batch]).delete()
    return siblings_scan_soon(bank=bank)
