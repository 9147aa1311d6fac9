"""一人一档: a person's training file, page and PDF, for whoever may see the person.

Each section holds the right records (employments, assignments, the 学时 ledger, exam
attempts, certificates, proctoring decisions and identity checks); an outsider gets a 404;
the PDF carries the name, the masked ID number and every section; no face, photo or
distance reaches the file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt, Certificate, CertificateType, ExamSession
from exams.services.sessions import session_prepare
from organizations.models import Person
from organizations.services import person_update
from organizations.validators import mask_id_number
from proctoring.models import FaceOutcome, IdentityCheck, ReviewDecision
from proctoring.services.actions import review_decide
from tests import factories
from tests.conftest import Cast, login_client
from tests.exams.conftest import make_bank, make_paper, make_session
from tests.exams.test_results_and_certificates import sit
from tests.support.pdf_text import pdf_text
from training.models import Chapter, Course, CreditLedger, Lesson
from training.services.assignments import assignment_create
from training.services.content import lesson_create

pytestmark = pytest.mark.django_db

PHOTO_PATH = "identity/2026/secret-face-photo.jpg"


@dataclass
class File:
    person: Person
    course: Course
    certificate: Certificate
    cert_session: ExamSession
    retake_session: ExamSession


def _sections(html: str) -> dict[str, str]:
    """Each section's HTML by its key (data-section)."""
    parts = re.split(r'<section class="person-file-section" id="file-[a-z_]+" data-section="([a-z_]+)"', html)
    return {parts[i]: parts[i + 1].split("</section>")[0] for i in range(1, len(parts), 2)}


@pytest.fixture
def file(cast: Cast) -> File:
    east = cast.east
    person = east.learner
    # A change of post through the staff list's service: two employments, the first ended yesterday.
    person_update(
        person=person,
        name=person.name,
        phone="13900001111",
        post=Person.Post.SPECIAL_OPERATOR,
        hire_date=person.hire_date,
        department="二车间",
        id_number=person.id_number,
        today=dt.date(2026, 3, 1),
    )
    course = Course.objects.create(
        title="有限空间作业安全", owner_provider=east.provider, shared_with=east.jurisdiction
    )
    chapter = Chapter.objects.create(course=course, title="第一章", order=1)
    lesson = lesson_create(
        actor=None,
        chapter=chapter,
        title="通风与检测",
        kind=Lesson.Kind.ARTICLE,
        credit_minutes=45,
        body_html="<p>x</p>",
    )
    assignment_create(learner=person.user, course=course, due_date=dt.date(2026, 4, 30))
    start = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))
    for minute in range(3):  # three heartbeat spans of one lesson on one day: one line of the file
        CreditLedger.objects.create(
            learner=person.user,
            lesson=lesson,
            started_at=start + dt.timedelta(minutes=minute * 15),
            ended_at=start + dt.timedelta(minutes=minute * 15 + 15),
            seconds=900,
            purpose=CreditLedger.Purpose.ONBOARDING,
            enterprise=person.enterprise,
        )
    CreditLedger.objects.create(
        learner=person.user,
        started_at=timezone.make_aware(dt.datetime(2026, 2, 10)),
        ended_at=timezone.make_aware(dt.datetime(2026, 2, 10, 18)),
        seconds=8 * 45 * 60,
        method=CreditLedger.Method.IMPORT,
        detail="三级安全教育（车间级）",
        source="线下培训记录 第3行",
        purpose=CreditLedger.Purpose.ONBOARDING,
        enterprise=person.enterprise,
    )
    bank = make_bank(east.provider)
    cert_session = make_session(
        east.provider,
        make_paper(east.provider, bank),
        title="主要负责人考核",
        certificate_type=CertificateType.PRINCIPAL,
        pass_score=Decimal("30"),
    )
    passed = sit(cert_session, person, right=8)
    retake_session = make_session(east.provider, make_paper(east.provider, bank), title="月度抽考")
    failed = sit(retake_session, person, right=1)
    review_decide(attempt=failed, by=east.proctor, decision=ReviewDecision.Decision.INVALID, reason="考试中多人同框")
    IdentityCheck.objects.create(
        session=cert_session,
        person=person,
        kind=IdentityCheck.Kind.FACE,
        result=IdentityCheck.Result.PASSED,
        outcome=FaceOutcome.MATCH,
        distance=0.3141,
        threshold=0.6,
        photo_path=PHOTO_PATH,
    )
    person.refresh_from_db()
    return File(person, course, Certificate.objects.get(attempt=passed), cert_session, retake_session)


