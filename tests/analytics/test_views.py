"""The statistics pages: tiles, indicator page, people list, scope and every refusal."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.indicators import indicators_all
from organizations.validators import mask_id_number
from tests.analytics import world
from tests.conftest import Cast, login_client

CODE = "principal_certified_rate"
PERIOD = {"from": "2026-01-01", "to": "2026-06-30"}


def _get(user: Any, name: str, **params: Any) -> Any:
    return login_client(user).get(f"{reverse(name)}?{urlencode(params)}")


@pytest.fixture
def people(cast: Cast) -> dict[str, Any]:
    return world.build(cast)


def _tile(html: str, code: str) -> str:
    match = re.search(rf'<section class="[^"]*" data-tile="{code}">.*?</section>', html, re.S)
    assert match, f"no tile for {code}"
    return match.group(0)


def test_the_bureau_sees_a_tile_per_indicator_with_its_subtree_figures(cast: Cast, people: Any) -> None:
    response = _get(cast.east.bureau, "analytics:overview", **PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "统计分析" in html  # Chinese by default
    for indicator in indicators_all():
        assert f'data-tile="{indicator.code}"' in html
    # In the plans' order: the headline indicator (新增从业人员安全技能培训率) first, as on the home page.
    shown = re.findall(r'data-tile="([a-z_]+)"', html)
    assert shown[:4] == [
        "new_employee_training_rate",
        "principal_certified_rate",
        "special_operator_certified_rate",
        "annual_retraining_rate",
    ]
    tile = _tile(html, CODE)
    # One of the three east principals and safety managers holds a valid certificate.
    assert "33.3%" in tile
    assert "1 / 3" in tile
    assert "kpi-bad" in tile
    assert "目标 100%" in tile
    assert "2 人未达标" in tile
    # A zero denominator is "—", never 0 %.
    special = _tile(html, "special_operator_certified_rate")
    assert "data-value>—</b>" in special
    assert "kpi-none" in special
    assert "赵西区" not in html
    assert "西区" not in html


def test_the_menu_lists_statistics_for_readers_only(cast: Cast, people: Any) -> None:
    url = reverse("analytics:overview")
    for user in (cast.east.bureau, cast.east.enterprise_admin, cast.platform_admin):
        assert f'href="{url}"' in login_client(user).get("/").content.decode()
    for user in (cast.east.learner.user, cast.east.training_admin, cast.outsider):
        assert f'href="{url}"' not in login_client(user).get("/").content.decode()


def test_the_enterprise_admin_sees_only_their_enterprise(cast: Cast, people: Any) -> None:
    html = _get(cast.east.enterprise_admin, "analytics:overview", **PERIOD).content.decode()
    assert "50%" in _tile(html, CODE)
    assert "1 / 2" in _tile(html, CODE)
    html = _get(cast.east.enterprise_admin, "analytics:people", indicator=CODE, **PERIOD).content.decode()
    assert "李无证" in html
    assert "张持证" in html
    assert "王过期" not in html
    # Masked on screen, as their staff list masks them (the export gives them in full).
    assert people["uncertified"].id_number not in html
    assert mask_id_number(people["uncertified"].id_number) in html


def test_people_without_a_statistics_role_are_refused(cast: Cast, people: Any, client: Any) -> None:
    for name, params in (
        ("analytics:overview", {}),
        ("analytics:indicator", {"indicator": CODE}),
        ("analytics:people", {"indicator": CODE}),
        ("analytics:report_list", {}),
    ):
        for user in (cast.east.learner.user, cast.outsider, cast.east.training_admin, cast.east.proctor):
            assert _get(user, name, **params).status_code == 403, (name, user)
        anonymous = client.get(f"{reverse(name)}?{urlencode(params)}")
        assert anonymous.status_code == 302
        assert "/accounts/login/" in anonymous["Location"]


def test_the_indicator_page_breaks_down_by_children_and_links_every_figure(cast: Cast, people: Any) -> None:
    east = cast.east
    response = _get(east.bureau, "analytics:indicator", indicator=CODE, **PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    street = re.search(rf'<tr data-key="{east.street.code}">.*?</tr>', html, re.S).group(0)
    assert "50%" in street
    # The street's row drills to the same indicator scoped to the street, and its missing count to the people.
    assert f"jurisdiction={east.street.code}" in street
    assert "indicator=" + CODE in street
    assert "status=missing" in street
    assert "status=counted" in street
    own = re.search(rf'<tr data-key="{east.jurisdiction.code}">.*?</tr>', html, re.S).group(0)
    assert "0%" in own  # the district's own enterprise: 0 of 1
    charts = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html).group(1))
    assert charts["kind"] == "rate"
    assert charts["target"] == 100.0
    assert {p["key"] for p in charts["bars"]} == {east.street.code, east.jurisdiction.code}
    # Certificates held is a stock: the trend gives the figure on each month's
    # last day; nothing changed in the period, so every month reads 1 of 3.
    trend = charts["trend"]
    assert [p["key"] for p in trend] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert {p["value"] for p in trend} == {33.3}
    assert "data-missing-link" in html
    assert "未达标人员" in html
    assert re.search(r"data-counted-link>达标人员 \(1\)</a>", html)  # both buttons say how many (1 of 3)
    assert "<script>" not in html
    assert "style=" not in html

    by_enterprise = _get(east.bureau, "analytics:indicator", indicator=CODE, group_by="enterprise", **PERIOD)
    html = by_enterprise.content.decode()
    plant = east.enterprises[0]
    row = re.search(rf'<tr data-key="{plant.credit_code}">.*?</tr>', html, re.S).group(0)
    assert plant.name in row
    assert f"enterprise={plant.credit_code}" in row

    narrowed = _get(east.bureau, "analytics:indicator", indicator=CODE, jurisdiction=east.street.code, **PERIOD)
    assert narrowed.status_code == 200
    assert "50%" in re.search(r"data-total.*?</div>", narrowed.content.decode(), re.S).group(0)


def test_the_missing_people_carry_their_reason_and_masked_id_numbers(cast: Cast, people: Any) -> None:
    response = _get(cast.east.bureau, "analytics:people", indicator=CODE, status="missing", **PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "李无证" in html
    assert "王过期" in html
    assert "张持证" not in html
    assert "无证书" in html
    assert "证书已于 2021-01-01 过期" in html
    for key in ("uncertified", "expired"):
        assert people[key].id_number not in html
        assert mask_id_number(people[key].id_number) in html
    counted = _get(cast.east.bureau, "analytics:people", indicator=CODE, status="counted", **PERIOD)
    assert "张持证" in counted.content.decode()
    assert "李无证" not in counted.content.decode()


def test_the_people_list_is_paginated(cast: Cast, people: Any) -> None:
    for i in range(52):
        world.staff(cast.east.enterprises[1], world.Post.SAFETY_MANAGER, f"安全员{i:02d}")
    first = _get(cast.east.bureau, "analytics:people", indicator=CODE, status="missing", **PERIOD)
    html = first.content.decode()
    assert html.count('class="card person-line"') == 50
    assert "第 1 / 2 页" in html or "共 2 页" in html
    second = _get(cast.east.bureau, "analytics:people", indicator=CODE, status="missing", page=2, **PERIOD)
    assert second.content.decode().count('class="card person-line"') == 4


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"indicator": "no_such_indicator"}, 400, "indicator"),
        ({"indicator": CODE, "from": "2026-13-01"}, 400, "from"),
        ({"indicator": CODE, "from": "2026-06-01", "to": "2026-01-01"}, 400, "from"),
        ({"indicator": CODE, "from": "2020-01-01", "to": "2026-01-01"}, 400, "to"),
        ({"indicator": CODE, "jurisdiction": "000000"}, 400, "jurisdiction"),
        ({"indicator": CODE, "enterprise": "not-a-code"}, 400, "enterprise"),
        ({"indicator": CODE, "group_by": "weekday"}, 400, "group_by"),
    ],
)
def test_a_bad_question_is_a_page_naming_the_field(
    cast: Cast, people: Any, params: dict[str, str], status: int, field: str
) -> None:
    for name in ("analytics:indicator", "analytics:people", "analytics:overview"):
        if name == "analytics:people" and field == "group_by":
            continue
        if name == "analytics:overview" and field in ("indicator", "group_by"):
            continue
        response = _get(cast.east.bureau, name, **params)
        assert response.status_code == status, (name, params)
        html = response.content.decode()
        assert "data-refused" in html
        assert f'data-field="{field}"' in html


def test_a_bad_status_is_refused(cast: Cast, people: Any) -> None:
    response = _get(cast.east.bureau, "analytics:people", indicator=CODE, status="late")
    assert response.status_code == 400
    assert 'data-field="status"' in response.content.decode()


def test_another_districts_scope_is_forbidden(cast: Cast, people: Any) -> None:
    west = cast.west
    for name in ("analytics:overview", "analytics:indicator", "analytics:people"):
        for params in ({"jurisdiction": west.jurisdiction.code}, {"enterprise": west.enterprises[0].credit_code}):
            response = _get(cast.east.bureau, name, indicator=CODE, **params)
            assert response.status_code == 403, (name, params)
            assert "赵西区" not in response.content.decode()
    # An enterprise admin reads their own enterprise only: not the district, not a neighbour.
    admin = cast.east.enterprise_admin
    assert _get(admin, "analytics:overview", jurisdiction=cast.east.jurisdiction.code).status_code == 403
    other = cast.east.enterprises[1].credit_code
    assert _get(admin, "analytics:people", indicator=CODE, enterprise=other).status_code == 403


def test_the_platform_admin_sees_every_district(cast: Cast, people: Any) -> None:
    html = _get(cast.platform_admin, "analytics:overview", **PERIOD).content.decode()
    assert "25%" in _tile(html, CODE)  # 1 of 4 across both districts


def test_the_scope_picker_never_narrows_a_reader_by_itself(cast: Cast, people: Any) -> None:
    """Submitting the picker unchanged keeps the whole scope: the first option is "all"."""
    html = _get(cast.platform_admin, "analytics:overview").content.decode()
    jurisdictions = re.search(r'<select id="f-jurisdiction".*?</select>', html, re.S).group(0)
    assert re.search(r'<option value="">\s*全平台', jurisdictions.split("\n", 1)[1])
    enterprises = re.search(r'<select id="f-enterprise".*?</select>', html, re.S).group(0)
    assert '<option value="">全部企业</option>' in enterprises
    html = _get(cast.east.bureau, "analytics:overview").content.decode()
    jurisdictions = re.search(r'<select id="f-jurisdiction".*?</select>', html, re.S).group(0)
    assert re.search(rf'<option value="{cast.east.jurisdiction.code}" data-path="[^"]*" selected>', jurisdictions)
    assert cast.west.jurisdiction.code not in jurisdictions


def test_the_indicator_page_names_certificates_about_to_expire(cast: Cast, people: Any) -> None:
    import datetime as dt

    from exams.models import CertificateType

    soon = world.staff(cast.east.enterprises[0], world.Post.PRINCIPAL, "钱将到期")
    world.certify(soon, CertificateType.PRINCIPAL, valid_until=dt.date(2026, 8, 1))
    html = _get(cast.east.bureau, "analytics:indicator", indicator=CODE, **PERIOD).content.decode()
    assert "1 本证书将在 90 天内到期" in html
    assert "50%" in re.search(r"data-total.*?</div>", html, re.S).group(0)  # 2 of 4


def test_figures_read_as_people_expect_them() -> None:
    from analytics.views import _number, _percent

    assert _percent(None) == "—"  # a zero denominator, never 0 %
    assert _percent(0.0) == "0%"
    assert _percent(1 / 3) == "33.3%"
    assert _percent(1.0) == "100%"
    assert _percent(2 / 49_500) == "<0.1%"  # two residents of 49,500 trained: some, not none
    assert _percent(0.0005) == "0.1%"
    assert _number(19882.98) == "19,883"  # hours summed from seconds: no "19,883.0"
    assert _number(3458.768) == "3,458.8"
    assert _number(None) == "—"


def test_the_export_buttons_post_the_question_on_the_page(cast: Cast, people: Any) -> None:
    """The people page's "导出 CSV" form, posted as the browser would, gives the missing people."""
    bureau = login_client(cast.east.bureau)
    url = f"{reverse('analytics:people')}?{urlencode({'indicator': CODE, 'status': 'missing', **PERIOD})}"
    html = bureau.get(url).content.decode()
    forms = re.findall(r"<form method=\"post\" action=\"([^\"]+)\"[^>]*data-export>(.*?)</form>", html, re.S)
    assert [action for action, _ in forms] == [reverse("analytics:export_start")] * 2
    csv_form = next(body for _, body in forms if 'name="format" value="csv"' in body)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', csv_form))
    fields.pop("csrfmiddlewaretoken", None)
    assert fields["people"] == "1"
    response = bureau.post(reverse("analytics:export_start"), fields)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "李无证" in body
    assert "王过期" in body
    assert "张持证" not in body


