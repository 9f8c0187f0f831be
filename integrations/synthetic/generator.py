"""A deterministic, seeded synthetic municipality, as normalised register records.

``generate_municipality(pupils=N, seed=S)`` plans a municipality and returns a
:class:`SyntheticMunicipality` whose ``iter_*`` methods yield ``integrations.records`` objects.

Structure (ratios hold from a few hundred pupils up):

- one Huvudman (the municipality); F-9 schools of about 550 pupils, each a *Skola* with two
  *Skolenheter* (F-6 with FKLASS/GR/FTH, 7-9 with GR); gymnasium schools of about 1,200 pupils,
  each a Skola with one GY unit. About 25 % of pupils are in gymnasium years 1-3.
- every pupil in exactly one class (Klass, about 25 pupils, at most 30); years 7-9 and
  gymnasium have one teaching group (Undervisning) per class and subject/course, years 7-9 also
  modern-language groups per year, and two Mentor groups per class.
- every fourth Skola is *Edlevo-style*: its groups, duties and activities hang on the Skola, not
  on the unit; it has no Mentor groups (mentors are assignment roles on the class) and its
  activities are named by their subject or course code (Edlevo puts the code in displayName).
- teachers (Lärare; Förskollärare in förskoleklass) with one duty per unit, teaching activities
  with Skolverket-style subject codes (GRGRMAT01 ..., MATMAT01c ... in GY), some co-taught; class
  teachers are mentors of their F-6 class; a Rektor and a Skoladministratör per Skola; one
  specialpedagog per unit with Specialpedagog assignment roles on a few classes. Some subject
  teachers have duties at both units of their school; about 5 % of teachers are also guardians.
- families of 1-3 pupils; 1 or 2 guardians (Vårdnadshavare) per minor pupil, siblings share
  them; about 30 % of two-guardian families are separated (different addresses), some
  half-siblings share one guardian across families; pupils aged 18 have no guardians; about 2 %
  of minors have an extra "Annan ansvarig".
- about 0.5 % of pupils (whole families, with the guardian they live with) and about 0.1 % of
  other guardians carry securityMarking "Sekretessmarkering" or "Skyddad folkbokföring".
- civic numbers: about 1 % of pupils and guardians have a samordningsnummer (day + 60), about
  0.3 % of pupils a TF number (YYYYMMDDTFnn).

Civic numbers are *generated* (random birth number, Luhn check digit from
``register.civic_numbers.luhn_check_digit``), never taken from any list; every number is unique
within the municipality and checksum-valid. Realistic birth dates make a collision with a real
person's number possible and impossible to exclude; the data is for local testing and load
measurement only and must not be used to look anything up. E-mail addresses use the reserved
``.example`` top-level domain (RFC 2606), so they can never reach anyone.

Determinism: the same arguments give identical output (ids, names, numbers, order, timestamps).
Ids are UUIDv4-shaped values from a seeded bijection of (entity kind, index), so they are unique
by construction and stay stable for unchanged entities across :mod:`.delta` changes.

Memory: generation plans compact per-person columns (about 30 bytes per pupil, guardian and staff
member) plus per-group/duty/activity specs; records are built only while iterating (a group
pass keeps one id and one membership object per pupil, shared by all of the pupil's groups).
Measured for 100,000 pupils (Python 3.11): plan 4 s, a full streamed pass over all 290,000
records (650,000 memberships) 6 s, peak RSS 66 MB; ``list(iter_all())`` holds about 250 MB.
Callers should stream: ``for record in municipality.iter_persons(): ...``.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
import uuid
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

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
    TeacherRecord,
)
from integrations.synthetic import catalogue
from integrations.synthetic.catalogue import Subject
from integrations.synthetic.names import (
    FAMILY,
    GIVEN_FEMALE,
    GIVEN_MALE,
    GY_PROGRAMMES,
    GYMNASIUM_NAMES,
    NAME_PREFIXES,
    SCHOOL_NAMES,
    STREETS,
)
from register.civic_numbers import luhn_check_digit

REFERENCE_DATE = dt.date(2026, 8, 15)
DEFAULT_NAME = "Lärkby kommun"
CLASS_SIZE = 25
MAX_CLASS_SIZE = 30
GYMNASIUM_SHARE = 0.25
F9_SCHOOL_SIZE = 550
GY_SCHOOL_SIZE = 1200
PROTECTED_SHARE = 0.005
SAMORDNING_SHARE = 0.01
TF_SHARE = 0.003
OTHER_RESPONSIBLE_SHARE = 0.02

# What a person is, for PersonDetails.roles.
ROLE_PUPIL = "pupil"
ROLE_GUARDIAN = "guardian"
ROLE_STAFF = "staff"

GUARDIAN = "Vårdnadshavare"
OTHER_RESPONSIBLE = "Annan ansvarig"
MARKINGS = ("Ingen", "Sekretessmarkering", "Skyddad folkbokföring")
ENTITY_ORDER = (Entity.ORGANISATION, Entity.PERSON, Entity.GROUP, Entity.DUTY, Entity.ACTIVITY)

# Id kinds: the first argument of the id bijection.
_ORG, _PUPIL, _GUARDIAN, _STAFF, _GROUP, _DUTY, _ACTIVITY, _SYLLABUS = range(1, 9)
_MASK122 = (1 << 122) - 1
_new_object = object.__new__
_set_attribute = object.__setattr__
_NO_NAME = 0xFFFF

GIVEN: tuple[str, ...] = GIVEN_FEMALE + GIVEN_MALE
_N_FEMALE = len(GIVEN_FEMALE)

# Group kinds (how members are found)
_GK_CLASS, _GK_MENTOR, _GK_LANGUAGE = 0, 1, 2


def ascii_fold(text: str) -> str:
    """``Åsa Öberg-Lind`` -> ``asa.oberg-lind`` style local parts for e-mail addresses."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(
        char for char in decomposed if char.isascii() and (char.isalnum() or char == "-")
    )
    return kept or "x"


_GIVEN_ASCII = tuple(ascii_fold(name) for name in GIVEN)
_FAMILY_ASCII = tuple(ascii_fold(name) for name in FAMILY)

R = TypeVar("R", bound=Record, covariant=True)


@dataclass(frozen=True, slots=True)
class Address:
    street_address: str
    postal_code: str
    locality: str
    country: str = "Sverige"


@dataclass(frozen=True, slots=True)
class Annotated(Generic[R]):
    """A record with what SS 12000 has and the normalised record does not keep."""

    record: R
    created: dt.datetime
    roles: tuple[str, ...] = ()  # persons: pupil / guardian / staff (a guardian can be staff)
    addresses: tuple[Address, ...] = ()  # persons: folkbokföring (none if protected)
    syllabus: Subject | None = None  # activities


@dataclass(frozen=True, slots=True)
class Deletion:
    at: dt.datetime
    record: DeletedRecord


@dataclass(frozen=True, slots=True)
class Syllabus:
    source_id: uuid.UUID
    subject: Subject


class _IdMaker:
    """A keyed bijection (kind, index) -> 122 bits, laid out as a version-4 UUID."""

    __slots__ = ("_a", "_b", "_k")

    def __init__(self, rng: random.Random) -> None:
        self._a = rng.getrandbits(122) | 1
        self._b = rng.getrandbits(122) | 1
        self._k = rng.getrandbits(122)

    def __call__(self, kind: int, index: int) -> uuid.UUID:
        x = (kind << 64) | index
        x = (x * self._a) & _MASK122
        x ^= x >> 61
        x = (x * self._b + self._k) & _MASK122
        x ^= x >> 59
        x = (x * self._a) & _MASK122
        value = (
            ((x >> 74) << 80)
            | (0x4 << 76)
            | (((x >> 62) & 0xFFF) << 64)
            | (0x2 << 62)
            | (x & ((1 << 62) - 1))
        )
        # What uuid.UUID(int=value) does, without re-validating a value built to be valid.
        made = _new_object(uuid.UUID)
        _set_attribute(made, "int", value)
        _set_attribute(made, "is_safe", uuid.SafeUUID.unknown)
        return made

    def many(self, kind: int, count: int) -> list[uuid.UUID]:
        return [self(kind, index) for index in range(count)]


