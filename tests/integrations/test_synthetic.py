"""The synthetic municipality: deterministic, realistic in structure, valid, consistent."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import statistics
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from integrations.records import (
    ActivityRecord,
    DutyRecord,
    Entity,
    GroupRecord,
    OrganisationRecord,
    PersonRecord,
    SourceIssue,
)
from integrations.synthetic import apply_delta, generate_municipality
from integrations.synthetic.csv_writer import FILES as CSV_FILES
from integrations.synthetic.csv_writer import write_csv_export
from integrations.synthetic.generator import (
    REFERENCE_DATE,
    ROLE_GUARDIAN,
    ROLE_PUPIL,
    ROLE_STAFF,
    SyntheticMunicipality,
)
from integrations.synthetic.ss12000_json import (
    deleted_entities_json,
    iter_entity_json,
    write_file_bundle,
)
from register.civic_numbers import CivicNumberKind, parse_civic_number

PUPILS = 2000


@dataclass
class Snapshot:
    organisations: list[OrganisationRecord]
    persons: list[PersonRecord]
    groups: list[GroupRecord]
    duties: list[DutyRecord]
    activities: list[ActivityRecord]
    roles: dict[uuid.UUID, tuple[str, ...]]
    addresses: dict[uuid.UUID, tuple[str, ...]]

    @property
    def pupils(self) -> list[PersonRecord]:
        return [p for p in self.persons if ROLE_PUPIL in self.roles[p.source_id]]

    @property
    def guardians(self) -> list[PersonRecord]:
        return [p for p in self.persons if ROLE_GUARDIAN in self.roles[p.source_id]]


def snapshot(municipality: SyntheticMunicipality) -> Snapshot:
    roles: dict[uuid.UUID, tuple[str, ...]] = {}
    addresses: dict[uuid.UUID, tuple[str, ...]] = {}
    persons = []
    for annotated in municipality.iter_annotated(Entity.PERSON):
        person = annotated.record
        assert isinstance(person, PersonRecord)
        persons.append(person)
        roles[person.source_id] = annotated.roles
        addresses[person.source_id] = tuple(a.street_address for a in annotated.addresses)
    return Snapshot(
        list(municipality.iter_organisations()),
        persons,
        list(municipality.iter_groups()),
        list(municipality.iter_duties()),
        list(municipality.iter_activities()),
        roles,
        addresses,
    )


@pytest.fixture(scope="module")
def municipality() -> SyntheticMunicipality:
    return generate_municipality(pupils=PUPILS, seed=20260815)


@pytest.fixture(scope="module")
def data(municipality: SyntheticMunicipality) -> Snapshot:
    return snapshot(municipality)


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_gives_identical_output() -> None:
    # Given two generations with the same arguments
    first = generate_municipality(pupils=400, seed=11)
    second = generate_municipality(pupils=400, seed=11)
    # When every record is read from both
    # Then they are identical, record for record, in the same order
    assert list(first.iter_all()) == list(second.iter_all())
    assert list(iter_entity_json(first, Entity.PERSON)) == list(
        iter_entity_json(second, Entity.PERSON)
    )


def test_different_seed_gives_different_output() -> None:
    # Given two generations with different seeds
    first = snapshot(generate_municipality(pupils=400, seed=11))
    second = snapshot(generate_municipality(pupils=400, seed=12))
    # Then ids, civic numbers and names differ
    assert {p.source_id for p in first.persons}.isdisjoint(p.source_id for p in second.persons)
    assert {p.civic_no for p in first.persons} != {p.civic_no for p in second.persons}
    assert [p.given_name for p in first.pupils] != [p.given_name for p in second.pupils]


def test_iterating_twice_gives_the_same_records(municipality: SyntheticMunicipality) -> None:
    # Given a generated municipality
    # When its groups are read twice
    # Then the passes agree (records are rebuilt from the plan, not consumed)
    assert list(municipality.iter_groups()) == list(municipality.iter_groups())


# --- structure -----------------------------------------------------------------------------------


def test_organisation_tree(data: Snapshot) -> None:
    by_type = Counter(o.organisation_type for o in data.organisations)
    by_id = {o.source_id: o for o in data.organisations}
    units = [o for o in data.organisations if o.organisation_type == "Skolenhet"]
    # One Huvudman, Skola -> Skolenhet below it
    assert by_type["Huvudman"] == 1
    assert by_type["Skola"] >= 3
    for org in data.organisations:
        if org.organisation_type == "Skola":
            assert by_id[org.parent_id].organisation_type == "Huvudman"  # type: ignore[index]
        if org.organisation_type == "Skolenhet":
            assert by_id[org.parent_id].organisation_type == "Skola"  # type: ignore[index]
    # F-6, 7-9 and gymnasium units with unique 8-digit school unit codes
    assert {tuple(u.school_types) for u in units} == {("FKLASS", "GR", "FTH"), ("GR",), ("GY",)}
    codes = [u.school_unit_code for u in units]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 8 and code.isdigit() for code in codes)
    assert all(o.municipality_code == "1462" for o in data.organisations)


def test_pupils_are_spread_over_f9_and_gymnasium(data: Snapshot) -> None:
    # Given the pupils' current enrolments
    current = [p.enrolments[-1] for p in data.pupils]
    # Then there are exactly the requested number, about 25 % in gymnasium years 1-3
    assert len(data.pupils) == PUPILS
    gymnasium = [e for e in current if e.school_type == "GY"]
    assert 0.22 <= len(gymnasium) / PUPILS <= 0.28
    assert {e.school_year for e in gymnasium} == {1, 2, 3}
    assert {e.school_year for e in current if e.school_type == "GR"} == set(range(1, 10))
    assert {e.school_year for e in current if e.school_type == "FKLASS"} == {0}
    # and some pupils also carry the enrolment they ended this summer
    assert any(len(p.enrolments) == 2 for p in data.pupils)


def test_every_pupil_is_in_one_class_of_about_25(data: Snapshot) -> None:
    classes = [g for g in data.groups if g.group_type == "Klass"]
    sizes = [len(g.memberships) for g in classes]
    members = Counter(m.person_id for g in classes for m in g.memberships)
    # Then every pupil is in exactly one class
    assert set(members) == {p.source_id for p in data.pupils}
    assert set(members.values()) == {1}
    # and classes hold about 25 pupils
    assert 22 <= statistics.mean(sizes) <= 28
    assert max(sizes) <= 35


def test_teaching_and_mentor_groups_in_upper_years(data: Snapshot) -> None:
    teaching = [g for g in data.groups if g.group_type == "Undervisning"]
    # Then years 7-9 and gymnasium have teaching groups per subject/course
    assert any(g.school_type == "GR" and g.display_name.endswith(" MA") for g in teaching)
    assert any(g.school_type == "GY" and "MATMAT01c" in g.display_name for g in teaching)
    assert any(g.display_name.endswith("spanska") for g in teaching)
    assert any(g.group_type == "Mentor" for g in data.groups)


def test_guardians(data: Snapshot) -> None:
    # Given the pupils' responsibles
    adults = {p.source_id for p in data.pupils if p.birth_date and _age(p) >= 18}
    minors = [p for p in data.pupils if p.source_id not in adults]
    custody = Counter(
        sum(r.relation_type == "Vårdnadshavare" for r in p.responsibles) for p in minors
    )
    # Then every minor has one or two guardians, most two; adults have none
    assert set(custody) <= {1, 2}
    assert custody[2] / len(minors) >= 0.6
    assert all(not p.responsibles for p in data.pupils if p.source_id in adults)
    # and about 2 % have an extra "Annan ansvarig"
    other = sum(any(r.relation_type == "Annan ansvarig" for r in p.responsibles) for p in minors)
    assert 0.01 <= other / len(minors) <= 0.035
    # Siblings share guardians
    children = Counter(r.guardian_id for p in data.pupils for r in p.responsibles)
    assert sum(1 for count in children.values() if count >= 2) >= 0.15 * len(children)
    # Some guardian pairs are separated: different folkbokföring addresses
    separated = 0
    for pupil in minors:
        pair = [r.guardian_id for r in pupil.responsibles if r.relation_type == "Vårdnadshavare"]
        if len(pair) == 2 and all(data.addresses[g] for g in pair):
            separated += data.addresses[pair[0]] != data.addresses[pair[1]]
    assert separated >= 0.1 * len(minors)
    # Guardians are persons of their own, some of them also staff
    assert all(not g.enrolments for g in data.guardians)
    assert any(ROLE_STAFF in data.roles[g.source_id] for g in data.guardians)


def test_protected_identities(data: Snapshot) -> None:
    markings = Counter(p.security_marking for p in data.pupils)
    protected = PUPILS - markings["Ingen"]
    # Then about 0.5 % of pupils, with both kinds of marking, and some guardians
    assert 0.004 <= protected / PUPILS <= 0.008
    assert markings["Sekretessmarkering"]
    assert markings["Skyddad folkbokföring"]
    assert any(g.security_marking != "Ingen" for g in data.guardians)
    # A person with "Skyddad folkbokföring" has no address in the register
    for person in data.persons:
        if person.security_marking == "Skyddad folkbokföring":
            assert data.addresses[person.source_id] == ()


def test_civic_numbers_are_valid_unique_and_of_every_kind(data: Snapshot) -> None:
    # When every civic number is parsed
    parsed = {p.source_id: parse_civic_number(p.civic_no) for p in data.persons}
    # Then all are valid (the parser checks the Luhn digit and the date) and unique
    assert len({c.value for c in parsed.values()}) == len(data.persons)
    # the birth date agrees with the number
    for person in data.persons:
        assert parsed[person.source_id].birth_date == person.birth_date
    # and pupils have some samordningsnummer (~1 %) and TF numbers (~0.3 %)
    kinds = Counter(parsed[p.source_id].kind for p in data.pupils)
    assert 0.005 <= kinds[CivicNumberKind.SAMORDNINGSNUMMER] / PUPILS <= 0.015
    assert 3 <= kinds[CivicNumberKind.TF] <= 10
    assert all(len(p.civic_no) == 12 for p in data.persons)


def test_swedish_names_and_safe_email_addresses(data: Snapshot) -> None:
    names = [p.given_name + p.family_name for p in data.persons]
    # Then å, ä and ö all occur in names
    for letter in "åäöÅÖ":
        assert any(letter in name for name in names), letter
    # and every e-mail address is ASCII on the reserved .example domain, unique per person
    emails = [e.value for p in data.persons for e in p.emails]
    assert all(value.isascii() and value.endswith(".example") for value in emails)
    assert len(set(emails)) == len(emails)
    types = Counter(e.type for p in data.persons for e in p.emails)
    assert set(types) == {"Skola elev", "Skola personal", "Privat"}


def test_staff_duties_and_activities(data: Snapshot) -> None:
    roles = Counter(d.duty_role for d in data.duties)
    schools = [o for o in data.organisations if o.organisation_type == "Skola"]
    # Then a Rektor and an administrator per Skola, teachers, specialpedagoger
    assert roles["Rektor"] == len(schools)
    assert roles["Skoladministratör"] == len(schools)
    assert roles["Lärare"] >= PUPILS / 25
    assert roles["Speciallärare/specialpedagog"] >= 3
    special = [d for d in data.duties if d.duty_role == "Speciallärare/specialpedagog"]
    assert all(
        d.assignment_roles and {a.role_type for a in d.assignment_roles} == {"Specialpedagog"}
        for d in special
    )
    # every teacher teaches activities, most of them several
    taught = Counter(t.duty_id for a in data.activities for t in a.teachers)
    teachers = [d for d in data.duties if d.duty_role in {"Lärare", "Förskollärare"}]
    assert all(taught[d.source_id] >= 1 for d in teachers)
    assert statistics.median(taught[d.source_id] for d in teachers) >= 4
    # some persons hold two duties
    assert any(n >= 2 for n in Counter(d.person_id for d in data.duties).values())
    # subject codes are Skolverket-style
    codes = {a.subject_code for a in data.activities}
    assert {"GRGRMAT01", "GRGRSVE01", "GRGRENG01", "MATMAT01c"} <= codes


def test_mentors(data: Snapshot) -> None:
    mentored = {
        a.group_id for d in data.duties for a in d.assignment_roles if a.role_type == "Mentor"
    }
    # Then every mentor group has a mentor, and every class in F-6 too (its class teacher)
    for group in data.groups:
        if group.group_type == "Mentor" or group.school_type == "FKLASS":
            assert group.source_id in mentored


def test_edlevo_style_schools(municipality: SyntheticMunicipality, data: Snapshot) -> None:
    edlevo = municipality.edlevo_style_organisation_ids
    skolor = {o.source_id for o in data.organisations if o.organisation_type == "Skola"}
    # Then some groups, duties and activities hang on a Skola, not a Skolenhet
    assert edlevo
    assert edlevo <= skolor
    assert any(g.organisation_id in edlevo for g in data.groups)
    assert any(d.duty_at_id in edlevo for d in data.duties if d.duty_role == "Lärare")
    # and their activities are named by the subject code, as Edlevo does
    for activity in data.activities:
        if activity.organisation_id in edlevo and activity.subject_code:
            assert activity.display_name == activity.subject_code


def test_referential_integrity(data: Snapshot) -> None:
    orgs = {o.source_id: o for o in data.organisations}
    persons = {p.source_id for p in data.persons}
    groups = {g.source_id for g in data.groups}
    duties = {d.source_id for d in data.duties}
    all_ids = [*orgs, *persons, *groups, *duties, *(a.source_id for a in data.activities)]
    # Ids are unique across every entity
    assert len(all_ids) == len(set(all_ids))
    # Every reference points at something that exists, of the right kind
    for org in data.organisations:
        assert org.parent_id is None or org.parent_id in orgs
    for person in data.persons:
        for enrolment in person.enrolments:
            assert orgs[enrolment.school_unit_id].organisation_type == "Skolenhet"
        for responsible in person.responsibles:
            assert responsible.guardian_id in persons
    for group in data.groups:
        assert group.organisation_id in orgs
        assert all(m.person_id in persons for m in group.memberships)
    for duty in data.duties:
        assert duty.person_id in persons
        assert duty.duty_at_id in orgs
        assert all(a.group_id in groups for a in duty.assignment_roles)
    for activity in data.activities:
        assert activity.organisation_id in orgs
        assert activity.group_ids
        assert all(g in groups for g in activity.group_ids)
        assert activity.teachers
        assert all(t.duty_id in duties for t in activity.teachers)


def test_record_counts(municipality: SyntheticMunicipality) -> None:
    counts = municipality.count_records()
    # Then persons are pupils + guardians + staff, memberships several per pupil
    assert counts["person"] > 2 * PUPILS
    assert counts["memberships"] > 5 * PUPILS
    assert counts["enrolments"] >= PUPILS


def test_timestamps_are_stable_and_before_generation(data: Snapshot) -> None:
    modified = [p.modified for p in data.persons]
    assert all(m is not None for m in modified)
    assert len({m for m in modified}) > 100  # spread, so meta.modified.after selects a part


# --- delta ---------------------------------------------------------------------------------------


def test_delta_changes_about_the_fraction_and_reports_deletions(
    municipality: SyntheticMunicipality, data: Snapshot
) -> None:
    # When a 1 % delta is applied
    result = apply_delta(municipality, fraction=0.01, seed=5)
    after = snapshot(result.municipality)
    before_ids = {p.source_id for p in data.persons}
    after_ids = {p.source_id for p in after.persons}
    deleted = set(result.deleted_ids)
    # Then the left pupils (and guardians nobody needs any more) are gone and reported
    assert set(result.left) <= deleted
    assert deleted == before_ids - after_ids
    assert all(r.entity == Entity.PERSON for r in result.deleted)
    assert [d.record for d in result.municipality.deletions] == list(result.deleted)
    # joined pupils are new, created and modified at the delta's time
    assert set(result.joined) <= after_ids - before_ids
    joined = [p for p in after.persons if p.source_id in set(result.joined)]
    assert all(p.modified == result.at and p.enrolments for p in joined)
    # renamed and newly protected persons are modified
    changed = {p.source_id for p in after.persons if p.modified == result.at}
    assert set(result.renamed) | set(result.protected) <= changed
    old = {p.source_id: p for p in data.persons}
    renamed = [p for p in after.persons if p.source_id in set(result.renamed)]
    assert len(renamed) == len(result.renamed) >= 2
    assert all(old[p.source_id].family_name != p.family_name for p in renamed)
    assert all(
        p.security_marking == "Skyddad folkbokföring"
        for p in after.persons
        if p.source_id in set(result.protected)
    )
    # moved pupils are in another class now
    klass_before = _class_of(data)
    klass_after = _class_of(after)
    assert result.moved
    assert all(klass_before[p] != klass_after[p] for p in result.moved)
    # about 1 % of pupils changed
    assert 10 <= len(result.left) + len(result.joined) + len(result.moved) <= 40


def test_delta_leaves_unchanged_records_and_the_original_alone(
    municipality: SyntheticMunicipality, data: Snapshot
) -> None:
    # When a delta is applied
    result = apply_delta(municipality, fraction=0.01, seed=6)
    after = snapshot(result.municipality)
    # Then every record not modified at the delta's time is exactly as before
    before = {p.source_id: p for p in data.persons}
    for person in after.persons:
        if person.modified != result.at:
            assert before[person.source_id] == person
    groups_before = {g.source_id: g for g in data.groups}
    changed_groups = [g for g in after.groups if g.modified == result.at]
    assert changed_groups
    for group in after.groups:
        if group.modified != result.at:
            assert groups_before[group.source_id] == group
    # and the original municipality is untouched
    assert snapshot(municipality).persons == data.persons
    assert municipality.deletions == ()


def test_deltas_are_deterministic_and_chain(municipality: SyntheticMunicipality) -> None:
    # Given the same delta twice and a second delta on top
    first = apply_delta(municipality, fraction=0.01, seed=7)
    again = apply_delta(municipality, fraction=0.01, seed=7)
    second = apply_delta(first.municipality, fraction=0.01, seed=7)
    # Then the same delta gives the same data; the chained one adds a day and its deletions
    assert list(first.municipality.iter_persons()) == list(again.municipality.iter_persons())
    assert second.at > first.at
    log = second.municipality.deletions
    assert [d.record for d in log] == [*first.deleted, *second.deleted]


# --- SS 12000 JSON -------------------------------------------------------------------------------


def test_person_json_follows_the_spec(municipality: SyntheticMunicipality) -> None:
    # Given the JSON of the persons
    persons = list(iter_entity_json(municipality, Entity.PERSON))
    pupil = next(p for p in persons if p["enrolments"] and len(p["responsibles"]) == 2)
    # Then the shapes are the spec's
    assert set(pupil) >= {"id", "meta", "givenName", "familyName", "civicNo", "enrolments"}
    assert set(pupil["meta"]) == {"created", "modified"}
    assert pupil["meta"]["modified"].endswith("Z")
    assert set(pupil["civicNo"]) == {"value", "nationality"}
    enrolment = pupil["enrolments"][0]
    assert set(enrolment) >= {"enroledAt", "schoolType", "startDate"}
    assert set(enrolment["enroledAt"]) == {"id"}
    assert {r["relationType"] for r in pupil["responsibles"]} == {"Vårdnadshavare"}
    assert all(set(r["person"]) == {"id"} for r in pupil["responsibles"])
    assert all(set(e) == {"value", "type"} for p in persons for e in p["emails"])
    uuid.UUID(pupil["id"])


def test_group_duty_and_activity_json(municipality: SyntheticMunicipality) -> None:
    groups = list(iter_entity_json(municipality, Entity.GROUP))
    duties = list(iter_entity_json(municipality, Entity.DUTY))
    activities = list(iter_entity_json(municipality, Entity.ACTIVITY, expand_syllabus=True))
    group = next(g for g in groups if g["groupMemberships"])
    assert set(group) >= {"id", "meta", "displayName", "startDate", "groupType", "organisation"}
    assert set(group["groupMemberships"][0]) == {"person", "startDate", "endDate"}
    mentor = next(d for d in duties if d["assignmentRole"])
    assert set(mentor) >= {"id", "meta", "person", "dutyAt", "dutyRole", "startDate"}
    assert set(mentor["assignmentRole"][0]) >= {"group", "assignmentRoleType"}
    activity = next(a for a in activities if "syllabus" in a)
    assert activity["calendarEventsRequired"] is True
    assert set(activity) >= {"id", "meta", "displayName", "groups", "organisation", "startDate"}
    assert set(activity["teachers"][0]) >= {"duty"}
    embedded = activity["_embedded"]["syllabus"]
    assert embedded["id"] == activity["syllabus"]["id"]
    # Edlevo-style activities: the code in displayName, no subjectCode in the syllabus
    edlevo = {str(i) for i in municipality.edlevo_style_organisation_ids}
    edlevo_activity = next(
        a for a in activities if a["organisation"]["id"] in edlevo and "syllabus" in a
    )
    assert "subjectCode" not in edlevo_activity["_embedded"]["syllabus"]


def test_deleted_entities_json_uses_the_specs_keys() -> None:
    from integrations.records import DeletedRecord

    some = uuid.UUID(int=1)
    data = deleted_entities_json(
        [DeletedRecord(Entity.ACTIVITY, some), DeletedRecord(Entity.PERSON, some)]
    )
    assert data["activitites"] == [str(some)]
    assert data["persons"] == [str(some)]
    assert data["groups"] == []


def test_file_bundle_is_paged_utf8_json(tmp_path: Path) -> None:
    # Given a small municipality written as a file bundle of 100 objects per file
    municipality = generate_municipality(pupils=150, seed=3)
    files = write_file_bundle(municipality, tmp_path, page_size=100)
    # Then every entity has its numbered pages, each a {"data": [...]} page object
    assert [p.name for p in files[Entity.PERSON]][:2] == ["persons-0001.json", "persons-0002.json"]
    total = 0
    for path in files[Entity.PERSON]:
        raw = path.read_bytes()
        page = json.loads(raw.decode("utf-8"))
        assert set(page) == {"data"}
        assert len(page["data"]) <= 100
        total += len(page["data"])
    assert total == sum(1 for _ in municipality.iter_persons())
    # and non-ASCII letters are written as UTF-8, not escaped
    text = b"".join(p.read_bytes() for p in files[Entity.PERSON]).decode("utf-8")
    assert any(letter in text for letter in "åäö")
    assert "\\u00" not in text


def test_file_bundle_reads_back_into_the_same_records(tmp_path: Path) -> None:
    from integrations.sources.ss12000_files import Ss12000FileSource

    # Given a file bundle of a municipality (with one delta applied, for variety)
    municipality = apply_delta(generate_municipality(pupils=300, seed=9), seed=1).municipality
    write_file_bundle(municipality, tmp_path, page_size=250)
    # When the SS 12000 file source reads it
    items = list(Ss12000FileSource(tmp_path).read())
    # Then it finds no problem and exactly the generated records
    assert [item for item in items if isinstance(item, SourceIssue)] == []
    assert sorted(items, key=_key) == sorted(municipality.iter_all(), key=_key)


# --- helpers -------------------------------------------------------------------------------------


def _key(record: object) -> str:
    return f"{type(record).__name__}:{getattr(record, 'source_id', '')}"


def _age(person: PersonRecord, reference: dt.date = REFERENCE_DATE) -> int:
    born = person.birth_date
    assert born is not None
    return reference.year - born.year - ((reference.month, reference.day) < (born.month, born.day))


def _class_of(data: Snapshot) -> dict[uuid.UUID, uuid.UUID]:
    found: dict[uuid.UUID, uuid.UUID] = defaultdict()
    for group in data.groups:
        if group.group_type == "Klass":
            for membership in group.memberships:
                found[membership.person_id] = group.source_id
    return dict(found)


# --- CSV export ----------------------------------------------------------------------------------


def _comparable(record: object) -> object:
    """What the CSV format carries: no meta.modified, no teacher dates, guardians unordered."""
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        return record
    changes: dict[str, object] = {}
    if hasattr(record, "modified"):
        changes["modified"] = None
    if isinstance(record, ActivityRecord):
        changes["teachers"] = tuple(
            dataclasses.replace(t, start_date=None, end_date=None) for t in record.teachers
        )
    if isinstance(record, PersonRecord):
        changes["responsibles"] = tuple(sorted(record.responsibles, key=str))
    return dataclasses.replace(record, **changes)


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8", ";"), ("cp1252", "\t")])
def test_csv_export_reads_back_into_the_same_records(
    tmp_path: Path, encoding: str, delimiter: str
) -> None:
    from integrations.sources.csv_export import CsvExportSource

    # Given a municipality (after a delta) written in the CSV export format, with ids
    municipality = apply_delta(generate_municipality(pupils=300, seed=9), seed=2).municipality
    write_csv_export(municipality, tmp_path, encoding=encoding, delimiter=delimiter)
    # When the CSV source reads it
    items = list(CsvExportSource(tmp_path, id_secret=b"synthetic-secret!").read())
    # Then there is no issue, and the records are the generated ones (as far as CSV carries)
    assert [i for i in items if isinstance(i, SourceIssue)] == []
    got = {_key(i): _comparable(i) for i in items}
    assert got == {_key(r): _comparable(r) for r in municipality.iter_all()}


def test_csv_export_with_natural_keys_only(tmp_path: Path) -> None:
    from integrations.sources.csv_export import CsvExportSource

    # Given a CSV export without ids (codes, civic numbers and group names as keys)
    municipality = generate_municipality(pupils=300, seed=10)
    paths = write_csv_export(municipality, tmp_path, with_ids=False, encoding="utf-8-sig")
    assert sorted(p.name for p in paths) == sorted(CSV_FILES)
    # When it is read
    items = list(CsvExportSource(tmp_path, id_secret=b"synthetic-secret!").read())
    # Then every record is there under derived ids, with its references resolved
    assert [i for i in items if isinstance(i, SourceIssue)] == []
    counts = Counter(type(i).__name__ for i in items)
    assert counts == Counter(type(r).__name__ for r in municipality.iter_all())
    read = [i for i in items if isinstance(i, PersonRecord)]
    assert {p.civic_no for p in read} == {p.civic_no for p in municipality.iter_persons()}
    activities = [i for i in items if isinstance(i, ActivityRecord)]
    assert all(a.group_ids and a.teachers for a in activities)
