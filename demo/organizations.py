"""Demo tenancy for seed_demo: a district with a street, a town and a chemical park, four enterprises,
a training centre, one account per role and the people of the demo enterprise. Idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.models import User
from organizations.models import Enterprise, Industry, Jurisdiction, Person, RoleGrant, TrainingProvider
from organizations.services import employment_start, enterprise_create
from organizations.validators import complete_credit_code, complete_id_number

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo credential, DEBUG only
PROVIDER_CODE = "demo-center"
DISTRICT_CODE = "990101"
ENTERPRISE_CODE = "91990101MA0000001"
LEARNER = "demo_learner"

Role = RoleGrant.Role


def seed() -> None:
    """The demo district, its enterprises and training centre, the role accounts and the people."""
    district = _jurisdiction(DISTRICT_CODE, "示范区", Jurisdiction.Kind.DISTRICT, None)
    street = _jurisdiction("990101001", "平安街道", Jurisdiction.Kind.STREET, district)
    town = _jurisdiction("990101101", "安泰镇", Jurisdiction.Kind.TOWN, district)
    zone = _jurisdiction("990101201", "示范化工园区", Jurisdiction.Kind.ZONE, district)

    industries = {i.code: i for i in Industry.objects.all()}
    chem = _enterprise("示范化工有限公司", ENTERPRISE_CODE, industries["hazardous_chemicals"], zone)
    machine = _enterprise("安泰机械制造有限公司", "91990101MA0000002", industries["machinery"], town)
    _enterprise("平安商贸有限公司", "91990101MA0000003", industries["commerce_trade"], street, above_scale=False)
    _enterprise("示范建筑工程有限公司", "91990101MA0000004", industries["construction"], street)

    provider, _ = TrainingProvider.objects.get_or_create(
        code=PROVIDER_CODE, defaults={"name": "示范区安全生产培训中心", "jurisdiction": district}
    )

    admin = _user("demo_admin", "平台管理员", superuser=True)
    _grant(admin, Role.PLATFORM_ADMIN)
    _grant(_user("demo_bureau", "示范区应急管理局"), Role.BUREAU_OFFICIAL, jurisdiction=district)
    _grant(_user("demo_trainer", "培训管理员"), Role.TRAINING_ADMIN, provider=provider)
    _grant(_user("demo_proctor", "监考员"), Role.PROCTOR, jurisdiction=district)
    ent_admin = _user("demo_enterprise", "企业安全管理员")
    _grant(ent_admin, Role.ENTERPRISE_ADMIN, enterprise=chem)

    today = timezone.localdate()
    people = [
        (
            "demo_learner",
            "李新员",
            Person.Post.EMPLOYEE,
            "生产一车间",
            today - dt.timedelta(days=10),
            "13900000001",
        ),
        (
            "demo_principal",
            "王总",
            Person.Post.PRINCIPAL,
            "总经理办公室",
            today - dt.timedelta(days=800),
            "13900000002",
        ),
        (
            "demo_safety",
            "赵安全",
            Person.Post.SAFETY_MANAGER,
            "安全环保部",
            today - dt.timedelta(days=400),
            "13900000003",
        ),
        (
            "demo_welder",
            "钱焊工",
            Person.Post.SPECIAL_OPERATOR,
            "维修班",
            today - dt.timedelta(days=200),
            "13900000004",
        ),
    ]
    for index, (username, name, post, department, hired, phone) in enumerate(people, start=1):
        user = _user(username, name, phone=phone)
        id_number = complete_id_number(f"99010119900101{index:03d}")
        _person(
            user,
            enterprise=chem,
            name=name,
            post=post,
            department=department,
            hire_date=hired,
            id_number=id_number,
        )
    worker = _user("demo_machinist", "孙机工", phone="13900000011")
    _person(
        worker,
        enterprise=machine,
        name="孙机工",
        post=Person.Post.EMPLOYEE,
        department="装配车间",
        hire_date=today - dt.timedelta(days=30),
        id_number=complete_id_number("99010119920202011"),
    )


def _person(user: User, **fields: Any) -> Person:
    """The person of a role account, with their employment (the history indicators read)."""
    person, created = Person.objects.get_or_create(user=user, defaults=fields)
    if created:
        employment_start(
            person=person,
            enterprise=person.enterprise,
            post=person.post,
            start_date=person.hire_date,
            source="示范花名册.xlsx",
        )
    return person


def _jurisdiction(code: str, name: str, kind: str, parent: Jurisdiction | None) -> Jurisdiction:
    obj = Jurisdiction.objects.filter(code=code).first()
    if obj is None:
        obj = Jurisdiction(code=code, name=name, kind=kind, parent=parent)
        obj.save()
    return obj


def _enterprise(
    name: str, code17: str, industry: Industry, jurisdiction: Jurisdiction, *, above_scale: bool = True
) -> Enterprise:
    obj = Enterprise.objects.filter(credit_code=complete_credit_code(code17)).first()
    if obj is None:
        obj = enterprise_create(
            name=name,
            credit_code=complete_credit_code(code17),
            industry=industry,
            above_scale=above_scale,
            jurisdiction=jurisdiction,
            source="示范花名册.xlsx",
        )
    return obj


def _user(username: str, display_name: str, *, superuser: bool = False, phone: str | None = None) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username, display_name=display_name, phone=phone, is_superuser=superuser, is_staff=superuser
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _grant(user: User, role: str, **scope: Any) -> None:
    RoleGrant.objects.get_or_create(user=user, role=role, **scope)


def provider() -> TrainingProvider:
    return TrainingProvider.objects.get(code=PROVIDER_CODE)


def district() -> Jurisdiction:
    return Jurisdiction.objects.get(code=DISTRICT_CODE)


def enterprise() -> Enterprise:
    return Enterprise.objects.get(credit_code=complete_credit_code(ENTERPRISE_CODE))


def learner() -> Person:
    return Person.objects.get(user__username=LEARNER)
