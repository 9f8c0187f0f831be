from __future__ import annotations

import datetime as dt

import pytest

from register.civic_numbers import (
    CivicNumberKind,
    InvalidCivicNumber,
    luhn_check_digit,
    mask,
    parse_civic_number,
)

TODAY = dt.date(2026, 11, 29)


@pytest.mark.parametrize(
    ("raw", "value", "kind"),
    [
        # Skatteverket's published test number and the classic textbook example.
        ("201002012399", "201002012399", CivicNumberKind.PERSONNUMMER),
        ("20100201-2399", "201002012399", CivicNumberKind.PERSONNUMMER),
        ("100201-2399", "201002012399", CivicNumberKind.PERSONNUMMER),
        ("811218-9876", "198112189876", CivicNumberKind.PERSONNUMMER),
        # "+" marks a person aged 100 or more.
        ("121212+1212", "191212121212", CivicNumberKind.PERSONNUMMER),
        # Samordningsnummer: day + 60.
        ("701063-2391", "197010632391", CivicNumberKind.SAMORDNINGSNUMMER),
        ("197010632391", "197010632391", CivicNumberKind.SAMORDNINGSNUMMER),
        # Spaces anywhere are ignored (the 12-digit form has a path of its own).
        (" 2010 0201 2399 ", "201002012399", CivicNumberKind.PERSONNUMMER),
        # TF numbers from the school register: no check digit.
        ("20100203TF01", "20100203TF01", CivicNumberKind.TF),
        ("20100203-tf07", "20100203TF07", CivicNumberKind.TF),
    ],
)
def test_valid_numbers_are_normalised_to_12_characters(
    raw: str, value: str, kind: CivicNumberKind
) -> None:
    parsed = parse_civic_number(raw, today=TODAY)
    assert (parsed.value, parsed.kind) == (value, kind)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("201002012398", "check digit"),
        ("20101302-2399", "not a real date"),
        ("201013022399", "not a real date"),
        ("201002922399", "not a real date"),
        ("20100231TF01", "not a real date"),
        ("20100201239", "expected"),
        ("abc", "expected"),
        ("", "expected"),
    ],
)
def test_invalid_numbers_are_refused_without_echoing_them(raw: str, reason: str) -> None:
    with pytest.raises(InvalidCivicNumber, match=reason) as refused:
        parse_civic_number(raw, today=TODAY)
    if raw:
        assert raw not in str(refused.value)


def test_luhn_check_digit() -> None:
    assert [luhn_check_digit(d) for d in ("811218987", "100201239", "701063239", "000000000")] == [
        6,
        9,
        1,
        0,
    ]


def test_birth_date_of_a_samordningsnummer_subtracts_60_days() -> None:
    assert parse_civic_number("197010632391").birth_date == dt.date(1970, 10, 3)


def test_masking_hides_the_serial_and_printing_never_shows_it() -> None:
    number = parse_civic_number("201002012399")
    assert mask(number.value) == "20100201-****"
    assert str(number) == "20100201-****"
    assert f"{number}" == "20100201-****"
