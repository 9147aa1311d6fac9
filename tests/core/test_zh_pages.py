"""Every page every role can reach reads in Chinese (zh-hans, the default language).

Signed in as each role of the cast (learner, enterprise admin, training admin,
proctor, bureau official, platform admin), the test GETs every parameterless
URL pattern and every parametrised one with the EAST objects of
tests/route_params.py (the walk of tests/test_every_route_is_scoped.py),
keeps the HTML answers (403 and 404 pages included), extracts the text a
person sees (no tags, scripts, styles or attributes; placeholders and button
values are visible, so they count), and fails listing ``page: word`` for every
Latin word outside ``ALLOWED``.

Data (usernames, codes, e-mail addresses, file names) is not UI text: a token
holding a digit, ``_``, ``@`` or ``.`` is skipped, and so are the strings the
cast itself stored in the database (``_data_strings``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from accounts.models import User
from tests import factories
from tests.conftest import Cast, login_client
from tests.test_every_route_is_scoped import _parametrised_routes, all_routes, build_url

pytestmark = pytest.mark.django_db

# Brand names, units, codes and file formats that Chinese UIs write in Latin letters.
ALLOWED = {
    "safetrain",
    "API",
    "ID",
    "QR",
    "OK",
    "PDF",
    "Excel",
    "CSV",
    "XLSX",
    "xlsx",
    "csv",
    "pdf",
    "JSON",
    "HTML",
    "URL",
    "TOTP",
    "English",  # the language switch names each language in its own words
    "Token",
    "JPEG",
    "PNG",
    "WebP",  # site photos (classroom evidence)
    "docx",  # lesson plans: Word (docx) and PowerPoint (pptx) are the formats' names
    "PowerPoint",
    "pptx",
    "MP4",
    "KB",
    "MB",
    "GB",
    "WebSocket",
    "Chrome",
    "Swagger",
    "Word",
    "xls",
    "Aiken",  # question-bank import formats
    "GIFT",
    "Moodle",
}
# The parts of a page nobody reads.
HIDDEN_ELEMENTS = {"script", "style", "template", "noscript", "head", "svg"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# Anything that holds a digit or a separator is data (a username, a code, a file name).
TOKEN = re.compile(r"[^\s,，。:：;；()（）\[\]【】\"“”'‘’/|·、<>《》!！?？]+")
DATA_MARK = re.compile(r"[\d_@.#=&%]")
# A choice question's answer written as its option letters ("ACD").
OPTION_LETTERS = re.compile(r"[A-H]{1,8}")
OUR_APPS = {"accounts", "core", "organizations", "question_bank", "training", "exams", "proctoring", "analytics"}
# Routes that render no page of ours.
SKIPPED_PREFIXES = ("api/v1/", "api/schema/", "healthz", "readyz", "static/", "media/", "i18n/")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in HIDDEN_ELEMENTS:
            self.hidden += 1
            return
        if self.hidden:
            return
        if values.get("placeholder"):
            self.parts.append(values["placeholder"] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_ELEMENTS and self.hidden:
            self.hidden -= 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HIDDEN_ELEMENTS:
            self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


def latin_words(text: str, data: set[str]) -> set[str]:
    words = set()
    for token in TOKEN.findall(text):
        if token in data or DATA_MARK.search(token) or OPTION_LETTERS.fullmatch(token):
            continue
        for word in LATIN_WORD.findall(token):
            if len(word) > 1 and word not in ALLOWED and word not in data:
                words.add(word)
    return words


def english_lines(text: str, data: set[str]) -> list[str]:
    """The lines of ``text`` that hold a Latin word outside the ``data`` strings, each shortened
    to what a report can show."""
    lines = []
    for line in text.splitlines():
        ui = line
        for value in sorted(data, key=len, reverse=True):  # "east-route-bank" before "route-bank"
            if value in ui:
                ui = ui.replace(value, " ")
        if latin_words(ui, data):
            lines.append(" ".join(line.split())[:120])
    return lines


def _data_strings() -> set[str]:
    """What the cast typed into the database (names, codes, question stems): shown back as
    data, not as UI text. Fields with choices are left out: a raw choice value on a page is a bug."""
    strings: set[str] = set()
    for user in User.objects.all():
        strings |= {user.username, user.first_name, user.last_name, user.email}
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.choices
        ]
        for row in model.objects.values_list(*fields) if fields else []:
            strings |= {str(v) for v in row if v and LATIN_WORD.search(str(v))}
    return {s for s in strings if s and len(s) < 200}


def _roles(cast: Cast) -> dict[str, User]:
    east = cast.east
    return {
        "learner": east.learner.user,
        "enterprise admin": east.enterprise_admin,
        "training admin": east.training_admin,
        "proctor": east.proctor,
        "bureau official": east.bureau,
        "platform admin": cast.platform_admin,
    }


def _skipped(route: str) -> bool:
    return route.startswith(SKIPPED_PREFIXES) or "<drf_format_suffix:format>" in route


def _urls(cast: Cast) -> list[str]:
    root = factories.make_user("zh_root", is_staff=True, is_superuser=True)
    urls = [
        build_url(r.route, {})
        for r in all_routes()
        if not _skipped(r.route) and not [p for p in r.params if p != "format"]
    ]
    urls += [url for route, url, _witness in _parametrised_routes(cast, root) if not _skipped(route.route)]
    return sorted(set(urls))


def _html(client: Client, url: str) -> str | None:
    response = client.get(url)
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return None
    return response.content.decode()


def test_every_page_of_every_role_reads_in_chinese(cast: Cast) -> None:
    roles = _roles(cast)
    urls = _urls(cast)
    data = _data_strings()
    found: dict[str, set[str]] = defaultdict(set)  # line -> pages
    pages = 0
    for role, user in roles.items():
        client = login_client(user)
        for url in urls:
            html = _html(client, url)
            if html is None:
                continue
            pages += 1
            for line in english_lines(visible_text(html), data):
                found[line].add(f"{url} ({role})")
    report = [f"{line!r} on {', '.join(sorted(pages)[:3])}" for line, pages in sorted(found.items())]
    assert not report, "English on zh-hans pages (translate it, or allow a brand/unit/code):\n  " + "\n  ".join(report)
    assert pages > 300


def test_the_extractor_sees_only_what_a_person_reads() -> None:
    html = (
        '<html><head><title>Head</title><style>.Hidden{}</style></head><body class="Klass">'
        '<p title="Tip">企业 Jurisdiction</p><script>var English = 1;</script>'
        '<input placeholder="Search by name"><input type="submit" value="保存"><img alt="Alt">'
        "<p>导出 PDF · east_learner · a.xlsx</p></body></html>"
    )
    text = visible_text(html)
    assert latin_words(text, data=set()) == {"Jurisdiction", "Search", "by", "name"}
    assert latin_words("编号 GB2894", data=set()) == set()
    assert latin_words("欢迎 Alice", data={"Alice"}) == set()
