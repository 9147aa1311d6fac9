"""我的证书: a learner's own certificates with download, share and the verification QR code; nobody else's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from exams import certificates
from exams.models import Certificate, CertificateType
from tests import factories
from tests.conftest import login_client
from tests.exams.certificate_data import held, imported

pytestmark = pytest.mark.django_db

PAGE = "/exams/certificates/"


@pytest.fixture
def held_by(cast: Any) -> dict[str, Certificate]:
    learner = cast.east.learner
    east, west = cast.east.provider, cast.west.provider
    new = CertificateType.NEW_EMPLOYEE
    return {
        "platform": held(learner, new, issued_ago=30, left=1000, provider=east),
        "soon": held(learner, new, issued_ago=30, left=20, provider=east),
        "imported": imported(learner, issuer="某省应急管理厅", operation="焊接与热切割作业"),
        # Someone else in the same enterprise, and a learner of the other district.
        "colleague": held(
            factories.make_person(cast.east.enterprises[0]), new, issued_ago=30, left=1000, provider=east
        ),
        "west": held(cast.west.learner, new, issued_ago=30, left=1000, provider=west),
    }


def _numbers(page: str) -> set[str]:
    return set(re.findall(r'data-certificate="([^"]+)"', page))


def test_it_lists_only_the_learners_own_certificates(cast: Any, held_by: dict[str, Certificate]) -> None:
    page = login_client(cast.east.learner.user).get(PAGE).content.decode()
    assert _numbers(page) == {held_by["platform"].number, held_by["soon"].number, held_by["imported"].number}
    west = login_client(cast.west.learner.user).get(PAGE).content.decode()
    assert _numbers(west) == {held_by["west"].number}


def test_it_validates_ownership_for_every_other_role(cast: Any, held_by: dict[str, Certificate]) -> None:
    # Admins who may see the east learner's certificates elsewhere still see only their own here.
    for user in (cast.east.enterprise_admin, cast.east.training_admin, cast.east.bureau, cast.platform_admin):
        assert _numbers(login_client(user).get(PAGE).content.decode()) == set()
    outsider = login_client(cast.outsider).get(PAGE)
    assert outsider.status_code == 200
    assert "此账号不在任何花名册中" in outsider.content.decode()
    anonymous = Client().get(PAGE)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


def test_each_certificate_has_its_state_download_share_and_qr(cast: Any, held_by: dict[str, Certificate]) -> None:
    page = login_client(cast.east.learner.user).get(PAGE).content.decode()
    found = re.findall(r'(<section class="card cert-card" data-certificate="([^"]+)".*?</section>)', page, re.S)
    cards = {number: card for card, number in found}
    platform = cards[held_by["platform"].number]
    assert "有效" in platform
    assert f'href="/exams/certificates/{held_by["platform"].pk}/pdf/"' in platform
    share = re.search(r'data-share data-share-url="([^"]+)"', platform)
    assert share
    assert share.group(1) == "http://testserver" + certificates.verify_path(held_by["platform"]).replace("&", "&amp;")
    assert "<svg" in platform
    assert "data-expiring-soon" not in platform
    assert "data-expiring-soon" in cards[held_by["soon"].number]
    assert "20 天后到期" in cards[held_by["soon"].number]
    imported = cards[held_by["imported"].number]
    assert "/pdf/" not in imported  # the issuer printed it; the platform makes no PDF of it
    assert "某省应急管理厅" in imported
    assert "焊接与热切割作业" in imported
    assert '<script src="/static/js/share.js"' in page
    assert "<script>" not in page  # CSP: scripts from static files only


def test_the_shared_link_opens_the_public_verification(cast: Any, held_by: dict[str, Certificate]) -> None:
    page = login_client(cast.east.learner.user).get(PAGE).content.decode()
    card = page[page.index(f'data-certificate="{held_by["platform"].number}"') :]
    url = re.search(r'data-share-url="([^"]+)"', card).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    verified = Client().get(url.removeprefix("http://testserver"))
    assert verified.status_code == 200
    assert 'data-state="valid"' in verified.content.decode()


def test_revoked_and_expired_certificates_say_so(cast: Any) -> None:
    new, provider = CertificateType.NEW_EMPLOYEE, cast.east.provider
    expired = held(cast.east.learner, new, issued_ago=1200, left=-1, provider=provider)
    revoked = held(cast.east.learner, new, issued_ago=30, left=1000, provider=provider)
    Certificate.objects.filter(pk=revoked.pk).update(status=Certificate.Status.REVOKED, revoked_at=timezone.now())
    page = login_client(cast.east.learner.user).get(PAGE).content.decode()
    assert f'data-certificate="{expired.number}" data-state="expired"' in page
    assert f'data-certificate="{revoked.number}" data-state="revoked"' in page
    assert "已过期" in page
    assert "已撤销" in page


def test_the_learner_menu_links_my_certificates(cast: Any) -> None:
    page = login_client(cast.east.learner.user).get("/exams/").content.decode()
    assert f'<a href="{PAGE}"' in page
    assert "我的证书" in page
    admin = login_client(cast.east.training_admin).get("/exams/manage/").content.decode()
    assert f'<a href="{PAGE}"' not in admin


def test_an_imported_certificate_shows_its_issuer_and_has_no_pdf(cast: Any, held_by: dict[str, Certificate]) -> None:
    holder = login_client(cast.east.learner.user)
    detail = holder.get(f"/exams/certificates/{held_by['imported'].pk}/").content.decode()
    assert "某省应急管理厅" in detail
    assert "/pdf/" not in detail
    assert holder.get(f"/exams/certificates/{held_by['imported'].pk}/pdf/").status_code == 404
    assert holder.get(f"/exams/certificates/{held_by['platform'].pk}/pdf/").content.startswith(b"%PDF")
