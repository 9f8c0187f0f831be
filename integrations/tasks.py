"""Import tasks: thin, idempotent. Runs go to the `imports` queue (config/celery.py routes
``integrations.tasks.*`` there); the short scheduler and reaper tasks are sent to `default`
by their dispatchers, so that they are not stuck behind long imports."""

from __future__ import annotations

from typing import Any

from config.celery import app
from integrations.services.reaper import import_runs_reap
from integrations.services.runs import ImportBusy, ImportWaitingForSlot, import_run_execute
from integrations.services.schedules import scheduled_import_start
from integrations.services.upload_purge import import_uploads_purge
from worker.base import PlatformTask
from worker.dispatch import fan_out

# Seconds over which a dispatcher spreads its per-municipality tasks. The scheduler's stays
# below its one-minute period, so one municipality's decisions do not overlap (they would be
# harmless: the decision locks the connection row).
SCHEDULE_JITTER = 20.0
LOCK_RETRY_SECONDS = 10
SLOT_RETRY_SECONDS = 5
REAPER_JITTER = 30.0
PURGE_JITTER = 600.0


@app.task(bind=True, soft_time_limit=1500, time_limit=1800, max_retries=None)
def run_import(self, *, run_id: int) -> str:
    """One run of one municipality. If another run of the same municipality holds the lock,
    wait and try again: runs of a municipality never overlap. A large run that finds no free
    slot for large runs tries again sooner (a slot frees when any large run ends)."""
    try:
        run = import_run_execute(run_id=run_id)
    except ImportWaitingForSlot as waiting:
        raise self.retry(exc=waiting, countdown=SLOT_RETRY_SECONDS) from waiting
    except ImportBusy as busy:
        raise self.retry(exc=busy, countdown=LOCK_RETRY_SECONDS) from busy
    return str(run.status)


@app.task(soft_time_limit=30, time_limit=60)
def start_scheduled_import() -> int | None:
    """In one municipality: creates and queues the scheduled run that is due, if any."""
    run = scheduled_import_start()
    return run.pk if run else None


@app.task(soft_time_limit=60, time_limit=120)
def reap_import_runs() -> dict[str, Any]:
    """In one municipality: ends or restarts runs whose worker died (see services/reaper)."""
    return import_runs_reap().__dict__


@app.task(soft_time_limit=120, time_limit=180)
def purge_import_uploads() -> dict[str, Any]:
    """In one municipality: deletes uploaded exports that no run needs any more."""
    return import_uploads_purge().__dict__


@app.task(base=PlatformTask, soft_time_limit=30, time_limit=60)
def dispatch_scheduled_imports(jitter_seconds: float = SCHEDULE_JITTER) -> list[str]:
    """Dispatcher (beat, every minute): one scheduler task per serving municipality."""
    return fan_out(start_scheduled_import, queue="default", jitter_seconds=jitter_seconds)


@app.task(base=PlatformTask, soft_time_limit=30, time_limit=60)
def dispatch_import_reaper(jitter_seconds: float = REAPER_JITTER) -> list[str]:
    """Dispatcher (beat, every 2 minutes): one reaper task per serving municipality."""
    return fan_out(reap_import_runs, queue="default", jitter_seconds=jitter_seconds)


@app.task(base=PlatformTask, soft_time_limit=30, time_limit=60)
def dispatch_import_uploads_purge(jitter_seconds: float = PURGE_JITTER) -> list[str]:
    """Dispatcher (beat, nightly): one upload purge per serving municipality."""
    return fan_out(purge_import_uploads, queue="default", jitter_seconds=jitter_seconds)