def test_a_rate_over_a_population_lists_the_registered_residents_not_trained(cast: Cast, people: Any) -> None:
    """Residents trained in first aid are counted against a population: the
    untrained population is nobody's list, but residents who registered and were
    not trained are, under their own name (no "missing" count beside the population)."""
    response = _get(cast.east.bureau, "analytics:indicator", indicator="public_first_aid_coverage", **PERIOD)
    assert response.status_code == 200
    body = response.content.decode()
    link = body[body.index("data-missing-link") - 200 : body.index("data-missing-link") + 100]
    assert "已注册未培训的居民" in link
    assert "status=missing" in link
    assert (
        "data-missing-link" in _get(cast.east.bureau, "analytics:indicator", indicator=CODE, **PERIOD).content.decode()
    )


def _body_rows(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return re.findall(r'<tr data-key="([^"]+)">', body)


def test_a_table_longer_than_a_page_is_sorted_searched_and_paged_on_the_server(
    cast: Cast, people: Any, settings: Any
) -> None:
    # A district's enterprises run to tens of thousands; here two, one a page.
    settings.ANALYTICS_TABLE_ROWS_PER_PAGE = 1
    east = cast.east
    plant, depot = east.enterprises[0], east.enterprises[1]  # 1 of 2 certified; 0 of 1
    by = {"indicator": CODE, "group_by": "enterprise", **PERIOD}
    first = _get(east.bureau, "analytics:indicator", **by)
    assert first.status_code == 200
    html = first.content.decode()
    assert len(_body_rows(html)) == 1
    assert "data-sortable" not in html  # the browser would sort only the page it holds
    assert "共 2 行，本页 1 行" in html
    assert "第 1 页，共 2 页" in html
    charts = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html).group(1))
    assert [p["key"] for p in charts["bars"]] == _body_rows(html)  # the chart shows the page's rows
    everyone = _body_rows(html) + _body_rows(_get(east.bureau, "analytics:indicator", page=2, **by).content.decode())
    assert sorted(everyone) == sorted([plant.credit_code, depot.credit_code])

    # Sorted by headcount, largest first: the plant (two people) is the first page.
    by_headcount = _get(east.bureau, "analytics:indicator", sort="-headcount", **by).content.decode()
    assert _body_rows(by_headcount)[0] == plant.credit_code
    assert re.search(r'<th scope="col" aria-sort="descending"><a class="sort" href="[^"]*sort=headcount', by_headcount)
    # By rate, lowest first: the plant's 50 % comes last, on the second page.
    by_rate = _get(east.bureau, "analytics:indicator", sort="value", page=2, **by).content.decode()
    assert _body_rows(by_rate) == [plant.credit_code]

    # Searching by name (or credit code) keeps the other parameters and finds the one row.
    found = _get(east.bureau, "analytics:indicator", q=depot.name[-4:], **by).content.decode()
    assert _body_rows(found) == [depot.credit_code]
    assert "共 1 行" in found
    assert '<input type="hidden" name="group_by" value="enterprise">' in found
    nothing = _get(east.bureau, "analytics:indicator", q="没有这家企业", **by).content.decode()
    assert _body_rows(nothing) == []
    assert "没有符合搜索的行" in nothing

    refused = _get(east.bureau, "analytics:indicator", sort="weekday", **by)
    assert refused.status_code == 400
    assert 'data-field="sort"' in refused.content.decode()


