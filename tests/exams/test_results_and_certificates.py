from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from exams import certificates
from exams.models import Attempt, Certificate, CertificateType, ExamSession
from exams.services.attempts import attempt_invalidate, attempt_save_answer, attempt_start, attempt_submit
from exams.services.certificates import certificate_revoke, certificates_remind_expiring
from organizations.validators import mask_id_number
from tests import factories
from tests.conftest import login_client
from tests.exams.conftest import correct_answer, make_bank, make_paper, make_session


def sit(session: ExamSession, person: Any, right: int) -> Attempt:
    attempt = attempt_start(notice_confirmed=True, session=session, person=person)
    for i, aq in enumerate(attempt.questions.order_by("position")):
        answer = correct_answer(aq) if i < right else None
        if answer is not None:
            attempt_save_answer(attempt=attempt, question_id=aq.pk, answer=answer, client_seq=1)
    return attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.EXAMINEE).attempt


@pytest.fixture
def cert_session(cast: Any) -> ExamSession:
    bank = make_bank(cast.east.provider)
    return make_session(
        cast.east.provider,
        make_paper(cast.east.provider, bank),
        certificate_type=CertificateType.PRINCIPAL,
        pass_score=Decimal("30"),
    )


@pytest.mark.django_db
def test_results_released_after_close_are_hidden_until_then(cast: Any, exam: dict[str, Any]) -> None:
    session = exam["session"]
    session.result_release = ExamSession.Release.AFTER_CLOSE
    session.save()
    attempt = sit(session, cast.east.learner, right=8)
    client = login_client(cast.east.learner.user)
    hidden = client.get(f"/api/v1/attempts/{attempt.pk}/result/").json()
    assert hidden["released"] is False
    assert hidden["score"] is None
    assert hidden["breakdown"] == []
    page = client.get(f"/exams/attempts/{attempt.pk}/result/").content.decode()
    assert "40.0" not in page
    assert "data-not-released" in page
    ExamSession.objects.filter(pk=session.pk).update(
        opens_at=timezone.now() - dt.timedelta(days=2), closes_at=timezone.now() - dt.timedelta(minutes=1)
    )
    shown = client.get(f"/api/v1/attempts/{attempt.pk}/result/").json()
    assert shown["released"] is True
    assert shown["score"] == "40.0"
    assert {row["knowledge_point"] for row in shown["breakdown"]} == {
        "知识点single",
        "知识点multiple",
        "知识点true_false",
        "知识点fill_blank",
    }
    assert shown["review"] == []  # review not allowed by the session


@pytest.mark.django_db
def test_a_pass_issues_a_certificate_that_verifies_through_its_qr_link(cast: Any, cert_session: ExamSession) -> None:
    attempt = sit(cert_session, cast.east.learner, right=8)
    certificate = Certificate.objects.get(attempt=attempt)
    assert certificate.holder == cast.east.learner
    assert certificate.masked_id_number == mask_id_number(cast.east.learner.id_number)
    assert certificate.valid_until.year == certificate.issued_on.year + 3
    path = certificates.verify_path(certificate)
    svg = certificates.qr_svg("http://testserver" + path)
    assert svg.startswith("<svg")
    assert "path" in svg
    anonymous = Client()
    page = anonymous.get(path)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-state="valid"' in body
    assert certificate.holder_name in body
    assert certificate.masked_id_number in body
    assert cast.east.learner.id_number not in body  # never the full ID number
    # without the QR code's signature, a guessed number shows nothing
    assert anonymous.get(path.split("?")[0]).status_code == 404
    assert anonymous.get(path.split("?")[0] + "?s=forged").status_code == 404
    # revoked and expired show as such
    certificate_revoke(certificate=certificate, reason="替考")
    assert 'data-state="revoked"' in anonymous.get(path).content.decode()
    Certificate.objects.filter(pk=certificate.pk).update(
        status="valid",
        revoked_at=None,
        valid_until=timezone.localdate() - dt.timedelta(days=1),
        issued_on=timezone.localdate() - dt.timedelta(days=1200),
    )
    assert 'data-state="expired"' in anonymous.get(path).content.decode()


