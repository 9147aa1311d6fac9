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


def _messages(path: Path) -> dict[tuple[str | None, str], tuple[str, ...]]:
    """Every live message of a catalogue: (msgctxt or None, msgid) -> its msgstr(s).

    Read line by line rather than by blank-line-separated entries, so that a blank
    line inside an entry (msgfmt accepts one) does not hide its translation.
    """
    messages: dict[tuple[str | None, str], tuple[str, ...]] = {}
    entry: dict[str, list[str]] = {}
    keyword = ""

    def flush() -> None:
        if "msgid" in entry and (entry["msgid"] != [""] or "msgctxt" in entry):  # not the header
            context = "".join(entry["msgctxt"]) if "msgctxt" in entry else None
            strings = tuple("".join(v) for k, v in entry.items() if k.startswith("msgstr"))
            messages[(context, "".join(entry["msgid"]))] = strings
        entry.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):  # a comment, or an obsolete (#~) entry, which is not compiled
            if any(k.startswith("msgstr") for k in entry):
                flush()
            continue
        found = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
        if found:
            keyword = found.group(1)
            if keyword in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in entry):
                flush()
            entry[keyword] = [found.group(2)]
        elif line.startswith('"') and keyword:
            entry[keyword].append(line[1:-1])
    flush()
    return messages


def _language(path: Path) -> str:
    return path.relative_to(ROOT).parts[-3]


@pytest.mark.parametrize("language", sorted({_language(p) for p in PO_FILES}))
def test_no_message_is_translated_two_ways(language: str) -> None:
    """Django merges every app's catalogue and LOCALE_PATHS into one catalogue per language (and domain).

    When two catalogues translate the same (msgctxt, msgid) differently, one of them
    silently wins on every page, whichever app's page it is. A msgid meant two ways
    needs a context (pgettext / {% translate … context … %}) in one of the apps.
    """
    translations: dict[tuple[str, str | None, str], dict[tuple[str, ...], list[str]]] = {}
    for path in PO_FILES:
        if _language(path) != language:
            continue
        catalogue = str(path.relative_to(ROOT).parents[2])  # "training/locale", or "locale" for LOCALE_PATHS
        for (context, msgid), strings in _messages(path).items():
            translations.setdefault((path.stem, context, msgid), {}).setdefault(strings, []).append(catalogue)
    conflicts = [
        f"  {'' if domain == 'django' else domain + ': '}msgctxt {context!r} msgid {msgid!r}: "
        + " | ".join(f"{' / '.join(strings)!r} in {', '.join(where)}" for strings, where in found.items())
        for (domain, context, msgid), found in sorted(translations.items(), key=lambda kv: (kv[0][2], kv[0][1] or ""))
        if len(found) > 1
    ]
    assert not conflicts, (
        f"{len(conflicts)} message(s) translated differently by different catalogues of {language!r} "
        "(only one translation reaches every page):\n" + "\n".join(conflicts)
    )
