"""Import runs: create, execute (read → stage → apply in one transaction → record), cancel.

A run applies completely or not at all: everything before the final transaction writes only to
temporary staging tables on the run's own connection, and the apply itself is one transaction.
A crash, a kill or an error leaves the previous register intact.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from core.db import connection
from core.tasks import enqueue_on_commit
from integrations.models import (
    ImportIssue,
    ImportPhase,
    ImportRun,
    ImportSource,
    ImportStatus,
    QuarantinedPerson,
    RegisterCheckpoint,
    RegisterConnection,
)
from integrations.pipeline.accounts_sql import accounts_sync
from integrations.pipeline.apply import apply_staged, apply_transaction_tune, staged_fingerprint
from integrations.pipeline.bulk import (
    REGISTER_TABLES,
    bulk_load_begin,
    bulk_load_finish,
    bulk_tables,
)
from integrations.pipeline.reader import Reader, ReadResult
from integrations.pipeline.staging import Stage
from integrations.records import Entity, SourceIssue
from integrations.services.locks import (
    import_run_is_large,
    large_import_slot_release,
    large_import_slot_take,
    tenant_import_lock_release,
    tenant_import_lock_try,
)
from integrations.services.sources import open_source
from municipal.selectors import municipal_settings_get
from register.models import Activity, Duty, Group, Organisation, Person
from register.models.base import today
from register.models.choices import SecurityMarking

LIVE_MODELS = {
    Entity.ORGANISATION: Organisation,
    Entity.PERSON: Person,
    Entity.GROUP: Group,
    Entity.DUTY: Duty,
    Entity.ACTIVITY: Activity,
}
MAX_STORED_ISSUES = 10_000


class ImportFailed(Exception):
    """The run ends failed; the message is for the administrator (no personal data)."""


class ImportOverThreshold(ImportFailed):
    """Too many rows had errors. Carries the issues: they are stored with the failed run (after
    the apply transaction was rolled back, so that the report survives it)."""

    def __init__(self, message: str, issues: list[SourceIssue]) -> None:
        super().__init__(message)
        self.issues = issues


class ImportCancelled(Exception):
    pass


class ImportBusy(Exception):
    """Another run of this municipality holds the import lock. The run stays queued; the task
    tries again."""


class ImportWaitingForSlot(ImportBusy):
    """A large run found every slot for large runs taken (services/locks.py)."""


class _DryRunRollback(Exception):
    pass


@transaction.atomic
def import_run_create(
    *,
    source: str,
    trigger: str,
    source_path: str = "",
    dry_run: bool = False,
    incremental: bool = False,
    requested_by: User | None = None,
    applies_dry_run: ImportRun | None = None,
    enqueue: bool = True,
) -> ImportRun:
    run = ImportRun.objects.create(
        source=source,
        source_path=source_path,
        trigger=trigger,
        dry_run=dry_run,
        incremental=incremental,
        requested_by=requested_by,
        applies_dry_run=applies_dry_run,
    )
    if enqueue:
        from integrations.tasks import run_import

        enqueue_on_commit(run_import, run_id=run.pk)
    return run


class DryRunInputGone(ImportFailed):
    """The dry run's upload was deleted (services/upload_purge): it can no longer be applied."""


@transaction.atomic
def import_run_apply_dry_run(
    *, dry_run: ImportRun, trigger: str, requested_by: User | None
) -> ImportRun:
    """Applies what a dry run showed: a new run over the same input that refuses to apply if
    the diff is not the one shown. ``trigger`` is who applies it now (the dry run's own may
    differ: a dry run by API token applied by an administrator in the portal)."""
    if not dry_run.dry_run or dry_run.status != ImportStatus.SUCCEEDED:
        raise ImportFailed("Only a finished dry run can be applied.")
    if dry_run.source_path and not Path(dry_run.source_path).exists():
        raise DryRunInputGone(
            "The dry run's upload has been deleted (uploads are kept for a limited time); "
            "upload the export again and run a new dry run."
        )
    return import_run_create(
        source=dry_run.source,
        source_path=dry_run.source_path,
        trigger=trigger,
        incremental=dry_run.incremental,
        requested_by=requested_by,
        applies_dry_run=dry_run,
    )


