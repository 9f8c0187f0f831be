"""A day's changes to a synthetic municipality, for incremental-import tests and benchmarks.

``apply_delta(municipality, fraction=0.01, seed=1)`` returns a changed *copy* (the original is
untouched) and what was deleted. Of ``fraction`` x active pupils (at least 4 changes), a quarter
each:

- **renamed**: a new family name (half pupils, half guardians; the pupil's school e-mail follows
  the name, as many registers do);
- **left**: the pupil is removed; guardians left without a minor pupil in the municipality are
  removed too (unless they are staff); all of them are in ``deleted`` and in the municipality's
  deletion log (``/deletedEntities``). Their memberships disappear from their groups;
- **joined**: new pupils in existing classes, each in a new family with one or two new
  guardians; enrolment and memberships start on the delta's date;
- **moved**: a pupil changes class within the same unit and year (memberships move; the
  person's own record is unchanged, the groups' are);

and about one in twenty changes is a pupil **gaining a protected identity** ("Skyddad
folkbokföring").

Every changed entity gets ``modified = at`` (default: the previous version's time plus one day);
new ones also ``created = at``. Unchanged entities keep their ids and timestamps, so
``meta.modified.after`` returns exactly the delta.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from integrations.records import DeletedRecord, Entity
from integrations.synthetic import generator as g
from integrations.synthetic.names import FAMILY, GIVEN_MALE


@dataclass(frozen=True, slots=True)
class DeltaResult:
    municipality: g.SyntheticMunicipality
    deleted: tuple[DeletedRecord, ...]
    at: dt.datetime
    renamed: tuple[uuid.UUID, ...]
    left: tuple[uuid.UUID, ...]
    joined: tuple[uuid.UUID, ...]
    moved: tuple[uuid.UUID, ...]
    protected: tuple[uuid.UUID, ...]

    @property
    def deleted_ids(self) -> tuple[uuid.UUID, ...]:
        return tuple(record.source_id for record in self.deleted)


def apply_delta(
    municipality: g.SyntheticMunicipality,
    *,
    fraction: float = 0.01,
    seed: int = 0,
    at: dt.datetime | None = None,
) -> DeltaResult:
    """A changed copy of ``municipality``; deterministic for the same inputs."""
    if not 0 < fraction <= 0.5:
        raise ValueError("fraction must be in (0, 0.5]")
    plan = municipality._plan
    old = municipality._state
    at = at or old.now + dt.timedelta(days=1)
    if at <= old.now:
        raise ValueError("a delta must be later than the version it changes")
    state = old.copy()
    rng = random.Random(f"{municipality.seed}/{seed}/{old.now.isoformat()}/{len(old.deletions)}")

    def below(limit: int) -> int:
        return int(rng.random() * limit)

    ids = plan.ids
    pupils, guardians = state.pupils, state.guardians
    active = [i for i in range(len(pupils)) if not pupils.removed[i]]
    changes = max(4, round(fraction * len(active)))
    quarter = max(1, changes // 4)
    n_protect = max(1, changes // 20)
    picked = rng.sample(active, min(len(active), 3 * quarter + n_protect))
    leaving = picked[:quarter]
    moving = picked[quarter : 2 * quarter]
    renaming = picked[2 * quarter : 2 * quarter + (quarter + 1) // 2]
    protecting = picked[3 * quarter :]

    groups_of_class = _groups_of_class(plan)
    key_of_class = {c: k for k, classes in enumerate(plan.unit_year_classes) for c in classes}
    touched_people: set[uuid.UUID] = set()
    touched_groups: set[int] = set()
    deleted: list[DeletedRecord] = []

    # Left: the pupil, then guardians nobody needs any more.
    for i in leaving:
        pupils.removed[i] = 1
        touched_groups.update(groups_of_class[pupils.cls[i]])
        deleted.append(DeletedRecord(Entity.PERSON, ids(g._PUPIL, i)))
    needed = _needed_guardians(state, plan.adult_cutoff)
    for guardian in sorted(_guardians_of(state, leaving)):
        if guardian not in needed and guardian not in plan.guardian_staff_no:
            guardians.removed[guardian] = 1
            deleted.append(DeletedRecord(Entity.PERSON, ids(g._GUARDIAN, guardian)))

    # Moved: another class of the same unit and year.
    moved: list[uuid.UUID] = []
    for i in moving:
        current = pupils.cls[i]
        others = [c for c in plan.unit_year_classes[key_of_class[current]] if c != current]
        if not others:
            continue
        target = others[below(len(others))]
        pupils.cls[i] = target
        state.membership_start[i] = at.date()
        touched_groups.update(groups_of_class[current])
        touched_groups.update(groups_of_class[target])
        moved.append(ids(g._PUPIL, i))

    # Renamed: half pupils, half guardians.
    renamed: list[uuid.UUID] = []
    for i in renaming:
        pupils.family[i] = _other_name(pupils.family[i], below)
        renamed.append(ids(g._PUPIL, i))
    live_guardians = [x for x in range(len(guardians)) if not guardians.removed[x]]
    for guardian in rng.sample(live_guardians, min(len(live_guardians), quarter // 2)):
        guardians.family[guardian] = _other_name(guardians.family[guardian], below)
        renamed.append(ids(g._GUARDIAN, guardian))
    touched_people.update(renamed)

    # Protected identity.
    protected: list[uuid.UUID] = []
    for i in protecting:
        if pupils.marking[i] == 0:
            pupils.marking[i] = 2
            protected.append(ids(g._PUPIL, i))
    touched_people.update(protected)

    # Joined: new pupils in new families.
    joined, new_guardians = _join(
        plan, state, count=quarter, at=at, below=below, touched_groups=touched_groups, rng=rng
    )
    for source_id in (*joined, *new_guardians):
        state.created[source_id] = at
        touched_people.add(source_id)

    for source_id in touched_people:
        state.modified[source_id] = at
    for group in touched_groups:
        state.modified[ids(g._GROUP, group)] = at
    state.deletions = old.deletions + tuple(g.Deletion(at, record) for record in deleted)
    state.now = at
    changed = g.SyntheticMunicipality(
        seed=municipality.seed,
        requested_pupils=municipality.requested_pupils,
        municipality_code=municipality.municipality_code,
        name=municipality.name,
        reference_date=municipality.reference_date,
        plan=plan,
        state=state,
    )
    return DeltaResult(
        municipality=changed,
        deleted=tuple(deleted),
        at=at,
        renamed=tuple(renamed),
        left=tuple(ids(g._PUPIL, i) for i in leaving),
        joined=tuple(joined),
        moved=tuple(moved),
        protected=tuple(protected),
    )


def _other_name(current: int, below: Callable[[int], int]) -> int:
    """Another family name than ``current``."""
    return (current + 1 + below(len(FAMILY) - 1)) % len(FAMILY)


def _groups_of_class(plan: g._Plan) -> list[list[int]]:
    """Every group whose members depend on a class's pupils."""
    result: list[list[int]] = [[] for _ in plan.classes]
    for index, spec in enumerate(plan.groups):
        if spec.kind == g._GK_LANGUAGE:
            for class_index in plan.unit_year_classes[spec.source]:
                result[class_index].append(index)
        else:
            result[spec.source].append(index)
    return result