def test_a_table_within_a_page_comes_whole_for_the_browser_to_sort(cast: Cast, people: Any) -> None:
    by = {"indicator": CODE, "group_by": "enterprise", **PERIOD}
    html = _get(cast.east.bureau, "analytics:indicator", **by).content.decode()
    assert "data-sortable" in html
    assert len(_body_rows(html)) == 2
    assert 'class="pager"' not in html
    # A sort the page does not know is refused here too, not ignored.
    refused = _get(cast.east.bureau, "analytics:indicator", sort="-weekday", **by)
    assert refused.status_code == 400
    assert 'data-field="sort"' in refused.content.decode()


def test_a_missing_list_is_titled_as_its_button_names_it(cast: Cast, people: Any) -> None:
    """The button reads 已注册未培训的居民 / 未通过的考试人次: the page it opens says the same."""
    for code, title in (("public_first_aid_coverage", "已注册未培训的居民"), ("exam_pass_rate", "未通过的考试人次")):
        html = _get(cast.east.bureau, "analytics:people", indicator=code, status="missing", **PERIOD).content.decode()
        heading = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
        assert title in heading, (code, heading)
        page = _get(cast.east.bureau, "analytics:indicator", indicator=code, **PERIOD).content.decode()
        assert title in re.search(r"<a [^>]*data-missing-link>(.*?)</a>", page, re.S).group(1)