def _page(user: object, person: Person) -> str:
    response = login_client(user).get(reverse("organizations:person_detail", args=[person.pk]))  # type: ignore[arg-type]
    assert response.status_code == 200
    return response.content.decode()


def test_each_section_shows_the_persons_records(cast: Cast, file: File) -> None:
    html = _page(cast.east.enterprise_admin, file.person)
    sections = _sections(html)
    assert list(sections) == [
        "employments",
        "assignments",
        "ledger",
        "attempts",
        "certificates",
        "reviews",
        "identity_checks",
    ]
    employments = sections["employments"]
    assert employments.count("<tr>") == 3  # the heading and two employments: the post changed
    assert "从业人员" in employments
    assert "特种作业人员" in employments
    assert "2026-02-28" in employments
    assert "至今" in employments
    assert "有限空间作业安全" in sections["assignments"]
    assert "2026-04-30" in sections["assignments"]
    ledger = sections["ledger"]
    assert ledger.count("<tr>") == 3  # three heartbeat spans in one line, the imported day in another
    assert '<td data-label="学时">1</td>' in ledger  # 3 × 15 minutes of heartbeats: one 学时 of 45 minutes
    assert "线下培训记录 第3行" in ledger
    assert '<td data-label="学时">8</td>' in ledger
    assert "合计：9 学时" in ledger
    attempts = sections["attempts"]
    assert "主要负责人考核" in attempts
    assert '<td data-label="得分">40 / 40</td>' in attempts
    assert "合格" in attempts
    assert "月度抽考" in attempts
    assert "考试中多人同框" in attempts
    certificates = sections["certificates"]
    assert file.certificate.number in certificates
    assert "有效" in certificates
    assert file.certificate.valid_until.isoformat() in certificates
    assert "考试中多人同框" in sections["reviews"]
    assert "无效" in sections["reviews"]
    identity = sections["identity_checks"]
    assert "主要负责人考核" in identity
    assert "人脸核验" in identity
    assert "通过" in identity  # a check is passed (通过); an exam is 合格
    # Outcome and time only: no photo, no face distance anywhere on the page.
    assert PHOTO_PATH not in html
    assert "0.31" not in html
    assert "<img" not in html.split("<main", 1)[1]


def test_the_file_masks_the_id_number_even_for_the_admin(cast: Cast, file: File) -> None:
    html = _page(cast.east.enterprise_admin, file.person)
    assert file.person.id_number not in html
    assert re.findall(r"data-id-number>([^<]*)<", html) == [mask_id_number(file.person.id_number)]


def test_a_person_outside_the_scope_is_a_404(cast: Cast, file: File) -> None:
    for name in ("person_detail", "person_file_pdf"):
        url = reverse(f"organizations:{name}", args=[file.person.pk])
        for user in (cast.west.enterprise_admin, cast.west.bureau, cast.west.learner.user, cast.outsider):
            assert login_client(user).get(url).status_code == 404, (name, user)
        for user in (cast.east.enterprise_admin, cast.east.bureau, cast.platform_admin):
            assert login_client(user).get(url).status_code == 200, (name, user)


