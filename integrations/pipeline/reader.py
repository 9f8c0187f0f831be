"""Reading: validate each record, decide new / changed / unchanged by its digest, and stage what
must be written. Errors skip a row but keep it "seen", so a bad row never deletes anything."""

from __future__ import annotations

import datetime as dt
import gc
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from integrations.pipeline.hashing import RawItem, content_hash, salted
from integrations.pipeline.stagers import STAGERS, stage_person
from integrations.pipeline.staging import STAGED_BY_ENTITY, Stage
from integrations.records import (
    ActivityRecord,
    DeletedRecord,
    DutyRecord,
    Entity,
    GroupRecord,
    OrganisationRecord,
    PersonRecord,
    Record,
    SourceIssue,
)
from integrations.sources.ss12000_reader import reads_as_empty_text
from register.civic_numbers import CivicNumber, InvalidCivicNumber, parse_civic_number
from register.models.choices import SecurityMarking

Item = Record | SourceIssue
LiveRecord = OrganisationRecord | PersonRecord | GroupRecord | DutyRecord | ActivityRecord
SAMPLE_SIZE = 5


@dataclass
class EntityCounts:
    read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    gone: int = 0
    errors: int = 0
    quarantined: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class ReadResult:
    counts: dict[str, EntityCounts] = field(default_factory=lambda: defaultdict(EntityCounts))
    issues: list[SourceIssue] = field(default_factory=list)
    samples: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    quarantine: dict[uuid.UUID, PersonRecord] = field(default_factory=dict)
    latest_modified: dict[str, dt.datetime] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(1 for issue in self.issues if issue.severity == "error")

    @property
    def rows_read(self) -> int:
        return sum(c.read for c in self.counts.values())


