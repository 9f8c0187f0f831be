"""Import runs: create, execute (read → stage → apply in one transaction → record), cancel.

A run applies completely or not at all: everything before the final transaction writes only to
temporary staging tables on the run's own connection, and the apply itself is one transaction.
A crash, a kill or an error leaves the previous register intact.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.db import connection
from core.tasks import enqueue_on_commit
from integrations.models import (
    ImportPhase,
    ImportRun,
    ImportSource,
    ImportStatus,
    QuarantinedPerson,
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
from integrations.services.live_register import (
    LIVE_MODELS,
    ids_to_remap,
    live_hashes,
    live_modified,
    live_persons,
)
from integrations.services.locks import (
    import_run_is_large,
    large_import_slot_release,
    large_import_slot_take,
    tenant_import_lock_release,
    tenant_import_lock_try,
)
from integrations.services.run_record import (
    checkpoints_store,
    issues_store,
    quarantined_store,
    run_record,
    run_update,
)
from integrations.services.sources import open_source
from municipal.selectors import municipal_settings_get
from register.models import Person
from register.models.base import today
from register.models.choices import SecurityMarking


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
                run_update(run, phase=ImportPhase.WAITING_FOR_SLOT, heartbeat_at=timezone.now())
                raise ImportWaitingForSlot("every slot for large imports is taken")
        run_update(
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
        run_update(run, status=ImportStatus.CANCELLED, finished_at=timezone.now())
    except Exception as error:  # the run records why; the task re-raises nothing (no retry)
        message = str(error) if isinstance(error, ImportFailed) else _describe(error)
        counts: dict[str, int] = {}
        if isinstance(error, ImportOverThreshold):
            counts = issues_store(run, error.issues)
        run_update(
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
        entity: live_hashes(model) for entity, model in LIVE_MODELS.items() if model is not Person
    }
    live[Entity.PERSON], civic_numbers = live_persons()
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
        remap=ids_to_remap(),
        live_civic_numbers=civic_numbers,
        live_modified=live_modified,
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
    run_update(run, phase=ImportPhase.APPLYING, percent=80, heartbeat_at=timezone.now())
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
            quarantined_store(run, read)
            if not run.dry_run:
                checkpoints_store(opened, read)
            run_record(run, read, applied.issues, applied.held_back, accounts, timings, fingerprint)
            if run.dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        # Everything above was rolled back; keep the run's record of what it would have done.
        run_record(run, read, applied.issues, applied.held_back, accounts, timings, fingerprint)


def _progress(run: ImportRun, expected: int) -> Callable[[int], None]:
    def report(records: int) -> None:
        percent = min(75, 1 + int(74 * records / expected))
        cancelled = ImportRun.objects.filter(pk=run.pk, cancel_requested=True).exists()
        run_update(run, percent=percent, heartbeat_at=timezone.now())
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
