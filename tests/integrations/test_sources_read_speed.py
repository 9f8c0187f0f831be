"""The read path's shortcuts give exactly what the general code gives: the SS 12000 mapping's
fast lines (well-formed values) against its general way (every value through the tolerant
checks), the per-read UUID and date caches, and the record digests, which are stored in the
register and so must never change."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from integrations.pipeline.hashing import content_hash
from integrations.records import (
    ActivityRecord,
    AssignmentRoleRecord,
    DutyRecord,
    EmailRecord,
    EnrolmentRecord,
    Entity,
    GroupRecord,
    MembershipRecord,
    OrganisationRecord,
    PersonRecord,
    Record,
    ResponsibleRecord,
    SourceIssue,
    TeacherRecord,
)
from integrations.sources import ids as ids_module
from integrations.sources import parsing
from integrations.sources.ids import StableIds, parse_uuid
from integrations.sources.parsing import parse_date
from integrations.sources.ss12000_files import Ss12000FileSource
from integrations.sources.ss12000_mapping import map_entity
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle

ORG = "a1000000-0000-4000-8000-000000000002"
PERSON = "b2000000-0000-4000-8000-000000000003"
GROUP = "c3000000-0000-4000-8000-000000000004"
DUTY = "d4000000-0000-4000-8000-000000000005"
META = {"created": "2026-07-16T02:00:00Z", "modified": "2026-07-17T16:20:07Z"}

# One well-formed item per entity type, with every field the mapping reads.
WELL_FORMED: dict[Entity, dict[str, Any]] = {
    Entity.ORGANISATION: {
        "id": ORG, "meta": META, "displayName": "Åby skola", "organisationType": "Skolenhet",
        "parentOrganisation": {"id": "a1000000-0000-4000-8000-000000000001"},
        "schoolUnitCode": "12345678", "organisationCode": "ABY", "schoolTypes": ["GR", "FKLASS"],
        "municipalityCode": "1462", "startDate": "2020-01-01", "endDate": "2030-06-30",
    },
    Entity.PERSON: {
        "id": PERSON, "meta": META, "givenName": "Märta", "familyName": "Öberg",
        "middleName": "Li", "civicNo": {"value": "201001012386", "nationality": "SE"},
        "birthDate": "2010-01-01", "securityMarking": "Ingen", "personStatus": "Aktiv",
        "emails": [{"value": "marta@example.org", "type": "Skola elev"}],
        "enrolments": [{
            "enroledAt": {"id": ORG}, "schoolType": "GR", "schoolYear": 9,
            "startDate": "2016-08-01", "endDate": "2027-06-30", "cancelled": False,
        }],
        "responsibles": [{"person": {"id": "b2000000-0000-4000-8000-000000000009"},
                          "relationType": "Vårdnadshavare"}],
    },
    Entity.GROUP: {
        "id": GROUP, "meta": META, "displayName": "9A", "groupType": "Klass",
        "organisation": {"id": ORG}, "startDate": "2026-08-01", "endDate": "2027-06-30",
        "schoolType": "GR",
        "groupMemberships": [{"person": {"id": PERSON}, "startDate": "2026-08-01",
                              "endDate": "2027-06-30"}],
    },
    Entity.DUTY: {
        "id": DUTY, "meta": META, "person": {"id": PERSON}, "dutyAt": {"id": ORG},
        "dutyRole": "Lärare", "startDate": "2020-08-01", "endDate": "2030-06-30",
        "signature": "MÖB",
        "assignmentRole": [{"group": {"id": GROUP}, "assignmentRoleType": "Mentor",
                            "startDate": "2026-08-01", "endDate": "2027-06-30"}],
    },
    Entity.ACTIVITY: {
        "id": "e5000000-0000-4000-8000-000000000006", "meta": META,
        "displayName": "Matematik 9A", "organisation": {"id": ORG}, "activityType": "Undervisning",
        "startDate": "2026-08-01", "endDate": "2027-06-30", "groups": [{"id": GROUP}],
        "teachers": [{"duty": {"id": DUTY}, "startDate": "2026-08-01", "endDate": "2027-06-30"}],
        "_embedded": {"syllabus": {"subjectCode": "GRGRMAT01"}},
    },
}  # fmt: skip

# What a register sends instead of a well-formed value.
REPLACEMENTS: list[Any] = [
    None, "", [], {}, 0, 7, 1.5, True, " padded ", "Okänt värde", "2026-13-45",
    "2026-08-01T00:00:00", "20260801", "not-a-uuid", ORG.upper(), f"{{{ORG}}}", f" {ORG} ",
    "201001012386", {"id": 42}, {"id": None}, {"value": 5}, ["x"], [{}], "true", "12",
]  # fmt: skip
_MISSING = object()


class _GeneralMapping(Mapping[str, Any]):
    """A JSON object that is not a ``dict``: the mapping's fast lines never take it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class _GeneralStr(str):
    """A string that is not exactly ``str``: the mapping's fast lines never take it."""

    __slots__ = ()


