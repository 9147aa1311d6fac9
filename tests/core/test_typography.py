"""The small typographic filters every page uses (core.templatetags.typography)."""

from __future__ import annotations

from core.templatetags.typography import fit_width, nowrap, plain_number


def test_a_date_in_a_sentence_is_kept_whole_and_escaped() -> None:
    assert nowrap("2026-12-07") == '<span class="nowrap">2026-12-07</span>'
    assert nowrap("<b>") == '<span class="nowrap">&lt;b&gt;</span>'


def test_numbers_have_a_decimal_only_when_there_is_one() -> None:
    assert plain_number("100.0") == "100"
    assert plain_number(62.5) == "62.5"
    assert plain_number("1E+2") == "100"
    assert plain_number("—") == "—"  # not a number: shown as it is


def test_a_label_is_cut_to_its_width_whether_chinese_or_english() -> None:
    # A Chinese character takes two columns, a Latin letter one; "…" counts within the width.
    assert fit_width("生产二车间", 13) == "生产二车间"
    assert fit_width("（未填部门）", 13) == "（未填部门）"
    assert fit_width("我管辖范围内的全部企业", 13) == "我管辖范围内…"
    assert fit_width("Completed", 13) == "Completed"  # cut by characters it read "Comple…"
    assert fit_width("On track for the plan", 13) == "On track for…"