def test_sections_follow_each_apps_scoping(cast: Cast, file: File) -> None:
    """Who may see the person reads each section through its own app's scoping: a training
    admin reads the exams of their own provider only; the enterprise admin reads them all."""
    other_provider = factories.make_provider(cast.east.jurisdiction)
    bank = make_bank(other_provider, code="bank-other")
    other = make_session(other_provider, make_paper(other_provider, bank), title="外单位组织的考试")
    sit(other, file.person, right=8)
    trainer = _sections(_page(cast.east.training_admin, file.person))
    assert "主要负责人考核" in trainer["attempts"]
    assert "外单位组织的考试" not in trainer["attempts"]
    admin = _sections(_page(cast.east.enterprise_admin, file.person))
    assert "主要负责人考核" in admin["attempts"]
    assert "外单位组织的考试" in admin["attempts"]


def test_pdf_archive_holds_the_name_the_masked_id_and_every_section(cast: Cast, file: File) -> None:
    admin = cast.east.enterprise_admin
    admin.display_name = "王管理"
    admin.save()
    response = login_client(admin).get(reverse("organizations:person_file_pdf", args=[file.person.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert b"STSong-Light" in response.content
    text = pdf_text(response.content)
    assert f"安全培训档案（一人一档）：{file.person.name}" in text
    assert f"身份证号：{mask_id_number(file.person.id_number)}" in text.replace("身份证号码", "身份证号")
    assert file.person.id_number not in text
    assert "生成人：王管理" in text
    assert "生成时间：" in text
    for heading in (
        "任职与岗位记录",
        "培训任务与进度",
        "学时台账",
        "考试记录与成绩",
        "证书",
        "监考复核决定",
        "身份核验",
    ):
        assert heading in text, heading
    flat = text.replace("\n", "")  # a narrow cell wraps its text over lines
    for record in (
        "有限空间作业安全",
        "线下培训记录 第3行",
        "主要负责人考核",
        file.certificate.number,
        "考试中多人同框",
    ):
        assert record in flat, record
    assert PHOTO_PATH not in text


def test_an_empty_file_says_so(cast: Cast) -> None:
    sections = _sections(_page(cast.west.enterprise_admin, cast.west.learner))
    assert "暂无培训任务" in sections["assignments"]
    assert "暂无学时记录" in sections["ledger"]
    assert "暂无考试记录" in sections["attempts"]
    assert "暂无证书" in sections["certificates"]
    assert "<table" not in sections["certificates"]


def test_a_learner_opens_their_own_file_from_their_profile(cast: Cast, file: File) -> None:
    client = login_client(file.person.user)
    profile = client.get(reverse("organizations:my_profile")).content.decode()
    url = reverse("organizations:person_detail", args=[file.person.pk])
    assert f'href="{url}"' in profile
    sections = _sections(client.get(url).content.decode())
    assert file.certificate.number in sections["certificates"]
    assert "编辑" not in client.get(url).content.decode().split("<main", 1)[1]
    other = cast.east.enterprises[0]
    someone = factories.make_person(other)
    assert client.get(reverse("organizations:person_detail", args=[someone.pk])).status_code == 404


def test_the_file_leaves_out_papers_never_started_and_words_a_fail_as_the_result_page(cast: Cast, file: File) -> None:
    east = cast.east
    unstarted = make_session(
        east.provider, make_paper(east.provider, make_bank(east.provider, code="bank-ahead")), title="尚未开考的考试"
    )
    session_prepare(session=unstarted)
    assert Attempt.objects.filter(session=unstarted, person=file.person, status=Attempt.Status.PREPARED).exists()
    failed = make_session(
        east.provider, make_paper(east.provider, make_bank(east.provider, code="bank-fail")), title="季度考核"
    )
    sit(failed, file.person, right=0)
    attempts = _sections(_page(east.enterprise_admin, file.person))["attempts"]
    assert "尚未开考的考试" not in attempts
    assert "已备卷" not in attempts
    row = attempts.split("季度考核", 1)[1].split("</tr>", 1)[0]
    assert "不合格" in row
    assert "失败" not in attempts
    pdf = login_client(east.enterprise_admin).get(reverse("organizations:person_file_pdf", args=[file.person.pk]))
    text = pdf_text(pdf.content).replace("\n", "")
    assert "尚未开考的考试" not in text
    assert "已备卷" not in text
    assert "不合格" in text
    assert "失败" not in text