class _People:
    """Compact per-person columns; index = position."""

    __slots__ = ("birth", "civic", "family", "given", "marking", "middle", "removed", "tf", "trait")

    def __init__(self) -> None:
        self.given: array[int] = array("H")
        self.family: array[int] = array("H")
        self.middle: array[int] = array("H")
        self.birth: array[int] = array("I")  # date ordinal
        self.civic: array[int] = array("Q")  # 12 digits as a number; 0 = TF number in self.tf
        self.tf: dict[int, str] = {}
        self.marking = bytearray()  # index into MARKINGS
        self.removed = bytearray()
        self.trait = bytearray()  # a random byte per person for cheap stable choices

    def __len__(self) -> int:
        return len(self.given)

    def append(
        self, given: int, family: int, birth: int, trait: int, middle: int = _NO_NAME
    ) -> int:
        self.given.append(given)
        self.family.append(family)
        self.middle.append(middle)
        self.birth.append(birth)
        self.civic.append(0)
        self.marking.append(0)
        self.removed.append(0)
        self.trait.append(trait)
        return len(self.given) - 1

    def copy_into(self, other: _People) -> None:
        other.given = array("H", self.given)
        other.family = array("H", self.family)
        other.middle = array("H", self.middle)
        other.birth = array("I", self.birth)
        other.civic = array("Q", self.civic)
        other.tf = dict(self.tf)
        other.marking = bytearray(self.marking)
        other.removed = bytearray(self.removed)
        other.trait = bytearray(self.trait)

    def civic_no(self, index: int) -> str:
        value = self.civic[index]
        return self.tf[index] if value == 0 else str(value)

    def is_female(self, index: int) -> bool:
        return self.given[index] < _N_FEMALE


class _Pupils(_People):
    __slots__ = ("cls", "household")

    def __init__(self) -> None:
        super().__init__()
        self.cls: array[int] = array("I")  # class index
        self.household: array[int] = array("i")  # family index

    def copy(self) -> _Pupils:
        other = _Pupils()
        self.copy_into(other)
        other.cls = array("I", self.cls)
        other.household = array("i", self.household)
        return other


class _Guardians(_People):
    __slots__ = ("home",)

    def __init__(self) -> None:
        super().__init__()
        self.home: array[int] = array("I")  # address key

    def copy(self) -> _Guardians:
        other = _Guardians()
        self.copy_into(other)
        other.home = array("I", self.home)
        return other


@dataclass(frozen=True, slots=True)
class _Unit:
    org_id: uuid.UUID
    school_id: uuid.UUID
    host_id: uuid.UUID  # where groups, duties and activities hang
    stage: str  # F6 | 79 | GY
    school: int  # index of the Skola among schools
    edlevo: bool


@dataclass(frozen=True, slots=True)
class _Class:
    unit: int
    year: int
    name: str
    school_type: str


@dataclass(frozen=True, slots=True)
class _GroupSpec:
    name: str
    group_type: str
    host_id: uuid.UUID
    school_type: str
    kind: int  # _GK_*
    source: int  # class index, or unit-year key index for language groups
    param: int = 0  # mentor half, or language index


@dataclass(slots=True)
class _DutySpec:
    person_kind: int  # _GUARDIAN or _STAFF
    person_index: int
    host_id: uuid.UUID
    role: str
    start: dt.date
    end: dt.date | None
    signature: str
    roles: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _ActivitySpec:
    name: str
    host_id: uuid.UUID
    group: int
    duties: tuple[int, ...]
    subject: int  # index in catalogue.ALL_SUBJECTS, -1 for none


@dataclass(slots=True)
class _Plan:
    """What never changes between versions of one municipality."""

    ids: _IdMaker
    start_year: int
    year_start: dt.date
    year_end: dt.date
    generated_at: dt.datetime
    created_at: dt.datetime
    domain: str
    locality: str
    organisations: list[tuple[str, str, int, str, str, tuple[str, ...], dt.date]] = field(
        default_factory=list
    )  # (name, type, parent index or -1, school unit code, organisation code, types, start)
    units: list[_Unit] = field(default_factory=list)
    classes: list[_Class] = field(default_factory=list)
    groups: list[_GroupSpec] = field(default_factory=list)
    class_groups: list[list[int]] = field(default_factory=list)  # groups with the class's members
    unit_year_keys: list[tuple[int, int]] = field(default_factory=list)
    unit_year_classes: list[list[int]] = field(default_factory=list)
    duties: list[_DutySpec] = field(default_factory=list)
    activities: list[_ActivitySpec] = field(default_factory=list)
    staff_people: list[tuple[int, int]] = field(default_factory=list)  # (kind, index)
    guardian_staff_no: dict[int, int] = field(default_factory=dict)
    staff: _People = field(default_factory=_People)
    adult_cutoff: int = 0  # birth ordinals <= this are 18 or older at the reference date


@dataclass(slots=True)
class _State:
    """What a delta may change (copied, never shared, when changed)."""

    pupils: _Pupils
    guardians: _Guardians
    family_g0: array[int]
    family_g1: array[int]
    extra_responsible: dict[int, int]  # pupil -> guardian (Annan ansvarig)
    membership_start: dict[int, dt.date]  # pupil -> date (joined or moved after the start)
    enrolment_start: dict[int, dt.date]  # pupil -> date (joined after the start)
    modified: dict[uuid.UUID, dt.datetime]
    created: dict[uuid.UUID, dt.datetime]
    deletions: tuple[Deletion, ...]
    now: dt.datetime

    def copy(self) -> _State:
        return _State(
            pupils=self.pupils.copy(),
            guardians=self.guardians.copy(),
            family_g0=array("i", self.family_g0),
            family_g1=array("i", self.family_g1),
            extra_responsible=dict(self.extra_responsible),
            membership_start=dict(self.membership_start),
            enrolment_start=dict(self.enrolment_start),
            modified=dict(self.modified),
            created=dict(self.created),
            deletions=self.deletions,
            now=self.now,
        )


