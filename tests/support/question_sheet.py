"""The layout of a question bank sheet as real banks have it, for the import tests and bench/bench_import.py."""

from __future__ import annotations


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