def _chips(html: str) -> list[str]:
    return re.findall(r'<a class="chip(?: active)?" href="[^"]*group_by=(\w+)', html)


def test_a_question_about_one_enterprise_is_not_offered_one_row_groupings(cast: Cast, people: Any) -> None:
    """按属地 and 按行业 of one enterprise would each be a table of one row."""
    bureau = _get(cast.east.bureau, "analytics:indicator", indicator=CODE, **PERIOD).content.decode()
    assert _chips(bureau) == ["jurisdiction", "industry", "enterprise", "quarter", "year"]
    admin = _get(cast.east.enterprise_admin, "analytics:indicator", indicator=CODE, **PERIOD).content.decode()
    assert _chips(admin) == ["enterprise", "quarter", "year"]
    one = cast.east.enterprises[1].credit_code
    filtered = _get(cast.east.bureau, "analytics:indicator", indicator=CODE, enterprise=one, **PERIOD)
    assert _chips(filtered.content.decode()) == ["enterprise", "quarter", "year"]
    # The grouping is still answered when asked for by URL.
    asked = _get(cast.east.enterprise_admin, "analytics:indicator", indicator=CODE, group_by="industry", **PERIOD)
    assert asked.status_code == 200


def test_an_enterprise_question_shows_no_tiles_about_residents_or_regulators(cast: Cast, people: Any) -> None:
    """Residents and regulators belong to no enterprise: for an enterprise those tiles could only read "—"."""
    jurisdiction_only = {i.code for i in indicators_all() if "enterprise" not in i.group_bys}
    assert jurisdiction_only == {"public_first_aid_coverage", "regulator_training_rate"}
    bureau = _get(cast.east.bureau, "analytics:overview", **PERIOD).content.decode()
    assert all(f'data-tile="{code}"' in bureau for code in jurisdiction_only)
    filtered = _get(
        cast.east.bureau, "analytics:overview", enterprise=cast.east.enterprises[0].credit_code, **PERIOD
    ).content.decode()
    admin = _get(cast.east.enterprise_admin, "analytics:overview", **PERIOD).content.decode()
    for html in (filtered, admin):
        assert f'data-tile="{CODE}"' in html
        assert not any(f'data-tile="{code}"' in html for code in jurisdiction_only)


