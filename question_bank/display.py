"""Answers as a person writes them: 正确 / 错误, the chosen options by letter and text, the blanks' words.

For result and review pages; never Python's list or bool notation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import pgettext

from question_bank.importers import truth_of
from question_bank.models import OPTION_LETTERS, QuestionType

SEPARATOR = "；"


def answer_display(qtype: str, value: Any, options: Sequence[str] = ()) -> str:
    """``value`` (a key or a learner's answer, in the stored form) as text; "" for no answer."""
    if value is None or value == "" or value == []:
        return ""
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        letters = "".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts = []
        for letter in letters.upper():
            index = OPTION_LETTERS.find(letter)
            text = options[index] if 0 <= index < len(options) else ""
            parts.append(f"{letter}. {text}" if text else letter)
        return SEPARATOR.join(parts)
    if qtype == QuestionType.TRUE_FALSE:
        truth = value if isinstance(value, bool) else truth_of(str(value))
        if truth is None:
            return str(value)  # not a true/false word: shown as given, never guessed
        return pgettext("answer", "True") if truth else pgettext("answer", "False")
    if qtype == QuestionType.FILL_BLANK:
        blanks = value if isinstance(value, list) else str(value).split("|")
        return SEPARATOR.join("/".join(str(a) for a in b) if isinstance(b, list) else str(b) for b in blanks)
    return str(value)


def question_label(question: Any, *, length: int = 18) -> str:
    """How a message names a question: its number and the start of its stem (#12「电器设备着火时…」)."""
    from django.utils.text import Truncator

    return f"#{question.pk}「{Truncator(' '.join(question.stem.split())).chars(length)}」"
