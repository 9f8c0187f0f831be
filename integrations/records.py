"""Normalised register records: what every source (SS 12000 API, SS 12000 file bundle, CSV
export) turns its input into, and what the import pipeline consumes.

Ids are the register's UUIDs (SS 12000 ``id``); sources without ids (CSV) derive stable UUIDs
(uuid5) from what identifies a row in that source. Enumerations are kept as the register sent
them: validation and warnings about unknown values are the pipeline's job, so a source never
drops a row it could read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Entity(StrEnum):
    ORGANISATION = "organisation"
    PERSON = "person"
    GROUP = "group"
    DUTY = "duty"
    ACTIVITY = "activity"


@dataclass(frozen=True, slots=True)
class OrganisationRecord:
    source_id: uuid.UUID
    display_name: str
    organisation_type: str
    parent_id: uuid.UUID | None = None
    school_unit_code: str = ""
    organisation_code: str = ""
    school_types: tuple[str, ...] = ()
    municipality_code: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    modified: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class EmailRecord:
    value: str
    type: str


@dataclass(frozen=True, slots=True)
class EnrolmentRecord:
    school_unit_id: uuid.UUID
    school_type: str
    start_date: dt.date
    end_date: dt.date | None = None
    school_year: int | None = None
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class ResponsibleRecord:
    """``guardian_id`` is responsible for the person the record belongs to."""

    guardian_id: uuid.UUID
    relation_type: str


@dataclass(frozen=True, slots=True)
class PersonRecord:
    source_id: uuid.UUID
    given_name: str
    family_name: str
    middle_name: str = ""
    civic_no: str = ""  # as the source sent it; the pipeline validates and normalises
    birth_date: dt.date | None = None
    security_marking: str = "Ingen"
    status: str = "Aktiv"
    emails: tuple[EmailRecord, ...] = ()
    enrolments: tuple[EnrolmentRecord, ...] = ()
    responsibles: tuple[ResponsibleRecord, ...] = ()
    modified: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class MembershipRecord:
    person_id: uuid.UUID
    start_date: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class GroupRecord:
    source_id: uuid.UUID
    display_name: str
    group_type: str
    organisation_id: uuid.UUID
    start_date: dt.date
    end_date: dt.date | None = None
    school_type: str = ""
    memberships: tuple[MembershipRecord, ...] = ()
    modified: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class AssignmentRoleRecord:
    group_id: uuid.UUID
    role_type: str
    start_date: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class DutyRecord:
    source_id: uuid.UUID
    person_id: uuid.UUID
    duty_at_id: uuid.UUID
    duty_role: str
    start_date: dt.date
    end_date: dt.date | None = None
    signature: str = ""
    assignment_roles: tuple[AssignmentRoleRecord, ...] = ()
    modified: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class TeacherRecord:
    duty_id: uuid.UUID
    start_date: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    source_id: uuid.UUID
    display_name: str
    organisation_id: uuid.UUID
    start_date: dt.date
    end_date: dt.date | None = None
    activity_type: str = ""
    subject_code: str = ""
    group_ids: tuple[uuid.UUID, ...] = ()
    teachers: tuple[TeacherRecord, ...] = ()
    modified: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class DeletedRecord:
    """An entity the register says is gone (SS 12000 /deletedEntities)."""

    entity: Entity
    source_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class SourceIssue:
    """Something a source noticed while reading: a warning (the row was kept, possibly with a
    value defaulted) or an error (the row could not be read at all). Never contains a civic
    number or other personal data beyond the register id and a field name."""

    severity: str  # "warning" | "error"
    entity: Entity | None
    source_id: str
    message: str
    location: str = ""  # page / file:line
    details: dict[str, str] = field(default_factory=dict)


Record = (
    OrganisationRecord | PersonRecord | GroupRecord | DutyRecord | ActivityRecord | DeletedRecord
)