def _needed_guardians(state: g._State, adult_cutoff: int) -> set[int]:
    """Guardians of at least one remaining minor pupil."""
    pupils = state.pupils
    needed: set[int] = set()
    for i in range(len(pupils)):
        if pupils.removed[i] or pupils.birth[i] <= adult_cutoff:
            continue
        family = pupils.household[i]
        if family >= 0:
            needed.add(state.family_g0[family])
            needed.add(state.family_g1[family])
        if i in state.extra_responsible:
            needed.add(state.extra_responsible[i])
    needed.discard(-1)
    return needed


def _guardians_of(state: g._State, pupils: list[int]) -> set[int]:
    found: set[int] = set()
    for i in pupils:
        family = state.pupils.household[i]
        if family >= 0:
            found.update((state.family_g0[family], state.family_g1[family]))
        if i in state.extra_responsible:
            found.add(state.extra_responsible[i])
    found.discard(-1)
    return found


def _join(
    plan: g._Plan,
    state: g._State,
    *,
    count: int,
    at: dt.datetime,
    below: Callable[[int], int],
    touched_groups: set[int],
    rng: random.Random,
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """New pupils in new families: (pupil ids, guardian ids)."""
    pupils, guardians = state.pupils, state.guardians
    used = g.numbers_in_use(pupils, guardians, plan.staff)
    groups_of_class = _groups_of_class(plan)
    ids = plan.ids
    new_pupils: list[uuid.UUID] = []
    new_guardians: list[uuid.UUID] = []
    n_female, n_male = g._N_FEMALE, len(GIVEN_MALE)
    for _ in range(count):
        class_index = below(len(plan.classes))
        klass = plan.classes[class_index]
        stage = plan.units[klass.unit].stage
        age = 6 + klass.year if stage != "GY" else 15 + klass.year
        birth = dt.date(plan.start_year - age, 1, 1).toordinal() + below(365)
        female = rng.random() < 0.5
        given = below(n_female) if female else n_female + below(n_male)
        surname = below(len(FAMILY))
        family = len(state.family_g0)
        i = pupils.append(given, surname, birth, below(256))
        pupils.cls.append(class_index)
        pupils.household.append(family)
        g.assign_civic_number(pupils, i, female=female, kind="pnr", used=used, below=below)
        state.enrolment_start[i] = at.date()
        state.membership_start[i] = at.date()
        touched_groups.update(groups_of_class[class_index])
        new_pupils.append(ids(g._PUPIL, i))
        family_guardians = [-1, -1]
        if birth > plan.adult_cutoff:
            for slot in range(1 if rng.random() < 0.2 else 2):
                guardian_female = (slot == 0) == (rng.random() < 0.55)
                guardian_given = below(n_female) if guardian_female else n_female + below(n_male)
                guardian_birth = dt.date(plan.start_year - age - 22 - below(20), 1, 1).toordinal()
                x = guardians.append(
                    guardian_given, surname, guardian_birth + below(365), below(256)
                )
                guardians.home.append(family)
                g.assign_civic_number(
                    guardians, x, female=guardian_female, kind="pnr", used=used, below=below
                )
                family_guardians[slot] = x
                new_guardians.append(ids(g._GUARDIAN, x))
        state.family_g0.append(family_guardians[0])
        state.family_g1.append(family_guardians[1])
    return new_pupils, new_guardians
