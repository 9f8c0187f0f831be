"""Swedish civic numbers: personnummer, samordningsnummer and TF numbers.

Stored as 12 characters (``YYYYMMDDNNNC`` or ``YYYYMMDDTFnn``), never put in URLs or logs, and
shown masked except where a role needs the whole number.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

_TEN = re.compile(r"^(\d{6})([-+]?)(\d{4})$")
_TWELVE = re.compile(r"^(\d{8})-?(\d{4})$")
_TF = re.compile(r"^(\d{8})-?TF(\d{2})$", re.IGNORECASE)
SAMORDNING_DAY_OFFSET = 60


class CivicNumberKind(StrEnum):
    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    TF = "tf"


class InvalidCivicNumber(ValueError):
    """The value is not a valid civic number; the message says why (without the number)."""


@dataclass(frozen=True)
class CivicNumber:
    value: str  # 12 characters
    kind: CivicNumberKind

    @property
    def birth_date(self) -> dt.date:
        day = int(self.value[6:8])
        if self.kind == CivicNumberKind.SAMORDNINGSNUMMER:
            day -= SAMORDNING_DAY_OFFSET
        return dt.date(int(self.value[:4]), int(self.value[4:6]), day)

    @property
    def masked(self) -> str:
        return mask(self.value)

    def __str__(self) -> str:  # never print the whole number by accident
        return self.masked


# The digit sum of 2 * d, for each digit d (Luhn doubles every other digit).
_DOUBLED_DIGIT_SUM = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_check_digit(nine_digits: str) -> int:
    # Sums by slices instead of a loop per digit: the reader checks every person of a
    # 100,000-pupil import (215,000 numbers).
    total = sum(_DOUBLED_DIGIT_SUM[int(char)] for char in nine_digits[0::2]) + sum(
        map(int, nine_digits[1::2])
    )
    return (10 - total % 10) % 10


def parse_civic_number(raw: str, *, today: dt.date | None = None) -> CivicNumber:
    """Accepts YYYYMMDDNNNC, YYYYMMDD-NNNC, YYMMDD-NNNC, YYMMDD+NNNC and YYYYMMDDTFnn."""
    text = raw.strip().replace(" ", "")
    if len(text) == 12 and text.isdecimal():
        # The common form (YYYYMMDDNNNC, as registers send it) without the regular expressions;
        # isdecimal() accepts exactly what \d does (Unicode category Nd).
        date_part, serial = text[:8], text[8:]
    elif match := _TF.match(text):
        date_part = match.group(1)
        _check_date(date_part, day_offset=0)
        return CivicNumber(f"{date_part}TF{match.group(2)}", CivicNumberKind.TF)
    elif match := _TWELVE.match(text):
        date_part, serial = match.groups()
    elif match := _TEN.match(text):
        short_date, separator, serial = match.groups()
        date_part = _with_century(short_date, centenarian=separator == "+", today=today)
    else:
        raise InvalidCivicNumber("expected YYYYMMDD-NNNN, YYMMDD-NNNN or YYYYMMDDTFNN")
    value = date_part + serial
    day = int(date_part[6:8])
    kind = (
        CivicNumberKind.SAMORDNINGSNUMMER
        if day > SAMORDNING_DAY_OFFSET
        else CivicNumberKind.PERSONNUMMER
    )
    _check_date(date_part, day_offset=SAMORDNING_DAY_OFFSET if kind == "samordningsnummer" else 0)
    if luhn_check_digit(value[2:11]) != int(value[11]):
        raise InvalidCivicNumber("the check digit does not match")
    return CivicNumber(value, kind)


def is_valid_civic_number(raw: str) -> bool:
    try:
        parse_civic_number(raw)
    except InvalidCivicNumber:
        return False
    return True


def mask(value: str) -> str:
    """``20100203-****``: enough to tell people apart on screen, not enough to identify."""
    if len(value) != 12:
        return "****"
    return f"{value[:8]}-****"


def _check_date(date_part: str, *, day_offset: int) -> None:
    try:
        dt.date(int(date_part[:4]), int(date_part[4:6]), int(date_part[6:8]) - day_offset)
    except ValueError as error:
        raise InvalidCivicNumber("the date part is not a real date") from error


def _with_century(short_date: str, *, centenarian: bool, today: dt.date | None) -> str:
    today = today or dt.date.today()
    year = int(short_date[:2])
    century = today.year // 100 * 100
    full_year = century + year
    if full_year > today.year:
        full_year -= 100
    if centenarian:
        full_year -= 100
    return f"{full_year:04d}{short_date[2:]}"
