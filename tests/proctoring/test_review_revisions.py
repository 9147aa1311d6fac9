"""Review decisions can be revisited: every decision stays on record, the latest is in force."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from exams import certificates
from exams.models import Attempt, Certificate, CertificateType
from exams.services.attempts import attempt_save_answer, attempt_start
from exams.services.certificates import certificate_revoke
from proctoring import review
from proctoring.models import ReviewDecision
from proctoring.services.actions import policy_set, proctor_terminate, review_decide
from proctoring.services.errors import BadEvent
from tests.conftest import Cast, english_client
from tests.exams.conftest import correct_answer, make_bank, make_paper, make_session
from tests.proctoring.conftest import pass_identity_check

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def flagged(cast: Cast) -> Attempt:
    """A passed, certified EAST attempt that a proctor ended (so it is flagged and in the review queue)."""
    provider = cast.east.provider
    session = make_session(
        provider,
        make_paper(provider, make_bank(provider, code="revise")),
        title="可复核考试",
        certificate_type=CertificateType.NEW_EMPLOYEE,
    )
    policy_set(session=session)
    pass_identity_check(session, cast.east.learner, cast.east.proctor)
    attempt = attempt_start(notice_confirmed=True, session=session, person=cast.east.learner)
    for aq in attempt.questions.all():
        attempt_save_answer(attempt=attempt, question_id=aq.pk, answer=correct_answer(aq), client_seq=1)
    return proctor_terminate(attempt=attempt, by=cast.east.proctor, reason="疑似旁人提示")


def _verify_state(certificate: Certificate) -> str:
    """What the public page behind the QR code says (anyone, not signed in)."""
    page = Client().get(certificates.verify_path(certificate)).content.decode()
    match = re.search(r'data-state="(\w+)"', page)
    return match.group(1) if match else ""


def test_invalid_then_valid_restores_the_score_and_the_same_certificate(cast: Cast, flagged: Attempt) -> None:
    score = flagged.score
    certificate = Certificate.objects.get(attempt=flagged)
    detail = reverse("proctoring:review_detail", args=[flagged.pk])
    proctor = english_client(cast.east.proctor)
    proctor.post(detail, {"decision": "invalid", "reason": "另一人代考"})
    flagged.refresh_from_db()
    assert flagged.status == Attempt.Status.INVALIDATED
    assert _verify_state(certificate) == "revoked"
    first = ReviewDecision.objects.get()

    page = proctor.get(detail).content.decode()
    assert "data-revise-valid" in page
    # A change needs a reason, and the decision it was read against; nothing moves without them.
    proctor.post(detail, {"action": "revise", "current": first.pk, "decision": "valid", "reason": " "})
    proctor.post(detail, {"action": "revise", "decision": "valid", "reason": "复核录像：本人作答"})
    assert ReviewDecision.objects.count() == 1
    assert Attempt.objects.get(pk=flagged.pk).status == Attempt.Status.INVALIDATED

    proctor.post(detail, {"action": "revise", "current": first.pk, "decision": "valid", "reason": "复核录像：本人作答"})
    flagged.refresh_from_db()
    assert (flagged.status, flagged.passed, flagged.score, flagged.invalidated_reason) == (
        Attempt.Status.SUBMITTED,
        True,
        score,
        "",
    )
    reissued = Certificate.objects.get(attempt=flagged)
    assert (reissued.pk, reissued.number, reissued.status) == (certificate.pk, certificate.number, "valid")
    assert _verify_state(reissued) == "valid"
    # The examinee sees the result again.
    result = english_client(cast.east.learner.user).get(reverse("exams:result", args=[flagged.pk])).content.decode()
    assert "invalidated" not in result
    assert f'data-score="{score}"' in result

    # The first decision is untouched; the new one revises it and is the one in force.
    first_again = ReviewDecision.objects.get(pk=first.pk)
    assert (first_again.decision, first_again.reason, first_again.decided_by) == (
        "invalid",
        "另一人代考",
        cast.east.proctor,
    )
    latest = ReviewDecision.objects.exclude(pk=first.pk).get()
    assert (latest.decision, latest.reason, latest.revises_id) == ("valid", "复核录像：本人作答", first.pk)
    page = proctor.get(detail).content.decode()
    assert page.index('data-history-row="valid"') < page.index('data-history-row="invalid"')
    assert "另一人代考" in page
    assert "复核录像：本人作答" in page
    queue = proctor.get(reverse("proctoring:review_queue")).content.decode()
    assert queue.count(reverse("proctoring:review_detail", args=[flagged.pk])) == 1  # current decision only


def test_a_platform_admin_turns_valid_into_invalid(cast: Cast, flagged: Attempt) -> None:
    first = review_decide(attempt=flagged, by=cast.east.proctor, decision="valid")
    detail = reverse("proctoring:review_detail", args=[flagged.pk])
    admin = english_client(cast.platform_admin)
    assert "data-revise-invalid" in admin.get(detail).content.decode()
    admin.post(detail, {"action": "revise", "current": first.pk, "decision": "invalid", "reason": "监考复查发现作弊"})
    flagged.refresh_from_db()
    assert (flagged.status, flagged.passed) == (Attempt.Status.INVALIDATED, False)
    certificate = Certificate.objects.get(attempt=flagged)
    assert (certificate.status, certificate.revoked_reason) == ("revoked", "监考复查发现作弊")
    latest = ReviewDecision.objects.get(revises=first)
    assert (latest.decision, latest.decided_by) == ("invalid", cast.platform_admin)
    assert ReviewDecision.objects.get(pk=first.pk).decision == "valid"


def test_a_stale_or_pointless_revision_is_refused(cast: Cast, flagged: Attempt) -> None:
    first = review_decide(attempt=flagged, by=cast.east.proctor, decision="valid")
    with pytest.raises(BadEvent):
        review.review_revise(attempt=flagged, by=cast.east.proctor, decision="valid", reason="再确认")
    second = review.review_revise(
        attempt=flagged, by=cast.east.proctor, decision="invalid", reason="作弊", expected=first.pk
    )
    # Someone still looking at the first decision cannot silently override the second.
    with pytest.raises(review.DecisionChanged):
        review.review_revise(attempt=flagged, by=cast.platform_admin, decision="valid", reason="x", expected=first.pk)
    assert ReviewDecision.objects.count() == 2
    assert Attempt.objects.get(pk=flagged.pk).status == Attempt.Status.INVALIDATED
    # The database keeps the chain linear too: one first decision, one revision per decision.
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewDecision.objects.create(attempt=flagged, decision="valid", reason="x", decided_by=cast.east.proctor)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewDecision.objects.create(
            attempt=flagged, decision="valid", reason="x", decided_by=cast.east.proctor, revises=first
        )
    assert second.revises_id == first.pk


def test_reinstating_keeps_a_certificate_revoked_for_another_reason(cast: Cast, flagged: Attempt) -> None:
    certificate = Certificate.objects.get(attempt=flagged)
    certificate_revoke(certificate=certificate, reason="证书信息有误")
    first = review_decide(attempt=flagged, by=cast.east.proctor, decision="invalid", reason="代考")
    review.review_revise(attempt=flagged, by=cast.east.proctor, decision="valid", reason="误判", expected=first.pk)
    assert Attempt.objects.get(pk=flagged.pk).status == Attempt.Status.SUBMITTED
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revoked_reason) == ("revoked", "证书信息有误")


def test_only_the_sessions_proctors_and_platform_admins_revise(cast: Cast, flagged: Attempt) -> None:
    first = review_decide(attempt=flagged, by=cast.east.proctor, decision="invalid", reason="代考")
    detail = reverse("proctoring:review_detail", args=[flagged.pk])
    form = {"action": "revise", "current": first.pk, "decision": "valid", "reason": "本人作答"}
    others = (
        cast.west.proctor,
        cast.east.bureau,
        cast.east.training_admin,
        cast.east.enterprise_admin,
        cast.east.learner.user,
        cast.outsider,
    )
    for user in others:
        assert english_client(user).post(detail, form).status_code == 404, user
    assert ReviewDecision.objects.count() == 1
    assert Attempt.objects.get(pk=flagged.pk).status == Attempt.Status.INVALIDATED
    assert Certificate.objects.get(attempt=flagged).status == "revoked"
