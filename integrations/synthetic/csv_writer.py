"""A synthetic municipality as the CSV/TSV export format of ``docs/register-file-formats.md``
(ProCapita/Extens style): ``organisationer.csv``, ``elever.csv``, ``vardnadshavare.csv``,
``personal.csv``, ``grupper.csv``, ``aktiviteter.csv``.

``with_ids=True`` (default) exports the register ids (the format's recommended way);
``with_ids=False`` writes natural keys only (school-unit/organisation codes, civic numbers,
group names), as a register without exportable ids would, so readers derive the ids.
``encoding`` (``utf-8``, ``utf-8-sig`` as Excel writes it, ``cp1252`` as ProCapita does) and
``delimiter`` (``;``, ``,`` or tab) vary the dialect.

What the format cannot carry, and so is lost on the way: ``meta.modified``, a teacher's dates
in an activity, the order of a pupil's responsibles, and e-mail addresses beyond one per file
(a guardian who is also staff has the private one in vardnadshavare.csv and the work one in
personal.csv). Pupil and guardian rows are written while iterating; staff persons, duties and a
guardian -> pupils map are held (a few tens of MB for 100,000 pupils).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from integrations.records import (
    ActivityRecord,
    DutyRecord,
    GroupRecord,
    OrganisationRecord,
    PersonRecord,
)
from integrations.synthetic.generator import ROLE_PUPIL, ROLE_STAFF, SyntheticMunicipality

ORGANISATION_HEADER = (
    "Id", "Namn", "Typ", "Skolenhetskod", "Organisationskod", "Överordnad", "Skolformer",
    "Kommunkod", "Startdatum", "Slutdatum",
)  # fmt: skip
_PERSON = ("Id", "Personnummer", "Förnamn", "Efternamn", "Mellannamn", "Födelsedatum")
PUPIL_HEADER = (
    *_PERSON, "Sekretessmarkering", "E-post", "Status", "Skolenhet", "Skolform", "Årskurs",
    "Startdatum", "Slutdatum",
)  # fmt: skip
GUARDIAN_HEADER = ("Elev", *_PERSON, "Sekretessmarkering", "E-post", "Relation")
STAFF_HEADER = (
    *_PERSON, "Sekretessmarkering", "E-post", "Tjanstgoring_id", "Arbetsplats", "Roll",
    "Signatur", "Startdatum", "Slutdatum",
)  # fmt: skip
GROUP_HEADER = (
    "Grupp_id", "Grupp", "Grupptyp", "Organisation", "Skolform", "Gruppstart", "Gruppslut",
    "Person", "Roll", "Startdatum", "Slutdatum",
)  # fmt: skip
ACTIVITY_HEADER = (
    "Aktivitet_id", "Namn", "Organisation", "Ämneskod", "Aktivitetstyp", "Startdatum",
    "Slutdatum", "Grupper", "Lärare",
)  # fmt: skip
LIST_SEPARATOR = "|"

FILES = (
    "organisationer.csv",
    "elever.csv",
    "vardnadshavare.csv",
    "personal.csv",
    "grupper.csv",
    "aktiviteter.csv",
)


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


class _Writer:
    def __init__(self, folder: Path, *, with_ids: bool, encoding: str, delimiter: str) -> None:
        self.folder = folder
        self.with_ids = with_ids
        self.encoding = encoding
        self.delimiter = delimiter
        self.org_key: dict[uuid.UUID, str] = {}
        self.person_key: dict[uuid.UUID, str] = {}
        self.group_key: dict[uuid.UUID, str] = {}
        self.duty_person: dict[uuid.UUID, uuid.UUID] = {}

    @contextmanager
    def writer(self, name: str, header: Iterable[str]) -> Iterator[csv.DictWriter[str]]:
        with (self.folder / name).open("w", encoding=self.encoding, newline="") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=list(header), delimiter=self.delimiter, lineterminator="\r\n"
            )
            writer.writeheader()
            yield writer

    @contextmanager
    def plain_writer(self, name: str, header: Sequence[str]) -> Iterator[Any]:
        with (self.folder / name).open("w", encoding=self.encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=self.delimiter, lineterminator="\r\n")
            writer.writerow(header)
            yield writer

    def rows(self, name: str, header: Iterable[str], rows: Iterable[dict[str, str]]) -> Path:
        with self.writer(name, header) as writer:
            writer.writerows(rows)
        return self.folder / name

    # --- keys ---------------------------------------------------------------------------------
    def org(self, source_id: uuid.UUID) -> str:
        return str(source_id) if self.with_ids else self.org_key[source_id]

    def person(self, source_id: uuid.UUID) -> str:
        return self.person_key[source_id]

    def own_id(self, source_id: uuid.UUID) -> str:
        return str(source_id) if self.with_ids else ""

    # --- files --------------------------------------------------------------------------------
    def organisation_rows(self, organisations: list[OrganisationRecord]) -> list[dict[str, str]]:
        for org in organisations:
            self.org_key[org.source_id] = org.school_unit_code or org.organisation_code
        return [
            {
                "Id": self.own_id(org.source_id),
                "Namn": org.display_name,
                "Typ": org.organisation_type,
                "Skolenhetskod": org.school_unit_code,
                "Organisationskod": org.organisation_code,
                "Överordnad": self.org(org.parent_id) if org.parent_id else "",
                "Skolformer": LIST_SEPARATOR.join(org.school_types),
                "Kommunkod": org.municipality_code,
                "Startdatum": _day(org.start_date),
                "Slutdatum": _day(org.end_date),
            }
            for org in organisations
        ]

    def person_cells(self, person: PersonRecord, email_type: str) -> dict[str, str]:
        email = next((e.value for e in person.emails if e.type == email_type), "")
        return {
            "Id": self.own_id(person.source_id),
            "Personnummer": person.civic_no,
            "Förnamn": person.given_name,
            "Efternamn": person.family_name,
            "Mellannamn": person.middle_name,
            "Födelsedatum": _day(person.birth_date),
            "Sekretessmarkering": person.security_marking,
            "E-post": email,
        }


def write_csv_export(
    municipality: SyntheticMunicipality,
    folder: str | Path,
    *,
    with_ids: bool = True,
    encoding: str = "utf-8",
    delimiter: str = ";",
) -> list[Path]:
    """Writes the six files into ``folder`` (created if missing); returns their paths."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    out = _Writer(target, with_ids=with_ids, encoding=encoding, delimiter=delimiter)
    paths = [
        out.rows(
            "organisationer.csv",
            ORGANISATION_HEADER,
            out.organisation_rows(list(municipality.iter_organisations())),
        )
    ]
    staff = _write_persons(out, municipality)
    paths += [target / "elever.csv", target / "vardnadshavare.csv"]

    duties: list[DutyRecord] = list(municipality.iter_duties())
    staff_rows = []
    for duty in duties:
        out.duty_person[duty.source_id] = duty.person_id
        row = out.person_cells(staff[duty.person_id], "Skola personal")
        row.update(
            {
                "Tjanstgoring_id": out.own_id(duty.source_id),
                "Arbetsplats": out.org(duty.duty_at_id),
                "Roll": duty.duty_role,
                "Signatur": duty.signature,
                "Startdatum": _day(duty.start_date),
                "Slutdatum": _day(duty.end_date),
            }
        )
        staff_rows.append(row)
    paths.append(out.rows("personal.csv", STAFF_HEADER, staff_rows))

    roles_of_group: dict[uuid.UUID, list[tuple[DutyRecord, int]]] = {}
    for duty in duties:
        for index, role in enumerate(duty.assignment_roles):
            roles_of_group.setdefault(role.group_id, []).append((duty, index))
    with out.plain_writer("grupper.csv", GROUP_HEADER) as writer:
        writer.writerows(_group_rows(out, municipality.iter_groups(), roles_of_group))
    paths.append(target / "grupper.csv")
    paths.append(out.rows("aktiviteter.csv", ACTIVITY_HEADER, _activity_rows(out, municipality)))
    return paths