def test_the_reports_link_is_shown_to_those_who_have_reports_to_read(cast: Cast, people: Any) -> None:
    from analytics.reports import report_publish

    link = f'href="{reverse("analytics:report_list")}"'
    assert link in _get(cast.east.bureau, "analytics:overview", **PERIOD).content.decode()
    assert link not in _get(cast.east.enterprise_admin, "analytics:overview", **PERIOD).content.decode()
    report_publish(
        user=cast.east.bureau,
        kind="monthly",
        title="东区化工厂月报",
        codes=[CODE],
        params={**PERIOD, "enterprise": cast.east.enterprises[0].credit_code},
    )
    assert link in _get(cast.east.enterprise_admin, "analytics:overview", **PERIOD).content.decode()


def test_one_enterprise_gets_no_breakdown_chart_and_no_link_to_itself(cast: Cast, people: Any) -> None:
    bureau = _get(cast.east.bureau, "analytics:indicator", indicator=CODE, group_by="enterprise", **PERIOD)
    html = bureau.content.decode()
    assert 'data-chart="bars"' in html
    own = cast.east.enterprises[0]
    indicator_links = re.compile(rf'href="{reverse("analytics:indicator")}\?[^"]*enterprise={own.credit_code}"')
    assert indicator_links.search(html)  # each enterprise row opens its own figures
    admin = _get(cast.east.enterprise_admin, "analytics:indicator", indicator=CODE, **PERIOD).content.decode()
    assert 'data-chart="bars"' not in admin
    assert 'data-chart="trend"' in admin
    assert own.name in admin
    assert not indicator_links.search(admin)


