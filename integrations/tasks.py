"""Import tasks: thin, idempotent, on the `imports` queue."""

from __future__ import annotations

from config.celery import app
from integrations.services.runs import ImportBusy, import_run_execute


@app.task(bind=True, soft_time_limit=1500, time_limit=1800, max_retries=None)
def run_import(self, *, run_id: int) -> str:
    """One run of one municipality. If another run of the same municipality holds the lock,
    wait and try again: runs of a municipality never overlap."""
    try:
        run = import_run_execute(run_id=run_id)
    except ImportBusy as busy:
        raise self.retry(exc=busy, countdown=10) from busy
    return str(run.status)
