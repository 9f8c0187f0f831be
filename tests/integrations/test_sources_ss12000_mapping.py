"""SS 12000 JSON -> records: tolerance of real-world payloads, the subject-code heuristic,
deletedEntities."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from integrations.records import (
    ActivityRecord,
    DeletedRecord,
    DutyRecord,
    EmailRecord,
    Entity,
    GroupRecord,
    OrganisationRecord,
    PersonRecord,
    SourceIssue,
)
from integrations.sources.ids import StableIds
from integrations.sources.ss12000_mapping import UNKNOWN_START, map_deleted, map_entity
from integrations.sources.subject_codes import subject_code_from_name

IDS = StableIds()
ORG = "a1000000-0000-4000-8000-000000000002"
LOC = "GET /x page 1 item 0"


def mapped(entity: Entity, item: Any) -> tuple[Any, list[SourceIssue]]:
    out = map_entity(entity, item, LOC, IDS)
    records = [o for o in out if not isinstance(o, SourceIssue)]
    issues = [o for o in out if isinstance(o, SourceIssue)]
    assert len(records) <= 1
    return (records[0] if records else None), issues


def summary(issues: list[SourceIssue]) -> list[tuple[str, str, dict[str, str]]]:
    return [(i.severity, i.message, i.details) for i in issues]


def test_an_unknown_enumeration_value_is_kept_with_a_warning() -> None:
    # Given a group whose type a newer spec edition introduced
    group = {
        "id": str(uuid.UUID(int=1)),
        "displayName": "Lunchgrupp",
        "groupType": "Lunch",
        "organisation": {"id": ORG},
        "startDate": "2024-08-19",
    }

    # When mapped
    record, issues = mapped(Entity.GROUP, group)

    # Then the group is kept as sent and one warning names the field and value
    assert isinstance(record, GroupRecord)
    assert record.group_type == "Lunch"
    assert summary(issues) == [
        (
            "warning",
            "unknown enumeration value; kept as sent",
            {"field": "groupType", "value": "Lunch"},
        )
    ]
    assert (issues[0].entity, issues[0].source_id, issues[0].location) == (
        Entity.GROUP,
        str(uuid.UUID(int=1)),
        LOC,
    )


def test_missing_required_fields_get_defaults_and_one_warning() -> None:
    # Given a group with neither displayName, groupType nor startDate
    record, issues = mapped(
        Entity.GROUP, {"id": str(uuid.UUID(int=2)), "organisation": {"id": ORG}}
    )

    # Then it is kept with the catch-all type and an open start
    assert record == GroupRecord(
        source_id=uuid.UUID(int=2),
        display_name="",
        group_type="Övrigt",
        organisation_id=uuid.UUID(ORG),
        start_date=UNKNOWN_START,
    )
    assert summary(issues) == [
        (
            "warning",
            "missing required fields; defaults used",
            {"fields": "displayName, groupType, startDate"},
        )
    ]


def test_an_organisation_without_type_but_with_a_unit_code_is_a_school_unit() -> None:
    record, issues = mapped(
        Entity.ORGANISATION,
        {"id": ORG, "displayName": "Ekskolan", "schoolUnitCode": 99990002},
    )
    assert isinstance(record, OrganisationRecord)
    assert (record.organisation_type, record.school_unit_code) == ("Skolenhet", "99990002")
    assert summary(issues) == [
        ("warning", "value has the wrong type; converted to text", {"field": "schoolUnitCode"}),
        ("warning", "missing required fields; defaults used", {"fields": "organisationType"}),
    ]


def test_a_group_without_organisation_is_skipped_with_an_error() -> None:
    record, issues = mapped(Entity.GROUP, {"id": str(uuid.UUID(int=3)), "displayName": "7B"})
    assert record is None
    assert summary(issues) == [
        (
            "error",
            "group without organisation cannot be imported",
            {"fields": "organisation"},
        )
    ]


@pytest.mark.parametrize("item", [{"displayName": "no id"}, "not an object"])
def test_items_without_an_id_are_skipped_with_an_error(item: Any) -> None:
    record, issues = mapped(Entity.ORGANISATION, item)
    assert record is None
    assert [i.severity for i in issues] == ["error"]


def test_person_details_are_read_and_unusable_nested_items_left_out() -> None:
    # Given a person with an e-mail without value, an enrolment without enroledAt, a
    # responsible without relationType, an invalid birth date and an unknown marking
    person = {
        "id": str(uuid.UUID(int=4)),
        "givenName": "Örjan",
        "familyName": "Ådahl",
        "middleName": "Éric",
        "civicNo": {"value": " 201104200002 "},
        "birthDate": "2011-02-30",
        "securityMarking": "Skyddad",
        "personStatus": "Utvandrad",
        "emails": [{"type": "Privat"}, {"value": "o@example.test", "type": "Skola elev"}],
        "enrolments": [{"schoolType": "GR", "startDate": "2023-08-15"}],
        "responsibles": [{"person": {"id": str(uuid.UUID(int=5))}}],
    }

    # When mapped
    record, issues = mapped(Entity.PERSON, person)

    # Then
    assert isinstance(record, PersonRecord)
    assert (record.civic_no, record.birth_date, record.security_marking, record.status) == (
        "201104200002",
        None,
        "Skyddad",
        "Utvandrad",
    )
    assert record.emails == (EmailRecord("o@example.test", "Skola elev"),)
    assert record.enrolments == ()
    assert [(r.guardian_id, r.relation_type) for r in record.responsibles] == [
        (uuid.UUID(int=5), "")
    ]
    assert summary(issues) == [
        ("warning", "invalid date; ignored", {"field": "birthDate", "value": "2011-02-30"}),
        (
            "warning",
            "unknown enumeration value; kept as sent",
            {"field": "securityMarking", "value": "Skyddad"},
        ),
        (
            "warning",
            "missing required fields; defaults used",
            {"fields": "emails[0].value, enrolments[0].enroledAt"},
        ),
        ("warning", "incomplete nested items left out", {"items": "enrolments[0] (no enroledAt)"}),
    ]
    assert "201104200002" not in repr(issues)


def test_duties_accept_the_plural_assignment_roles_and_default_the_role() -> None:
    duty = {
        "id": str(uuid.UUID(int=6)),
        "person": {"id": str(uuid.UUID(int=7))},
        "dutyAt": {"id": ORG},
        "startDate": "2020-08-01",
        "assignmentRoles": [
            {"group": {"id": str(uuid.UUID(int=8))}, "assignmentRoleType": "Mentor"},
            {"group": {"id": str(uuid.UUID(int=9))}},
        ],
    }
    record, issues = mapped(Entity.DUTY, duty)
    assert isinstance(record, DutyRecord)
    assert record.duty_role == "Annan personal"
    assert [(a.group_id.int, a.role_type) for a in record.assignment_roles] == [(8, "Mentor")]
    assert summary(issues) == [
        (
            "warning",
            "missing required fields; defaults used",
            {"fields": "assignmentRoles[1].assignmentRoleType, dutyRole"},
        ),
        (
            "warning",
            "incomplete nested items left out",
            {"items": "assignmentRoles[1] (no group or type)"},
        ),
    ]


def activity(**extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=10)),
        "displayName": "9A MATMAT01a Matematik",
        "organisation": {"id": ORG},
        "startDate": "2024-08-19",
        "groups": [{"id": str(uuid.UUID(int=11))}],
        "calendarEventsRequired": True,
    } | extra


def test_the_syllabus_course_code_wins_over_the_name() -> None:
    embedded = {"syllabus": {"subjectCode": "MAT", "courseCode": "MATMAT02b"}}
    record, issues = mapped(Entity.ACTIVITY, activity(_embedded=embedded))
    assert isinstance(record, ActivityRecord)
    assert record.subject_code == "MATMAT02b"
    assert issues == []


def test_the_subject_code_is_taken_from_the_name_when_there_is_no_syllabus() -> None:
    record, _ = mapped(Entity.ACTIVITY, activity(syllabus={"id": str(uuid.UUID(int=12))}))
    assert isinstance(record, ActivityRecord)
    assert record.subject_code == "MATMAT01a"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("GRGRMAT01", "GRGRMAT01"),
        ("7A GRGRSVE01", "GRGRSVE01"),
        ("MATMAT01a - Matematik 1a", "MATMAT01a"),
        ("NA21b_ENGENG05_HT24", "ENGENG05"),
        ("HISHIS01a1 (Hi)", "HISHIS01a1"),
        ("GRGRMAT01/GRGRNO01", "GRGRMAT01"),
        ("Matematik 7A", ""),
        ("MA 9B", ""),
        ("grgrmat01", ""),
        ("XGRGRMAT01", "XGRGRMAT01"),  # 8 letters still fits; the pipeline validates codes
        ("ABCDEFGHI01", ""),  # 9 letters: not a code
        ("Mentorstid", ""),
    ],
)
def test_subject_code_heuristic(name: str, code: str) -> None:
    assert subject_code_from_name(name) == code


def test_deleted_entities_accept_both_activity_spellings_and_ignore_other_types() -> None:
    data = {
        "activitites": [str(uuid.UUID(int=1))],
        "activities": [str(uuid.UUID(int=2))],
        "duties": ["opaque-17"],
        "rooms": [str(uuid.UUID(int=3))],
        "groups": "not a list",
    }
    out = map_deleted(data, "GET /deletedEntities page 1", IDS)
    assert out == [
        SourceIssue(
            "warning", Entity.GROUP, "", "groups is not a list", "GET /deletedEntities page 1"
        ),
        DeletedRecord(Entity.DUTY, IDS.derive("ss12000:duty", "opaque-17")),
        SourceIssue(
            "warning",
            Entity.DUTY,
            "",
            "ids that are not UUIDs; stable ids derived from them",
            "GET /deletedEntities page 1",
            {"fields": "duties"},
        ),
        DeletedRecord(Entity.ACTIVITY, uuid.UUID(int=2)),
        DeletedRecord(Entity.ACTIVITY, uuid.UUID(int=1)),
    ]


def test_non_uuid_ids_derive_the_same_uuid_as_references() -> None:
    # Given a person and a group membership that both use the register's opaque id
    person, _ = mapped(Entity.PERSON, {"id": "elev-42", "givenName": "A", "familyName": "B"})
    group, _ = mapped(
        Entity.GROUP,
        {
            "id": "grupp-1",
            "displayName": "1A",
            "groupType": "Klass",
            "organisation": {"id": ORG},
            "startDate": "2024-08-19",
            "groupMemberships": [{"person": {"id": "elev-42"}}],
        },
    )
    # Then the membership points at the person
    assert group.memberships[0].person_id == person.source_id
    assert person.source_id.version == 5  # no secret: uuid5


def test_meta_modified_is_read_as_an_aware_datetime() -> None:
    record, issues = mapped(
        Entity.ORGANISATION,
        {
            "id": ORG,
            "displayName": "X",
            "organisationType": "Skola",
            "meta": {"modified": "2024-08-01T10:30:00.123+02:00"},
        },
    )
    assert record.modified == dt.datetime(2024, 8, 1, 8, 30, 0, 123000, tzinfo=dt.UTC)
    assert issues == []
