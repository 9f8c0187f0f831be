"""What the register holds now, as an import run's reader needs it: the digests of the live rows
(new, changed or unchanged), the live civic numbers (duplicates), the ids whose items must be
mapped again although unchanged (their last mapping gave issues) and the latest
``source_modified`` of rows the reader skipped (the incremental checkpoint). Plain SQL where the
ORM's per-row work showed in a no-change run."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Count

from core.db import connection
from integrations.models import ImportIssue, ImportRun, ImportStatus
from integrations.records import Entity
from register.models import Activity, Duty, Group, Organisation, Person

LIVE_MODELS = {
    Entity.ORGANISATION: Organisation,
    Entity.PERSON: Person,
    Entity.GROUP: Group,
    Entity.DUTY: Duty,
    Entity.ACTIVITY: Activity,
}


def live_hashes(model: type) -> dict[uuid.UUID, str]:
    # Plain SQL: the ORM's per-row work cost about 5 % of a no-change run.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT source_id, content_hash FROM {model._meta.db_table}"  # type: ignore[attr-defined]  # noqa: S608
        )
        return dict(cursor.fetchall())


def live_persons() -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
    """Digests and civic numbers of the live persons, in one pass (Reader.live_civic_numbers:
    unchanged persons are not mapped, their numbers still count for duplicates)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT source_id, content_hash, civic_no FROM register_person WHERE removed_at IS NULL"
        )
        rows = cursor.fetchall()
    hashes = {source_id: digest for source_id, digest, _civic_no in rows}
    return hashes, {source_id: civic_no for source_id, _digest, civic_no in rows if civic_no}


def ids_to_remap() -> dict[Entity, set[uuid.UUID]] | None:
    """Source ids whose items must be mapped even if unchanged (Reader.remap): those with issues
    in the runs that made the register what it is, i.e. the applied runs back to the last full
    one (an incremental run only reports what it read). None if those reports were cut at
    MAX_STORED_ISSUES (services/runs.py): then nothing is skipped, so that no warning goes
    missing."""
    runs = []
    for run in ImportRun.objects.filter(status=ImportStatus.SUCCEEDED, dry_run=False).order_by(
        "-finished_at"
    ):
        runs.append(run)
        if not run.incremental:
            break
    stored = dict(
        ImportIssue.objects.filter(run__in=runs)
        .values("run")
        .annotate(n=Count("id"))
        .values_list("run", "n")
    )
    if any(stored.get(r.pk, 0) < r.error_count + r.warning_count for r in runs):
        return None
    remap: dict[Entity, set[uuid.UUID]] = {entity: set() for entity in Entity}
    rows = (
        ImportIssue.objects.filter(run__in=runs, entity__in=[e.value for e in Entity])
        .exclude(source_id="")
        .values_list("entity", "source_id")
        .distinct()
    )
    for entity, source_id in rows:
        try:
            remap[Entity(entity)].add(uuid.UUID(source_id))
        except ValueError:
            continue  # not an id of a row (e.g. a CSV line's key): nothing to skip anyway
    return remap


def live_modified(entity: Entity, source_ids: set[uuid.UUID], among: bool) -> dt.datetime | None:
    """The latest ``source_modified`` of the live rows among ``source_ids`` or, with ``among``
    False, of the others (Reader.live_modified)."""
    model = LIVE_MODELS[entity]
    condition = "source_id = ANY(%s)" if among else "NOT (source_id = ANY(%s))"
    if model is Person:
        condition += " AND removed_at IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT max(source_modified) FROM {model._meta.db_table}"  # noqa: S608 - a model's table
            f" WHERE {condition}",
            [list(source_ids)],
        )
        value: dt.datetime | None = cursor.fetchone()[0]
    return value