class Reader:
    def __init__(
        self,
        *,
        stage: Stage,
        live_hashes: dict[Entity, dict[uuid.UUID, str]],
        admitted: set[uuid.UUID],
        on_progress: Callable[[int], None] | None = None,
        marking_not_sent: str = SecurityMarking.NONE,
        warn_markings_not_sent: bool = False,
        remap: dict[Entity, set[uuid.UUID]] | None = None,
        live_civic_numbers: dict[uuid.UUID, str] | None = None,
        live_modified: Callable[[Entity, set[uuid.UUID], bool], dt.datetime | None] | None = None,
    ) -> None:
        self.stage = stage
        self.live = live_hashes
        self.admitted = admitted
        # What a person without a security marking counts as: "Ingen", or MISSING (protected)
        # where the municipality's register strips markings (MunicipalSettings).
        self.marking_not_sent = marking_not_sent
        self.markings_not_sent = 0
        # SS 12000 sends a marking for everyone, so its absence is worth a warning; a CSV export
        # may leave the column out of a file by design (docs/register-file-formats.md).
        self.warn_markings_not_sent = warn_markings_not_sent
        self.on_progress = on_progress
        self.result = ReadResult()
        self.seen: dict[Entity, set[uuid.UUID]] = defaultdict(set)
        self.deleted: dict[Entity, set[uuid.UUID]] = defaultdict(set)
        self.civic_numbers: set[str] = set()
        # Raw items (SS 12000) whose digest equals the live one are not mapped at all. Not
        # skipped: ids in ``remap`` (their last mapping gave issues, which must come again);
        # everything when ``remap`` is None (the issues of the last run are not all known).
        self.remap = remap
        self.live_civic_numbers = live_civic_numbers or {}
        # (entity, ids, among): the latest source_modified of the live rows among ``ids``
        # (among=True) or of those not among them.
        self.live_modified = live_modified
        self.mapped: dict[Entity, set[uuid.UUID]] = defaultdict(set)  # raw items, first time
        self._raw_entity: Entity | None = None
        self._raw_state: tuple[Any, ...] = ()

    def consume(self, items: Iterable[Item | RawItem]) -> ReadResult:
        # Reading allocates millions of objects and frees none in cycles: the collector's
        # passes over them cost about 5 % of a run and find nothing.
        collecting = gc.isenabled()
        gc.disable()
        gc.freeze()
        try:
            for index, item in enumerate(items, 1):
                if item.__class__ is RawItem:
                    self._raw(item)
                else:
                    self._item(item)  # type: ignore[arg-type]
                if self.on_progress and index % 20000 == 0:
                    self.on_progress(index)
        finally:
            gc.unfreeze()
            if collecting:
                gc.enable()
        self.stage.flush()
        self._skipped_modified()
        if (
            self.warn_markings_not_sent
            and self.markings_not_sent
            and self.marking_not_sent == SecurityMarking.NONE
        ):
            self.result.issues.append(_markings_not_sent_warning(self.markings_not_sent))
        return self.result

    def _item(self, item: Item) -> None:
        if isinstance(item, SourceIssue):
            if item.entity is not None and _restarts_collection(item):
                self._restart(item.entity)
            self.result.issues.append(item)
        elif isinstance(item, DeletedRecord):
            self.stage.add("s_mark", (f"gone:{item.entity.value}", item.source_id))
            self.deleted[item.entity].add(item.source_id)
        else:
            self._record(item)

    def _raw(self, raw: RawItem) -> None:
        entity = raw.entity
        if entity is not self._raw_entity:  # items come entity by entity: look up once
            self._raw_entity = entity
            self._raw_state = (
                self.seen[entity],
                self.live[entity],
                self.remap[entity] if self.remap is not None else None,
                self.mapped[entity],
                self.result.counts[entity.value],
            )
        seen, live, remap, mapped, counts = self._raw_state
        digest = raw.digest
        if entity is Entity.PERSON and self.marking_not_sent != SecurityMarking.NONE:
            # The setting decides what a missing marking means: turning it on or off re-maps.
            digest = salted(digest, self.marking_not_sent)
        source_id = raw.source_id
        if source_id is not None and source_id not in seen:  # a repeated id is mapped (error)
            if (
                remap is not None
                and live.get(source_id) == digest
                and source_id not in remap
                and (entity is not Entity.PERSON or self._unchanged_person(source_id, raw.item))
            ):
                # Counted as reading the record would have; not mapped.
                counts.read += 1
                counts.unchanged += 1
                seen.add(source_id)
                return
            mapped.add(source_id)
        for item in raw.map():
            if isinstance(item, SourceIssue):
                self._item(item)
            else:
                self._record(item, digest)  # type: ignore[arg-type]

    def _unchanged_person(self, source_id: uuid.UUID, item: dict[str, object]) -> bool:
        """Counts what reading the person's record would have; False if only mapping it can
        tell (its civic number is already taken in this run: an error)."""
        number = self.live_civic_numbers.get(source_id)
        if number:
            if number in self.civic_numbers:
                return False
            self.civic_numbers.add(number)
        if reads_as_empty_text(item.get("securityMarking")):  # as mapping the item would
            self.markings_not_sent += 1
        return True

    def _skipped_modified(self) -> None:
        """Skipped items' ``meta.modified`` was not parsed; it is their live rows' (same input,
        same value), so the latest per entity (the incremental checkpoint) stays exact. The
        skipped ones are the live ids seen but not mapped; whichever of them or the other
        live ids is the shorter list is sent to the database."""
        if self.live_modified is None:
            return
        for entity, live in self.live.items():
            if not self.result.counts[entity.value].unchanged:
                continue
            seen, mapped = self.seen[entity], self.mapped[entity]
            others = (live.keys() - seen) | (mapped & live.keys())
            if len(others) * 2 < len(live):
                value = self.live_modified(entity, others, False)
            else:
                value = self.live_modified(entity, (seen & live.keys()) - mapped, True)
            latest = self.result.latest_modified.get(entity.value)
            if value is not None and (latest is None or value > latest):
                self.result.latest_modified[entity.value] = value

    def mark_gone(self, *, full: bool) -> None:
        """A full snapshot: whatever the register no longer sends is gone. An incremental run
        knows only what /deletedEntities said (already marked while reading)."""
        for entity, live in self.live.items():
            gone = (set(live) - self.seen[entity]) if full else set()
            gone -= self.deleted[entity]
            for source_id in gone:
                self.stage.add("s_mark", (f"gone:{entity.value}", source_id))
            self.result.counts[entity.value].gone += len(gone) + len(
                self.deleted[entity] & set(live)
            )
        self.stage.flush()

    def _restart(self, entity: Entity) -> None:
        """The register asked to read this collection again from its first page (its data
        changed while we paged: HTTP 410). What this run read of it so far may be stale, and
        reading it again must not trip over its own ids as duplicates: forget it all."""
        self.stage.discard(STAGED_BY_ENTITY[entity])
        self.seen[entity].clear()
        self.mapped[entity].clear()
        self._raw_entity = None  # counts were replaced
        self.result.counts[entity.value] = EntityCounts()
        self.result.samples.pop(entity.value, None)
        self.result.latest_modified.pop(entity.value, None)
        # Row issues of the first pass come again with the rows; earlier restarts are kept.
        self.result.issues = [
            i for i in self.result.issues if i.entity != entity or _restarts_collection(i)
        ]
        if entity is Entity.PERSON:
            self.civic_numbers.clear()
            self.markings_not_sent = 0
            self.result.quarantine.clear()
            self.stage.discard_marks("quarantined")

    # --- per record ---------------------------------------------------------------------------

    def _record(self, record: LiveRecord, digest: str | None = None) -> None:
        """``digest``: of the raw item the record was mapped from (SS 12000); CSV records are
        digested here."""
        # Runs for every record of the register: the entity's name is looked up once per type
        # (``Entity.value`` and an enum's hash are Python-level calls).
        entity, name = _ENTITY_NAME[type(record)]
        counts = self.result.counts[name]
        counts.read += 1
        source_id = record.source_id
        seen = self.seen[entity]
        if source_id in seen:
            self._error(entity, source_id, "the same id appears twice; the later row was skipped")
            return
        seen.add(source_id)
        modified = record.modified
        if modified is not None:
            latest = self.result.latest_modified.get(name)
            if latest is None or modified > latest:
                self.result.latest_modified[name] = modified
        number: CivicNumber | None = None
        if isinstance(record, PersonRecord):
            if not record.security_marking:
                # Before the digest: it is the marking the register is taken to mean.
                self.markings_not_sent += 1
                record = replace(record, security_marking=self.marking_not_sent)
            admitted, number = self._person(record, counts)
            if not admitted:
                return
        if digest is None:
            digest = content_hash(record)
        previous = self.live[entity].get(source_id)
        if previous == digest:
            counts.unchanged += 1
            return
        kind = "new" if previous is None else "changed"
        setattr(counts, kind, getattr(counts, kind) + 1)
        self._sample(entity, kind, record)
        if isinstance(record, PersonRecord):
            stage_person(self.stage, record, digest, number)
        else:
            STAGERS[type(record)](self.stage, record, digest)

    def _person(
        self, record: PersonRecord, counts: EntityCounts
    ) -> tuple[bool, CivicNumber | None]:
        """(whether the person is imported, the parsed civic number if any)."""
        if (
            record.security_marking != SecurityMarking.NONE
            and record.source_id not in self.admitted
        ):
            # Protected identity: held in quarantine until an administrator admits the person.
            counts.quarantined += 1
            self.result.quarantine[record.source_id] = record
            # Not "seen": a person already in the register who gains the marking leaves it.
            self.seen[Entity.PERSON].discard(record.source_id)
            self.stage.add("s_mark", ("quarantined", record.source_id))
            return False, None
        if not record.civic_no:
            return True, None
        try:
            number = parse_civic_number(record.civic_no)
        except InvalidCivicNumber as invalid:
            self._error(Entity.PERSON, record.source_id, f"civic number: {invalid}")
            return False, None
        if number.value in self.civic_numbers:
            self._error(
                Entity.PERSON, record.source_id, "civic number already used by another person"
            )
            return False, None
        self.civic_numbers.add(number.value)
        return True, number

    def _error(self, entity: Entity, source_id: uuid.UUID, message: str) -> None:
        self.result.counts[entity.value].errors += 1
        self.result.issues.append(
            SourceIssue(severity="error", entity=entity, source_id=str(source_id), message=message)
        )

    def _sample(self, entity: Entity, kind: str, record: Record) -> None:
        bucket = self.result.samples.setdefault(entity.value, {}).setdefault(kind, [])
        if len(bucket) < SAMPLE_SIZE:
            bucket.append(_label(record))