def test_the_home_page_shows_the_headline_figures_to_statistics_readers(cast: Cast, people: Any) -> None:
    """Signed in, a bureau official (or an enterprise admin) sees where the scope stands on the plans' targets."""
    from analytics.home import HEADLINE

    year = {"from": f"{timezone.localdate().year}-01-01", "to": timezone.localdate().isoformat()}
    for user in (cast.east.bureau, cast.east.enterprise_admin):
        home = login_client(user).get("/").content.decode()
        assert "data-home-figures" in home
        overview = _get(user, "analytics:overview", **year).content.decode()
        for code in HEADLINE:
            assert _tile(home, code) == _tile(overview, code)  # the same tile, the same figures and links
        assert not any(f'data-tile="{code}"' in home for code in ("training_hours", "exam_pass_rate"))
    assert "1 / 3" in _tile(login_client(cast.east.bureau).get("/").content.decode(), CODE)
    for user in (cast.east.learner.user, cast.east.training_admin, cast.outsider):
        assert "data-home-figures" not in login_client(user).get("/").content.decode()


def test_a_page_of_one_row_still_opens_its_enterprise(cast: Cast, people: Any, settings: Any) -> None:
    """A paged table whose page shows one row (the last page, a search) keeps the row's drill link:
    only a breakdown that is one row in all has nothing to open."""
    settings.ANALYTICS_TABLE_ROWS_PER_PAGE = 1
    html = _get(cast.east.bureau, "analytics:indicator", indicator=CODE, group_by="enterprise", **PERIOD)
    body = html.content.decode()
    assert len(re.findall(r"<tbody>.*?</tbody>", body, re.S)[0].split("<tr")) - 1 == 1  # one row on the page
    assert re.search(rf'href="{reverse("analytics:indicator")}\?[^"]*enterprise=', body)


