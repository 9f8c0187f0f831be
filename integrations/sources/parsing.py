"""Lenient parsing of the scalar values registers send."""

from __future__ import annotations

import datetime as dt
import re

_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
# Looks like a civic number (10 or 12 digits, maybe a separator, maybe TF letters): such a value
# must never be copied into an issue or an error message.
_CIVIC_LIKE = re.compile(r"\d{6,8}[-+]?[0-9A-Za-z]{4}")


# Registers repeat a few thousand dates (term starts and ends, birth dates) across millions of
# values: each spelling is parsed once. Dates are immutable, so sharing them is safe; the bound
# keeps a long-lived worker's memory in check.
_DATES: dict[str, dt.date] = {}
_DATES_LIMIT = 1 << 16


def parse_date(value: str) -> dt.date:
    """``2016-10-15`` or ``20161015``; a trailing time (``2016-10-15T00:00:00``, ``2016-10-15
    00:00``, as some servers and spreadsheet exports write dates) is ignored. Raises ValueError."""
    found = _DATES.get(value)
    if found is None:
        found = _parse_date(value)
        if len(_DATES) >= _DATES_LIMIT:
            _DATES.clear()
        _DATES[value] = found
    return found


def _parse_date(value: str) -> dt.date:
    text = value.strip()
    match = _DATE.match(text)
    if match is None or (match.end() < len(text) and text[match.end()] not in "T "):
        raise ValueError("not a date")
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


def parse_datetime(value: str) -> dt.datetime:
    """RFC 3339 (``2015-12-12T10:30:00+01:00``, ``...Z``, with or without fractions). A value
    without an offset is read as UTC. Raises ValueError."""
    parsed = dt.datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def looks_like_civic_no(value: str) -> bool:
    return _CIVIC_LIKE.search(value) is not None


def safe_excerpt(value: str, limit: int = 40) -> str:
    """A register value fit for an issue's details: cut short, and withheld entirely if it
    could be a civic number."""
    if looks_like_civic_no(value):
        return "(withheld: looks like a civic number)"
    return value if len(value) <= limit else value[: limit - 1] + "…"