def import_run_cancel(*, run: ImportRun) -> ImportRun:
    ImportRun.objects.filter(pk=run.pk, status__in=["queued", "running"]).update(
        cancel_requested=True
    )
    ImportRun.objects.filter(pk=run.pk, status="queued").update(
        status=ImportStatus.CANCELLED, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def _update(run: ImportRun, **fields: object) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    ImportRun.objects.filter(pk=run.pk).update(**fields)


def import_run_execute(*, run_id: int) -> ImportRun:
    """Runs an import to its end. Idempotent: a finished run is left as it is; a run picked up
    again after its worker died starts over (nothing of the earlier attempt was applied)."""
    run = ImportRun.objects.get(pk=run_id)
    if run.is_finished:
        return run
    if not tenant_import_lock_try():
        raise ImportBusy(f"another import of {connection.schema_name} is running")
    stage = Stage()
    slot: int | None = None
    try:
        if run.cancel_requested:
            raise ImportCancelled
        if import_run_is_large(run):
            slot = large_import_slot_take()
            if slot is None:
                # heartbeat_at: when a queued run was last nudged (the reaper's clock)
                _update(run, phase=ImportPhase.WAITING_FOR_SLOT, heartbeat_at=timezone.now())
                raise ImportWaitingForSlot("every slot for large imports is taken")
        _update(
            run,
            status=ImportStatus.RUNNING,
            phase=ImportPhase.READING,
            started_at=timezone.now(),
            heartbeat_at=timezone.now(),
            attempts=run.attempts + 1,
            percent=1,
        )
        _execute(run, stage)
    except ImportBusy:
        raise
    except ImportCancelled:
        _update(run, status=ImportStatus.CANCELLED, finished_at=timezone.now())
    except Exception as error:  # the run records why; the task re-raises nothing (no retry)
        message = str(error) if isinstance(error, ImportFailed) else _describe(error)
        counts: dict[str, int] = {}
        if isinstance(error, ImportOverThreshold):
            counts = _store_issues(run, error.issues)
        _update(
            run, status=ImportStatus.FAILED, failure=message, finished_at=timezone.now(), **counts
        )
    finally:
        stage.drop()
        if slot is not None:
            large_import_slot_release(slot)
        tenant_import_lock_release()
    return run


def _describe(error: Exception) -> str:
    from integrations.sources.errors import SourceError

    if isinstance(error, SourceError):
        return f"The register input could not be read: {error}"
    return f"Internal error ({type(error).__name__}); nothing was applied."


def _execute(run: ImportRun, stage: Stage) -> None:
    timings: dict[str, float] = {}
    started = time.monotonic()
    stage.create()
    live = {
        entity: _live_hashes(model) for entity, model in LIVE_MODELS.items() if model is not Person
    }
    live[Entity.PERSON], civic_numbers = _live_persons()
    admitted = set(
        QuarantinedPerson.objects.filter(admitted_at__isnull=False).values_list(
            "source_id", flat=True
        )
    )
    expected = max(1, sum(len(hashes) for hashes in live.values()))
    reader = Reader(
        stage=stage,
        live_hashes=live,
        admitted=admitted,
        on_progress=_progress(run, expected),
        marking_not_sent=(
            SecurityMarking.MISSING
            if municipal_settings_get().missing_security_marking_protected
            else SecurityMarking.NONE
        ),
        warn_markings_not_sent=run.source != ImportSource.CSV,
        remap=_remap(),
        live_civic_numbers=civic_numbers,
        live_modified=_live_modified,
    )
    opened = open_source(run)
    try:
        read = reader.consume(opened.items)
    finally:
        opened.close()
    full = not run.incremental
    if full:
        reader.live = {e: h for e, h in live.items() if e in opened.covered}
    reader.mark_gone(full=full)
    stage.analyze()
    timings["read"] = round(time.monotonic() - started, 3)
    _check_threshold(read, extra_issues=[])

    fingerprint = staged_fingerprint()
    if run.applies_dry_run and run.applies_dry_run.diff_fingerprint != fingerprint:
        raise ImportFailed(
            "The register changed since the dry run; run a new dry run and apply that."
        )
    _update(run, phase=ImportPhase.APPLYING, percent=80, heartbeat_at=timezone.now())
    started = time.monotonic()
    try:
        with transaction.atomic():
            apply_transaction_tune()
            # Tables receiving most of their rows load without their indexes and foreign keys
            # until bulk_load_finish (pipeline/bulk.py: when, why, and what it locks).
            bulk = bulk_load_begin(bulk_tables(stage.rows))
            applied = apply_staged(today=today())
            _check_threshold(read, extra_issues=applied.issues)
            timings["apply"] = round(time.monotonic() - started, 3)
            started = time.monotonic()
            accounts = None
            if _anything_changed(read):
                _refresh_statistics()
                accounts = accounts_sync(settings=municipal_settings_get(), today=today())
            timings["accounts"] = round(time.monotonic() - started, 3)
            if bulk.tables:  # re-creating the indexes and keys counts as applying
                started = time.monotonic()
                bulk_load_finish(bulk)
                timings["apply"] = round(timings["apply"] + time.monotonic() - started, 3)
            _quarantine(run, read)
            if not run.dry_run:
                _checkpoints(opened, read)
            _record(run, read, applied.issues, applied.held_back, accounts, timings, fingerprint)
            if run.dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        # Everything above was rolled back; keep the run's record of what it would have done.
        _record(run, read, applied.issues, applied.held_back, accounts, timings, fingerprint)


def _live_hashes(model: type) -> dict[uuid.UUID, str]:
    # Plain SQL: the ORM's per-row work cost about 5 % of a no-change run.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT source_id, content_hash FROM {model._meta.db_table}"  # type: ignore[attr-defined]  # noqa: S608
        )
        return dict(cursor.fetchall())