def _write_persons(
    out: _Writer, municipality: SyntheticMunicipality
) -> dict[uuid.UUID, PersonRecord]:
    """elever.csv (a row per enrolment) and vardnadshavare.csv (a row per guardian and
    pupil), streamed; returns the staff persons, for personal.csv."""
    staff: dict[uuid.UUID, PersonRecord] = {}
    children: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}  # guardian -> (pupil, relation)
    with (
        out.writer("elever.csv", PUPIL_HEADER) as pupils,
        out.writer("vardnadshavare.csv", GUARDIAN_HEADER) as guardians,
    ):
        for person, roles in municipality.iter_persons_with_roles():
            key = str(person.source_id) if out.with_ids else person.civic_no
            out.person_key[person.source_id] = key
            if ROLE_STAFF in roles:
                staff[person.source_id] = person
            if ROLE_PUPIL in roles:
                for enrolment in person.enrolments:
                    row = out.person_cells(person, "Skola elev")
                    year = enrolment.school_year
                    row.update(
                        {
                            "Status": person.status,
                            "Skolenhet": out.org(enrolment.school_unit_id),
                            "Skolform": enrolment.school_type,
                            "Årskurs": "" if year is None else str(year),
                            "Startdatum": _day(enrolment.start_date),
                            "Slutdatum": _day(enrolment.end_date),
                        }
                    )
                    pupils.writerow(row)
                for responsible in person.responsibles:
                    children.setdefault(responsible.guardian_id, []).append(
                        (person.source_id, responsible.relation_type)
                    )
            for pupil_id, relation in children.pop(person.source_id, ()):
                row = {"Elev": out.person(pupil_id), **out.person_cells(person, "Privat")}
                row["Relation"] = relation
                guardians.writerow(row)
    return staff


