"""The CSV/TSV export format (docs/register-file-formats.md): files, columns, value rules."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from integrations.records import Entity
from integrations.sources import ss12000_enums as enums
from integrations.sources.errors import SourceError
from integrations.sources.parsing import parse_date, safe_excerpt
from integrations.sources.text_files import Row, normalise_header

EXTENSIONS = (".csv", ".tsv", ".txt")
LIST_SEPARATOR = "|"  # inside one cell: several groups or teachers of an activity


@dataclass(frozen=True, slots=True)
class Col:
    name: str  # canonical, normalised header
    aliases: tuple[str, ...] = ()
    required: bool = False  # the column must be present (values may still be optional)


@dataclass(frozen=True, slots=True)
class FileSpec:
    kind: str
    stems: tuple[str, ...]  # accepted file names without extension (normalised)
    entity: Entity
    columns: tuple[Col, ...]
    one_of: tuple[str, ...] = ()  # at least one of these columns must be present
    required_file: bool = True


_PERSON_COLUMNS = (
    Col("id"),
    Col("personnummer", ("pnr", "personnr")),
    Col("fornamn", ("tilltalsnamn",), required=True),
    Col("efternamn", required=True),
    Col("mellannamn"),
    Col("fodelsedatum"),
    Col("sekretessmarkering", ("skyddad_identitet",)),
    Col("epost", ("e_post", "e_postadress", "email")),
)

ORGANISATIONS = FileSpec(
    "organisationer",
    ("organisationer", "skolenheter"),
    Entity.ORGANISATION,
    (
        Col("id"),
        Col("namn", ("organisationsnamn", "skolenhetsnamn"), required=True),
        Col("typ", ("organisationstyp",)),
        Col("skolenhetskod"),
        Col("organisationskod"),
        Col("overordnad", ("overordnad_organisation",)),
        Col("skolformer", ("skolform",)),
        Col("kommunkod"),
        Col("startdatum"),
        Col("slutdatum"),
    ),
    one_of=("id", "skolenhetskod", "organisationskod"),
)
PUPILS = FileSpec(
    "elever",
    ("elever",),
    Entity.PERSON,
    (
        *_PERSON_COLUMNS,
        Col("status"),
        Col("skolenhet", ("skolenhetskod",), required=True),
        Col("skolform", required=True),
        Col("arskurs"),
        Col("startdatum", ("inskrivningsdatum",)),
        Col("slutdatum", ("utskrivningsdatum",)),
    ),
    one_of=("id", "personnummer"),
)
GUARDIANS = FileSpec(
    "vardnadshavare",
    ("vardnadshavare",),
    Entity.PERSON,
    (
        Col("elev", ("elev_personnummer", "elev_id"), required=True),
        *_PERSON_COLUMNS,
        Col("relation", ("relationstyp",)),
    ),
    one_of=("id", "personnummer"),
)
STAFF = FileSpec(
    "personal",
    ("personal",),
    Entity.DUTY,
    (
        *_PERSON_COLUMNS,
        Col("tjanstgoring_id"),
        Col("arbetsplats", ("skolenhet", "organisation"), required=True),
        Col("roll", ("befattning", "personalkategori"), required=True),
        Col("signatur"),
        Col("startdatum"),
        Col("slutdatum"),
    ),
    one_of=("id", "personnummer"),
)
GROUPS = FileSpec(
    "grupper",
    ("grupper",),
    Entity.GROUP,
    (
        Col("grupp_id"),
        Col("grupp", ("gruppnamn",), required=True),
        Col("grupptyp", ("typ",), required=True),
        Col("organisation", ("skolenhet",), required=True),
        Col("skolform"),
        Col("gruppstart"),
        Col("gruppslut"),
        Col("person", ("medlem", "personnummer")),
        Col("roll", ("uppdrag",)),
        Col("startdatum"),
        Col("slutdatum"),
    ),
)
ACTIVITIES = FileSpec(
    "aktiviteter",
    ("aktiviteter",),
    Entity.ACTIVITY,
    (
        Col("aktivitet_id"),
        Col("namn", ("aktivitet",), required=True),
        Col("organisation", ("skolenhet",), required=True),
        Col("amneskod", ("kurskod",)),
        Col("aktivitetstyp"),
        Col("startdatum"),
        Col("slutdatum"),
        Col("grupper", ("grupp",)),
        Col("larare"),
    ),
    required_file=False,
)
SPECS = (ORGANISATIONS, PUPILS, GUARDIANS, STAFF, GROUPS, ACTIVITIES)


def resolve_columns(spec: FileSpec, headers: Iterable[str], name: str) -> dict[str, str]:
    """canonical column -> the header the file uses for it; fails the file if a required
    column is missing."""
    present = set(headers)
    found: dict[str, str] = {}
    for col in spec.columns:
        for candidate in (col.name, *col.aliases):
            if candidate in present:
                found[col.name] = candidate
                break
    missing = [c.name for c in spec.columns if c.required and c.name not in found]
    if spec.one_of and not any(c in found for c in spec.one_of):
        missing.append(" or ".join(spec.one_of))
    if missing:
        raise SourceError(f"{name}: missing required columns: {', '.join(missing)}")
    return found


def file_kind(file_name: str) -> FileSpec | None:
    base = file_name.rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or f".{ext.lower()}" not in EXTENSIONS:
        return None
    key = normalise_header(stem)
    return next((s for s in SPECS if key in s.stems), None)


class RowError(Exception):
    """The row cannot be read; it becomes an error issue and is skipped."""


class Cells:
    """One row's values by canonical column name, with the format's value rules."""

    def __init__(self, row: Row, columns: Mapping[str, str]) -> None:
        self.row = row
        self._columns = columns

    def has(self, name: str) -> bool:
        """Whether the file has the column at all (an empty cell is a value)."""
        return name in self._columns

    def get(self, name: str) -> str:
        header = self._columns.get(name)
        return self.row.values.get(header, "") if header else ""

    def require(self, name: str) -> str:
        value = self.get(name)
        if not value:
            raise RowError(f"required value missing: {name}")
        return value

    def date(self, name: str) -> dt.date | None:
        value = self.get(name)
        if not value:
            return None
        try:
            return parse_date(value)
        except ValueError:
            raise RowError(f"invalid date in {name}: {safe_excerpt(value)}") from None

    def items(self, name: str) -> list[str]:
        return [v.strip() for v in self.get(name).split(LIST_SEPARATOR) if v.strip()]


@functools.cache
def _by_folded(allowed: frozenset[str]) -> dict[str, str]:
    return {option.casefold(): option for option in allowed}


def canonical(value: str, allowed: frozenset[str]) -> tuple[str, bool]:
    """The allowed spelling of ``value`` compared case-insensitively, and whether it is known;
    an unknown value is returned as written."""
    option = _by_folded(allowed).get(value.casefold())
    return (option, True) if option is not None else (value, False)


_MARKING_SHORTHANDS = {
    "": "Ingen",
    "nej": "Ingen",
    "n": "Ingen",
    "0": "Ingen",
    "ja": "Sekretessmarkering",
    "j": "Sekretessmarkering",
    "1": "Sekretessmarkering",
    "x": "Sekretessmarkering",
    "skyddad": "Skyddad folkbokföring",
}
# "" is a file without the column: any marking another file gives wins over it.
MARKING_RANK = {"": -1, "Ingen": 0, "Sekretessmarkering": 1, "Skyddad folkbokföring": 2}


def security_marking(value: str) -> tuple[str, bool]:
    shorthand = _MARKING_SHORTHANDS.get(value.casefold())
    if shorthand is not None:
        return shorthand, True
    return canonical(value, enums.SECURITY_MARKINGS)


def school_year(value: str) -> int | None:
    """0-10; "F"/"FK" (förskoleklass) is 0. Raises ValueError for anything else."""
    text = value.strip().upper()
    if text in ("F", "FK", "FKLASS"):
        return 0
    if text.isdigit() and 0 <= int(text) <= 10:
        return int(text)
    raise ValueError("not a school year")


MEMBER_ROLES = frozenset({"", "elev", "medlem", "deltagare"})
