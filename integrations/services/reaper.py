"""Noticing runs whose worker died: no run stays "running" (or "queued") forever.

The database is the source of truth. A running run writes ``heartbeat_at`` when it starts,
while it reads (every 20,000 records) and when it starts applying; the apply and the account
update are then one transaction with no heartbeat until the end. A worker that died mid-run
left its transaction rolled back (nothing was applied) and its database session closed, which
released the municipality's import lock (``services/locks.py``).

So a run is taken as dead when its heartbeat is older than ``STALE_AFTER`` **and** nobody holds
the import lock; or, whoever holds the lock, when its heartbeat is older than ``DEAD_AFTER``,
which is above the import task's hard time limit (30 minutes, ``integrations.tasks``): no live
worker can be that long without a heartbeat. A long apply therefore never looks dead: while it
runs, its worker holds the lock.

A dead run is picked up again *as the same run* (status back to queued, the task queued anew),
so the portal keeps polling the same id; ``attempts`` counts the starts. After
``MAX_ATTEMPTS`` starts it fails with a message saying nothing was applied. A queued run no
worker picked up within ``REQUEUE_AFTER`` (the message was lost, e.g. Redis was emptied) is
queued again; after ``GIVE_UP_AFTER`` it fails, so that schedules are not blocked by it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.tasks import enqueue_on_commit
from integrations.models import ImportPhase, ImportRun, ImportStatus
from integrations.services.locks import tenant_import_lock_release, tenant_import_lock_try

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=10)
DEAD_AFTER = dt.timedelta(minutes=35)
REQUEUE_AFTER = dt.timedelta(hours=1)
GIVE_UP_AFTER = dt.timedelta(hours=24)
MAX_ATTEMPTS = 3

HEARTBEAT_LOST = "The worker stopped (heartbeat lost) {attempts} times; nothing was applied."
NEVER_PICKED_UP = "No worker picked the run up within 24 hours; nothing was applied."


@dataclass
class ReapReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    skipped_locked: list[int] = field(default_factory=list)


def import_runs_reap(*, now: dt.datetime | None = None) -> ReapReport:
    """Ends or restarts this municipality's dead runs. Safe to run at any time, and twice."""
    now = now or timezone.now()
    report = ReapReport()
    locked = tenant_import_lock_try()
    try:
        _reap_running(now, report, lock_free=locked)
        _reap_queued(now, report)
    finally:
        if locked:
            tenant_import_lock_release()
    if report.requeued or report.failed or report.cancelled:
        logger.warning(
            "import reaper: requeued %s, failed %s, cancelled %s",
            report.requeued,
            report.failed,
            report.cancelled,
        )
    return report


def _last_sign_of_life() -> Coalesce:
    return Coalesce("heartbeat_at", "started_at", "created_at")


@transaction.atomic
def _reap_running(now: dt.datetime, report: ReapReport, *, lock_free: bool) -> None:
    stale = (
        ImportRun.objects.select_for_update(skip_locked=True)
        .alias(alive_at=_last_sign_of_life())
        .filter(status=ImportStatus.RUNNING, alive_at__lt=now - STALE_AFTER)
        .order_by("pk")
    )
    for run in stale:
        last = run.heartbeat_at or run.started_at or run.created_at
        if not lock_free and last >= now - DEAD_AFTER:
            report.skipped_locked.append(run.pk)  # a worker holds the lock: maybe this run
            continue
        if run.cancel_requested:
            _set(run, status=ImportStatus.CANCELLED, finished_at=now)
            report.cancelled.append(run.pk)
        elif run.attempts < MAX_ATTEMPTS:
            _requeue(run, now)
            report.requeued.append(run.pk)
        else:
            _set(
                run,
                status=ImportStatus.FAILED,
                failure=HEARTBEAT_LOST.format(attempts=run.attempts),
                finished_at=now,
            )
            report.failed.append(run.pk)


@transaction.atomic
def _reap_queued(now: dt.datetime, report: ReapReport) -> None:
    waiting = (
        ImportRun.objects.select_for_update(skip_locked=True)
        .alias(nudged_at=Coalesce("heartbeat_at", "created_at"))
        .filter(
            Q(created_at__lt=now - GIVE_UP_AFTER) | Q(nudged_at__lt=now - REQUEUE_AFTER),
            status=ImportStatus.QUEUED,
        )
        .order_by("pk")
    )
    for run in waiting:
        if run.created_at < now - GIVE_UP_AFTER:
            _set(run, status=ImportStatus.FAILED, failure=NEVER_PICKED_UP, finished_at=now)
            report.failed.append(run.pk)
        else:
            _requeue(run, now)
            report.requeued.append(run.pk)


def _requeue(run: ImportRun, now: dt.datetime) -> None:
    # For a queued run, heartbeat_at is when it was last (re)queued: the next nudge waits an
    # hour from there. import_run_execute starts the run over (attempts + 1).
    _set(
        run,
        status=ImportStatus.QUEUED,
        phase=ImportPhase.WAITING,
        percent=0,
        started_at=None,
        heartbeat_at=now,
    )
    from integrations.tasks import run_import

    enqueue_on_commit(run_import, run_id=run.pk)


def _set(run: ImportRun, **fields: object) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=list(fields))