def _general(value: Any) -> Any:
    if isinstance(value, dict):
        return _GeneralMapping({key: _general(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_general(item) for item in value]
    if type(value) is str:
        return _GeneralStr(value)
    return value


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield (*prefix, key)
        yield from _paths(item, (*prefix, key))


def _variant(item: dict[str, Any], path: tuple[Any, ...], replacement: Any) -> dict[str, Any]:
    variant = copy.deepcopy(item)
    target: Any = variant
    for step in path[:-1]:
        target = target[step]
    if replacement is _MISSING and isinstance(target, dict):
        del target[path[-1]]
    elif replacement is not _MISSING:
        target[path[-1]] = copy.deepcopy(replacement)
    return variant


def _variants() -> Iterator[tuple[Entity, dict[str, Any]]]:
    for entity, item in WELL_FORMED.items():
        yield entity, item
        for path in _paths(item):
            for replacement in [_MISSING, *REPLACEMENTS]:
                yield entity, _variant(item, path, replacement)


def _signature(out: list[Any]) -> tuple[str, list[str]]:
    """Type-exact: repr tells True from 1 and a date from a string; digests as stored."""
    return repr(out), [content_hash(o) for o in out if not isinstance(o, SourceIssue)]


def test_fast_lines_map_every_variant_exactly_as_the_general_way() -> None:
    # Given well-formed items and, for every field at every depth, variants with the field
    # missing or replaced by what registers send instead (wrong types, empty, unknown values,
    # invalid dates, non-canonical or non-UUID ids...)
    variants = list(_variants())
    assert len(variants) > 2000
    ids = StableIds()
    for entity, item in variants:
        # When each is mapped as parsed JSON (dicts and strs: the fast lines apply) and as
        # objects the fast lines never take (every value through the general way)
        fast = map_entity(entity, item, "persons.json item 0", ids)
        general = map_entity(entity, _general(item), "persons.json item 0", ids)

        # Then records, issues and digests are identical
        assert fast == general, (entity, item)
        assert _signature(fast) == _signature(general), (entity, item)


def test_the_variants_reach_the_issues_the_fast_lines_skip() -> None:
    # Given the variants of the test above
    # When all are mapped
    messages = {
        issue.message
        for entity, item in _variants()
        for issue in map_entity(entity, item, "x", StableIds())
        if isinstance(issue, SourceIssue)
    }

    # Then they cover each kind of issue the general way reports (so the comparison above is
    # not only about well-formed values)
    assert messages >= {
        "missing required fields; defaults used",
        "value has the wrong type; converted to text",
        "value has the wrong type; ignored",
        "unknown enumeration value; kept as sent",
        "invalid date; ignored",
        "not an integer; ignored",
        "not a boolean; read as false",
        "not an object; ignored",
        "not a list; ignored",
        "invalid timestamp; ignored",
        "incomplete nested items left out",
        "ids that are not UUIDs; stable ids derived from them",
        "entity without id; skipped",
    }


@pytest.mark.parametrize(
    "spelling",
    [
        "9357a8e9-0288-4d6d-a20f-71a55baeff17",
        "9357A8E9-0288-4D6D-A20F-71A55BAEFF17",
        "9357a8e90288-4d6d-a20f-71a55baeff17".replace("-", ""),
        "{9357a8e9-0288-4d6d-a20f-71a55baeff17}",
        "urn:uuid:9357a8e9-0288-4d6d-a20f-71a55baeff17",
        " 9357a8e9-0288-4d6d-a20f-71a55baeff17 ",
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
    ],
)
def test_parse_uuid_equals_the_uuid_constructor(spelling: str) -> None:
    # Given a UUID in one of the spellings Python accepts
    expected = uuid.UUID(spelling.strip())

    # When parsed
    parsed = parse_uuid(spelling)

    # Then it is the same UUID in every respect the pipeline uses
    assert parsed == expected
    assert parsed is not None
    for attribute in ("int", "is_safe", "version", "hex"):
        assert getattr(parsed, attribute) == getattr(expected, attribute)
    assert (str(parsed), repr(parsed), hash(parsed)) == (
        str(expected),
        repr(expected),
        hash(expected),
    )


@pytest.mark.parametrize(
    "spelling",
    [
        "",
        "123456789",
        "9357a8e9-0288-4d6d-a20f-71a55baeff1g",
        "9357a8e9-0288-4d6d-a20f_71a55baeff17",
    ],
)
def test_parse_uuid_refuses_what_is_not_a_uuid(spelling: str) -> None:
    # Given a value that is no UUID / When parsed / Then None
    assert parse_uuid(spelling) is None


def test_stable_ids_parse_gives_one_object_per_spelling_and_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given one read's ids, with a small cache bound
    monkeypatch.setattr(ids_module, "PARSED_CACHE_LIMIT", 3)
    ids = StableIds()
    spellings = [str(uuid.UUID(int=n)) for n in range(5)]

    # When the same spelling is parsed twice, and more spellings than the bound
    first = ids.parse(spellings[0])
    again = ids.parse(spellings[0])
    parsed = [ids.parse(s) for s in spellings]

    # Then the same object comes back, every value is right, non-UUIDs are not remembered,
    # and the cache never holds more than the bound
    assert first is again
    assert parsed == [uuid.UUID(int=n) for n in range(5)]
    assert ids.parse("not-a-uuid") is None
    assert len(ids._parsed) <= 3
    assert "not-a-uuid" not in ids._parsed


def test_parse_date_cache_gives_the_same_dates_and_still_refuses_bad_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a small bound on the date cache
    monkeypatch.setattr(parsing, "_DATES", {})
    monkeypatch.setattr(parsing, "_DATES_LIMIT", 2)
    spellings = ["2026-08-01", "20260801", "2026-08-01T00:00:00", "2026-08-01 00:00", "2016-10-15"]

    # When each is parsed twice
    first = [parse_date(s) for s in spellings]
    second = [parse_date(s) for s in spellings]

    # Then the results are the dates, the same both times, and the cache stays bounded
    expected = [dt.date(2026, 8, 1)] * 4 + [dt.date(2016, 10, 15)]
    assert first == expected
    assert second == expected
    assert len(parsing._DATES) <= 2
    # And a bad value is refused every time (a refusal is never cached)
    for _ in range(2):
        for bad in ("2026-13-01", "2026-08-01X", "", "1.8.2026"):
            with pytest.raises(ValueError, match=r"not a date|month|day"):
                parse_date(bad)
    assert "2026-13-01" not in parsing._DATES


# --- Digests ------------------------------------------------------------------------------------


def _golden_records() -> list[Record]:
    def u(n: int) -> uuid.UUID:
        return uuid.UUID(int=n)

    when = dt.datetime(2026, 8, 1, 12, 30, tzinfo=dt.UTC)
    return [
        OrganisationRecord(
            source_id=u(1), display_name="Åby skola 'öst'", organisation_type="Skolenhet",
            parent_id=u(2), school_unit_code="12345678", school_types=("GR", "FKLASS"),
            municipality_code="1462", start_date=dt.date(2020, 1, 1), modified=when,
        ),
        OrganisationRecord(source_id=u(2), display_name="Huvudman", organisation_type="Huvudman"),
        PersonRecord(
            source_id=u(3), given_name="Märta", family_name='O"Neil', civic_no="201001012386",
            birth_date=dt.date(2010, 1, 1),
            emails=(EmailRecord("b@x.se", "Privat"), EmailRecord("a@x.se", "Skola elev")),
            enrolments=(
                EnrolmentRecord(u(1), "GR", dt.date(2016, 8, 1), None, 9, False),
                EnrolmentRecord(u(1), "FKLASS", dt.date.min, dt.date(2016, 6, 30), 0, True),
            ),
            responsibles=(
                ResponsibleRecord(u(5), "Vårdnadshavare"),
                ResponsibleRecord(u(4), "Annan ansvarig"),
            ),
            modified=when,
        ),
        PersonRecord(
            source_id=u(4), given_name="Å", family_name="Ö",
            security_marking="Skyddad folkbokföring",
        ),
        GroupRecord(
            source_id=u(6), display_name="9A", group_type="Klass", organisation_id=u(1),
            start_date=dt.date(2026, 8, 1), end_date=dt.date(2027, 6, 30), school_type="GR",
            memberships=(MembershipRecord(u(3)), MembershipRecord(u(4), dt.date(2026, 8, 2), None)),
        ),
        DutyRecord(
            source_id=u(7), person_id=u(5), duty_at_id=u(1), duty_role="Lärare",
            start_date=dt.date(2020, 8, 1), signature="ABC",
            assignment_roles=(AssignmentRoleRecord(u(6), "Mentor", dt.date(2026, 8, 1)),),
        ),
        ActivityRecord(
            source_id=u(8), display_name="Matematik 9A", organisation_id=u(1),
            start_date=dt.date(2026, 8, 1), activity_type="Undervisning", subject_code="GRGRMAT01",
            group_ids=(u(6), u(9)),
            teachers=(
                TeacherRecord(u(7)),
                TeacherRecord(u(10), dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
            ),
        ),
    ]  # fmt: skip


def test_record_digests_are_those_already_stored_in_registers() -> None:
    # Given records of every type (values computed by the digest code before it was sped up;
    # registers store them, so a changed digest would rewrite every row on the next run)
    # When digested / Then the digests are unchanged
    assert [content_hash(r) for r in _golden_records()] == [
        "1ae6bbb872b4b1dbcf7fd753b2b6021f",
        "05518e1a48b818b32cc4e0528315757d",
        "d001f0ff8ab4fd21d27a549bbe5cfdd5",
        "a2c171ccb38d9eeca1cf361e38c3175e",
        "32d7e486d85239dd7e071dcba09aa575",
        "e9093498ca74228e2ec06a3bea9af00e",
        "0152244d6b5335b89a855073dc1aa8f4",
    ]


def _reference_text(value: Any) -> str:
    """The canonical text as ``hashing`` documents it, written the plain (slow) way."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f for f in dataclasses.fields(value) if f.name != "modified"]
        inner = ",".join(f"{f.name}={_reference_text(getattr(value, f.name))}" for f in fields)
        return f"({inner})"
    if isinstance(value, tuple):
        return "[" + ",".join(sorted(_reference_text(item) for item in value)) + "]"
    return repr(value)


def test_digests_of_a_whole_synthetic_register_follow_the_documented_text(tmp_path: Path) -> None:
    # Given a synthetic municipality's SS 12000 bundle, read through the file source
    write_file_bundle(generate_municipality(pupils=300, seed=7), tmp_path, page_size=200)
    records = [
        item for item in Ss12000FileSource(tmp_path).read() if not isinstance(item, SourceIssue)
    ]
    assert len(records) > 600

    # When digested / Then every digest is the MD5 of the documented canonical text
    for record in records:
        expected = hashlib.md5(_reference_text(record).encode(), usedforsecurity=False)
        assert content_hash(record) == expected.hexdigest(), record