def _live_persons() -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
    """Digests and civic numbers of the live persons, in one pass (Reader.live_civic_numbers:
    unchanged persons are not mapped, their numbers still count for duplicates)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT source_id, content_hash, civic_no FROM register_person WHERE removed_at IS NULL"
        )
        rows = cursor.fetchall()
    hashes = {source_id: digest for source_id, digest, _civic_no in rows}
    return hashes, {source_id: civic_no for source_id, _digest, civic_no in rows if civic_no}


def _remap() -> dict[Entity, set[uuid.UUID]] | None:
    """Source ids whose items must be mapped even if unchanged (Reader.remap): those with issues
    in the runs that made the register what it is, i.e. the applied runs back to the last full
    one (an incremental run only reports what it read). None if those reports were cut at
    MAX_STORED_ISSUES: then nothing is skipped, so that no warning goes missing."""
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


def _live_modified(entity: Entity, source_ids: set[uuid.UUID], among: bool) -> dt.datetime | None:
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


def _progress(run: ImportRun, expected: int) -> Callable[[int], None]:
    def report(records: int) -> None:
        percent = min(75, 1 + int(74 * records / expected))
        cancelled = ImportRun.objects.filter(pk=run.pk, cancel_requested=True).exists()
        _update(run, percent=percent, heartbeat_at=timezone.now())
        if cancelled:
            raise ImportCancelled

    return report


def _check_threshold(read: ReadResult, *, extra_issues: list[SourceIssue]) -> None:
    errors = read.error_count + sum(1 for i in extra_issues if i.severity == "error")
    if not errors:
        return
    connection_row = RegisterConnection.objects.filter(pk=1).first()
    threshold = connection_row.error_threshold_percent if connection_row else Decimal(1)
    rows = max(1, read.rows_read)
    if Decimal(errors * 100) / rows > threshold:
        # Not stored here: this may run inside the apply transaction, which the raise rolls
        # back. import_run_execute stores them with the failed run.
        raise ImportOverThreshold(
            f"{errors} of {rows} rows had errors, above the threshold of {threshold} %;"
            " nothing was applied. Download the error report for the details.",
            [*read.issues, *extra_issues],
        )


def _refresh_statistics() -> None:
    """Bulk changes leave the planner's statistics stale until autovacuum comes by; the access
    policy's subqueries then get plans that are quadratic in the number of pupils. ANALYZE
    samples a bounded number of rows per table, so this stays cheap for a large municipality."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(REGISTER_TABLES))


def _anything_changed(read: ReadResult) -> bool:
    return any(c.new or c.changed or c.gone for c in read.counts.values())


def _quarantine(run: ImportRun, read: ReadResult) -> None:
    """Creates or updates the quarantined persons of this run (one upsert per 2,000; one
    update_or_create each took seconds for the 1,100 of a large municipality)."""
    QuarantinedPerson.objects.bulk_create(
        [
            QuarantinedPerson(
                source_id=source_id,
                given_name=person.given_name,
                family_name=person.family_name,
                security_marking=person.security_marking,
                last_seen_run=run,
            )
            for source_id, person in read.quarantine.items()
        ],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["source_id"],
        update_fields=["given_name", "family_name", "security_marking", "last_seen_run"],
    )


def _checkpoints(opened: object, read: ReadResult) -> None:
    api = getattr(opened, "api", None)
    marks: dict[str, dt.datetime] = (
        {e.value: value for e, value in api.checkpoints.items()} if api else read.latest_modified
    )
    for entity, value in marks.items():
        RegisterCheckpoint.objects.update_or_create(
            entity=entity, defaults={"modified_after": value}
        )


def _store_issues(run: ImportRun, issues: list[SourceIssue]) -> dict[str, int]:
    """Replaces the run's stored issues; returns the run's error and warning counts."""
    ImportIssue.objects.filter(run=run).delete()
    ImportIssue.objects.bulk_create(
        [
            ImportIssue(
                run=run,
                severity=i.severity,
                entity=i.entity.value if i.entity else "",
                source_id=i.source_id[:64],
                location=i.location[:200],
                message=i.message[:500],
            )
            for i in issues[:MAX_STORED_ISSUES]
        ],
        batch_size=2000,
    )
    return {
        "error_count": sum(1 for i in issues if i.severity == "error"),
        "warning_count": sum(1 for i in issues if i.severity == "warning"),
    }


def _record(
    run: ImportRun,
    read: ReadResult,
    apply_issues: list[SourceIssue],
    held_back: int,
    accounts: object,
    timings: dict[str, float],
    fingerprint: str,
) -> None:
    issues = [*read.issues, *apply_issues]
    issue_counts = _store_issues(run, issues)
    counts: dict[str, dict[str, int]] = {k: v.as_dict() for k, v in read.counts.items()}
    counts["references"] = {"held_back": held_back}
    if accounts is not None:
        counts["accounts"] = dict(accounts.__dict__)
    _update(
        run,
        counts=counts,
        samples=read.samples if run.dry_run else {},
        timings=timings,
        diff_fingerprint=fingerprint,
        **issue_counts,
        status=ImportStatus.SUCCEEDED,
        phase=ImportPhase.DONE,
        percent=100,
        finished_at=timezone.now(),
    )
