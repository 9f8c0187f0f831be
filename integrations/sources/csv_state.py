"""What the CSV export source remembers while it reads the files of one export.

The files refer to each other by natural keys (school-unit code, civic number, group name), and
a person or group is spread over several rows or files, so the source keeps: an alias table per
kind (natural key -> id), persons (merged from elever, vårdnadshavare and personal), duties and
groups until they are complete. Memory grows with the number of persons, duties, groups and
memberships (a few hundred bytes each), never with the size of the files.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from integrations.records import (
    AssignmentRoleRecord,
    DutyRecord,
    EmailRecord,
    EnrolmentRecord,
    GroupRecord,
    MembershipRecord,
    PersonRecord,
    ResponsibleRecord,
)
from integrations.sources.csv_format import MARKING_RANK
from integrations.sources.ids import StableIds, civic_key, parse_uuid


def id_alias(raw: str) -> str:
    parsed = parse_uuid(raw)
    return f"id:{parsed}" if parsed else f"id:{raw.strip()}"


@dataclass(frozen=True, slots=True)
class PersonFields:
    """What one row says about a person."""

    given_name: str
    family_name: str
    middle_name: str
    civic_no: str
    birth_date: dt.date | None
    security_marking: str
    email: EmailRecord | None


@dataclass(slots=True)
class PersonAcc:
    source_id: uuid.UUID
    given_name: str = ""
    family_name: str = ""
    middle_name: str = ""
    civic_no: str = ""
    birth_date: dt.date | None = None
    security_marking: str = ""  # until a file with the column says otherwise
    status: str = "Aktiv"
    emails: list[EmailRecord] = field(default_factory=list)
    enrolments: list[EnrolmentRecord] = field(default_factory=list)
    responsibles: list[ResponsibleRecord] = field(default_factory=list)

    def merge(self, fields: PersonFields) -> None:
        """The first non-empty value wins, except the security marking: the most restrictive
        one wins, so a protected identity noted in any file is never lost."""
        self.given_name = self.given_name or fields.given_name
        self.family_name = self.family_name or fields.family_name
        self.middle_name = self.middle_name or fields.middle_name
        self.civic_no = self.civic_no or fields.civic_no
        self.birth_date = self.birth_date or fields.birth_date
        # Unknown markings rank above every known one: only the pipeline may decide they are
        # harmless.
        marking = fields.security_marking
        if MARKING_RANK.get(marking, 3) > MARKING_RANK.get(self.security_marking, 3):
            self.security_marking = marking
        if fields.email is not None and fields.email not in self.emails:
            self.emails.append(fields.email)

    def record(self) -> PersonRecord:
        return PersonRecord(
            source_id=self.source_id,
            given_name=self.given_name,
            family_name=self.family_name,
            middle_name=self.middle_name,
            civic_no=self.civic_no,
            birth_date=self.birth_date,
            security_marking=self.security_marking,
            status=self.status,
            emails=tuple(self.emails),
            enrolments=tuple(self.enrolments),
            responsibles=tuple(self.responsibles),
        )


@dataclass(slots=True)
class DutyAcc:
    source_id: uuid.UUID
    person_id: uuid.UUID
    duty_at_id: uuid.UUID
    duty_role: str
    start_date: dt.date
    end_date: dt.date | None
    signature: str
    roles: list[AssignmentRoleRecord] = field(default_factory=list)

    def record(self) -> DutyRecord:
        return DutyRecord(
            source_id=self.source_id,
            person_id=self.person_id,
            duty_at_id=self.duty_at_id,
            duty_role=self.duty_role,
            start_date=self.start_date,
            end_date=self.end_date,
            signature=self.signature,
            assignment_roles=tuple(self.roles),
        )


@dataclass(slots=True)
class GroupAcc:
    source_id: uuid.UUID
    display_name: str
    group_type: str
    organisation_id: uuid.UUID
    start_date: dt.date
    end_date: dt.date | None
    school_type: str
    memberships: list[MembershipRecord] = field(default_factory=list)

    def record(self) -> GroupRecord:
        return GroupRecord(
            source_id=self.source_id,
            display_name=self.display_name,
            group_type=self.group_type,
            organisation_id=self.organisation_id,
            start_date=self.start_date,
            end_date=self.end_date,
            school_type=self.school_type,
            memberships=tuple(self.memberships),
        )


class ExportState:
    def __init__(self, ids: StableIds) -> None:
        self.ids = ids
        self.org_alias: dict[str, uuid.UUID] = {}
        self.person_alias: dict[str, uuid.UUID] = {}
        self.persons: dict[uuid.UUID, PersonAcc] = {}
        self.duties: dict[uuid.UUID, DutyAcc] = {}
        self.duties_by_person: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.groups: dict[uuid.UUID, GroupAcc] = {}
        self.group_alias: dict[str, uuid.UUID] = {}
        self.group_names: dict[tuple[uuid.UUID | None, str], list[uuid.UUID]] = {}

    # -- organisations ------------------------------------------------------------------

    def organisation(self, raw: str) -> uuid.UUID | None:
        """An organisation reference: its id (as exported) or its school-unit or
        organisation code."""
        return self.org_alias.get(id_alias(raw)) or self.org_alias.get(f"code:{raw.strip()}")

    # -- persons ------------------------------------------------------------------------

    def person_id(self, raw_id: str, civic_no: str) -> uuid.UUID | None:
        """The id of the person a row describes: the exported id if there is one (it survives
        a change of civic number), else one derived from the civic number; None if neither."""
        if raw_id:
            return parse_uuid(raw_id) or self.ids.derive("person-id", raw_id.strip())
        if civic_no:
            return self.ids.derive("person", civic_key(civic_no))
        return None

    def remember_person(self, pid: uuid.UUID, raw_id: str, civic_no: str) -> PersonAcc:
        if raw_id:
            self.person_alias.setdefault(id_alias(raw_id), pid)
        if civic_no:
            self.person_alias.setdefault(f"pnr:{civic_key(civic_no)}", pid)
        return self.persons.setdefault(pid, PersonAcc(pid))

    def person(self, raw: str) -> uuid.UUID | None:
        """A person reference (exported id or civic number) to a person read earlier."""
        return self.person_alias.get(id_alias(raw)) or self.person_alias.get(
            f"pnr:{civic_key(raw)}"
        )

    def duty_for(self, person: uuid.UUID, organisation: uuid.UUID) -> uuid.UUID | None:
        """The person's duty at ``organisation``, else their first duty anywhere (a teacher
        employed at the school but teaching a group of one of its units)."""
        duties = self.duties_by_person.get(person, [])
        at_org = [d for d in duties if self.duties[d].duty_at_id == organisation]
        candidates = at_org or duties
        return candidates[0] if candidates else None

    # -- groups -------------------------------------------------------------------------

    def add_group(self, acc: GroupAcc, raw_id: str) -> None:
        self.groups[acc.source_id] = acc
        if raw_id:
            self.group_alias[id_alias(raw_id)] = acc.source_id
        name = acc.display_name.casefold()
        for key in ((acc.organisation_id, name), (None, name)):
            self.group_names.setdefault(key, []).append(acc.source_id)

    def group(self, raw: str, organisation: uuid.UUID) -> tuple[uuid.UUID | None, str]:
        """A group reference: an exported group id, or a name, looked up first among the
        organisation's groups, then among all. Returns the id or a reason it was not found."""
        found = self.group_alias.get(id_alias(raw))
        if found:
            return found, ""
        parsed = parse_uuid(raw)
        if parsed in self.groups:
            return parsed, ""
        name = raw.strip().casefold()
        candidates = self.group_names.get((organisation, name)) or self.group_names.get(
            (None, name), []
        )
        if len(candidates) == 1:
            return candidates[0], ""
        return None, "ambiguous group name; use grupp_id" if candidates else "unknown group"