def _group_rows(
    out: _Writer,
    groups: Iterable[GroupRecord],
    roles_of_group: dict[uuid.UUID, list[tuple[DutyRecord, int]]],
) -> Iterator[list[str]]:
    """Rows in GROUP_HEADER order (plain lists: this is the big file, a row per membership)."""
    day = functools.lru_cache(maxsize=64)(_day)
    person = out.person_key
    for group in groups:
        out.group_key[group.source_id] = group.display_name
        base = [
            out.own_id(group.source_id),
            group.display_name,
            group.group_type,
            out.org(group.organisation_id),
            group.school_type,
            day(group.start_date),
            day(group.end_date),
        ]
        roles = roles_of_group.get(group.source_id, [])
        if not group.memberships and not roles:
            yield [*base, "", "", "", ""]
        for membership in group.memberships:
            yield [
                *base,
                person[membership.person_id],
                "",
                day(membership.start_date),
                day(membership.end_date),
            ]
        for duty, index in roles:
            role = duty.assignment_roles[index]
            yield [
                *base,
                person[duty.person_id],
                role.role_type,
                day(role.start_date),
                day(role.end_date),
            ]


def _activity_rows(out: _Writer, municipality: SyntheticMunicipality) -> Iterable[dict[str, str]]:
    for activity in municipality.iter_activities():
        yield _activity_row(out, activity)


def _activity_row(out: _Writer, activity: ActivityRecord) -> dict[str, str]:
    if out.with_ids:
        groups = [str(g) for g in activity.group_ids]
    else:
        groups = [out.group_key[g] for g in activity.group_ids]
    teachers = [out.person(out.duty_person[t.duty_id]) for t in activity.teachers]
    return {
        "Aktivitet_id": out.own_id(activity.source_id),
        "Namn": activity.display_name,
        "Organisation": out.org(activity.organisation_id),
        "Ämneskod": activity.subject_code,
        "Aktivitetstyp": activity.activity_type,
        "Startdatum": _day(activity.start_date),
        "Slutdatum": _day(activity.end_date),
        "Grupper": LIST_SEPARATOR.join(groups),
        "Lärare": LIST_SEPARATOR.join(teachers),
    }