class SyntheticMunicipality:
    """A generated municipality. Iterate; do not hold everything (see the module docstring)."""

    def __init__(
        self,
        *,
        seed: int,
        requested_pupils: int,
        municipality_code: str,
        name: str,
        reference_date: dt.date,
        plan: _Plan,
        state: _State,
    ) -> None:
        self.seed = seed
        self.requested_pupils = requested_pupils
        self.municipality_code = municipality_code
        self.name = name
        self.reference_date = reference_date
        self._plan = plan
        self._state = state

    # --- edits for tests ------------------------------------------------------------------------
    def protect_staff_member(self, person_id: uuid.UUID, *, marking: int = 1) -> None:
        """Gives a member of staff a security marking (``MARKINGS`` index), in this version and
        every later delta (they share the plan). The generator itself protects pupils and
        guardians only."""
        plan = self._plan
        for kind, index in plan.staff_people:
            if kind == _STAFF and plan.ids(_STAFF, index) == person_id:
                plan.staff.marking[index] = marking
                return
        raise ValueError(f"no member of staff {person_id}")

    def touch(self, source_id: uuid.UUID) -> None:
        """Marks an entity modified at this version's time, so that an incremental read of this
        version receives it again (its content unchanged)."""
        self._state.modified[source_id] = self._state.now

    # --- facts -------------------------------------------------------------------------------
    @property
    def generated_at(self) -> dt.datetime:
        return self._plan.generated_at

    @property
    def now(self) -> dt.datetime:
        """When this version's data was last changed (generated_at, or the last delta's time)."""
        return self._state.now

    @property
    def deletions(self) -> tuple[Deletion, ...]:
        """Every entity deleted since generation, oldest first (for /deletedEntities)."""
        return self._state.deletions

    @property
    def school_year(self) -> tuple[dt.date, dt.date]:
        return self._plan.year_start, self._plan.year_end

    @property
    def edlevo_style_organisation_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(unit.school_id for unit in self._plan.units if unit.edlevo)

    def syllabuses(self) -> list[Syllabus]:
        """The syllabuses activities refer to (one per subject/course and language)."""
        ids = self._plan.ids
        return [
            Syllabus(ids(_SYLLABUS, index), subject)
            for index, subject in enumerate(catalogue.ALL_SUBJECTS)
        ]

    def syllabus_id(self, subject: Subject) -> uuid.UUID:
        return self._plan.ids(_SYLLABUS, catalogue.SUBJECT_INDEX[subject])

    def pupil_count(self) -> int:
        return len(self._state.pupils) - sum(self._state.pupils.removed)

    # --- iteration ---------------------------------------------------------------------------
    def iter_records(self, entity: Entity) -> Iterator[Record]:
        if entity == Entity.ORGANISATION:
            yield from self._organisation_rows()
        elif entity == Entity.PERSON:
            yield from self.iter_persons()
        elif entity == Entity.GROUP:
            yield from self._group_rows()
        elif entity == Entity.DUTY:
            yield from self._duty_rows()
        else:
            yield from self.iter_activities()

    def iter_all(self) -> Iterator[Record]:
        """Organisations, persons (pupils, guardians, staff), groups, duties, activities:
        every reference points to an earlier record except a pupil's responsibles (guardians
        come after the pupils)."""
        for entity in ENTITY_ORDER:
            yield from self.iter_records(entity)

    def iter_organisations(self) -> Iterator[OrganisationRecord]:
        return self._organisation_rows()

    def iter_persons(self) -> Iterator[PersonRecord]:
        for record, _, _ in self._person_rows():
            yield record

    def iter_persons_with_roles(self) -> Iterator[tuple[PersonRecord, tuple[str, ...]]]:
        """Persons with what they are (pupil / guardian / staff), cheaper than annotated."""
        for record, roles, _ in self._person_rows():
            yield record, roles

    def iter_groups(self) -> Iterator[GroupRecord]:
        return self._group_rows()

    def iter_duties(self) -> Iterator[DutyRecord]:
        return self._duty_rows()

    def iter_activities(self) -> Iterator[ActivityRecord]:
        for record, _ in self._activity_rows():
            yield record

    def iter_annotated(self, entity: Entity) -> Iterator[Annotated[Record]]:
        """Records with SS 12000's extras: meta.created, person roles and addresses, the
        activity's syllabus. Slower than iter_records (addresses are built)."""
        created = self._state.created
        default = self._plan.created_at
        if entity == Entity.PERSON:
            address = self._address
            for person, roles, home in self._person_rows():
                yield Annotated(
                    person,
                    created.get(person.source_id, default),
                    roles,
                    (address(home),) if home >= 0 else (),
                )
        elif entity == Entity.ACTIVITY:
            for activity, subject in self._activity_rows():
                yield Annotated(
                    activity, created.get(activity.source_id, default), syllabus=subject
                )
        else:
            for record in self.iter_records(entity):
                assert not isinstance(record, DeletedRecord)
                yield Annotated(record, created.get(record.source_id, default))

    def count_records(self) -> dict[str, int]:
        """Counts per entity plus nested rows (memberships, enrolments, ...), by iterating."""
        counts: dict[str, int] = {}
        for entity in Entity:
            counts[entity.value] = 0
        nested = {"memberships": 0, "enrolments": 0, "responsibles": 0, "emails": 0}
        nested.update({"assignment_roles": 0, "activity_teachers": 0})
        for record in self.iter_all():
            if isinstance(record, PersonRecord):
                counts["person"] += 1
                nested["enrolments"] += len(record.enrolments)
                nested["responsibles"] += len(record.responsibles)
                nested["emails"] += len(record.emails)
            elif isinstance(record, GroupRecord):
                counts["group"] += 1
                nested["memberships"] += len(record.memberships)
            elif isinstance(record, DutyRecord):
                counts["duty"] += 1
                nested["assignment_roles"] += len(record.assignment_roles)
            elif isinstance(record, ActivityRecord):
                counts["activity"] += 1
                nested["activity_teachers"] += len(record.teachers)
            else:
                counts["organisation"] += 1
        counts.update(nested)
        return counts

    # --- helpers -----------------------------------------------------------------------------
    def _modified_function(self) -> Callable[[uuid.UUID], dt.datetime]:
        """meta.modified: a delta's time for what it changed, else a stable time in the 30
        days before generation, derived from the id."""
        overrides = self._state.modified
        base = self._plan.created_at
        span = int((self._plan.generated_at - base).total_seconds())
        delta = dt.timedelta

        def modified(source_id: uuid.UUID) -> dt.datetime:
            override = overrides.get(source_id)
            if override is not None:
                return override
            return base + delta(seconds=source_id.int % span)

        return modified

    def _address(self, key: int) -> Address:
        mixed = (key * 2654435761 + self.seed) & 0xFFFFFFFF
        street = STREETS[mixed % len(STREETS)]
        number = 1 + (mixed >> 8) % 97
        suffix = self.municipality_code[-2:]
        postal = 40000 + (mixed >> 4) % 2000 + (int(suffix) * 10 if suffix.isdigit() else 0)
        return Address(
            f"{street} {number}", f"{postal // 100} {postal % 100:02d}", self._plan.locality
        )

    # --- organisations ---------------------------------------------------------------------------
    def _organisation_rows(self) -> Iterator[OrganisationRecord]:
        ids = self._plan.ids
        modified_of = self._modified_function()
        for index, (name, kind, parent, unit_code, org_code, types, start) in enumerate(
            self._plan.organisations
        ):
            source_id = ids(_ORG, index)
            yield (
                OrganisationRecord(
                    source_id=source_id,
                    display_name=name,
                    organisation_type=kind,
                    parent_id=ids(_ORG, parent) if parent >= 0 else None,
                    school_unit_code=unit_code,
                    organisation_code=org_code,
                    school_types=types,
                    municipality_code=self.municipality_code,
                    start_date=start,
                    modified=modified_of(source_id),
                )
            )

    # --- persons -----------------------------------------------------------------------------
    def _class_enrolments(self) -> list[tuple[EnrolmentRecord, ...]]:
        plan = self._plan
        start_year = plan.start_year
        result: list[tuple[EnrolmentRecord, ...]] = []
        for klass in plan.classes:
            unit = plan.units[klass.unit]
            year = klass.year
            first, last = {"F6": (1, 6), "79": (7, 9), "GY": (1, 3)}[unit.stage]
            if klass.school_type == "FKLASS":
                first, last = 0, 0
            start = dt.date(start_year - (year - first), 7, 1)
            end = dt.date(start_year + (last - year) + 1, 6, 30)
            result.append(
                (EnrolmentRecord(unit.org_id, klass.school_type, start, end, school_year=year),)
            )
        return result

    def _previous_unit(self, unit_index: int, year: int) -> _Unit | None:
        """Where a pupil who changed school this summer came from."""
        units = self._plan.units
        unit = units[unit_index]
        if unit.stage == "79" and year == 7:
            candidates = [u for u in units if u.stage == "F6" and u.school == unit.school]
        else:
            candidates = [u for u in units if u.stage == unit.stage and u.org_id != unit.org_id]
        if not candidates:
            return None
        return candidates[(unit_index + year) % len(candidates)]

    def _person_rows(self) -> Iterator[tuple[PersonRecord, tuple[str, ...], int]]:
        """(record, roles, address key or -1 for none)."""
        plan = self._plan
        state = self._state
        ids = plan.ids
        pupils = state.pupils
        guardians = state.guardians
        class_enrolments = self._class_enrolments()
        classes = plan.classes
        adult_cutoff = plan.adult_cutoff
        domain = plan.domain
        extra = state.extra_responsible
        fromordinal = dt.date.fromordinal
        enrolment_start = state.enrolment_start
        previous_cache: dict[tuple[int, int], _Unit | None] = {}
        modified_of = self._modified_function()
        pupil_roles = (ROLE_PUPIL,)

        for i in range(len(pupils)):
            if pupils.removed[i]:
                continue
            source_id = ids(_PUPIL, i)
            class_index = pupils.cls[i]
            klass = classes[class_index]
            enrolments = class_enrolments[class_index]
            if i in enrolment_start:
                current = enrolments[0]
                enrolments = (
                    EnrolmentRecord(
                        current.school_unit_id,
                        current.school_type,
                        enrolment_start[i],
                        current.end_date,
                        school_year=current.school_year,
                    ),
                )
            elif pupils.trait[i] % 10 == 0 and klass.year >= 2:
                key = (klass.unit, klass.year)
                if key not in previous_cache:
                    previous_cache[key] = self._previous_unit(*key)
                previous = previous_cache[key]
                if previous is not None:
                    current = enrolments[0]
                    enrolments = (
                        EnrolmentRecord(
                            previous.org_id,
                            "GY" if previous.stage == "GY" else "GR",
                            dt.date(plan.start_year - 1, 7, 1),
                            dt.date(plan.start_year, 6, 30),
                            school_year=klass.year - 1,
                        ),
                        EnrolmentRecord(
                            current.school_unit_id,
                            current.school_type,
                            plan.year_start,
                            current.end_date,
                            school_year=current.school_year,
                        ),
                    )
            birth = pupils.birth[i]
            responsibles: tuple[ResponsibleRecord, ...] = ()
            family = pupils.household[i]
            home = -1
            if family >= 0:
                g0 = state.family_g0[family]
                g1 = state.family_g1[family]
                home = guardians.home[g0] if g0 >= 0 else family
                if birth > adult_cutoff:
                    responsibles = tuple(
                        ResponsibleRecord(ids(_GUARDIAN, g), GUARDIAN)
                        for g in (g0, g1)
                        if g >= 0 and not guardians.removed[g]
                    )
            if i in extra and birth > adult_cutoff:
                responsibles += (ResponsibleRecord(ids(_GUARDIAN, extra[i]), OTHER_RESPONSIBLE),)
            given = pupils.given[i]
            family_name = pupils.family[i]
            emails: tuple[EmailRecord, ...] = ()
            if klass.school_type != "FKLASS":
                local = f"{_GIVEN_ASCII[given]}.{_FAMILY_ASCII[family_name]}{i + 1}"
                emails = (EmailRecord(f"{local}@elev.{domain}", "Skola elev"),)
            middle = pupils.middle[i]
            marking = pupils.marking[i]
            yield (
                PersonRecord(
                    source_id=source_id,
                    given_name=GIVEN[given],
                    family_name=FAMILY[family_name],
                    middle_name=FAMILY[middle] if middle != _NO_NAME else "",
                    civic_no=pupils.civic_no(i),
                    birth_date=fromordinal(birth),
                    security_marking=MARKINGS[marking],
                    emails=emails,
                    enrolments=enrolments,
                    responsibles=responsibles,
                    modified=modified_of(source_id),
                ),
                pupil_roles,
                home if marking != 2 else -1,
            )

        staff_no = plan.guardian_staff_no
        guardian_roles: tuple[str, ...] = (ROLE_GUARDIAN,)
        guardian_staff_roles = (ROLE_GUARDIAN, ROLE_STAFF)
        for g in range(len(guardians)):
            if guardians.removed[g]:
                continue
            source_id = ids(_GUARDIAN, g)
            given = guardians.given[g]
            family_name = guardians.family[g]
            emails = ()
            if guardians.trait[g] < 218:  # about 85 % have a private address in the register
                provider = ("post", "mejl", "brev")[guardians.trait[g] % 3]
                local = f"{_GIVEN_ASCII[given]}.{_FAMILY_ASCII[family_name]}{g + 1}"
                emails = (EmailRecord(f"{local}@{provider}.example", "Privat"),)
            roles = guardian_roles
            if g in staff_no:
                local = f"{_GIVEN_ASCII[given]}.{_FAMILY_ASCII[family_name]}{staff_no[g]}"
                emails += (EmailRecord(f"{local}@{domain}", "Skola personal"),)
                roles = guardian_staff_roles
            middle = guardians.middle[g]
            marking = guardians.marking[g]
            yield (
                PersonRecord(
                    source_id=source_id,
                    given_name=GIVEN[given],
                    family_name=FAMILY[family_name],
                    middle_name=FAMILY[middle] if middle != _NO_NAME else "",
                    civic_no=guardians.civic_no(g),
                    birth_date=fromordinal(guardians.birth[g]),
                    security_marking=MARKINGS[marking],
                    emails=emails,
                    modified=modified_of(source_id),
                ),
                roles,
                guardians.home[g] if marking != 2 else -1,
            )

        staff = plan.staff
        staff_roles = (ROLE_STAFF,)
        for number, (kind, s) in enumerate(plan.staff_people, start=1):
            if kind != _STAFF:
                continue
            source_id = ids(_STAFF, s)
            given = staff.given[s]
            family_name = staff.family[s]
            local = f"{_GIVEN_ASCII[given]}.{_FAMILY_ASCII[family_name]}{number}"
            yield (
                PersonRecord(
                    source_id=source_id,
                    given_name=GIVEN[given],
                    family_name=FAMILY[family_name],
                    civic_no=staff.civic_no(s),
                    birth_date=fromordinal(staff.birth[s]),
                    # Always "Ingen" as generated; tests protect a member of staff by hand.
                    security_marking=MARKINGS[staff.marking[s]],
                    emails=(EmailRecord(f"{local}@{domain}", "Skola personal"),),
                    modified=modified_of(source_id),
                ),
                staff_roles,
                -1,
            )

    # --- groups ------------------------------------------------------------------------------
    def _class_members(self) -> list[list[int]]:
        pupils = self._state.pupils
        members: list[list[int]] = [[] for _ in self._plan.classes]
        removed = pupils.removed
        for i, class_index in enumerate(pupils.cls):
            if not removed[i]:
                members[class_index].append(i)
        return members

    def _group_rows(self) -> Iterator[GroupRecord]:
        plan = self._plan
        state = self._state
        ids = plan.ids
        modified_of = self._modified_function()
        members = self._class_members()
        pupil_ids = ids.many(_PUPIL, len(state.pupils))
        year_start, year_end = plan.year_start, plan.year_end
        moved = state.membership_start
        # One membership object per pupil, shared by all groups with the same dates.
        memberships = [
            MembershipRecord(pupil_id, moved.get(i, year_start), year_end)
            for i, pupil_id in enumerate(pupil_ids)
        ]
        del pupil_ids
        trait = state.pupils.trait
        for index, spec in enumerate(plan.groups):
            if spec.kind == _GK_CLASS:
                chosen = members[spec.source]
            elif spec.kind == _GK_MENTOR:
                chosen = [i for i in members[spec.source] if (trait[i] >> 7) == spec.param]
            else:
                chosen = [
                    i
                    for class_index in plan.unit_year_classes[spec.source]
                    for i in members[class_index]
                    if trait[i] % 3 == spec.param
                ]
            source_id = ids(_GROUP, index)
            yield (
                GroupRecord(
                    source_id=source_id,
                    display_name=spec.name,
                    group_type=spec.group_type,
                    organisation_id=spec.host_id,
                    start_date=year_start,
                    end_date=year_end,
                    school_type=spec.school_type,
                    memberships=tuple(memberships[i] for i in chosen),
                    modified=modified_of(source_id),
                )
            )

    # --- duties and activities -----------------------------------------------------------------
    def _duty_rows(self) -> Iterator[DutyRecord]:
        plan = self._plan
        ids = plan.ids
        modified_of = self._modified_function()
        for index, spec in enumerate(plan.duties):
            source_id = ids(_DUTY, index)
            yield (
                DutyRecord(
                    source_id=source_id,
                    person_id=ids(spec.person_kind, spec.person_index),
                    duty_at_id=spec.host_id,
                    duty_role=spec.role,
                    start_date=spec.start,
                    end_date=spec.end,
                    signature=spec.signature,
                    assignment_roles=tuple(
                        AssignmentRoleRecord(
                            ids(_GROUP, group), role_type, plan.year_start, plan.year_end
                        )
                        for group, role_type in spec.roles
                    ),
                    modified=modified_of(source_id),
                )
            )

    def _activity_rows(self) -> Iterator[tuple[ActivityRecord, Subject | None]]:
        plan = self._plan
        ids = plan.ids
        modified_of = self._modified_function()
        year_start, year_end = plan.year_start, plan.year_end
        teacher_cache: dict[int, TeacherRecord] = {}
        for index, spec in enumerate(plan.activities):
            source_id = ids(_ACTIVITY, index)
            teachers = []
            for duty in spec.duties:
                teacher = teacher_cache.get(duty)
                if teacher is None:
                    teacher = TeacherRecord(ids(_DUTY, duty), year_start, year_end)
                    teacher_cache[duty] = teacher
                teachers.append(teacher)
            subject = catalogue.ALL_SUBJECTS[spec.subject] if spec.subject >= 0 else None
            yield (
                ActivityRecord(
                    source_id=source_id,
                    display_name=spec.name,
                    organisation_id=spec.host_id,
                    start_date=year_start,
                    end_date=year_end,
                    activity_type="Undervisning",
                    subject_code=subject.code if subject else "",
                    group_ids=(ids(_GROUP, spec.group),),
                    teachers=tuple(teachers),
                    modified=modified_of(source_id),
                ),
                subject,
            )


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