def _markings_not_sent_warning(count: int) -> SourceIssue:
    """One warning per run (not per person): the register may strip markings on purpose."""
    return SourceIssue(
        severity="warning",
        entity=Entity.PERSON,
        source_id="",
        message=(
            f"{count} persons came without a security marking and were read as 'Ingen'. If the "
            "register leaves markings out, turn on 'treat persons without a security marking as "
            "protected' in the settings."
        ),
    )


def _restarts_collection(issue: SourceIssue) -> bool:
    """The SS 12000 source's note that it reads a collection again from the first page (410
    NEW_DATA_RESTART_FROM_FIRST_PAGE). A restart of /deletedEntities needs nothing: deletions
    read twice mark the same rows."""
    return "restart" in issue.details and "/deletedEntities" not in issue.location


def _label(record: Record) -> str:
    if isinstance(record, PersonRecord):
        return f"{record.given_name} {record.family_name}"
    return str(getattr(record, "display_name", getattr(record, "duty_role", "")))


_ENTITY: dict[type, Entity] = {
    OrganisationRecord: Entity.ORGANISATION,
    PersonRecord: Entity.PERSON,
    GroupRecord: Entity.GROUP,
    DutyRecord: Entity.DUTY,
    ActivityRecord: Entity.ACTIVITY,
}
_ENTITY_NAME: dict[type, tuple[Entity, str]] = {cls: (e, e.value) for cls, e in _ENTITY.items()}
