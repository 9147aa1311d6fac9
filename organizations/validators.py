"""Check characters of Chinese identifiers.

- Unified social credit code (统一社会信用代码), GB 32100-2015.
- Resident identity card number (居民身份证号码), GB 11643-1999.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="credit_code_length",
            params={"n": len(code)},
        )
    bad = [c for c in code if c not in CREDIT_CODE_CHARSET]
    if bad:
        raise ValidationError(
            _("The unified social credit code contains invalid characters: %(chars)s."),
            code="credit_code_charset",
            params={"chars": "".join(sorted(set(bad)))},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3–8 of a unified social credit code are the region code digits."),
            code="credit_code_region",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of the unified social credit code is wrong (GB 32100)."),
            code="credit_code_check",
        )


def id_number_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def id_number_birth_date(value: str) -> dt.date:
    code = normalize_id_number(value)
    return dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))


def validate_id_number(value: str) -> None:
    code = normalize_id_number(value)
    if len(code) != 18 or not code[:17].isdigit() or not (code[17].isdigit() or code[17] == "X"):
        raise ValidationError(
            _("An ID card number has 17 digits followed by a digit or X."),
            code="id_number_format",
        )
    try:
        birth = id_number_birth_date(code)
    except ValueError:
        raise ValidationError(
            _("The ID card number contains an impossible date of birth."), code="id_number_birth"
        ) from None
    if birth.year < 1900 or birth > timezone.localdate():
        raise ValidationError(_("The ID card number contains an impossible date of birth."), code="id_number_birth")
    if id_number_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("The check digit of the ID card number is wrong (GB 11643)."),
            code="id_number_check",
        )


_EXCEL_NUMBER = re.compile(r"^\s*\d(?:\.\d+)?[eE]\+\d+\s*$")


def id_number_lost_to_excel(value: Any) -> bool:
    """Excel stored the ID number as a number: a cell read as one (xlsx), or the scientific
    notation Excel writes into a csv (``9.90101E+17``). Either way the last digits are gone."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or (isinstance(value, str) and bool(_EXCEL_NUMBER.match(value)))


def mask_id_number(value: str) -> str:
    """Keep the first 6 (region) and last 4 characters: 110105********123X."""
    code = normalize_id_number(value)
    if len(code) < 10:
        return "*" * len(code)
    return code[:6] + "*" * (len(code) - 10) + code[-4:]


def complete_credit_code(first17: str) -> str:
    """Append the GB 32100 check character (for demo data and tests)."""
    return first17 + credit_code_check_char(first17)


def complete_id_number(first17: str) -> str:
    """Append the GB 11643 check digit (for demo data and tests)."""
    return first17 + id_number_check_char(first17)
