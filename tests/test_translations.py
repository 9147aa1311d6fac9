"""Every catalogue is complete, and pages render in Chinese by default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Cast, login_client

ROOT = Path(__file__).resolve().parents[1]
PO_FILES = sorted(p for p in ROOT.glob("**/locale/*/LC_MESSAGES/*.po") if ".venv" not in p.parts)


def _entries(path: Path) -> list[str]:
    # Entries are separated by blank lines; the first one is the header.
    return [e for e in path.read_text(encoding="utf-8").split("\n\n") if "msgid" in e][1:]


def _strings(entry: str, keyword: str) -> list[str]:
    """The concatenated values of every `keyword` line group (msgstr, msgstr[0], …)."""
    values = []
    for m in re.finditer(rf"^{keyword}(?:\[\d+\])? ((?:\".*\"\n?)+)", entry, flags=re.M):
        values.append("".join(re.findall(r'"(.*)"', m.group(1))))
    return values


def test_the_project_catalogue_exists() -> None:
    assert ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po" in PO_FILES


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete(path: Path) -> None:
    header = path.read_text(encoding="utf-8").split("\n\n")[0]
    assert "#, fuzzy" not in header, f"{path}: the header is marked fuzzy, so msgfmt would drop its charset"
    untranslated, fuzzy = [], []
    for entry in _entries(path):
        if entry.lstrip().startswith("#~"):
            continue  # obsolete entries are not compiled
        msgid = "".join(_strings(entry, "msgid"))
        if re.search(r"^#,.*\bfuzzy\b", entry, flags=re.M):
            fuzzy.append(msgid)
        if any(not s for s in _strings(entry, "msgstr")):
            untranslated.append(msgid)
    assert not fuzzy, f"{path}: fuzzy entries (review and drop the flag): {fuzzy}"
    assert not untranslated, f"{path}: empty msgstr for: {untranslated}"


def test_pages_show_chinese_nav_labels(cast: Cast) -> None:
    client = login_client(cast.platform_admin)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for label in ("首页", "企业", "菜单", "密码", "两步验证", "退出登录", "语言"):
        assert label in html, label
    assert "Sign out" not in html
    assert ">Menu<" not in html


def test_login_page_is_chinese(db: None) -> None:
    from django.test import Client

    html = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "账号由所在企业统一开通" in html
    assert "登录" in html
    assert "sign up" not in html.lower()
