"""Demo data for the statistics (issue 14): two districts with streets, about
200 enterprises (some of which changed industry, scale or jurisdiction in the
last two years), a few thousand people hired over the last two years with
transfers and leavers, onboarding and annual training hours, onboarding exam
sessions with retakes, platform and imported certificates (some expired, some
revoked), public learners against a configured population, and bureau staff
with their continuing-education courses.

The mix is chosen so that every indicator shows a figure that is neither 0 %
nor 100 %. Everything is generated from one seeded ``random.Random`` relative
to today, written with ``bulk_create`` (one password hash shared by every
generated account), and skipped when the first generated enterprise exists:
a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from exams.models import Attempt, Certificate, CertificateType, ExamSession, PaperTemplate
from organizations import models as org
from organizations.services import role_grant
from organizations.validators import complete_credit_code, complete_id_number, mask_id_number
from training.models import Assignment, Course, CreditLedger, PublicLearner, RequirementProfile

Post = org.Person.Post
Purpose = CreditLedger.Purpose

SEED = 14
SOURCE = "示范区历史数据.xlsx"  # where the demo says its history came from, as an import names its file
FIRST_CODE17 = "91990101MC0000001"
PROVINCE_ISSUER = "示范省应急管理厅"
ONBOARDING_EXAM = "新员工岗前安全考核"

# (code, name, kind, parent code, resident population)
JURISDICTIONS = [
    ("990101002", "安宁街道", org.Jurisdiction.Kind.STREET, "990101", 16_000),
    ("990102", "东湖区", org.Jurisdiction.Kind.DISTRICT, None, 0),
    ("990102001", "东湖街道", org.Jurisdiction.Kind.STREET, "990102", 21_000),
    ("990102002", "湖滨街道", org.Jurisdiction.Kind.STREET, "990102", 17_500),
    ("990102101", "青山镇", org.Jurisdiction.Kind.TOWN, "990102", 9_000),
]
# Populations of the nodes seed() in demo.organizations creates.
EXISTING_POPULATION = {"990101001": 18_000, "990101101": 12_500, "990101201": 3_000}
# Which industries the generated enterprises are in (weights): mostly key
# industries, some of them high-risk, and a share of others.
INDUSTRY_WEIGHTS = {
    "hazardous_chemicals": 10,
    "non_coal_mine": 3,
    "metal_smelting": 3,
    "fireworks": 2,
    "machinery": 14,
    "construction": 12,
    "building_materials": 6,
    "light_industry": 8,
    "textiles": 5,
    "road_transport": 6,
    "commerce_trade": 8,
    "gas": 3,
    "food_processing": 8,
    "warehousing_logistics": 6,
    "hospitality": 6,
    "other": 4,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌宇浩凯鹏飞鑫波宁欣怡子涵晨阳"
ENTERPRISE_WORDS = "华安恒泰鑫盛宏达新兴东方永利金鼎瑞丰博远中诚天成嘉禾汇通"
OPERATIONS = ["电工作业", "焊接与热切割作业", "高处作业", "危险化学品安全作业", "制冷与空调作业"]


@dataclass
class _Job:
    enterprise: int  # index into the generated enterprises
    post: str
    start: dt.date
    end: dt.date | None = None


@dataclass
class _Person:
    name: str
    id_number: str
    jobs: list[_Job] = field(default_factory=list)


@dataclass
class _Enterprise:
    name: str
    credit_code: str
    # (valid_from, industry code, above scale, jurisdiction code), oldest first
    statuses: list[tuple[dt.date, str, bool, str]]

    def status_on(self, day: dt.date) -> tuple[dt.date, str, bool, str]:
        return [s for s in self.statuses if s[0] <= day][-1]


def _years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def seed(*, provider: org.TrainingProvider, password: str) -> None:
    """The statistics demo; a no-op when it already exists."""
    if org.Enterprise.objects.filter(credit_code=complete_credit_code(FIRST_CODE17)).exists():
        return
    with transaction.atomic():
        _Builder(provider=provider, password=password).build()


class _Builder:
    def __init__(self, *, provider: org.TrainingProvider, password: str) -> None:
        self.provider = provider
        self.rng = random.Random(SEED)  # noqa: S311 - demo data, not security
        self.today = timezone.localdate()
        self.password_hash = make_password(password)
        self.industries = {i.code: i for i in org.Industry.objects.all()}
        self.profiles = {(p.high_risk, p.post): p for p in RequirementProfile.objects.all()}

    def build(self) -> None:
        self.jurisdictions = self._jurisdictions()
        self.enterprises = self._plan_enterprises()
        self.people = self._plan_people()
        enterprise_rows = self._write_enterprises()
        persons = self._write_people(enterprise_rows)
        self._write_training_and_exams(persons, enterprise_rows)
        self._write_certificates(persons, enterprise_rows)
        self._write_public_learners()
        self._write_regulators()

    # --- jurisdictions ---------------------------------------------------------------------

    def _jurisdictions(self) -> dict[str, org.Jurisdiction]:
        for code, name, kind, parent_code, population in JURISDICTIONS:
            if not org.Jurisdiction.objects.filter(code=code).exists():
                parent = org.Jurisdiction.objects.get(code=parent_code) if parent_code else None
                org.Jurisdiction(code=code, name=name, kind=kind, parent=parent, population=population or None).save()
        for code, population in EXISTING_POPULATION.items():
            org.Jurisdiction.objects.filter(code=code, population__isnull=True).update(population=population)
        for district in ("990101", "990102"):
            total = sum(
                org.Jurisdiction.objects.filter(parent__code=district).values_list("population", flat=True), start=0
            )
            org.Jurisdiction.objects.filter(code=district).update(population=total)
        return {j.code: j for j in org.Jurisdiction.objects.filter(code__startswith="9901")}

    def _leaves(self, district: str) -> list[str]:
        return sorted(c for c in self.jurisdictions if c.startswith(district) and len(c) == 9)

    # --- enterprises -----------------------------------------------------------------------

    def _plan_enterprises(self) -> list[_Enterprise]:
        rng = self.rng
        codes = list(INDUSTRY_WEIGHTS)
        weights = list(INDUSTRY_WEIGHTS.values())
        out = []
        names: set[str] = set()
        for index in range(200):
            district = "990101" if index < 120 else "990102"
            leaves = self._leaves(district)
            industry = rng.choices(codes, weights)[0]
            place = "990101201" if industry == "hazardous_chemicals" and district == "990101" else rng.choice(leaves)
            above = rng.random() < 0.72
            statuses = [(org.BEGINNING, industry, above, place)]
            if rng.random() < 0.2:  # a change within the last two years
                day = self.today - dt.timedelta(days=rng.randint(30, 700))
                change = rng.choice(("scale", "industry", "place"))
                if change == "scale":
                    statuses.append((day, industry, not above, place))
                elif change == "industry":
                    statuses.append((day, rng.choices(codes, weights)[0], above, place))
                else:
                    statuses.append((day, industry, above, rng.choice(leaves)))
            # An enterprise that later changed industry has a name that fits either (实业): a bureau drilling
            # into 商贸 would not believe a 危险化学品有限公司 listed there.
            trade = "实业" if statuses[-1][1] != industry else self.industries[industry].name
            name = ""
            while not name or name in names:
                word = "".join(rng.sample(ENTERPRISE_WORDS, 2))
                name = f"{self.jurisdictions[place].name[:2]}{word}{trade}有限公司"
            names.add(name)
            code17 = f"9199010{1 if index < 120 else 2}MC{index + 1:07d}"
            out.append(_Enterprise(name=name, credit_code=complete_credit_code(code17), statuses=statuses))
        return out

    def _write_enterprises(self) -> list[org.Enterprise]:
        rows = []
        for e in self.enterprises:
            _, industry, above, place = e.statuses[-1]
            rows.append(
                org.Enterprise(
                    name=e.name,
                    credit_code=e.credit_code,
                    industry=self.industries[industry],
                    above_scale=above,
                    jurisdiction=self.jurisdictions[place],
                )
            )
        rows = org.Enterprise.objects.bulk_create(rows)
        org.EnterpriseStatus.objects.bulk_create(
            org.EnterpriseStatus(
                enterprise=row,
                valid_from=day,
                industry=self.industries[industry],
                above_scale=above,
                jurisdiction=self.jurisdictions[place],
                source=SOURCE,
            )
            for row, e in zip(rows, self.enterprises, strict=True)
            for day, industry, above, place in e.statuses
        )
        return rows

    # --- people ----------------------------------------------------------------------------

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, self.rng.choice((1, 2))))

    def _start(self, *, senior: bool) -> dt.date:
        rng = self.rng
        if senior or rng.random() < 0.3:
            return self.today - dt.timedelta(days=rng.randint(731, 3000))
        return self.today - dt.timedelta(days=rng.randint(0, 730))

    def _plan_people(self) -> list[_Person]:
        rng = self.rng
        people: list[_Person] = []
        for ent_index, _e in enumerate(self.enterprises):
            size = rng.randint(6, 18)
            posts = [Post.PRINCIPAL, Post.SAFETY_MANAGER] + ([Post.SAFETY_MANAGER] if size > 15 else [])
            posts += [Post.SPECIAL_OPERATOR] * rng.randint(0, 3)
            posts += [Post.EMPLOYEE] * (size - len(posts))
            for post in posts:
                start = self._start(senior=post == Post.PRINCIPAL and rng.random() < 0.7)
                job = _Job(enterprise=ent_index, post=post, start=start)
                if rng.random() < 0.08:  # a leaver
                    end = start + dt.timedelta(days=rng.randint(10, 300))
                    job.end = end if end < self.today else None
                index = len(people)
                birth = dt.date(1968, 1, 1) + dt.timedelta(days=3 * index)
                district = self.enterprises[ent_index].credit_code[2:8]
                person = _Person(
                    name=self._name(),
                    id_number=complete_id_number(f"{district}{birth:%Y%m%d}{rng.randint(500, 999)}"),
                    jobs=[job],
                )
                # A transfer: the person moves to another enterprise of the same district.
                if job.end is None and post == Post.EMPLOYEE and rng.random() < 0.05:
                    moved = self.today - dt.timedelta(days=rng.randint(20, 500))
                    if moved > start + dt.timedelta(days=30):
                        job.end = moved - dt.timedelta(days=1)
                        same = [
                            i
                            for i, o in enumerate(self.enterprises)
                            if o.credit_code[2:8] == district and i != ent_index
                        ]
                        person.jobs.append(_Job(enterprise=rng.choice(same), post=post, start=moved))
                people.append(person)
        return people

    def _write_people(self, enterprises: list[org.Enterprise]) -> list[org.Person]:
        users = User.objects.bulk_create(
            User(username=f"demo_p{index:05d}", display_name=p.name, password=self.password_hash)
            for index, p in enumerate(self.people, start=1)
        )
        persons = org.Person.objects.bulk_create(
            org.Person(
                user=user,
                enterprise=enterprises[p.jobs[-1].enterprise],
                name=p.name,
                post=p.jobs[-1].post,
                hire_date=p.jobs[-1].start,
                leave_date=p.jobs[-1].end,
                id_number=p.id_number,
            )
            for user, p in zip(users, self.people, strict=True)
        )
        org.Employment.objects.bulk_create(
            org.Employment(
                person=person,
                enterprise=enterprises[job.enterprise],
                post=job.post,
                start_date=job.start,
                end_date=job.end,
                source=SOURCE,
            )
            for person, p in zip(persons, self.people, strict=True)
            for job in p.jobs
        )
        return persons

    # --- training, onboarding assessments and exams -----------------------------------------

    def _at(self, day: dt.date, hour: int = 9) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))

    def _profile(self, job: _Job, day: dt.date) -> RequirementProfile:
        industry = self.enterprises[job.enterprise].status_on(day)[1]
        return self.profiles[(self.industries[industry].is_high_risk, job.post)]

    def _sessions(self) -> dict[str, ExamSession]:
        """One onboarding exam session per month of the last two years, by month ("2026-12")."""
        paper = PaperTemplate.objects.filter(provider=self.provider).order_by("pk").first()
        if paper is None:
            paper = PaperTemplate.objects.create(provider=self.provider, name=ONBOARDING_EXAM)
        sessions: dict[str, ExamSession] = {}
        month = dt.date(self.today.year - 2, self.today.month, 1)
        while month <= self.today:
            following = (month + dt.timedelta(days=32)).replace(day=1)
            sessions[f"{month:%Y-%m}"] = ExamSession(
                provider=self.provider,
                paper=paper,
                title=f"{month.year}年{month.month}月{ONBOARDING_EXAM}",
                opens_at=self._at(month, 8),
                closes_at=self._at(following - dt.timedelta(days=1), 20),
                attempts_allowed=2,
                pass_score=Decimal("60"),
                is_onboarding=True,
                prepared_at=self._at(month, 7),
            )
            month = following
        ExamSession.objects.bulk_create(sessions.values())
        return sessions

    def _write_training_and_exams(self, persons: list[org.Person], enterprises: list[org.Enterprise]) -> None:
        rng = self.rng
        today = self.today
        sessions = self._sessions()
        ledger: list[CreditLedger] = []
        attempts: list[Attempt] = []
        self.new_employee_certificates: list[tuple[org.Person, _Job, dt.date]] = []
        courses = list(Course.objects.filter(owner_provider=self.provider, is_public=False).order_by("pk"))
        completions: list[Assignment] = []

        def entry(person: org.Person, job: _Job, day: dt.date, seconds: int, purpose: str, passed: bool | None) -> None:
            start = self._at(day)
            ledger.append(
                CreditLedger(
                    learner_id=person.user_id,
                    lesson=None,
                    started_at=start,
                    ended_at=start + dt.timedelta(seconds=seconds),
                    seconds=seconds,
                    method=CreditLedger.Method.IMPORT,
                    detail=SOURCE,
                    post=job.post,
                    enterprise=enterprises[job.enterprise],
                    purpose=purpose,
                    assessment_passed=passed,
                    source=SOURCE,
                )
            )

        for person, p in zip(persons, self.people, strict=True):
            for job in p.jobs:
                last = min(today, job.end or today)
                # Onboarding: the employments that started in the last two years.
                if job.start >= today - dt.timedelta(days=760):
                    profile = self._profile(job, job.start)
                    minute = profile.minutes_per_hour or settings.MINUTES_PER_CREDIT_HOUR
                    required = profile.initial_hours * minute * 60
                    roll = rng.random()
                    share = 1.0 if roll < 0.66 else (rng.uniform(0.3, 0.9) if roll < 0.86 else 0.0)
                    seconds = int(required * share)
                    pieces = rng.randint(1, 2)
                    first = job.start - dt.timedelta(days=rng.choice((0, 0, 0, 5, 12)))
                    for piece in range(pieces if seconds else 0):
                        day = min(first + dt.timedelta(days=piece * rng.randint(2, 8)), last)
                        entry(
                            person,
                            job,
                            day,
                            seconds // pieces + (seconds % pieces if piece == 0 else 0),
                            Purpose.ONBOARDING,
                            None,
                        )
                    if rng.random() < 0.03:  # old classroom hours, outside the pre-training window
                        entry(person, job, job.start - dt.timedelta(days=90), 8 * minute * 60, Purpose.ONBOARDING, None)
                    if share == 1.0 or rng.random() < 0.3:
                        self._assessment(person, job, last, sessions, attempts, entry)
                    if courses and rng.random() < 0.4 and job is p.jobs[-1]:
                        done = min(job.start + dt.timedelta(days=rng.randint(3, 40)), today)
                        course = rng.choice(courses)
                        # Completed only where the onboarding hours were all credited: the progress
                        # page says such a course was completed by classroom or imported hours.
                        if share == 1.0:
                            completions.append(
                                Assignment(
                                    learner_id=person.user_id,
                                    course=course,
                                    status=Assignment.Status.COMPLETED,
                                    source=Assignment.Source.ONBOARDING,
                                    completed_at=self._at(done, 17),
                                )
                            )
                # Annual retraining, for each year the employment ran through.
                for year in (today.year - 1, today.year):
                    if job.start >= dt.date(year, 1, 1) or (job.end and job.end < dt.date(year, 12, 31)):
                        continue
                    annual = self._profile(job, dt.date(year, 1, 1))
                    need = max(annual.annual_hours, 8)
                    annual_minute = annual.minutes_per_hour or settings.MINUTES_PER_CREDIT_HOUR
                    roll = rng.random()
                    hours = (
                        need + rng.randint(0, 4) if roll < 0.64 else (rng.randint(2, need - 1) if roll < 0.84 else 0)
                    )
                    year_end = min(dt.date(year, 12, 31), today)
                    if hours:
                        day = dt.date(year, 1, 1) + dt.timedelta(
                            days=rng.randint(0, (year_end - dt.date(year, 1, 1)).days)
                        )
                        entry(person, job, day, hours * annual_minute * 60, Purpose.ANNUAL, None)
        CreditLedger.objects.bulk_create(ledger, batch_size=2000)
        Attempt.objects.bulk_create(attempts, batch_size=2000)
        Assignment.objects.bulk_create(completions, batch_size=2000)

    def _assessment(self, person, job, last, sessions, attempts, entry) -> None:  # type: ignore[no-untyped-def]
        """The onboarding assessment: an imported classroom result, a platform
        exam (sometimes passed only at the retake), or a 新员工 certificate."""
        rng = self.rng
        day = min(job.start + dt.timedelta(days=rng.randint(5, 25)), last)
        roll = rng.random()
        if roll < 0.4:
            entry(person, job, day, 4 * settings.MINUTES_PER_CREDIT_HOUR * 60, Purpose.ONBOARDING, rng.random() < 0.88)
        elif roll < 0.85:
            session = sessions.get(f"{day:%Y-%m}")
            if session is None:
                return
            first_pass = rng.random() < 0.72
            scores = [rng.randint(62, 98)] if first_pass else [rng.randint(30, 58)]
            if not first_pass and rng.random() < 0.6:
                scores.append(rng.randint(60, 92))
            for seq, score in enumerate(scores, start=1):
                when = self._at(day, 9 + seq)
                attempts.append(
                    Attempt(
                        session=session,
                        person=person,
                        seq=seq,
                        status=Attempt.Status.SUBMITTED,
                        max_score=Decimal("100"),
                        started_at=when,
                        deadline=when + dt.timedelta(minutes=60),
                        submitted_at=when + dt.timedelta(minutes=35),
                        submit_reason=Attempt.SubmitReason.EXAMINEE,
                        graded_at=when + dt.timedelta(minutes=35),
                        score=Decimal(score),
                        passed=score >= 60,
                    )
                )
        else:
            self.new_employee_certificates.append((person, job, day))

    # --- certificates ----------------------------------------------------------------------

    def _write_certificates(self, persons: list[org.Person], enterprises: list[org.Enterprise]) -> None:
        rng = self.rng
        today = self.today
        rows: list[Certificate] = []

        def add(
            person: org.Person, job: _Job, cert_type: str, issued: dt.date, years: int, *, imported: bool
        ) -> Certificate:
            cert = Certificate(
                number=f"SD{cert_type[:2].upper()}{len(rows) + 1:07d}",
                cert_type=cert_type,
                holder=person,
                holder_name=person.name,
                masked_id_number=mask_id_number(person.id_number),
                enterprise=enterprises[job.enterprise],
                enterprise_name=enterprises[job.enterprise].name,
                provider=None if imported else self.provider,
                issuer_name=PROVINCE_ISSUER if imported else self.provider.name,
                operation_category=rng.choice(OPERATIONS) if cert_type == CertificateType.SPECIAL_OPERATOR else "",
                imported=imported,
                source=SOURCE if imported else "",
                issued_on=issued,
                valid_until=_years_after(issued, years) - dt.timedelta(days=1),
            )
            rows.append(cert)
            return cert

        wanted = {
            Post.PRINCIPAL: (CertificateType.PRINCIPAL, 3),
            Post.SAFETY_MANAGER: (CertificateType.SAFETY_MANAGER, 3),
            Post.SPECIAL_OPERATOR: (CertificateType.SPECIAL_OPERATOR, 6),
        }
        for person, p in zip(persons, self.people, strict=True):
            job = p.jobs[-1]
            if job.post not in wanted:
                continue
            cert_type, years = wanted[job.post]
            imported = cert_type == CertificateType.SPECIAL_OPERATOR or rng.random() < 0.5
            span = years * 365
            roll = rng.random()
            if roll < 0.66:  # valid today (a few expire within 90 days)
                issued = today - dt.timedelta(days=rng.randint(10, span - 5))
                add(person, job, cert_type, issued, years, imported=imported)
            elif roll < 0.78:  # expired
                issued = today - dt.timedelta(days=span + rng.randint(1, 400))
                add(person, job, cert_type, issued, years, imported=imported)
            elif roll < 0.86:  # revoked
                issued = today - dt.timedelta(days=rng.randint(200, span - 5))
                cert = add(person, job, cert_type, issued, years, imported=imported)
                cert.status = Certificate.Status.REVOKED
                cert.revoked_at = self._at(issued + dt.timedelta(days=rng.randint(30, 180)), 10)
                cert.revoked_reason = "考核材料不实"
            # else: never certified
        for person, job, day in self.new_employee_certificates:
            add(person, job, CertificateType.NEW_EMPLOYEE, day, 3, imported=False)
        Certificate.objects.bulk_create(rows, batch_size=2000)

    # --- public learners and regulators -----------------------------------------------------

    def _write_public_learners(self) -> None:
        rng = self.rng
        course = Course.objects.filter(is_public=True).order_by("pk").first()
        leaves = sorted(c for c in self.jurisdictions if len(c) == 9)
        users = User.objects.bulk_create(
            User(username=f"demo_pub{index:04d}", display_name=self._name(), password=self.password_hash)
            for index in range(1, 601)
        )
        PublicLearner.objects.bulk_create(
            PublicLearner(user=user, jurisdiction=self.jurisdictions[rng.choice(leaves)], name=user.display_name)
            for user in users
        )
        if course is None:
            return
        assignments = []
        for user in users:
            if rng.random() < 0.85:
                done = rng.random() < 0.6
                day = self.today - dt.timedelta(days=rng.randint(0, 700))
                assignments.append(
                    Assignment(
                        learner=user,
                        course=course,
                        source=Assignment.Source.PUBLIC,
                        status=Assignment.Status.COMPLETED if done else Assignment.Status.IN_PROGRESS,
                        completed_at=self._at(day, 20) if done else None,
                    )
                )
        Assignment.objects.bulk_create(assignments)

    def _write_regulators(self) -> None:
        """Bureau and inspection staff of both districts, with 0 to 3 continuing-education
        courses completed this year."""
        rng = self.rng
        courses = list(Course.objects.filter(owner_provider=self.provider).order_by("pk"))
        staff = []
        for district in ("990101", "990102"):
            nodes = [district, *self._leaves(district)]
            for index in range(1, 9):
                user = User.objects.create(
                    username=f"demo_inspector_{district}_{index}",
                    display_name=f"{self.jurisdictions[district].name}监管员{index}",
                    password=self.password_hash,
                )
                role_grant(
                    user=user,
                    role=org.RoleGrant.Role.BUREAU_OFFICIAL,
                    jurisdiction=self.jurisdictions[rng.choice(nodes)],
                )
                staff.append(user)
        assignments = []
        new_year = dt.date(self.today.year, 1, 1)
        for user in staff:
            for course in rng.sample(courses, min(len(courses), rng.choice((0, 1, 2, 2, 3)))):
                day = new_year + dt.timedelta(days=rng.randint(0, (self.today - new_year).days))
                assignments.append(
                    Assignment(
                        learner=user,
                        course=course,
                        source=Assignment.Source.MANUAL,
                        status=Assignment.Status.COMPLETED,
                        completed_at=self._at(day, 15),
                    )
                )
        Assignment.objects.bulk_create(assignments)
