"""The SS 12000 file bundle (folder or .zip) and the streaming JSON reader under it."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

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
    ResponsibleRecord,
    SourceIssue,
    TeacherRecord,
)
from integrations.sources.errors import SourceError
from integrations.sources.json_stream import MalformedJson, iter_json_items
from integrations.sources.ss12000_files import Ss12000FileSource

BUNDLE = Path(__file__).parent / "fixtures" / "ss12000_bundle"


def U(text: str) -> uuid.UUID:
    return uuid.UUID(text)


def zipped(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
        archive.writestr("__MACOSX/._persons.json", b"\x00\x05junk")
    return target


def copy_bundle(tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(BUNDLE, target)
    return target


def write_json(path: Path, body: Any) -> None:
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")


# -- the bundle ----------------------------------------------------------------------------


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_a_bundle_yields_every_record_in_dependency_order(tmp_path: Path, packed: bool) -> None:
    # Given the hand-written Edlevo-like bundle, as a folder or as a zip with a top folder
    path = zipped(BUNDLE, tmp_path / "export.zip", "export-2024-09-03/") if packed else BUNDLE

    # When it is read
    source = Ss12000FileSource(path)
    items = list(source.read())

    # Then it yields exactly these records, without any issue
    assert [i for i in items if isinstance(i, SourceIssue)] == []
    assert [type(i).__name__ for i in items] == [
        "OrganisationRecord",
        "OrganisationRecord",
        "OrganisationRecord",
        "PersonRecord",
        "PersonRecord",
        "PersonRecord",
        "GroupRecord",
        "DutyRecord",
        "ActivityRecord",
    ]
    assert items[2] == OrganisationRecord(
        source_id=U("a1000000-0000-4000-8000-000000000003"),
        display_name="Björkskolan F-6",
        organisation_type="Skolenhet",
        parent_id=U("a1000000-0000-4000-8000-000000000002"),
        school_unit_code="99990001",
        school_types=("FKLASS", "GR", "FTH"),
        start_date=dt.date(2010, 7, 1),
        modified=dt.datetime(2024, 6, 1, 7, 0, tzinfo=dt.UTC),
    )
    assert items[3] == PersonRecord(
        source_id=U("b2000000-0000-4000-8000-000000000001"),
        given_name="Åsa",
        family_name="Öberg",
        civic_no="201012150001",
        emails=(EmailRecord("asa.oberg@elev.exempelby.test", "Skola elev"),),
        enrolments=(
            EnrolmentRecord(
                school_unit_id=U("a1000000-0000-4000-8000-000000000003"),
                school_type="GR",
                start_date=dt.date(2023, 8, 15),
                school_year=7,
            ),
        ),
        responsibles=(
            ResponsibleRecord(U("b2000000-0000-4000-8000-000000000002"), "Vårdnadshavare"),
        ),
        modified=dt.datetime(2024, 8, 20, 10, 15, tzinfo=dt.UTC),
    )
    # Edlevo hangs groups, duties and activities on the "Skola": kept as sent, no issue
    group, duty, activity = items[6], items[7], items[8]
    assert isinstance(group, GroupRecord)
    assert group.organisation_id == U("a1000000-0000-4000-8000-000000000002")
    assert group.memberships == (
        MembershipRecord(U("b2000000-0000-4000-8000-000000000001"), dt.date(2024, 8, 19)),
    )
    assert isinstance(duty, DutyRecord)
    assert (duty.duty_at_id, duty.duty_role, duty.signature) == (
        U("a1000000-0000-4000-8000-000000000002"),
        "Lärare",
        "LLI",
    )
    assert duty.assignment_roles == (
        AssignmentRoleRecord(group.source_id, "Mentor", dt.date(2024, 8, 19)),
    )
    # ...and the subject code only in the activity's displayName
    assert isinstance(activity, ActivityRecord)
    assert (activity.subject_code, activity.group_ids, activity.teachers) == (
        "GRGRMAT01",
        (group.source_id,),
        (TeacherRecord(duty.source_id),),
    )
    assert source.covered_entities == frozenset(Entity)


def test_several_files_of_a_kind_are_read_in_natural_order(tmp_path: Path) -> None:
    # Given persons split over persons-2.json, persons-10.json and Persons-1.json
    path = copy_bundle(tmp_path)
    (path / "persons.json").unlink()
    for n in (2, 10, 1):
        write_json(
            path / f"{'Persons' if n == 1 else 'persons'}-{n}.json",
            [{"id": str(uuid.UUID(int=n)), "givenName": f"P{n}", "familyName": "X"}],
        )

    # When read
    items = list(Ss12000FileSource(path).read())

    # Then the persons come 1, 2, 10
    assert [i.given_name for i in items if isinstance(i, PersonRecord)] == ["P1", "P2", "P10"]


def test_activities_are_optional_and_other_files_are_reported(tmp_path: Path) -> None:
    path = copy_bundle(tmp_path)
    (path / "activities.json").unlink()
    write_json(path / "placements.json", {"data": []})
    source = Ss12000FileSource(path)
    items = list(source.read())
    assert source.covered_entities == frozenset(
        {Entity.ORGANISATION, Entity.PERSON, Entity.GROUP, Entity.DUTY}
    )
    assert items[0] == SourceIssue(
        "warning", None, "", "file not recognised; ignored", location="placements.json"
    )


def test_a_bundle_without_persons_is_refused(tmp_path: Path) -> None:
    path = copy_bundle(tmp_path)
    (path / "persons.json").unlink()
    with pytest.raises(SourceError, match=r"^bundle: no file for person \(expected e\.g\."):
        Ss12000FileSource(path)


def test_a_truncated_file_fails_naming_the_file(tmp_path: Path) -> None:
    # Given a persons file cut off inside the second person
    path = copy_bundle(tmp_path)
    text = (BUNDLE / "persons.json").read_text(encoding="utf-8")
    cut = text.index('"givenName": "Jörgen"')
    (path / "persons.json").write_text(text[:cut], encoding="utf-8")

    # When read, then the first person is yielded and the run then fails naming the file
    items = Ss12000FileSource(path).read()
    consumed: list[Any] = []
    with pytest.raises(SourceError, match=r"^persons\.json: malformed JSON: "):
        consumed.extend(items)
    assert [p.given_name for p in consumed if isinstance(p, PersonRecord)] == ["Åsa"]


def test_a_file_not_in_utf8_fails_naming_the_file(tmp_path: Path) -> None:
    path = copy_bundle(tmp_path)
    text = (BUNDLE / "groups.json").read_text(encoding="utf-8").replace("7A", "Förskoleklass")
    (path / "groups.json").write_bytes(text.encode("cp1252"))
    with pytest.raises(SourceError, match=r"^groups\.json: not UTF-8"):
        list(Ss12000FileSource(path).read())


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = copy_bundle(tmp_path)
    (path / "groups.json").write_bytes(b"\xef\xbb\xbf" + (BUNDLE / "groups.json").read_bytes())
    items = list(Ss12000FileSource(path).read())
    assert [g.display_name for g in items if isinstance(g, GroupRecord)] == ["7A"]


def test_a_skolverket_style_single_entity_file_is_read_with_warnings(tmp_path: Path) -> None:
    # Given a persons file holding one entity shaped like Skolverket's sample: a non-UUID id,
    # no meta, an enrolment without startDate
    path = copy_bundle(tmp_path)
    write_json(
        path / "persons.json",
        {
            "id": "123456789",
            "givenName": "Given Name Test",
            "familyName": "Family Name Test",
            "civicNo": {"value": "200112240129", "nationality": "SE"},
            "enrolments": [
                {
                    "enroledAt": {"id": "fa592db1-912b-57fe-8cf6-df5f81522f01"},
                    "schoolYear": 1,
                    "schoolType": "GY",
                    "cancelled": False,
                }
            ],
        },
    )

    # When read
    items = list(Ss12000FileSource(path).read())

    # Then the person is kept with a derived id, the enrolment starts at date.min, and two
    # warnings say so (without the civic number)
    (person,) = [i for i in items if isinstance(i, PersonRecord)]
    issues = [i for i in items if isinstance(i, SourceIssue)]
    assert person.enrolments == (
        EnrolmentRecord(
            U("fa592db1-912b-57fe-8cf6-df5f81522f01"), "GY", dt.date.min, school_year=1
        ),
    )
    assert [(i.severity, i.message, i.details, i.location) for i in issues] == [
        (
            "warning",
            "missing required fields; defaults used",
            {"fields": "enrolments[0].startDate"},
            "persons.json item 0",
        ),
        (
            "warning",
            "ids that are not UUIDs; stable ids derived from them",
            {"fields": "id"},
            "persons.json item 0",
        ),
    ]
    assert all(i.source_id == str(person.source_id) for i in issues)
    assert "200112240129" not in repr(issues)


# -- the streaming reader ------------------------------------------------------------------


def items_of(text: str, chunk: int = 7, max_item: int = 1000) -> list[Any]:
    return list(iter_json_items(io.StringIO(text), chunk_chars=chunk, max_item_chars=max_item))


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 64])
def test_items_split_across_chunks_are_read_whole(chunk: int) -> None:
    # Given a page with the token first, numbers and strings that straddle chunk boundaries
    text = (
        '{"pageToken": "abc", "total": 12345,\n "data": [ {"id": 1, "n": 1234567890},'
        ' {"name": "Åsa \\"Å\\" Öberg", "list": [1, 2, {"x": null}]}, 987654321, true ] }\n'
    )

    # When it is read in tiny chunks
    got = items_of(text, chunk)

    # Then the items are exactly those of json.loads
    assert got == json.loads(text)["data"]


def test_plain_arrays_single_objects_and_empty_documents() -> None:
    assert items_of("[]") == []
    assert items_of('  [ {"a": 1} ]  ') == [{"a": 1}]
    assert items_of('{"data": []}') == []
    assert items_of('{"id": "x", "givenName": "Å"}') == [{"id": "x", "givenName": "Å"}]
    assert items_of("{}") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"a": 1}, {"a": 2', "Expecting ',' delimiter"),
        ('[{"a": 1} {"a": 2}]', "expected ']'"),
        ('{"data": [1, 2]', "expected '}', found 'end of file'"),
        ('{"data": 5}', "the page's data is not an array"),
        ('"just a string"', "expected a JSON array or object"),
        ("[1] [2]", "unexpected data after the end of the document"),
        ("[1,]", "Expecting value"),
    ],
)
def test_malformed_documents_raise(text: str, message: str) -> None:
    with pytest.raises(MalformedJson, match=message):
        items_of(text)


def test_an_oversized_item_is_refused_without_reading_the_rest() -> None:
    text = '[{"photo": "' + "x" * 5000 + '"}]'
    with pytest.raises(MalformedJson, match="larger than 100 characters or malformed"):
        items_of(text, chunk=16, max_item=100)
