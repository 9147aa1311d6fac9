"""The learner's home, exams' sections: exams open now or opening within a week, with attempts left and the
time window, one tap to the notice (or back into a running exam); none without an attempt left, none already
passed; certificates expired or expiring soon, linking to 我的证书. Never another person's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from exams.models import Attempt, Certificate, CertificateType, ExamSession
from exams.services.attempts import attempt_start, attempt_submit
from exams.services.certificates import certificate_revoke
from tests import factories
from tests.conftest import Cast, login_client
from tests.exams.certificate_data import held
from tests.exams.conftest import make_session, require_course
from tests.support.home_todo import home_todo

pytestmark = pytest.mark.django_db
NEW = CertificateType.NEW_EMPLOYEE


def _english(user: Any) -> Any:
    client = login_client(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _exams(user: Any) -> list[Any]:
    todo = home_todo(_english(user))
    assert todo is not None
    return todo.get("exams", [])


def _certificates(user: Any) -> list[Any]:
    todo = home_todo(_english(user))
    assert todo is not None
    return todo.get("certificates", [])


def _sat(session: ExamSession, person: Any) -> Attempt:
    attempt = attempt_start(session=session, person=person, notice_confirmed=True)
    attempt_submit(attempt=attempt, reason=Attempt.SubmitReason.EXAMINEE)
    attempt.refresh_from_db()
    return attempt


class TestExams:
    def test_an_open_exam_is_one_tap_from_its_notice(self, cast: Cast, exam: dict[str, Any]) -> None:
        session = exam["session"]
        ExamSession.objects.filter(pk=session.pk).update(attempts_allowed=2)
        [item] = _exams(cast.east.learner.user)
        assert item.title == session.title
        assert item.badge == "Open now"
        assert item.action == "Exam notice and start"
        assert item.href == f"/exams/{session.pk}/notice/"
        opens = timezone.localtime(session.opens_at)
        assert item.lines[0].startswith(opens.strftime("%Y-%m-%d %H:%M"))
        assert "2 of 2 attempts left" in item.lines[1]
        assert login_client(cast.east.learner.user).get(item.href).status_code == 200

    def test_an_exam_opening_this_week_is_announced_a_later_one_is_not(self, cast: Cast, exam: dict[str, Any]) -> None:
        now = timezone.now()
        ExamSession.objects.filter(pk=exam["session"].pk).update(closes_at=now - dt.timedelta(minutes=1))
        soon = make_session(
            cast.east.provider,
            exam["paper"],
            title="三天后的考试",
            opens_at=now + dt.timedelta(days=3),
            closes_at=now + dt.timedelta(days=3, hours=2),
        )
        make_session(
            cast.east.provider,
            exam["paper"],
            title="十天后的考试",
            opens_at=now + dt.timedelta(days=10),
            closes_at=now + dt.timedelta(days=10, hours=2),
        )
        [item] = _exams(cast.east.learner.user)  # the closed one and the one in ten days are not listed
        assert item.title == "三天后的考试"
        assert item.badge == "Opens soon"
        assert item.href == f"/exams/{soon.pk}/notice/"

    def test_a_running_exam_is_resumed_in_one_tap(self, cast: Cast, exam: dict[str, Any]) -> None:
        attempt = attempt_start(session=exam["session"], person=cast.east.learner, notice_confirmed=True)
        [item] = _exams(cast.east.learner.user)
        assert item.action == "Continue the exam"
        assert item.href == f"/exams/attempts/{attempt.pk}/"
        assert item.badge == "Exam in progress"

    def test_an_exam_with_no_attempt_left_is_not_offered(self, cast: Cast, exam: dict[str, Any]) -> None:
        assert exam["session"].attempts_allowed == 1
        assert _sat(exam["session"], cast.east.learner).passed is False
        assert _exams(cast.east.learner.user) == []

    def test_a_passed_exam_is_not_offered_again(self, cast: Cast, exam: dict[str, Any]) -> None:
        session = make_session(cast.east.provider, exam["paper"], title="已通过的考试", pass_score=Decimal("0"))
        ExamSession.objects.filter(pk=session.pk).update(attempts_allowed=3)
        ExamSession.objects.filter(pk=exam["session"].pk).delete()
        assert _sat(session, cast.east.learner).passed is True
        assert _exams(cast.east.learner.user) == []

    def test_a_result_not_yet_released_is_not_told_by_the_list(self, cast: Cast, exam: dict[str, Any]) -> None:
        session = make_session(
            cast.east.provider,
            exam["paper"],
            title="考后公布成绩",
            pass_score=Decimal("0"),
            result_release=ExamSession.Release.AFTER_CLOSE,
            attempts_allowed=2,
        )
        ExamSession.objects.filter(pk=exam["session"].pk).delete()
        assert _sat(session, cast.east.learner).passed is True
        [item] = _exams(cast.east.learner.user)  # passed, but the learner may not know yet
        assert "1 of 2 attempts left" in item.lines[1]

    def test_an_unfinished_prerequisite_is_named(self, cast: Cast, exam: dict[str, Any]) -> None:
        require_course(cast, exam["session"])
        [item] = _exams(cast.east.learner.user)
        assert "Finish the course first: 考前必修课" in item.lines
        assert item.action == "Exam notice"  # not "and start": the notice says why it cannot start yet

    def test_another_persons_exam_is_never_shown(self, cast: Cast, exam: dict[str, Any]) -> None:
        attempt = attempt_start(session=exam["session"], person=cast.east.learner, notice_confirmed=True)
        colleague = factories.make_person(cast.east.enterprises[0])
        # The colleague may sit the same exam, but never reaches the learner's attempt from the home.
        [item] = _exams(colleague.user)
        assert item.href == f"/exams/{exam['session'].pk}/notice/"
        assert f"/exams/attempts/{attempt.pk}/" not in login_client(colleague.user).get("/").content.decode()
        assert _exams(cast.west.learner.user) == []  # another district's exam


class TestCertificates:
    def test_expiring_and_expired_certificates_link_to_my_certificates(self, cast: Cast) -> None:
        learner = cast.east.learner
        soon = held(learner, NEW, issued_ago=1000, left=20)
        expired = held(learner, CertificateType.PRINCIPAL, issued_ago=1200, left=-5)
        held(learner, CertificateType.SAFETY_MANAGER, issued_ago=30, left=1000)  # in date: nothing to do
        items = _certificates(learner.user)
        assert [i.lines[0] for i in items] == [
            f"Certificate number {expired.number}",
            f"Certificate number {soon.number}",
        ]
        assert [i.badge for i in items] == ["Expired", "Expires in 20 days"]
        assert {i.href for i in items} == {"/exams/certificates/"}
        assert f"Valid until {soon.valid_until:%Y-%m-%d}" in items[1].lines

    def test_a_renewed_or_revoked_certificate_is_not_a_to_do(self, cast: Cast) -> None:
        learner = cast.east.learner
        held(learner, NEW, issued_ago=1000, left=20)
        held(learner, NEW, issued_ago=10, left=1000)  # renewed already
        revoked = held(learner, CertificateType.PRINCIPAL, issued_ago=1000, left=10)
        certificate_revoke(certificate=revoked, reason="作废")
        assert Certificate.objects.filter(holder=learner).count() == 3
        assert _certificates(learner.user) == []

    def test_another_persons_certificate_is_never_shown(self, cast: Cast) -> None:
        colleague = factories.make_person(cast.east.enterprises[0])
        theirs = held(colleague, NEW, issued_ago=1000, left=5)
        assert _certificates(cast.east.learner.user) == []
        assert theirs.number not in login_client(cast.east.learner.user).get("/").content.decode()
        # Their enterprise admin reads certificates on other pages, but the home lists only one's own.
        assert home_todo(login_client(cast.east.enterprise_admin)) is None
