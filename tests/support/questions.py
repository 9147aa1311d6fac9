"""Questions as the tests and benchmarks write them: the sheet layout real banks have, and a question row.

Django-free at import (bench/bench_import.py imports it before setting Django up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from question_bank.models import Bank, Question


def sheet_header(option_letters: str) -> list[str]:
    """序号, then the question's columns with one 选项 column per letter of ``option_letters``."""
    return [
        "序号",
        "题型",
        "题干",
        *[f"选项{letter}" for letter in option_letters],
        "答案",
        "解析",
        "难度",
        "知识点",
        "行业",
        "适用岗位",
    ]


def new_question(bank: Bank, qtype: str, stem: str, options: list[str], answer: Any, **fields: Any) -> Question:
    """An unsaved question of ``bank`` with its fingerprint computed as the importer computes it."""
    from question_bank.importers import fingerprint
    from question_bank.models import Question

    return Question(
        bank=bank,
        type=qtype,
        stem=stem,
        options=options,
        answer=answer,
        fingerprint=fingerprint(qtype, stem, options, answer),
        **fields,
    )
