"""Published reports: frozen when published, compared with today, visible only to readers of their scope."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from analytics.models import PublishedReport, ReportFigure, ReportPerson
from exams.models import CertificateType
from tests.analytics import world
from tests.conftest import Cast, login_client

CODE = "principal_certified_rate"
FORM = {
    "kind": "monthly",
    "title": "东区 2026 年 6 月月报",
    "from": "2026-06-01",
    "to": "2026-06-30",
    "group_by": "jurisdiction",
    "indicators": [CODE, "special_operator_certified_rate"],
}


@pytest.fixture
def people(cast: Cast) -> dict[str, Any]:
    return world.build(cast)


def _publish(user: Any, **changes: Any) -> Any:
    return login_client(user).post(reverse("analytics:report_new"), {**FORM, **changes})


def _counts() -> tuple[int, int, int]:
    return PublishedReport.objects.count(), ReportFigure.objects.count(), ReportPerson.objects.count()


def test_a_bureau_publishes_and_later_sees_every_change_beside_the_frozen_figures(cast: Cast, people: Any) -> None:
    bureau = cast.east.bureau
    response = _publish(bureau)
    assert response.status_code == 302
    report = PublishedReport.objects.get()
    assert response["Location"] == reverse("analytics:report_detail", args=[report.pk])
    assert report.published_by == bureau
    assert report.jurisdiction == cast.east.jurisdiction
    figure = report.figures.get(indicator=CODE)
    assert (figure.numerator, figure.denominator) == (1, 3)
    frozen = {p.name: p.status for p in report.people.filter(indicator=CODE)}
    assert frozen == {"张持证": "counted", "李无证": "missing", "王过期": "missing"}

    # A late correction: the safety manager's certificate is recorded after publication.
    world.certify(people["uncertified"], CertificateType.SAFETY_MANAGER)
    html = login_client(bureau).get(response["Location"]).content.decode()
    section = re.search(rf'data-figure="{CODE}".*?</section>', html, re.S).group(0)
    assert re.search(r"data-then>33.3%<", section)
    assert re.search(r"data-now>66.7%<", section)
    assert "data-differs" in section
    change = re.search(r'<li data-person="(\d+)" data-then="(\w*)" data-now="(\w*)">', section)
    assert change.groups() == (str(people["uncertified"].pk), "missing", "counted")
    assert "李无证" in section
    assert "王过期" not in section  # unchanged people are not listed
    # The frozen rows stay as published.
    assert report.people.get(indicator=CODE, person_id=people["uncertified"].pk).status == "missing"
    figure.refresh_from_db()
    assert (figure.numerator, figure.denominator) == (1, 3)


def test_frozen_rows_refuse_every_edit(cast: Cast, people: Any) -> None:
    _publish(cast.east.bureau)
    report = PublishedReport.objects.get()
    figure = report.figures.first()
    person = report.people.first()
    for obj in (report, figure, person):
        with pytest.raises(PermissionError):
            obj.save()
        with pytest.raises(PermissionError):
            obj.delete()
    for model in (PublishedReport, ReportFigure, ReportPerson):
        with pytest.raises(PermissionError):
            model.objects.update(pk=1)
        with pytest.raises(PermissionError):
            model.objects.all().delete()


def test_only_readers_of_the_scope_see_a_report(cast: Cast, people: Any) -> None:
    _publish(cast.east.bureau)
    report = PublishedReport.objects.get()
    url = reverse("analytics:report_detail", args=[report.pk])
    assert login_client(cast.east.bureau).get(url).status_code == 200
    assert login_client(cast.platform_admin).get(url).status_code == 200
    for user in (cast.west.bureau, cast.west.enterprise_admin, cast.east.enterprise_admin):
        assert login_client(user).get(url).status_code == 404, user
    for user in (cast.east.learner.user, cast.outsider):
        assert login_client(user).get(url).status_code == 403, user
    listing = reverse("analytics:report_list")
    assert FORM["title"] in login_client(cast.east.bureau).get(listing).content.decode()
    assert FORM["title"] not in login_client(cast.west.bureau).get(listing).content.decode()


def test_an_enterprise_report_is_seen_by_that_enterprise_admin(cast: Cast, people: Any) -> None:
    plant = cast.east.enterprises[0]
    assert _publish(cast.east.bureau, enterprise=plant.credit_code, group_by="").status_code == 302
    report = PublishedReport.objects.get()
    assert report.enterprise == plant
    url = reverse("analytics:report_detail", args=[report.pk])
    assert login_client(cast.east.enterprise_admin).get(url).status_code == 200
    assert login_client(cast.west.bureau).get(url).status_code == 404


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"indicators": []}, 400, "indicators"),
        ({"title": "  "}, 400, "title"),
        ({"kind": "weekly"}, 400, "kind"),
        ({"indicators": ["no_such_indicator"]}, 400, "indicator"),
        ({"from": "2026-07-01"}, 400, "from"),
        ({"to": "30/06/2026"}, 400, "to"),
        ({"group_by": "weekday"}, 400, "group_by"),
        ({"jurisdiction": "990102"}, 403, ""),
    ],
)
def test_a_refused_publication_names_the_field_and_writes_nothing(
    cast: Cast, people: Any, changes: dict[str, Any], status: int, field: str
) -> None:
    response = _publish(cast.east.bureau, **changes)
    assert response.status_code == status
    html = response.content.decode()
    assert "data-refused" in html
    if field:
        assert f'data-field="{field}"' in html
    assert _counts() == (0, 0, 0)


def test_enterprise_admins_and_others_may_not_publish(cast: Cast, people: Any) -> None:
    for user in (cast.east.enterprise_admin, cast.east.learner.user, cast.outsider):
        assert _publish(user).status_code == 403
        assert login_client(user).get(reverse("analytics:report_new")).status_code == 403
    assert _counts() == (0, 0, 0)


def test_the_publish_form_offers_every_indicator_and_carries_the_scope(cast: Cast, people: Any) -> None:
    street = cast.east.street.code
    url = f"{reverse('analytics:report_new')}?jurisdiction={street}&from=2026-04-01&to=2026-06-30"
    response = login_client(cast.east.bureau).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{street}" selected>' in html
    assert 'value="2026-04-01"' in html
    for code in (CODE, "special_operator_certified_rate"):
        assert f'value="{code}" checked' in html
    assert "月报" in html
    assert "季报" in html


def test_the_publish_form_picks_from_the_readers_own_jurisdictions_and_enterprises(cast: Cast) -> None:
    html = login_client(cast.east.bureau).get(reverse("analytics:report_new")).content.decode()
    picker = html[html.index('id="r-jurisdiction"') : html.index("</select>", html.index('id="r-jurisdiction"'))]
    assert f'<option value="{cast.east.jurisdiction.code}">东区</option>' in picker
    assert f'<option value="{cast.east.street.code}">\u3000东区第一街道</option>' in picker
    assert cast.west.jurisdiction.code not in picker
    names = html[html.index('<datalist id="r-enterprises">') : html.index("</datalist>")]
    for enterprise in cast.east.enterprises:
        assert f'<option value="{enterprise.credit_code}">{enterprise.name}</option>' in names
    for enterprise in cast.west.enterprises:
        assert enterprise.credit_code not in names
    assert "输入企业名称即可选择" in html


def test_people_who_stand_more_than_once_or_have_no_roster_entry_are_compared_by_id_and_name(
    cast: Cast, people: Any
) -> None:
    """Exam pass rates list a person once per session, the regulators' rate lists staff
    without a roster entry as id 0: the comparison matches (id, name) and their statuses."""
    from analytics.indicators import PersonLine
    from analytics.reports import _changes

    report = PublishedReport.objects.create(
        kind="other",
        title="t",
        date_from="2026-01-01",
        date_to="2026-01-31",
        as_of="2026-01-31",
        jurisdiction=cast.east.jurisdiction,
        published_by=cast.east.bureau,
    )
    figure = ReportFigure.objects.create(report=report, indicator="x", name="x", numerator=1, denominator=4)
    for person_id, name, status in (
        (7, "甲", "missing"),
        (7, "甲", "counted"),
        (0, "乙", "missing"),
        (0, "丙", "counted"),
    ):
        ReportPerson.objects.create(
            report=report,
            indicator="x",
            person_id=person_id,
            name=name,
            credit_code="",
            enterprise_name="",
            status=status,
        )

    def line(person_id: int, name: str, status: str) -> PersonLine:
        return PersonLine(person_id, name, "", "", "", status, "")

    today = [line(7, "甲", "counted"), line(7, "甲", "counted"), line(0, "乙", "missing"), line(0, "丙", "counted")]
    changes = _changes(report, figure, today)
    assert [(c.person_id, c.name, c.then_code, c.now_code) for c in changes] == [(7, "甲", "", "counted")]
    assert changes[0].then == "达标 / 未达标"


def test_a_volume_reads_as_its_number_not_as_a_fraction(cast: Cast, people: Any) -> None:
    response = _publish(cast.east.bureau, indicators=[CODE, "active_learners"])
    html = login_client(cast.east.bureau).get(response["Location"]).content.decode()
    volume = re.search(r'data-figure="active_learners".*?</section>', html, re.S).group(0)
    assert "/—" not in volume
    assert " / " not in re.search(r"<div class=\"compare\">.*?</div>\s*</div>", volume, re.S).group(0)
    rate = re.search(rf'data-figure="{CODE}".*?</section>', html, re.S).group(0)
    assert "1 / 3" in rate  # a rate keeps its numerator and denominator
