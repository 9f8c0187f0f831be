"""CSV/TSV register exports (ProCapita/Extens style): the format of
docs/register-file-formats.md, in a folder or a .zip.

Files are read in an order that lets every reference be resolved: organisationer, elever,
vårdnadshavare, personal (persons are merged across the three and yielded after them), grupper,
then the duties (which need the groups for their assignment roles), then aktiviteter.

A row that cannot be read (a required value missing, a bad date, an unknown organisation for a
group, duty or activity, more cells than columns) becomes an error issue with file:line and is
skipped; the rest of the file is read. A missing required column or file fails the run.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

from integrations.records import (
    ActivityRecord,
    AssignmentRoleRecord,
    EmailRecord,
    EnrolmentRecord,
    Entity,
    MembershipRecord,
    OrganisationRecord,
    Record,
    ResponsibleRecord,
    SourceIssue,
    TeacherRecord,
)
from integrations.sources import csv_format as fmt
from integrations.sources import ss12000_enums as enums
from integrations.sources.bundle import Bundle
from integrations.sources.csv_format import Cells, FileSpec, RowError, canonical
from integrations.sources.csv_state import DutyAcc, ExportState, GroupAcc, PersonFields, id_alias
from integrations.sources.errors import SourceError
from integrations.sources.ids import StableIds, parse_uuid
from integrations.sources.parsing import safe_excerpt
from integrations.sources.ss12000_mapping import UNKNOWN_START, Item
from integrations.sources.subject_codes import subject_code_from_name
from integrations.sources.text_files import read_table


class _Issues:
    """Issues of one row; ``source_id`` is filled in once the row's id is known."""

    def __init__(self, entity: Entity, location: str) -> None:
        self.entity = entity
        self.location = location
        self.source_id = ""
        self.items: list[SourceIssue] = []

    def add(self, severity: str, message: str, **details: str) -> None:
        self.items.append(
            SourceIssue(severity, self.entity, self.source_id, message, self.location, details)
        )

    def warn(self, message: str, **details: str) -> None:
        self.add("warning", message, **details)

    def checked(self, column: str, value: str, allowed: frozenset[str], default: str = "") -> str:
        if not value:
            return default
        spelled, known = canonical(value, allowed)
        if not known:
            self.warn("unknown value; kept as written", column=column, value=safe_excerpt(value))
        return spelled


Handler = Callable[[Cells, _Issues], list[Record]]


