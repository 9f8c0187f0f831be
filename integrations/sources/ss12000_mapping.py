"""SS 12000:2020 JSON objects -> normalised records, tolerantly.

Real payloads violate the spec (Skolverket's own samples lack ``meta``, ``startDate`` and use a
non-UUID person id), so the mapping never drops an entity it can key and place:

- a missing required field we use gets a default and one warning per entity listing the fields;
  required fields we do not use (``meta``, ``calendarEventsRequired``...) are not checked;
- an unknown enumeration value is kept as sent, with a warning;
- an id that is not a UUID is turned into a stable derived UUID (see ``ids``), with a warning;
- nested items that are unusable without a missing reference (an enrolment without
  ``enroledAt``, a membership without ``person``...) are left out of the record, with a warning;
- an entity is skipped, with an error, only when it has no id or lacks the reference that places
  it (a group's organisation, a duty's person or unit, an activity's organisation).

Missing required dates become ``UNKNOWN_START`` (``date.min``): "valid since before anything we
know of", which keeps the entity active rather than hiding it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from integrations.pipeline.hashing import RawItem, raw_digest
from integrations.records import (
    ActivityRecord,
    AssignmentRoleRecord,
    DeletedRecord,
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
from integrations.sources import ss12000_enums as enums
from integrations.sources.ids import StableIds
from integrations.sources.parsing import safe_excerpt
from integrations.sources.ss12000_reader import Context, Scope
from integrations.sources.subject_codes import subject_code_from_name

UNKNOWN_START = dt.date.min

# Part of every SS 12000 digest (pipeline/hashing.raw_digest): the stored digests are of the
# raw items, so a change to what this module (or ss12000_reader, parsing, ids, records) makes
# of an item must bump this, or unchanged items would keep rows mapped by the old code.
MAPPING_VERSION = "ss12000-mapping-1"

# deletedEntities.data keys -> entity. "activitites" is the spelling of the 2.1.0 spec (a typo
# servers generated from it reproduce); "activities" is what the field should be called.
DELETED_KEYS: Mapping[str, Entity] = {
    "organisations": Entity.ORGANISATION,
    "persons": Entity.PERSON,
    "groups": Entity.GROUP,
    "duties": Entity.DUTY,
    "activities": Entity.ACTIVITY,
    "activitites": Entity.ACTIVITY,
}

Item = Record | SourceIssue


def _organisation(s: Scope, oid: uuid.UUID) -> OrganisationRecord:
    unit_code = s.text("schoolUnitCode")
    school_types = []
    raw_types = s.obj.get("schoolTypes")
    if isinstance(raw_types, list):
        for value in raw_types:
            if not isinstance(value, str):
                continue
            if value not in enums.SCHOOL_TYPES:
                s.ctx.warn(
                    "unknown enumeration value; kept as sent",
                    field="schoolTypes",
                    value=safe_excerpt(value),
                )
            school_types.append(value)
    elif raw_types is not None:
        s.ctx.warn("not a list; ignored", field="schoolTypes")
    return OrganisationRecord(
        source_id=oid,
        display_name=s.text("displayName", required=True),
        # A missing type with a school-unit code can only be a school unit.
        organisation_type=s.enum(
            "organisationType",
            enums.ORGANISATION_TYPES,
            required=True,
            default="Skolenhet" if unit_code else "Övrigt",
        ),
        parent_id=s.ref("parentOrganisation", Entity.ORGANISATION),
        school_unit_code=unit_code,
        organisation_code=s.text("organisationCode"),
        school_types=tuple(school_types),
        municipality_code=s.text("municipalityCode"),
        start_date=s.date("startDate"),
        end_date=s.date("endDate"),
        modified=s.modified(),
    )


def _civic_no(s: Scope) -> str:
    value = s.obj.get("civicNo")
    if isinstance(value, Mapping):
        raw = value.get("value")
        return raw.strip() if isinstance(raw, str) else ""
    if isinstance(value, str):
        return value.strip()  # some servers flatten the object; the value itself is fine
    return ""


def _person(s: Scope, pid: uuid.UUID) -> PersonRecord:
    emails = []
    for e in s.objects("emails"):
        value = e.text("value", required=True)
        email_type = e.enum("type", enums.EMAIL_TYPES, required=True)
        if value:
            emails.append(EmailRecord(value=value, type=email_type))
    enrolments = []
    for index, en in enumerate(s.objects("enrolments")):
        unit = en.ref("enroledAt", Entity.ORGANISATION, required=True)
        school_type = en.enum("schoolType", enums.SCHOOL_TYPES, required=True)
        start = en.date("startDate", required=True) or UNKNOWN_START
        if unit is None:
            s.ctx.skipped.append(f"enrolments[{index}] (no enroledAt)")
            continue
        enrolments.append(
            EnrolmentRecord(
                school_unit_id=unit,
                school_type=school_type,
                start_date=start,
                end_date=en.date("endDate"),
                school_year=en.integer("schoolYear"),
                cancelled=en.boolean("cancelled"),
            )
        )
    responsibles = []
    for index, r in enumerate(s.objects("responsibles")):
        guardian = r.ref("person", Entity.PERSON, required=True)
        # Not required by the spec; left empty rather than guessed (it decides access).
        relation = r.enum("relationType", enums.RELATION_TYPES)
        if guardian is None:
            s.ctx.skipped.append(f"responsibles[{index}] (no person)")
            continue
        responsibles.append(ResponsibleRecord(guardian_id=guardian, relation_type=relation))
    return PersonRecord(
        source_id=pid,
        given_name=s.text("givenName", required=True),
        family_name=s.text("familyName", required=True),
        middle_name=s.text("middleName"),
        civic_no=_civic_no(s),
        birth_date=s.date("birthDate"),
        # Absent stays "" (MARKING_NOT_SENT): the reader applies the municipality's policy.
        security_marking=s.enum("securityMarking", enums.SECURITY_MARKINGS),
        status=s.enum("personStatus", enums.PERSON_STATUSES, default="Aktiv"),
        emails=tuple(emails),
        enrolments=tuple(enrolments),
        responsibles=tuple(responsibles),
        modified=s.modified(),
    )


def _group(s: Scope, gid: uuid.UUID) -> GroupRecord | None:
    organisation = s.ref("organisation", Entity.ORGANISATION, required=True)
    if organisation is None:
        return None
    memberships = []
    for index, m in enumerate(s.objects("groupMemberships")):
        person = m.ref("person", Entity.PERSON, required=True)
        if person is None:
            s.ctx.skipped.append(f"groupMemberships[{index}] (no person)")
            continue
        memberships.append(
            MembershipRecord(
                person_id=person, start_date=m.date("startDate"), end_date=m.date("endDate")
            )
        )
    return GroupRecord(
        source_id=gid,
        display_name=s.text("displayName", required=True),
        group_type=s.enum(
            "groupType", enums.GROUP_TYPES, required=True, default=enums.DEFAULT_GROUP_TYPE
        ),
        organisation_id=organisation,
        start_date=s.date("startDate", required=True) or UNKNOWN_START,
        end_date=s.date("endDate"),
        school_type=s.enum("schoolType", enums.SCHOOL_TYPES),
        memberships=tuple(memberships),
        modified=s.modified(),
    )


def _duty(s: Scope, did: uuid.UUID) -> DutyRecord | None:
    person = s.ref("person", Entity.PERSON, required=True)
    duty_at = s.ref("dutyAt", Entity.ORGANISATION, required=True)
    if person is None or duty_at is None:
        return None
    # The spec names the list "assignmentRole"; accept the plural some servers use.
    key = "assignmentRole" if "assignmentRole" in s.obj else "assignmentRoles"
    roles = []
    for index, a in enumerate(s.objects(key)):
        group = a.ref("group", Entity.GROUP, required=True)
        role_type = a.enum("assignmentRoleType", enums.ASSIGNMENT_ROLE_TYPES, required=True)
        if group is None or not role_type:
            s.ctx.skipped.append(f"{key}[{index}] (no group or type)")
            continue
        roles.append(
            AssignmentRoleRecord(
                group_id=group,
                role_type=role_type,
                start_date=a.date("startDate"),
                end_date=a.date("endDate"),
            )
        )
    return DutyRecord(
        source_id=did,
        person_id=person,
        duty_at_id=duty_at,
        duty_role=s.enum(
            "dutyRole", enums.DUTY_ROLES, required=True, default=enums.DEFAULT_DUTY_ROLE
        ),
        start_date=s.date("startDate", required=True) or UNKNOWN_START,
        end_date=s.date("endDate"),
        signature=s.text("signature"),
        assignment_roles=tuple(roles),
        modified=s.modified(),
    )


def _syllabus_code(s: Scope) -> str:
    """courseCode (upper secondary: MATMAT01a) before subjectCode (compulsory: GRGRMAT01),
    from ``_embedded.syllabus`` (expand=syllabus) or a server that inlines the syllabus."""
    embedded = s.child("_embedded")
    for scope in (embedded.child("syllabus") if embedded else None, s.child("syllabus")):
        if scope is not None:
            code = scope.text("courseCode") or scope.text("subjectCode")
            if code:
                return code
    return ""


def _activity(s: Scope, aid: uuid.UUID) -> ActivityRecord | None:
    organisation = s.ref("organisation", Entity.ORGANISATION, required=True)
    if organisation is None:
        return None
    name = s.text("displayName", required=True)
    groups = [g.own_ref(Entity.GROUP) for g in s.objects("groups", required=True)]
    teachers = []
    for index, t in enumerate(s.objects("teachers")):
        duty = t.ref("duty", Entity.DUTY, required=True)
        if duty is None:
            s.ctx.skipped.append(f"teachers[{index}] (no duty)")
            continue
        teachers.append(
            TeacherRecord(duty_id=duty, start_date=t.date("startDate"), end_date=t.date("endDate"))
        )
    return ActivityRecord(
        source_id=aid,
        display_name=name,
        organisation_id=organisation,
        start_date=s.date("startDate", required=True) or UNKNOWN_START,
        end_date=s.date("endDate"),
        activity_type=s.enum("activityType", enums.ACTIVITY_TYPES),
        subject_code=_syllabus_code(s) or subject_code_from_name(name),
        group_ids=tuple(g for g in groups if g is not None),
        teachers=tuple(teachers),
        modified=s.modified(),
    )


_UNPLACEABLE = {
    Entity.GROUP: "group without organisation cannot be imported",
    Entity.DUTY: "duty without person or dutyAt cannot be imported",
    Entity.ACTIVITY: "activity without organisation cannot be imported",
}


def map_entity(entity: Entity, item: Any, location: str, ids: StableIds) -> list[Item]:
    """One SS 12000 object -> its record (if it can be keyed and placed) and its issues."""
    ctx = Context(entity, location, ids)
    if not isinstance(item, Mapping):
        return [ctx.issue("error", "item is not a JSON object; skipped")]
    scope = Scope(ctx, item)
    own_id = ctx.to_uuid(item.get("id"), entity, "id")
    if own_id is None:
        return [ctx.issue("error", "entity without id; skipped")]
    ctx.source_id = str(own_id)
    record: Record | None
    if entity is Entity.ORGANISATION:
        record = _organisation(scope, own_id)
    elif entity is Entity.PERSON:
        record = _person(scope, own_id)
    elif entity is Entity.GROUP:
        record = _group(scope, own_id)
    elif entity is Entity.DUTY:
        record = _duty(scope, own_id)
    else:
        record = _activity(scope, own_id)
    if record is None:
        return [ctx.issue("error", _UNPLACEABLE[entity], fields=", ".join(ctx.missing))]
    return [record, *ctx.finish()]


def raw_item(entity: Entity, item: Any, location: str, ids: StableIds) -> RawItem:
    """The item as the reader decides on it: keyed by its id (read as ``map_entity`` reads
    it), digested, and mapped only if the reader asks."""
    source_id = None
    if isinstance(item, Mapping):
        raw = item.get("id")
        source_id = ids.parse(raw) if raw.__class__ is str else None
        if source_id is None:  # a derived id, or none: the general way (issues discarded)
            source_id = Context(entity, location, ids).to_uuid(raw, entity, "id")
    return RawItem(
        entity=entity,
        source_id=source_id,
        digest=raw_digest(f"{MAPPING_VERSION}|{entity.value}|", item),
        item=item,
        map=lambda: map_entity(entity, item, location, ids),
    )


def map_deleted(
    data: Any, location: str, ids: StableIds, wanted: Iterable[Entity] | None = None
) -> list[Item]:
    """``deletedEntities.data`` -> DeletedRecords for the entity types we import (``wanted``
    narrows further, for servers that ignore the ``entities`` filter)."""
    wanted_set = set(wanted) if wanted is not None else set(Entity)
    out: list[Item] = []
    if not isinstance(data, Mapping):
        return [SourceIssue("error", None, "", "deletedEntities data is not an object", location)]
    for key, entity in DELETED_KEYS.items():
        values = data.get(key)
        if entity not in wanted_set or values is None:
            continue
        if not isinstance(values, list):
            out.append(SourceIssue("warning", entity, "", f"{key} is not a list", location))
            continue
        ctx = Context(entity, location, ids)
        for raw in values:
            found = ctx.to_uuid(raw, entity, key)
            if found is None:
                out.append(SourceIssue("warning", entity, "", "deleted id unreadable", location))
            else:
                out.append(DeletedRecord(entity=entity, source_id=found))
        out.extend(ctx.finish())
    return out
