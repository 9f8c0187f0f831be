"""Staging rows of a new or changed record: one function per record type (split from reader)."""

from __future__ import annotations

from collections.abc import Callable

from integrations.pipeline.staging import Stage
from integrations.records import (
    ActivityRecord,
    DutyRecord,
    GroupRecord,
    OrganisationRecord,
    PersonRecord,
    Record,
)
from register.civic_numbers import CivicNumber


def _stage_org(stage: Stage, r: OrganisationRecord, digest: str) -> None:
    stage.add("s_org", (
        r.source_id, digest, r.display_name, r.organisation_type, r.parent_id, r.school_unit_code,
        r.organisation_code, list(r.school_types), r.municipality_code, r.start_date, r.end_date,
        r.modified,
    ))  # fmt: skip


def stage_person(stage: Stage, r: PersonRecord, digest: str, number: CivicNumber | None) -> None:
    stage.add("s_person", (
        r.source_id, digest, r.given_name, r.middle_name, r.family_name,
        number.value if number else "", number.kind.value if number else "",
        r.birth_date or (number.birth_date if number else None), r.security_marking, r.status,
        r.modified,
    ))  # fmt: skip
    for email in r.emails:
        stage.add("s_email", (r.source_id, email.value.strip(), email.type))
    for e in r.enrolments:
        stage.add("s_enrolment", (
            r.source_id, e.school_unit_id, e.school_type, e.school_year, e.start_date,
            e.end_date, e.cancelled,
        ))  # fmt: skip
    for responsible in r.responsibles:
        stage.add(
            "s_responsible", (r.source_id, responsible.guardian_id, responsible.relation_type)
        )


def _stage_group(stage: Stage, r: GroupRecord, digest: str) -> None:
    stage.add("s_group", (
        r.source_id, digest, r.display_name, r.group_type, r.school_type, r.organisation_id,
        r.start_date, r.end_date, r.modified,
    ))  # fmt: skip
    for m in r.memberships:
        stage.add(
            "s_membership", (r.source_id, m.person_id, m.start_date or r.start_date, m.end_date)
        )


def _stage_duty(stage: Stage, r: DutyRecord, digest: str) -> None:
    stage.add("s_duty", (
        r.source_id, digest, r.person_id, r.duty_at_id, r.duty_role, r.signature, r.start_date,
        r.end_date, r.modified,
    ))  # fmt: skip
    for a in r.assignment_roles:
        stage.add("s_assignment", (
            r.source_id, a.group_id, a.role_type, a.start_date or r.start_date, a.end_date,
        ))  # fmt: skip


def _stage_activity(stage: Stage, r: ActivityRecord, digest: str) -> None:
    stage.add("s_activity", (
        r.source_id, digest, r.display_name, r.activity_type, r.organisation_id, r.subject_code,
        r.start_date, r.end_date, r.modified,
    ))  # fmt: skip
    for group_id in dict.fromkeys(r.group_ids):
        stage.add("s_activity_group", (r.source_id, group_id))
    for t in r.teachers:
        stage.add("s_activity_teacher", (
            r.source_id, t.duty_id, t.start_date or r.start_date, t.end_date,
        ))  # fmt: skip


STAGERS: dict[type, Callable[[Stage, Record, str], None]] = {
    OrganisationRecord: _stage_org,  # type: ignore[dict-item]
    GroupRecord: _stage_group,  # type: ignore[dict-item]
    DutyRecord: _stage_duty,  # type: ignore[dict-item]
    ActivityRecord: _stage_activity,  # type: ignore[dict-item]
}