def _export_fields(html: str, fmt: str = "csv") -> dict[str, str]:
    forms = re.findall(r"<form method=\"post\" action=\"[^\"]+\"[^>]*data-export>(.*?)</form>", html, re.S)
    body = next(b for b in forms if f'name="format" value="{fmt}"' in b)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def test_an_indicator_parameter_is_shown_and_carried_to_the_people_and_the_export(cast: Cast, people: Any) -> None:
    """A figure asked with its own parameter (here: certificates expiring within 60 days, not 90)
    shows it in the filters, and its people links, table drills and exports ask the same question."""
    import datetime as dt

    from exams.models import CertificateType

    soon = world.staff(cast.east.enterprises[0], world.Post.PRINCIPAL, "钱将到期")
    world.certify(soon, CertificateType.PRINCIPAL, valid_until=dt.date(2026, 8, 1))  # 32 days after 30 June
    bureau = login_client(cast.east.bureau)

    default = _get(cast.east.bureau, "analytics:indicator", indicator=CODE, **PERIOD).content.decode()
    assert 'name="expiring_days" value="90"' in default
    assert "data-params-changed" not in default  # folded, nothing changed
    assert "expiring_days" not in _export_fields(default)

    html = _get(cast.east.bureau, "analytics:indicator", indicator=CODE, expiring_days="20", **PERIOD).content.decode()
    assert 'name="expiring_days" value="20"' in html
    assert "data-params-changed" in html  # the form opens on it: "统计口径 · 已调整"
    assert "已调整" in html
    assert "data-expiring-link" not in html  # 32 days away is not within 20
    assert "本证书将在 20 天内到期" not in html
    assert _export_fields(html)["expiring_days"] == "20"
    missing = re.search(r'href="([^"]+)" data-missing-link', html).group(1)
    assert "expiring_days=20" in missing
    # The table's drill-down to a street keeps the question too.
    assert all("expiring_days=20" in href for href in re.findall(r'<td data-value="[^"]*"><a href="([^"]+)"', html))

    html = _get(cast.east.bureau, "analytics:indicator", indicator=CODE, expiring_days="60", **PERIOD).content.decode()
    expiring = re.search(r'href="([^"]+)" data-expiring-link', html).group(1).replace("&amp;", "&")
    assert "expiring_days=60" in expiring
    listed = bureau.get(expiring).content.decode()
    assert "钱将到期" in listed
    assert re.search(r"data-params-note>统计口径 · 已调整：.*= 60</p>", listed)  # the list says how it counts
    assert 'name="expiring_days" value="60"' in listed
    fields = _export_fields(listed)
    assert (fields["status"], fields["expiring_days"]) == ("expiring", "60")
    body = b"".join(bureau.post(reverse("analytics:export_start"), fields).streaming_content).decode("utf-8-sig")
    assert "钱将到期" in body
    # The same list asked within 20 days is empty: the export answers the question on the page.
    fields["expiring_days"] = "20"
    body = b"".join(bureau.post(reverse("analytics:export_start"), fields).streaming_content).decode("utf-8-sig")
    assert "钱将到期" not in body


def test_a_bad_indicator_parameter_on_the_page_names_it(cast: Cast, people: Any) -> None:
    response = _get(cast.east.bureau, "analytics:indicator", indicator=CODE, expiring_days="-3", **PERIOD)
    assert response.status_code == 400
    assert "expiring_days" in response.content.decode()


def test_dates_in_a_sentence_are_not_broken_at_their_hyphens(cast: Cast, people: Any) -> None:
    """On a phone "数据截至 2026-06-30" broke into "2026-" / "06-30": each date is kept whole."""
    html = _get(cast.east.bureau, "analytics:overview", **PERIOD).content.decode()
    sentence = re.search(r'<p class="muted">统计期.*?</p>', html, re.S).group(0)
    assert re.findall(r'<span class="nowrap">([^<]*)</span>', sentence) == ["2026-01-01", "2026-06-30", "2026-06-30"]
