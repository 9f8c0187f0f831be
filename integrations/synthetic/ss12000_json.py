"""Normalised records -> SS 12000:2020 (v2.1.0) JSON objects, and a paged file bundle.

Objects follow the spec's schemas (Organisation, Person, Group, Duty, Activity, Syllabus,
DeletedEntities): references are ``{"id": ...}`` objects, dates RFC 3339 (``2026-07-01``),
timestamps UTC with ``Z``, every object has ``meta {created, modified}``. Optional fields with no
value are left out rather than sent as null or "" (as most servers do).

Choices where the records and the spec differ:

- **Subject codes.** Activity has no subject code in SS 12000: it refers to a Syllabus
  (``syllabus: {"id"}``), which carries ``subjectCode`` (grundskolan, e.g. GRGRMAT01) or
  ``courseCode`` (gymnasiet, e.g. MATMAT01c). ``expand_syllabus=True`` adds the syllabus as
  ``_embedded.syllabus`` (what ``GET /activities?expand=syllabus`` returns). Activities of
  Edlevo-style schools imitate Edlevo: the code is the activity's ``displayName`` and the
  embedded syllabus has no ``subjectCode`` (Edlevo: "Ämneskod supportas ej"; courses keep
  ``courseCode``), so a reader must fall back to the name.
- **Addresses.** Records have none; persons get the generator's folkbokföring address (pupils
  and guardians; separated parents differ), none for "Skyddad folkbokföring" or staff.
- **DeletedEntities** uses the spec's own key ``activitites`` (sic, v2.1.0).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from integrations.records import (
    ActivityRecord,
    DeletedRecord,
    DutyRecord,
    Entity,
    GroupRecord,
    MembershipRecord,
    OrganisationRecord,
    PersonRecord,
)
from integrations.synthetic.catalogue import Subject
from integrations.synthetic.generator import Address, Syllabus, SyntheticMunicipality

JsonObject = dict[str, Any]

ENDPOINTS: Mapping[Entity, str] = {
    Entity.ORGANISATION: "organisations",
    Entity.PERSON: "persons",
    Entity.GROUP: "groups",
    Entity.DUTY: "duties",
    Entity.ACTIVITY: "activities",
}
# DeletedEntities.data keys, with the v2.1.0 spec's spelling of activities.
DELETED_KEYS: Mapping[Entity, str] = {
    Entity.ORGANISATION: "organisations",
    Entity.PERSON: "persons",
    Entity.GROUP: "groups",
    Entity.DUTY: "duties",
    Entity.ACTIVITY: "activitites",
}
BUNDLE_ORDER = (Entity.ORGANISATION, Entity.PERSON, Entity.GROUP, Entity.DUTY, Entity.ACTIVITY)


def format_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _ref(source_id: uuid.UUID) -> JsonObject:
    return {"id": str(source_id)}


def _meta(created: dt.datetime, modified: dt.datetime | None) -> JsonObject:
    return {"created": format_datetime(created), "modified": format_datetime(modified or created)}


def _put_date(target: JsonObject, key: str, value: dt.date | None) -> None:
    if value is not None:
        target[key] = value.isoformat()


def organisation_json(record: OrganisationRecord, *, created: dt.datetime) -> JsonObject:
    out: JsonObject = {
        "id": str(record.source_id),
        "meta": _meta(created, record.modified),
        "displayName": record.display_name,
        "organisationType": record.organisation_type,
    }
    if record.organisation_code:
        out["organisationCode"] = record.organisation_code
    if record.parent_id is not None:
        out["parentOrganisation"] = _ref(record.parent_id)
    if record.school_unit_code:
        out["schoolUnitCode"] = record.school_unit_code
    if record.school_types:
        out["schoolTypes"] = list(record.school_types)
    if record.municipality_code:
        out["municipalityCode"] = record.municipality_code
    _put_date(out, "startDate", record.start_date)
    _put_date(out, "endDate", record.end_date)
    return out


def person_json(
    record: PersonRecord, *, created: dt.datetime, addresses: Iterable[Address] = ()
) -> JsonObject:
    out: JsonObject = {
        "id": str(record.source_id),
        "meta": _meta(created, record.modified),
        "givenName": record.given_name,
        "familyName": record.family_name,
    }
    if record.middle_name:
        out["middleName"] = record.middle_name
    if record.civic_no:
        out["civicNo"] = {"value": record.civic_no, "nationality": "SE"}
    _put_date(out, "birthDate", record.birth_date)
    out["securityMarking"] = record.security_marking
    out["personStatus"] = record.status
    out["emails"] = [{"value": email.value, "type": email.type} for email in record.emails]
    address_list = [
        {
            "type": "Folkbokföring",
            "streetAddress": address.street_address,
            "postalCode": address.postal_code,
            "locality": address.locality,
            "country": address.country,
        }
        for address in addresses
    ]
    if address_list:
        out["addresses"] = address_list
    enrolments = []
    for enrolment in record.enrolments:
        item: JsonObject = {
            "enroledAt": _ref(enrolment.school_unit_id),
            "schoolType": enrolment.school_type,
        }
        if enrolment.school_year is not None:
            item["schoolYear"] = enrolment.school_year
        _put_date(item, "startDate", enrolment.start_date)
        _put_date(item, "endDate", enrolment.end_date)
        if enrolment.cancelled:
            item["cancelled"] = True
        enrolments.append(item)
    out["enrolments"] = enrolments
    out["responsibles"] = [
        {"person": _ref(r.guardian_id), "relationType": r.relation_type}
        for r in record.responsibles
    ]
    return out


def group_json(
    record: GroupRecord,
    *,
    created: dt.datetime,
    membership_cache: dict[MembershipRecord, JsonObject] | None = None,
) -> JsonObject:
    """``membership_cache``: reuse one JSON object per distinct membership (a pupil's
    memberships in a class and its teaching groups are equal), which makes large bundles
    several times faster to build."""
    out: JsonObject = {
        "id": str(record.source_id),
        "meta": _meta(created, record.modified),
        "displayName": record.display_name,
        "startDate": record.start_date.isoformat(),
    }
    _put_date(out, "endDate", record.end_date)
    out["groupType"] = record.group_type
    if record.school_type:
        out["schoolType"] = record.school_type
    out["organisation"] = _ref(record.organisation_id)
    memberships = []
    for membership in record.memberships:
        item = membership_cache.get(membership) if membership_cache is not None else None
        if item is None:
            item = {"person": _ref(membership.person_id)}
            _put_date(item, "startDate", membership.start_date)
            _put_date(item, "endDate", membership.end_date)
            if membership_cache is not None:
                membership_cache[membership] = item
        memberships.append(item)
    out["groupMemberships"] = memberships
    return out


def duty_json(record: DutyRecord, *, created: dt.datetime) -> JsonObject:
    out: JsonObject = {
        "id": str(record.source_id),
        "meta": _meta(created, record.modified),
        "person": _ref(record.person_id),
        "dutyAt": _ref(record.duty_at_id),
        "dutyRole": record.duty_role,
    }
    if record.signature:
        out["signature"] = record.signature
    out["startDate"] = record.start_date.isoformat()
    _put_date(out, "endDate", record.end_date)
    roles = []
    for role in record.assignment_roles:
        item: JsonObject = {"group": _ref(role.group_id), "assignmentRoleType": role.role_type}
        _put_date(item, "startDate", role.start_date)
        _put_date(item, "endDate", role.end_date)
        roles.append(item)
    out["assignmentRole"] = roles
    return out


def syllabus_json(
    syllabus: Syllabus, *, created: dt.datetime, modified: dt.datetime, edlevo: bool = False
) -> JsonObject:
    subject = syllabus.subject
    out: JsonObject = {
        "id": str(syllabus.source_id),
        "meta": _meta(created, modified),
        "schoolType": subject.school_type,
        "subjectName": subject.subject_name,
        "subjectDesignation": subject.designation,
        "official": True,
        "curriculum": "GY2011" if subject.school_type == "GY" else "GR2011",
    }
    if not edlevo:
        out["subjectCode"] = subject.subject_code or subject.code
    if subject.course_name:
        out["courseCode"] = subject.code
        out["courseName"] = subject.course_name
    if subject.language_code:
        out["languageCode"] = subject.language_code
    return out


def activity_json(
    record: ActivityRecord,
    *,
    created: dt.datetime,
    syllabus: Syllabus | None = None,
    expand_syllabus: bool = False,
    edlevo: bool = False,
) -> JsonObject:
    out: JsonObject = {
        "id": str(record.source_id),
        "meta": _meta(created, record.modified),
        "displayName": record.display_name,
        "calendarEventsRequired": True,
        "startDate": record.start_date.isoformat(),
    }
    _put_date(out, "endDate", record.end_date)
    if record.activity_type:
        out["activityType"] = record.activity_type
    out["groups"] = [_ref(group_id) for group_id in record.group_ids]
    teachers = []
    for teacher in record.teachers:
        item: JsonObject = {"duty": _ref(teacher.duty_id)}
        _put_date(item, "startDate", teacher.start_date)
        _put_date(item, "endDate", teacher.end_date)
        teachers.append(item)
    out["teachers"] = teachers
    if syllabus is not None:
        out["syllabus"] = _ref(syllabus.source_id)
    out["organisation"] = _ref(record.organisation_id)
    if syllabus is not None and expand_syllabus:
        out["_embedded"] = {
            "syllabus": syllabus_json(syllabus, created=created, modified=created, edlevo=edlevo)
        }
    return out


def deleted_entities_json(records: Iterable[DeletedRecord]) -> JsonObject:
    """``DeletedEntities.data``: ids per entity key (all five keys present)."""
    data: JsonObject = {key: [] for key in DELETED_KEYS.values()}
    for record in records:
        data[DELETED_KEYS[record.entity]].append(str(record.source_id))
    return data


def iter_entity_json(
    municipality: SyntheticMunicipality, entity: Entity, *, expand_syllabus: bool = False
) -> Iterator[JsonObject]:
    """The municipality's objects of one entity type, streamed. Objects may share nested
    parts (equal group memberships): serialise them, do not mutate them."""
    membership_cache: dict[MembershipRecord, JsonObject] = {}
    if entity == Entity.ACTIVITY:
        edlevo_hosts = municipality.edlevo_style_organisation_ids
        syllabuses: dict[Subject, Syllabus] = {s.subject: s for s in municipality.syllabuses()}
    for annotated in municipality.iter_annotated(entity):
        record = annotated.record
        created = annotated.created
        if isinstance(record, PersonRecord):
            yield person_json(record, created=created, addresses=annotated.addresses)
        elif isinstance(record, GroupRecord):
            yield group_json(record, created=created, membership_cache=membership_cache)
        elif isinstance(record, DutyRecord):
            yield duty_json(record, created=created)
        elif isinstance(record, ActivityRecord):
            subject = annotated.syllabus
            yield activity_json(
                record,
                created=created,
                syllabus=syllabuses[subject] if subject is not None else None,
                expand_syllabus=expand_syllabus,
                edlevo=record.organisation_id in edlevo_hosts,
            )
        elif isinstance(record, OrganisationRecord):
            yield organisation_json(record, created=created)


def iter_syllabus_json(municipality: SyntheticMunicipality) -> Iterator[JsonObject]:
    created = municipality.generated_at - dt.timedelta(days=365)
    for syllabus in municipality.syllabuses():
        yield syllabus_json(syllabus, created=created, modified=created)


def write_file_bundle(
    municipality: SyntheticMunicipality,
    folder: str | Path,
    *,
    page_size: int = 1000,
    expand_syllabus: bool = True,
) -> dict[Entity, list[Path]]:
    """Writes ``organisations-0001.json``, ``persons-0001.json`` ... (UTF-8, one page object
    ``{"data": [...]}`` per file, at most ``page_size`` objects each) into ``folder``; returns
    the files per entity. Activities carry ``_embedded.syllabus`` unless ``expand_syllabus``
    is False. Memory is bounded by one page."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written: dict[Entity, list[Path]] = {}
    for entity in BUNDLE_ORDER:
        endpoint = ENDPOINTS[entity]
        files: list[Path] = []
        page: list[JsonObject] = []
        for item in iter_entity_json(municipality, entity, expand_syllabus=expand_syllabus):
            page.append(item)
            if len(page) == page_size:
                files.append(_write_page(target, endpoint, len(files) + 1, page))
                page = []
        if page or not files:
            files.append(_write_page(target, endpoint, len(files) + 1, page))
        written[entity] = files
    return written


def _write_page(folder: Path, endpoint: str, number: int, page: list[JsonObject]) -> Path:
    path = folder / f"{endpoint}-{number:04d}.json"
    # json.dumps, not json.dump: dump streams through the pure-Python encoder (several times
    # slower); a page is small enough to build as one string.
    text = json.dumps({"data": page}, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text, encoding="utf-8")
    return path