class CsvExportSource:
    """``path``: a folder or a .zip. ``id_secret``: the tenant's secret for derived ids (at
    least 16 bytes, stable for the tenant's lifetime; see ``ids``)."""

    def __init__(self, path: str | Path, *, id_secret: bytes) -> None:
        self.path = Path(path)
        self._ids = StableIds(id_secret)
        self._files: dict[str, str] = {}
        self._unknown: list[str] = []
        with Bundle(self.path) as bundle:
            for name in bundle.names():
                spec = fmt.file_kind(name)
                if spec is None:
                    self._unknown.append(name)
                elif spec.kind in self._files:
                    raise SourceError(
                        f"{self.path.name}: two files for {spec.kind}: "
                        f"{self._files[spec.kind]} and {name}"
                    )
                else:
                    self._files[spec.kind] = name
        missing = [s.stems[0] for s in fmt.SPECS if s.required_file and s.kind not in self._files]
        if missing:
            raise SourceError(f"{self.path.name}: missing files: {', '.join(missing)}")

    @property
    def covered_entities(self) -> frozenset[Entity]:
        covered = {Entity.ORGANISATION, Entity.PERSON, Entity.GROUP, Entity.DUTY}
        if fmt.ACTIVITIES.kind in self._files:
            covered.add(Entity.ACTIVITY)
        return frozenset(covered)

    def read(self) -> Iterator[Item]:
        state = ExportState(self._ids)
        for name in self._unknown:
            yield SourceIssue("warning", None, "", "file not recognised; ignored", location=name)
        with Bundle(self.path) as bundle:
            org_rows: dict[uuid.UUID, tuple[OrganisationRecord, str, _Issues]] = {}
            yield from self._each_row(
                bundle, fmt.ORGANISATIONS, lambda c, i: self._organisation(c, i, state, org_rows)
            )
            yield from self._link_parents(org_rows, state)
            yield from self._each_row(bundle, fmt.PUPILS, partial(self._pupil, state=state))
            yield from self._each_row(bundle, fmt.GUARDIANS, partial(self._guardian, state=state))
            yield from self._each_row(bundle, fmt.STAFF, partial(self._staff, state=state))
            for person in state.persons.values():
                yield person.record()
            yield from self._each_row(bundle, fmt.GROUPS, partial(self._group_row, state=state))
            for group in state.groups.values():
                yield group.record()
            for duty in state.duties.values():
                yield duty.record()
            if fmt.ACTIVITIES.kind in self._files:
                seen: set[uuid.UUID] = set()
                yield from self._each_row(
                    bundle, fmt.ACTIVITIES, partial(self._activity, state=state, seen=seen)
                )

    def _each_row(self, bundle: Bundle, spec: FileSpec, handle: Handler) -> Iterator[Item]:
        name = self._files[spec.kind]
        info, rows = read_table(partial(bundle.open_binary, name), name)
        columns = fmt.resolve_columns(spec, info.headers, name)
        for row in rows:
            issues = _Issues(spec.entity, f"{name}:{row.line}")
            records: list[Record] = []
            try:
                if row.extra_cells:
                    raise RowError(
                        f"{row.extra_cells} more cells than columns (an unquoted delimiter?)"
                    )
                records = handle(Cells(row, columns), issues)
            except RowError as exc:
                issues.add("error", f"{exc}; row skipped")
            yield from records
            yield from issues.items

    # -- organisationer -------------------------------------------------------------------

    def _organisation(
        self,
        cells: Cells,
        issues: _Issues,
        state: ExportState,
        rows: dict[uuid.UUID, tuple[OrganisationRecord, str, _Issues]],
    ) -> list[Record]:
        name = cells.require("namn")
        raw_id, unit_code, org_code = (
            cells.get("id"),
            cells.get("skolenhetskod"),
            cells.get("organisationskod"),
        )
        start, end = cells.date("startdatum"), cells.date("slutdatum")
        if raw_id:
            oid = parse_uuid(raw_id) or self._ids.derive("organisation-id", raw_id)
        elif unit_code or org_code:
            oid = self._ids.derive("organisation", unit_code or org_code)
        else:
            raise RowError("required value missing: id, skolenhetskod or organisationskod")
        issues.source_id = str(oid)
        if oid in rows:
            raise RowError("the same organisation again")
        school_types = [
            issues.checked("skolformer", value, enums.SCHOOL_TYPES)
            for value in re.split(r"[|,;\s]+", cells.get("skolformer"))
            if value
        ]
        record = OrganisationRecord(
            source_id=oid,
            display_name=name,
            organisation_type=issues.checked(
                "typ",
                cells.get("typ"),
                enums.ORGANISATION_TYPES,
                default="Skolenhet" if unit_code else "Övrigt",
            ),
            school_unit_code=unit_code,
            organisation_code=org_code,
            school_types=tuple(school_types),
            municipality_code=cells.get("kommunkod"),
            start_date=start,
            end_date=end,
        )
        for alias in (id_alias(raw_id) if raw_id else "", f"code:{unit_code}", f"code:{org_code}"):
            if alias not in ("", "code:"):
                state.org_alias.setdefault(alias, oid)
        rows[oid] = (record, cells.get("overordnad"), issues)
        return []

    def _link_parents(
        self, rows: dict[uuid.UUID, tuple[OrganisationRecord, str, _Issues]], state: ExportState
    ) -> Iterator[Item]:
        """Parents may come after their children in the file, so they are linked at the end
        (the row's own issues were yielded when it was read)."""
        for record, parent_ref, row_issues in rows.values():
            parent = state.organisation(parent_ref) if parent_ref else None
            yield replace(record, parent_id=parent)
            if parent_ref and parent is None:
                late = _Issues(Entity.ORGANISATION, row_issues.location)
                late.source_id = row_issues.source_id
                late.warn("unknown parent organisation; left empty", column="overordnad")
                yield from late.items

    # -- persons --------------------------------------------------------------------------

    def _person_fields(self, cells: Cells, issues: _Issues, email_type: str) -> PersonFields:
        marking = cells.get("sekretessmarkering")
        # A file without the column sends no marking ("", decided by the reader's policy).
        spelled, known = (
            fmt.security_marking(marking) if cells.has("sekretessmarkering") else ("", True)
        )
        if not known:
            issues.warn(
                "unknown value; kept as written",
                column="sekretessmarkering",
                value=safe_excerpt(marking),
            )
        email = cells.get("epost")
        return PersonFields(
            given_name=cells.require("fornamn"),
            family_name=cells.require("efternamn"),
            middle_name=cells.get("mellannamn"),
            civic_no=cells.get("personnummer"),
            birth_date=cells.date("fodelsedatum"),
            security_marking=spelled,
            email=EmailRecord(email, email_type) if email else None,
        )

    def _pupil(self, cells: Cells, issues: _Issues, *, state: ExportState) -> list[Record]:
        pid = state.person_id(cells.get("id"), cells.get("personnummer"))
        if pid is None:
            raise RowError("required value missing: id or personnummer")
        issues.source_id = str(pid)
        fields = self._person_fields(cells, issues, "Skola elev")
        unit_ref = cells.require("skolenhet")
        school_type = issues.checked("skolform", cells.require("skolform"), enums.SCHOOL_TYPES)
        start, end = cells.date("startdatum"), cells.date("slutdatum")
        status = issues.checked("status", cells.get("status"), enums.PERSON_STATUSES, "Aktiv")
        year = None
        if cells.get("arskurs"):
            try:
                year = fmt.school_year(cells.get("arskurs"))
            except ValueError:
                issues.warn("invalid school year; left empty", column="arskurs")
        acc = state.remember_person(pid, cells.get("id"), cells.get("personnummer"))
        acc.merge(fields)
        acc.status = status
        unit = state.organisation(unit_ref)
        if unit is None:
            issues.warn("unknown school unit; enrolment left out", column="skolenhet")
        else:
            acc.enrolments.append(
                EnrolmentRecord(unit, school_type, start or UNKNOWN_START, end, year)
            )
        return []

    def _guardian(self, cells: Cells, issues: _Issues, *, state: ExportState) -> list[Record]:
        child = state.person(cells.require("elev"))
        fields = self._person_fields(cells, issues, "Privat")
        relation = issues.checked(
            "relation", cells.get("relation"), enums.RELATION_TYPES, "Vårdnadshavare"
        )
        if child is None:
            raise RowError("the pupil in elev is not in elever")
        raw_id, civic_no = cells.get("id"), cells.get("personnummer")
        gid = state.person_id(raw_id, civic_no)
        if gid is None:
            # Guardians living abroad may have no Swedish number: the pupil and the name
            # identify them, at the price of a new id if the name is corrected.
            gid = self._ids.derive(
                "guardian",
                str(child),
                fields.given_name.casefold(),
                fields.family_name.casefold(),
            )
        issues.source_id = str(gid)
        if not (raw_id or civic_no):
            issues.warn("no id or personnummer; id derived from the name and the pupil")
        acc = state.remember_person(gid, raw_id, civic_no)
        acc.merge(fields)
        pupil = state.persons[child]
        if all(r.guardian_id != gid for r in pupil.responsibles):
            pupil.responsibles.append(ResponsibleRecord(gid, relation))
        return []

    def _staff(self, cells: Cells, issues: _Issues, *, state: ExportState) -> list[Record]:
        raw_id, civic_no = cells.get("id"), cells.get("personnummer")
        pid = state.person_id(raw_id, civic_no)
        if pid is None:
            raise RowError("required value missing: id or personnummer")
        fields = self._person_fields(cells, issues, "Skola personal")
        org = state.organisation(cells.require("arbetsplats"))
        role = issues.checked("roll", cells.require("roll"), enums.DUTY_ROLES)
        start, end = cells.date("startdatum"), cells.date("slutdatum")
        if org is None:
            raise RowError("unknown organisation in arbetsplats")
        duty_ref = cells.get("tjanstgoring_id")
        if duty_ref:
            did = parse_uuid(duty_ref) or self._ids.derive("duty-id", duty_ref)
        else:
            did = self._ids.derive("duty", str(pid), str(org), role.casefold())
        issues.source_id = str(did)
        acc = state.remember_person(pid, raw_id, civic_no)
        acc.merge(fields)
        if did in state.duties:
            issues.warn("the same duty again; this row's duty ignored")
            return []
        sig = cells.get("signatur")
        state.duties[did] = DutyAcc(did, pid, org, role, start or UNKNOWN_START, end, sig)
        state.duties_by_person.setdefault(pid, []).append(did)
        return []

    # -- grupper --------------------------------------------------------------------------

    def _group_row(self, cells: Cells, issues: _Issues, *, state: ExportState) -> list[Record]:
        name = cells.require("grupp")
        group_type = issues.checked("grupptyp", cells.require("grupptyp"), enums.GROUP_TYPES)
        org = state.organisation(cells.require("organisation"))
        group_start, group_end = cells.date("gruppstart"), cells.date("gruppslut")
        start, end = cells.date("startdatum"), cells.date("slutdatum")
        school_type = issues.checked("skolform", cells.get("skolform"), enums.SCHOOL_TYPES)
        if org is None:
            raise RowError("unknown organisation")
        raw_id = cells.get("grupp_id")
        if raw_id:
            gid = parse_uuid(raw_id) or self._ids.derive("group-id", raw_id)
        else:
            # The start date is part of the key so that next year's "7A" is a new group.
            when = group_start.isoformat() if group_start else ""
            gid = self._ids.derive("group", str(org), name.casefold(), when)
        issues.source_id = str(gid)
        group = state.groups.get(gid)
        if group is None:
            group = GroupAcc(
                gid, name, group_type, org, group_start or UNKNOWN_START, group_end, school_type
            )
            state.add_group(group, raw_id)
        elif (group.display_name, group.group_type, group.organisation_id) != (
            name,
            group_type,
            org,
        ):
            issues.warn("group columns differ from an earlier row; the first row's are kept")
        person_ref = cells.get("person")
        if not person_ref:
            return []
        person = state.person(person_ref)
        if person is None:
            issues.warn("unknown person; membership left out", column="person")
            return []
        role = cells.get("roll")
        if role.casefold() in fmt.MEMBER_ROLES:
            membership = MembershipRecord(person, start, end)
            if membership not in group.memberships:
                group.memberships.append(membership)
            return []
        role_type = issues.checked("roll", role, enums.ASSIGNMENT_ROLE_TYPES)
        duty = state.duty_for(person, org)
        if duty is None:
            issues.warn("the person has no duty in personal; role left out", column="roll")
            return []
        state.duties[duty].roles.append(AssignmentRoleRecord(gid, role_type, start, end))
        return []

    # -- aktiviteter ----------------------------------------------------------------------

    def _activity(
        self, cells: Cells, issues: _Issues, *, state: ExportState, seen: set[uuid.UUID]
    ) -> list[Record]:
        name = cells.require("namn")
        org = state.organisation(cells.require("organisation"))
        start, end = cells.date("startdatum"), cells.date("slutdatum")
        activity_type = issues.checked(
            "aktivitetstyp", cells.get("aktivitetstyp"), enums.ACTIVITY_TYPES, "Undervisning"
        )
        if org is None:
            raise RowError("unknown organisation")
        raw_id = cells.get("aktivitet_id")
        if raw_id:
            aid = parse_uuid(raw_id) or self._ids.derive("activity-id", raw_id)
        else:
            when = start.isoformat() if start else ""
            aid = self._ids.derive("activity", str(org), name.casefold(), when)
        issues.source_id = str(aid)
        if aid in seen:
            raise RowError("the same activity again")
        seen.add(aid)
        groups = []
        for ref in cells.items("grupper"):
            gid, reason = state.group(ref, org)
            if gid is None:
                issues.warn(f"{reason}; group left out", column="grupper", value=safe_excerpt(ref))
            elif gid not in groups:
                groups.append(gid)
        teachers = []
        for ref in cells.items("larare"):
            person = state.person(ref)
            duty = state.duty_for(person, org) if person else None
            if duty is None:
                issues.warn("teacher not found in personal; left out", column="larare")
            else:
                teachers.append(TeacherRecord(duty))
        return [
            ActivityRecord(
                source_id=aid,
                display_name=name,
                organisation_id=org,
                start_date=start or UNKNOWN_START,
                end_date=end,
                activity_type=activity_type,
                subject_code=cells.get("amneskod") or subject_code_from_name(name),
                group_ids=tuple(groups),
                teachers=tuple(teachers),
            )
        ]