def generate_municipality(
    *,
    pupils: int,
    seed: int,
    municipality_code: str = "1462",
    name: str = DEFAULT_NAME,
    reference_date: dt.date = REFERENCE_DATE,
) -> SyntheticMunicipality:
    """Plans a municipality of ``pupils`` pupils; records are built when iterated."""
    if pupils < 1:
        raise ValueError("pupils must be at least 1")
    return _Builder(
        pupils=pupils,
        seed=seed,
        municipality_code=municipality_code,
        name=name,
        reference_date=reference_date,
    ).build()


def assign_civic_number(
    people: _People,
    index: int,
    *,
    female: bool,
    kind: str,
    used: set[int],
    below: Callable[[int], int],
) -> None:
    """A new unique number for ``people[index]``: ``kind`` is "pnr", "samordning" (day + 60)
    or "tf" (YYYYMMDDTFnn). ``used`` holds the numbers taken (see ``numbers_in_use``)."""
    day = dt.date.fromordinal(people.birth[index])
    if kind == "tf":
        while True:
            serial = 1 + below(99)
            key = -(day.toordinal() * 100 + serial)
            if key not in used:
                used.add(key)
                people.tf[index] = f"{day:%Y%m%d}TF{serial:02d}"
                return
    day_part = day.day + (60 if kind == "samordning" else 0)
    prefix = f"{day.year % 100:02d}{day.month:02d}{day_part:02d}"
    while True:
        # The birth number's last digit is even for women, odd for men; 000 is never issued.
        serial = below(100) * 10 + 2 * below(5) + (0 if female else 1)
        if serial == 0:
            continue
        nine = f"{prefix}{serial:03d}"
        value = int(f"{day.year // 100}{nine}{luhn_check_digit(nine)}")
        if value // 10 not in used:
            used.add(value // 10)
            people.civic[index] = value
            return


def numbers_in_use(*tables: _People) -> set[int]:
    """The keys ``assign_civic_number`` checks, for the numbers already in ``tables``."""
    used: set[int] = set()
    for people in tables:
        used.update(value // 10 for value in people.civic if value)
        for index, text in people.tf.items():
            day = dt.date.fromordinal(people.birth[index])
            used.add(-(day.toordinal() * 100 + int(text[-2:])))
    return used


def split_evenly(total: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder split of ``total`` in proportion to ``weights``."""
    weight_sum = sum(weights)
    exact = [total * weight / weight_sum for weight in weights]
    parts = [int(value) for value in exact]
    order = sorted(range(len(weights)), key=lambda k: (parts[k] - exact[k], k))
    for k in order[: total - sum(parts)]:
        parts[k] += 1
    return parts


def _slug(name: str) -> str:
    for suffix in (" kommun", " stad", " Kommun", " Stad"):
        name = name.removesuffix(suffix)
    return ascii_fold(name.replace(" ", "-"))


class _Builder:
    def __init__(
        self,
        *,
        pupils: int,
        seed: int,
        municipality_code: str,
        name: str,
        reference_date: dt.date,
    ) -> None:
        self.total = pupils
        self.seed = seed
        self.municipality_code = municipality_code
        self.name = name
        self.reference_date = reference_date
        self.rng = random.Random(seed)
        self._random = self.rng.random
        start_year = reference_date.year if reference_date.month >= 7 else reference_date.year - 1
        generated_at = dt.datetime.combine(reference_date, dt.time(2, 0), tzinfo=dt.UTC)
        locality = name
        for suffix in (" kommun", " stad"):
            locality = locality.removesuffix(suffix)
        self.plan = _Plan(
            ids=_IdMaker(self.rng),
            start_year=start_year,
            year_start=dt.date(start_year, 7, 1),
            year_end=dt.date(start_year + 1, 6, 30),
            generated_at=generated_at,
            created_at=generated_at - dt.timedelta(days=30),
            domain=f"{_slug(name)}.example",
            locality=locality,
        )
        cutoff_day = (
            min(reference_date.day, 28) if reference_date.month == 2 else reference_date.day
        )
        self.plan.adult_cutoff = dt.date(
            reference_date.year - 18, reference_date.month, cutoff_day
        ).toordinal()
        self.pupils = _Pupils()
        self.guardians = _Guardians()
        self.family_g0: array[int] = array("i")
        self.family_g1: array[int] = array("i")
        self.extra_responsible: dict[int, int] = {}
        self.used_numbers: set[int] = set()
        self.sex = bytearray()  # pupils: 1 = female
        self.unit_codes: set[str] = set()

    def below(self, limit: int) -> int:
        """A uniform integer in [0, limit), faster than randrange."""
        return int(self._random() * limit)

    def between(self, low: int, high: int) -> int:
        """A uniform integer in [low, high]."""
        return low + int(self._random() * (high - low + 1))

    # --- top level ---------------------------------------------------------------------------
    def build(self) -> SyntheticMunicipality:
        self._organisations_and_pupils()
        self._families()
        self._civic_numbers()
        self._protection()
        self._staff_groups_activities()
        state = _State(
            pupils=self.pupils,
            guardians=self.guardians,
            family_g0=self.family_g0,
            family_g1=self.family_g1,
            extra_responsible=self.extra_responsible,
            membership_start={},
            enrolment_start={},
            modified={},
            created={},
            deletions=(),
            now=self.plan.generated_at,
        )
        return SyntheticMunicipality(
            seed=self.seed,
            requested_pupils=self.total,
            municipality_code=self.municipality_code,
            name=self.name,
            reference_date=self.reference_date,
            plan=self.plan,
            state=state,
        )

    # --- organisations, classes, pupils -------------------------------------------------------
    def _add_org(
        self,
        name: str,
        kind: str,
        parent: int,
        *,
        unit_code: str = "",
        org_code: str = "",
        types: tuple[str, ...] = (),
    ) -> int:
        start = dt.date(self.between(1995, 2020), 7, 1)
        self.plan.organisations.append((name, kind, parent, unit_code, org_code, types, start))
        return len(self.plan.organisations) - 1

    def _unit_code(self) -> str:
        while True:
            code = str(self.between(10_000_000, 99_999_999))
            if code not in self.unit_codes:
                self.unit_codes.add(code)
                return code

    def _organisations_and_pupils(self) -> None:
        rng = self.rng
        plan = self.plan
        ids = plan.ids
        gy_total = round(self.total * GYMNASIUM_SHARE) if self.total >= 8 else 0
        f9_total = self.total - gy_total
        huvudman = self._add_org(self.name, "Huvudman", -1, org_code="HM")

        f9_schools = max(1, round(f9_total / F9_SCHOOL_SIZE))
        gy_schools = max(1, round(gy_total / GY_SCHOOL_SIZE)) if gy_total else 0
        # Cohorts: F-9 has ten years (FKLASS = year 0), gymnasium three.
        f9_cohorts = split_evenly(f9_total, [rng.uniform(0.9, 1.1) for _ in range(10)])
        gy_cohorts = split_evenly(gy_total, [rng.uniform(0.9, 1.1) for _ in range(3)])
        f9_weights = [rng.uniform(0.6, 1.4) for _ in range(f9_schools)]
        gy_weights = [rng.uniform(0.7, 1.3) for _ in range(gy_schools)]
        f9_alloc = [split_evenly(cohort, f9_weights) for cohort in f9_cohorts]
        gy_alloc = [split_evenly(cohort, gy_weights) for cohort in gy_cohorts]

        school_index = 0
        for s in range(f9_schools):
            name = self._school_name(SCHOOL_NAMES, s)
            edlevo = school_index % 4 == 1
            school = self._add_org(
                name,
                "Skola",
                huvudman,
                org_code=f"S{school_index + 1:03d}",
                types=("FKLASS", "GR") if edlevo else (),
            )
            school_id = ids(_ORG, school)
            for stage, years, types in (
                ("F6", range(0, 7), ("FKLASS", "GR", "FTH")),
                ("79", range(7, 10), ("GR",)),
            ):
                label = "F-6" if stage == "F6" else "7-9"
                unit = self._add_org(
                    f"{name} {label}",
                    "Skolenhet",
                    school,
                    unit_code=self._unit_code(),
                    org_code=f"S{school_index + 1:03d}{stage}",
                    types=types,
                )
                unit_id = ids(_ORG, unit)
                plan.units.append(
                    _Unit(
                        unit_id,
                        school_id,
                        school_id if edlevo else unit_id,
                        stage,
                        school_index,
                        edlevo,
                    )
                )
                for year in years:
                    self._classes(len(plan.units) - 1, year, f9_alloc[year][s])
            school_index += 1

        for s in range(gy_schools):
            name = self._school_name(GYMNASIUM_NAMES, s)
            edlevo = school_index % 4 == 1
            school = self._add_org(
                name,
                "Skola",
                huvudman,
                org_code=f"S{school_index + 1:03d}",
                types=("GY",) if edlevo else (),
            )
            school_id = ids(_ORG, school)
            unit = self._add_org(
                name,
                "Skolenhet",
                school,
                unit_code=self._unit_code(),
                org_code=f"S{school_index + 1:03d}GY",
                types=("GY",),
            )
            unit_id = ids(_ORG, unit)
            plan.units.append(
                _Unit(
                    unit_id, school_id, school_id if edlevo else unit_id, "GY", school_index, edlevo
                )
            )
            for year in (1, 2, 3):
                self._classes(len(plan.units) - 1, year, gy_alloc[year - 1][s])
            school_index += 1

    @staticmethod
    def _school_name(names: Sequence[str], index: int) -> str:
        base = names[index % len(names)]
        round_ = index // len(names)
        if round_ < len(NAME_PREFIXES):
            return f"{NAME_PREFIXES[round_]}{base}"
        return f"{base} {round_ + 1}"

    def _classes(self, unit_index: int, year: int, count: int) -> None:
        if count <= 0:
            return
        plan = self.plan
        unit = plan.units[unit_index]
        rng = self.rng
        n_classes = max(1, round(count / CLASS_SIZE), -(-count // MAX_CLASS_SIZE))
        sizes = split_evenly(count, [1.0] * n_classes)
        key_index = len(plan.unit_year_keys)
        plan.unit_year_keys.append((unit_index, year))
        plan.unit_year_classes.append([])
        programme_letters: dict[str, int] = {}
        for k, size in enumerate(sizes):
            if unit.stage == "GY":
                programme = GY_PROGRAMMES[k % len(GY_PROGRAMMES)]
                letter = chr(ord("A") + programme_letters.get(programme, 0))
                programme_letters[programme] = programme_letters.get(programme, 0) + 1
                class_name = f"{programme}{(plan.start_year - year + 1) % 100:02d}{letter}"
                school_type = "GY"
            else:
                letter = chr(ord("A") + k) if k < 26 else f"A{k}"
                class_name = f"F{letter}" if year == 0 else f"{year}{letter}"
                school_type = "FKLASS" if year == 0 else "GR"
            class_index = len(plan.classes)
            plan.classes.append(_Class(unit_index, year, class_name, school_type))
            plan.unit_year_classes[key_index].append(class_index)
            plan.class_groups.append([])
            # Born in the year the cohort turns 6 (FKLASS) ... 15 (year 9), 16-18 in gymnasium.
            age = 6 + year if unit.stage != "GY" else 15 + year
            birth_year = plan.start_year - age
            for _ in range(size):
                shift = rng.random()
                offset = -1 if shift < 0.01 else (1 if shift > 0.995 else 0)
                first = dt.date(birth_year + offset, 1, 1).toordinal()
                birth = first + self.below(365)
                female = rng.getrandbits(1)
                given = self.below(_N_FEMALE) if female else _N_FEMALE + self.below(len(GIVEN_MALE))
                self.pupils.append(given, 0, birth, rng.getrandbits(8))
                self.pupils.cls.append(class_index)
                self.pupils.household.append(-1)
                self.sex.append(female)

    # --- families and guardians -----------------------------------------------------------------
    def _new_guardian(self, *, female: bool, family_name: int, birth_year: int, home: int) -> int:
        rng = self.rng
        given = self.below(_N_FEMALE) if female else _N_FEMALE + self.below(len(GIVEN_MALE))
        middle = self.below(len(FAMILY)) if rng.random() < 0.06 else _NO_NAME
        birth = dt.date(birth_year, 1, 1).toordinal() + self.below(365)
        index = self.guardians.append(given, family_name, birth, rng.getrandbits(8), middle)
        self.guardians.home.append(home)
        return index

    def _families(self) -> None:
        rng = self.rng
        pupils = self.pupils
        adult_cutoff = self.plan.adult_cutoff
        order = list(range(len(pupils)))
        rng.shuffle(order)
        position = 0
        shared_pool: list[int] = []  # guardians of separated families, for half-siblings
        n_family = len(FAMILY)
        while position < len(order):
            draw = rng.random()
            size = 1 if draw < 0.5 else (2 if draw < 0.88 else 3)
            children = order[position : position + size]
            position += size
            family = len(self.family_g0)
            surname = self.below(n_family)
            has_minor = any(pupils.birth[c] > adult_cutoff for c in children)
            g0 = g1 = -1
            separated = False
            if has_minor:
                eldest = min(pupils.birth[c] for c in children)
                eldest_year = dt.date.fromordinal(eldest).year
                g0 = self._new_guardian(
                    female=rng.random() < 0.55,
                    family_name=surname,
                    birth_year=eldest_year - self.between(21, 44),
                    home=family,
                )
                if rng.random() < 0.82:
                    separated = rng.random() < 0.3
                    if separated and shared_pool and rng.random() < 0.08:
                        g1 = shared_pool[self.below(len(shared_pool))]
                    else:
                        same_name = rng.random() < (0.2 if separated else 0.7)
                        other_female = (not self.guardians.is_female(g0)) ^ (rng.random() < 0.05)
                        g1 = self._new_guardian(
                            female=other_female,
                            family_name=surname if same_name else self.below(n_family),
                            birth_year=eldest_year - self.between(21, 46),
                            home=10_000_000 + len(self.guardians) if separated else family,
                        )
                        if separated:
                            shared_pool.append(g1)
            self.family_g0.append(g0)
            self.family_g1.append(g1)
            for child in children:
                pupils.household[child] = family
                name = surname
                if separated and g1 >= 0 and rng.random() < 0.2:
                    name = self.guardians.family[g1]
                pupils.family[child] = name
                if rng.random() < 0.04:
                    pupils.middle[child] = self.below(n_family)

        minors = [i for i in range(len(pupils)) if pupils.birth[i] > adult_cutoff]
        for child in sorted(rng.sample(minors, round(len(minors) * OTHER_RESPONSIBLE_SHARE))):
            birth_year = dt.date.fromordinal(pupils.birth[child]).year - self.between(25, 50)
            self.extra_responsible[child] = self._new_guardian(
                female=rng.random() < 0.6,
                family_name=self.below(n_family),
                birth_year=birth_year,
                home=20_000_000 + child,
            )

    # --- civic numbers -----------------------------------------------------------------------
    def _number(self, people: _People, index: int, *, female: bool, kind: str) -> None:
        assign_civic_number(
            people, index, female=female, kind=kind, used=self.used_numbers, below=self.below
        )

    def _civic_numbers(self) -> None:
        rng = self.rng
        pupils = self.pupils
        guardians = self.guardians
        n = len(pupils)
        special = rng.sample(range(n), min(n, round(n * SAMORDNING_SHARE) + round(n * TF_SHARE)))
        samordning = set(special[: round(n * SAMORDNING_SHARE)])
        tf = set(special[round(n * SAMORDNING_SHARE) :])
        for i in range(n):
            kind = "tf" if i in tf else ("samordning" if i in samordning else "pnr")
            self._number(pupils, i, female=bool(self.sex[i]), kind=kind)
        g_samordning = set(
            rng.sample(range(len(guardians)), round(len(guardians) * SAMORDNING_SHARE))
        )
        for g in range(len(guardians)):
            kind = "samordning" if g in g_samordning else "pnr"
            self._number(guardians, g, female=guardians.is_female(g), kind=kind)

    # --- protected identities ------------------------------------------------------------------
    def _protection(self) -> None:
        rng = self.rng
        pupils = self.pupils
        guardians = self.guardians
        target = round(len(pupils) * PROTECTED_SHARE)
        children: dict[int, list[int]] = {}
        for i in range(len(pupils)):
            children.setdefault(pupils.household[i], []).append(i)
        families = list(children)
        rng.shuffle(families)
        protected = 0
        for number, family in enumerate(families):
            if protected >= target:
                break
            marking = 1 + number % 2  # alternately Sekretessmarkering, Skyddad folkbokföring
            for child in children[family]:
                pupils.marking[child] = marking
                protected += 1
            g0, g1 = self.family_g0[family], self.family_g1[family]
            if g0 >= 0:
                guardians.marking[g0] = marking
            separated = g1 >= 0 and guardians.home[g1] != family
            if g1 >= 0 and not separated:
                guardians.marking[g1] = marking
        for g in rng.sample(range(len(guardians)), round(len(guardians) * 0.001)):
            if guardians.marking[g] == 0:
                guardians.marking[g] = 1

    # --- staff, groups, activities -------------------------------------------------------------
    def _staff_person(self, *, allow_guardian: bool = True) -> tuple[int, int]:
        """A new staff member; about 5 % are guardians of pupils in the municipality."""
        rng = self.rng
        plan = self.plan
        guardians = self.guardians
        if allow_guardian and len(guardians) and rng.random() < 0.05:
            for _ in range(5):
                g = self.below(len(guardians))
                if guardians.marking[g] == 0 and g not in plan.guardian_staff_no:
                    plan.staff_people.append((_GUARDIAN, g))
                    plan.guardian_staff_no[g] = len(plan.staff_people)
                    return (_GUARDIAN, g)
        staff = plan.staff
        female = rng.random() < 0.7
        given = self.below(_N_FEMALE) if female else _N_FEMALE + self.below(len(GIVEN_MALE))
        birth_year = plan.start_year - self.between(24, 64)
        birth = dt.date(birth_year, 1, 1).toordinal() + self.below(365)
        s = staff.append(given, self.below(len(FAMILY)), birth, rng.getrandbits(8))
        self._number(staff, s, female=female, kind="pnr")
        plan.staff_people.append((_STAFF, s))
        return (_STAFF, s)

    def _signature(self, person: tuple[int, int]) -> str:
        kind, index = person
        people: _People = self.guardians if kind == _GUARDIAN else self.plan.staff
        given = GIVEN[people.given[index]]
        family = FAMILY[people.family[index]]
        return (given[:2] + family[:2]).upper()

    def _duty(self, person: tuple[int, int], host: uuid.UUID, role: str) -> int:
        rng = self.rng
        plan = self.plan
        if rng.random() < 0.06:  # temporary for this school year
            start, end = plan.year_start + dt.timedelta(days=46), plan.year_end
        else:
            start = dt.date(plan.start_year - self.between(0, 15), 8, self.between(1, 20))
            end = None
        plan.duties.append(
            _DutySpec(person[0], person[1], host, role, start, end, self._signature(person))
        )
        return len(plan.duties) - 1

    def _group(self, spec: _GroupSpec) -> int:
        self.plan.groups.append(spec)
        return len(self.plan.groups) - 1

    def _activity(self, name: str, host: uuid.UUID, group: int, subject: Subject | None) -> int:
        index = catalogue.SUBJECT_INDEX[subject] if subject is not None else -1
        self.plan.activities.append(_ActivitySpec(name, host, group, (), index))
        return len(self.plan.activities) - 1

    def _set_teachers(self, activity: int, duties: tuple[int, ...]) -> None:
        spec = self.plan.activities[activity]
        self.plan.activities[activity] = _ActivitySpec(
            spec.name, spec.host_id, spec.group, duties, spec.subject
        )

    def _staff_groups_activities(self) -> None:
        plan = self.plan
        classes_by_unit: dict[int, list[int]] = {}
        for class_index, klass in enumerate(plan.classes):
            classes_by_unit.setdefault(klass.unit, []).append(class_index)
        school_specialists: dict[tuple[int, str], tuple[int, int]] = {}
        school_hosts: dict[int, uuid.UUID] = {}
        for unit_index, unit in enumerate(plan.units):
            school_hosts.setdefault(unit.school, unit.school_id)
            unit_classes = classes_by_unit.get(unit_index, [])
            if unit.stage == "F6":
                self._f6_unit(unit, unit_classes, school_specialists)
            else:
                self._upper_unit(unit_index, unit, unit_classes, school_specialists)
            self._specialpedagog(unit, unit_classes)
        for school_host in school_hosts.values():
            self._duty(self._staff_person(allow_guardian=False), school_host, "Rektor")
            self._duty(self._staff_person(), school_host, "Skoladministratör")

    def _class_group(self, class_index: int, unit: _Unit) -> int:
        klass = self.plan.classes[class_index]
        group = self._group(
            _GroupSpec(klass.name, "Klass", unit.host_id, klass.school_type, _GK_CLASS, class_index)
        )
        self.plan.class_groups[class_index].append(group)
        return group

    def _f6_unit(
        self,
        unit: _Unit,
        unit_classes: list[int],
        school_specialists: dict[tuple[int, str], tuple[int, int]],
    ) -> None:
        plan = self.plan
        specialist_work: dict[Subject, list[tuple[int, int]]] = {
            s: [] for s in catalogue.F6_SPECIALIST
        }
        for class_index in unit_classes:
            klass = plan.classes[class_index]
            group = self._class_group(class_index, unit)
            role = "Förskollärare" if klass.year == 0 else "Lärare"
            duty = self._duty(self._staff_person(), unit.host_id, role)
            plan.duties[duty].roles.append((group, "Mentor"))
            if klass.year == 0:
                activity = self._activity(f"Förskoleklass {klass.name}", unit.host_id, group, None)
                self._set_teachers(activity, (duty,))
                continue
            for subject in catalogue.F6_CLASS_TEACHER:
                name = subject.code if unit.edlevo else f"{subject.subject_name} {klass.name}"
                activity = self._activity(name, unit.host_id, group, subject)
                self._set_teachers(activity, (duty,))
            for subject in catalogue.F6_SPECIALIST:
                name = subject.code if unit.edlevo else f"{subject.subject_name} {klass.name}"
                specialist_work[subject].append(
                    (self._activity(name, unit.host_id, group, subject), class_index)
                )
        for subject, work in specialist_work.items():
            for chunk_start in range(0, len(work), 10):
                person = self._staff_person()
                if chunk_start == 0 and not unit.edlevo:
                    school_specialists[(unit.school, subject.cluster)] = person
                duty = self._duty(person, unit.host_id, "Lärare")
                for activity, _ in work[chunk_start : chunk_start + 10]:
                    self._set_teachers(activity, (duty,))

    def _upper_unit(
        self,
        unit_index: int,
        unit: _Unit,
        unit_classes: list[int],
        school_specialists: dict[tuple[int, str], tuple[int, int]],
    ) -> None:
        plan = self.plan
        rng = self.rng
        # Activities by cluster, in class order, so a teacher gets a few whole classes.
        work: dict[str, list[tuple[int, int]]] = {}
        mentor_targets: list[tuple[int, int, str]] = []  # (group, class, cluster)
        for class_index in unit_classes:
            klass = plan.classes[class_index]
            class_group = self._class_group(class_index, unit)
            subjects = (
                catalogue.S79_CLASS_SUBJECTS
                if unit.stage == "79"
                else catalogue.GY_COURSES_BY_YEAR[klass.year]
            )
            for subject in subjects:
                label = subject.designation if unit.stage == "79" else subject.code
                group = self._group(
                    _GroupSpec(
                        f"{klass.name} {label}",
                        "Undervisning",
                        unit.host_id,
                        klass.school_type,
                        _GK_CLASS,
                        class_index,
                    )
                )
                plan.class_groups[class_index].append(group)
                if unit.edlevo:
                    name = subject.code
                elif unit.stage == "79":
                    name = f"{subject.subject_name} {klass.name}"
                else:
                    name = f"{subject.course_name} {klass.name}"
                activity = self._activity(name, unit.host_id, group, subject)
                work.setdefault(subject.cluster, []).append((activity, class_index))
            if unit.edlevo:  # Edlevo has no Mentor groups: mentors are roles on the class
                mentor_targets.append((class_group, class_index, "SV/SO"))
                mentor_targets.append((class_group, class_index, "MA/NO"))
            else:
                for half, cluster in ((0, "SV/SO"), (1, "MA/NO")):
                    group = self._group(
                        _GroupSpec(
                            f"{klass.name} mentor {half + 1}",
                            "Mentor",
                            unit.host_id,
                            klass.school_type,
                            _GK_MENTOR,
                            class_index,
                            half,
                        )
                    )
                    mentor_targets.append((group, class_index, cluster))
        if unit.stage == "79":
            for key_index, (key_unit, year) in enumerate(plan.unit_year_keys):
                if key_unit != unit_index:
                    continue
                for language, subject in enumerate(catalogue.MODERN_LANGUAGES):
                    language_name = catalogue.LANGUAGE_NAMES[subject.language_code]
                    group = self._group(
                        _GroupSpec(
                            f"{year} {language_name}",
                            "Undervisning",
                            unit.host_id,
                            "GR",
                            _GK_LANGUAGE,
                            key_index,
                            language,
                        )
                    )
                    name = subject.code if unit.edlevo else f"Moderna språk {language_name} {year}"
                    activity = self._activity(name, unit.host_id, group, subject)
                    work.setdefault(subject.cluster, []).append((activity, -1))

        teacher_of: dict[tuple[int, str], int] = {}  # (class, cluster) -> duty
        for cluster, items in work.items():
            position = 0
            cluster_duties: list[int] = []
            while position < len(items):
                size = self.between(6, 10)
                chunk = items[position : position + size]
                position += size
                reuse = school_specialists.pop((unit.school, cluster), None)
                person = reuse if reuse is not None else self._staff_person()
                duty = self._duty(person, unit.host_id, "Lärare")
                cluster_duties.append(duty)
                for activity, class_index in chunk:
                    self._set_teachers(activity, (duty,))
                    if class_index >= 0:
                        teacher_of.setdefault((class_index, cluster), duty)
            if len(cluster_duties) > 1:  # some co-teaching
                for activity, _ in items:
                    if rng.random() < 0.04:
                        first = plan.activities[activity].duties[0]
                        second = cluster_duties[self.below(len(cluster_duties))]
                        if second != first:
                            self._set_teachers(activity, (first, second))
        for group, class_index, cluster in mentor_targets:
            mentor = teacher_of.get((class_index, cluster))
            if mentor is None:
                mentor = next(d for (c, _), d in teacher_of.items() if c == class_index)
            plan.duties[mentor].roles.append((group, "Mentor"))

    def _specialpedagog(self, unit: _Unit, unit_classes: list[int]) -> None:
        if not unit_classes:
            return
        plan = self.plan
        duty = self._duty(self._staff_person(), unit.host_id, "Speciallärare/specialpedagog")
        chosen = self.rng.sample(unit_classes, min(4, len(unit_classes)))
        for class_index in sorted(chosen):
            plan.duties[duty].roles.append((plan.class_groups[class_index][0], "Specialpedagog"))
