"""Scheduled register imports: incremental every N minutes, a full run nightly.

Beat runs ``dispatch_scheduled_imports`` every minute; it queues ``start_scheduled_import`` in
every serving municipality (with jitter), which calls ``scheduled_import_start`` here. The
decision itself (``scheduled_import_due``) is a pure function of the time, the municipality's
settings and its earlier runs, so it is tested with fixed times.

Rules (times are the municipality's local time, Europe/Stockholm):

- Only when the connection is enabled and reads the SS 12000 API (file sources are uploaded).
- Never while a run (of any source) is queued or running: one run per municipality at a time.
- No baseline yet (no successful full API run with checkpoints): a full run, at once.
- The nightly full run is due from ``full_sync_hour`` plus the municipality's own minute offset
  (0-59, from its schema name, so that municipalities with the same hour do not all start in
  the same minute) until ``FULL_WINDOW`` later, once per night: any full API run created since
  that night's start counts, whatever its outcome (a failing register is retried the next
  night, not every minute; incremental runs continue meanwhile).
- A person admitted from the quarantine since the newest full API run: a full run at once (the
  person comes only with a full read; any outcome counts, so a failing register is not read in
  full every minute).
- Otherwise an incremental run is due when the newest API run (full or incremental) is at least
  ``incremental_every_minutes`` old; 0 turns incremental runs off.
"""

from __future__ import annotations

import datetime as dt
import enum
import zlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core.db import connection
from integrations.models import ImportRun, ImportSource, ImportTrigger, RegisterConnection
from integrations.selectors import ImportHistory, import_history_get
from integrations.services.runs import import_run_create

FULL_WINDOW = dt.timedelta(hours=4)


class Due(enum.Enum):
    FULL = "full"
    INCREMENTAL = "incremental"


@dataclass(frozen=True)
class ScheduleSettings:
    enabled: bool
    source: str
    incremental_every_minutes: int
    full_sync_hour: int
    full_sync_minute: int = 0  # the municipality's offset within the hour


def schedule_minute_offset(schema_name: str) -> int:
    """A stable minute (0-59) per municipality: spreads nightly runs over the hour."""
    return zlib.crc32(schema_name.encode()) % 60


def _night_start(now: dt.datetime, settings: ScheduleSettings) -> dt.datetime:
    """The start of the latest nightly slot at or before ``now`` (today's or yesterday's)."""
    local = timezone.localtime(now)
    at = dt.time(settings.full_sync_hour % 24, settings.full_sync_minute % 60)
    start = timezone.make_aware(dt.datetime.combine(local.date(), at))
    if start > now:
        start = timezone.make_aware(dt.datetime.combine(local.date() - dt.timedelta(days=1), at))
    return start


def scheduled_import_due(
    *, now: dt.datetime, settings: ScheduleSettings, history: ImportHistory
) -> Due | None:
    """Which scheduled run, if any, should start now (pure: no database, no clock)."""
    if not settings.enabled or settings.source != ImportSource.SS12000_API:
        return None
    if history.active:
        return None
    if not history.has_baseline:
        # A first full run (or a retry after a failed first one, at most every interval).
        retry_after = dt.timedelta(minutes=max(settings.incremental_every_minutes, 60))
        if history.last_full_at is None or history.last_full_at <= now - retry_after:
            return Due.FULL
        return None
    if history.last_admitted_at is not None and (
        history.last_full_at is None or history.last_full_at < history.last_admitted_at
    ):
        return Due.FULL  # brings in who was admitted from the quarantine, once
    night = _night_start(now, settings)
    if night <= now < night + FULL_WINDOW and (
        history.last_full_at is None or history.last_full_at < night
    ):
        return Due.FULL
    every = settings.incremental_every_minutes
    if every and (
        history.last_run_at is None or history.last_run_at <= now - dt.timedelta(minutes=every)
    ):
        return Due.INCREMENTAL
    return None


@transaction.atomic
def scheduled_import_start(*, now: dt.datetime | None = None) -> ImportRun | None:
    """Creates (and queues) the run that is due in this municipality, if any.

    The connection row is locked first: two overlapping scheduler tasks of one municipality
    decide one after the other, and the second sees the first one's queued run."""
    now = now or timezone.now()
    row = RegisterConnection.objects.select_for_update().filter(pk=1).first()
    if row is None or not row.base_url:
        return None
    settings = ScheduleSettings(
        enabled=row.enabled,
        source=row.source,
        incremental_every_minutes=row.incremental_every_minutes,
        full_sync_hour=row.full_sync_hour,
        full_sync_minute=schedule_minute_offset(connection.schema_name),
    )
    due = scheduled_import_due(now=now, settings=settings, history=import_history_get())
    if due is None:
        return None
    return import_run_create(
        source=ImportSource.SS12000_API,
        trigger=ImportTrigger.SCHEDULE,
        incremental=due is Due.INCREMENTAL,
    )