@pytest.mark.django_db
def test_failing_issues_no_certificate_and_invalidation_revokes(cast: Any, cert_session: ExamSession) -> None:
    failed = sit(cert_session, cast.east.learner, right=2)
    assert failed.passed is False
    assert not Certificate.objects.filter(attempt=failed).exists()
    other = factories.make_person(cast.east.enterprises[0], post="principal")
    passed = sit(cert_session, other, right=8)
    certificate = Certificate.objects.get(attempt=passed)
    attempt_invalidate(attempt=passed, reason="人脸比对不一致")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate.revoked_reason == "人脸比对不一致"
    assert Attempt.objects.get(pk=passed.pk).status == Attempt.Status.INVALIDATED


@pytest.mark.django_db
def test_certificate_pages_and_pdf(cast: Any, cert_session: ExamSession) -> None:
    attempt = sit(cert_session, cast.east.learner, right=8)
    certificate = Certificate.objects.get(attempt=attempt)
    holder = login_client(cast.east.learner.user)
    page = holder.get(f"/exams/certificates/{certificate.pk}/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    pdf = holder.get(f"/exams/certificates/{certificate.pk}/pdf/")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert certificate.number.encode() in pdf.content  # its title; the page text is CID-encoded
    assert b"STSong-Light" in pdf.content  # the built-in Chinese font, no font file
    for user in (cast.outsider, cast.west.learner.user, cast.west.bureau, cast.west.enterprise_admin):
        assert login_client(user).get(f"/exams/certificates/{certificate.pk}/").status_code == 404
        assert login_client(user).get(f"/exams/certificates/{certificate.pk}/pdf/").status_code == 404


@pytest.mark.django_db
def test_expiry_reminders_are_sent_once(cast: Any, cert_session: ExamSession, mailoutbox: Any) -> None:
    user = cast.east.learner.user
    user.email = "learner@example.com"
    user.save()
    certificate = Certificate.objects.get(attempt=sit(cert_session, cast.east.learner, right=8))
    today = certificate.valid_until - dt.timedelta(days=10)
    assert certificates_remind_expiring(today=today) == 1
    assert certificates_remind_expiring(today=today) == 0
    assert len(mailoutbox) == 1
    assert certificate.number in mailoutbox[0].subject


@pytest.mark.django_db
def test_statistics_page_and_xlsx_export(cast: Any, exam: dict[str, Any]) -> None:
    import pandas as pd

    session = exam["session"]
    people = [cast.east.learner] + [factories.make_person(cast.east.enterprises[i % 2]) for i in range(5)]
    for i, person in enumerate(people):
        sit(session, person, right=2 + i)
    admin = login_client(cast.east.training_admin)
    page = admin.get(f"/exams/manage/sessions/{session.pk}/statistics/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body
    assert "data-examinees>6<" in body
    export = admin.get(f"/exams/manage/sessions/{session.pk}/statistics.xlsx")
    sheets = pd.read_excel(io.BytesIO(export.content), sheet_name=None)
    assert len(sheets) == 3
    examinees = next(iter(sheets.values()))
    assert len(examinees) == 6
    from exams.selectors import session_statistics

    stats = session_statistics(session)
    assert stats["examinees"] == 6
    assert 0 < stats["pass_rate"] < 1
    assert {r["enterprise"] for r in stats["enterprises"]} == {e.name for e in cast.east.enterprises}
    # questions answered right only by the strongest discriminate positively
    assert max(r["discrimination"] for r in stats["items"]) > 0
    for user in (cast.outsider, cast.west.training_admin, cast.west.bureau, cast.east.learner.user):
        assert login_client(user).get(f"/exams/manage/sessions/{session.pk}/statistics/").status_code == 404
        assert login_client(user).get(f"/exams/manage/sessions/{session.pk}/statistics.xlsx").status_code == 404
    assert login_client(cast.east.bureau).get(f"/exams/manage/sessions/{session.pk}/statistics/").status_code == 200
