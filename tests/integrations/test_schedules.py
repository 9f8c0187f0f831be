"""Scheduled imports (the decision with fixed times, the scheduler in a tenant, the dispatcher)
and the reaper that ends or restarts runs whose worker died."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from config.celery import app
from core.db import connection
from integrations import tasks
from integrations.models import (
    ImportRun,
    ImportStatus,
    QuarantinedPerson,
    RegisterCheckpoint,
    RegisterConnection,
)
from integrations.selectors import ImportHistory
from integrations.services.reaper import import_runs_reap
from integrations.services.runs import import_run_create, import_run_execute
from integrations.services.schedules import (
    Due,
    ScheduleSettings,
    schedule_minute_offset,
    scheduled_import_due,
    scheduled_import_start,
)
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from tenants.models import Municipality
from tests.conftest import TENANT_A, TENANT_B

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=STOCKHOLM)


SETTINGS = ScheduleSettings(
    enabled=True, source="ss12000-api", incremental_every_minutes=15, full_sync_hour=2
)
SYNCED = ImportHistory(
    active=False, has_baseline=True, last_full_at=at(10, 2), last_run_at=at(10, 10)
)


# --- The decision, with fixed times --------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "settings", "history", "due"),
    [
        # Off, or not an API connection, or a run in progress: nothing
        (at(10, 12), ScheduleSettings(False, "ss12000-api", 15, 2), SYNCED, None),
        (at(10, 12), ScheduleSettings(True, "csv", 15, 2), SYNCED, None),
        (at(11, 2, 30), SETTINGS, ImportHistory(True, True, at(10, 2), at(10, 10)), None),
        # No baseline yet: a full run at once, retried at most hourly
        (at(10, 12), SETTINGS, ImportHistory(False, False, None, None), Due.FULL),
        (at(10, 12), SETTINGS, ImportHistory(False, False, at(10, 11, 30), None), None),
        (at(10, 12), SETTINGS, ImportHistory(False, False, at(10, 11), None), Due.FULL),
        # Incremental every 15 minutes after the newest API run
        (at(10, 10, 14), SETTINGS, SYNCED, None),
        (at(10, 10, 15), SETTINGS, SYNCED, Due.INCREMENTAL),
        (at(10, 12), ScheduleSettings(True, "ss12000-api", 0, 2), SYNCED, None),
        # The nightly full run: from 02:00 for four hours, once a night
        (at(11, 1, 59), SETTINGS, SYNCED, Due.INCREMENTAL),
        (at(11, 2, 0), SETTINGS, SYNCED, Due.FULL),
        (at(11, 5, 59), SETTINGS, SYNCED, Due.FULL),
        (at(11, 6, 0), SETTINGS, SYNCED, Due.INCREMENTAL),
        (
            at(11, 3),
            SETTINGS,
            ImportHistory(False, True, at(11, 2, 1), at(11, 2, 40)),
            Due.INCREMENTAL,
        ),
        (at(11, 3), SETTINGS, ImportHistory(False, True, at(11, 2, 1), at(11, 2, 55)), None),
        # A person admitted from the quarantine after the newest full run: a full run at once
        # (the incremental one would not be due yet), and only once
        (
            at(10, 12),
            SETTINGS,
            ImportHistory(False, True, at(10, 2), at(10, 11, 50), at(10, 11, 55)),
            Due.FULL,
        ),
        (
            at(10, 12),
            SETTINGS,
            ImportHistory(False, True, at(10, 11, 58), at(10, 11, 58), at(10, 11, 55)),
            None,
        ),
        (
            at(10, 12),
            SETTINGS,
            ImportHistory(True, True, at(10, 2), at(10, 11, 50), at(10, 11, 55)),
            None,
        ),
        # The municipality's minute within the hour
        (at(11, 2, 29), ScheduleSettings(True, "ss12000-api", 0, 2, 30), SYNCED, None),
        (at(11, 2, 30), ScheduleSettings(True, "ss12000-api", 0, 2, 30), SYNCED, Due.FULL),
        # A night that starts before midnight
        (at(11, 0, 30), ScheduleSettings(True, "ss12000-api", 0, 23), SYNCED, Due.FULL),
        (
            at(11, 0, 30),
            ScheduleSettings(True, "ss12000-api", 0, 23),
            ImportHistory(False, True, at(10, 23, 5), at(10, 23, 5)),
            None,
        ),
    ],
)
def test_the_decision_is_a_function_of_time_settings_and_history(
    now: dt.datetime, settings: ScheduleSettings, history: ImportHistory, due: Due | None
) -> None:
    assert scheduled_import_due(now=now, settings=settings, history=history) == due


def test_municipalities_get_their_own_stable_minute() -> None:
    assert schedule_minute_offset("ale") == schedule_minute_offset("ale")
    assert 0 <= schedule_minute_offset("ale") < 60
    assert len({schedule_minute_offset(f"kommun{n}") for n in range(200)}) >= 50


# --- The scheduler in a municipality -------------------------------------------------------------


def connect(schema: str, **fields: Any) -> None:
    with schema_context(schema):
        RegisterConnection.objects.create(
            base_url="https://register.example/ss12000/v2", enabled=True, **fields
        )


def api_runs(schema: str) -> list[tuple[Any, ...]]:
    with schema_context(schema):
        return list(
            ImportRun.objects.order_by("pk").values_list(
                "source", "trigger", "incremental", "dry_run", "status"
            )
        )


def test_a_first_full_run_is_created_once_and_queued(
    tenant_a: Municipality, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    connect(TENANT_A.slug)
    # When the scheduler task runs twice in A
    with django_capture_on_commit_callbacks() as queued, schema_context(TENANT_A.slug):
        first = tasks.start_scheduled_import.run()
        second = tasks.start_scheduled_import.run()
    # Then one full API run was created and queued; the second call saw it queued
    assert api_runs(TENANT_A.slug) == [("ss12000-api", "schedule", False, False, "queued")]
    with schema_context(TENANT_A.slug):
        assert first == ImportRun.objects.get().pk
    assert second is None
    assert len(queued) == 1
    # And B, with no connection, got nothing
    with schema_context(TENANT_B.slug):
        assert tasks.start_scheduled_import.run() is None
    assert api_runs(TENANT_B.slug) == []


def test_after_a_baseline_an_incremental_run_follows_when_due(tenant_a: Municipality) -> None:
    connect(TENANT_A.slug, incremental_every_minutes=15, full_sync_hour=2)
    when = at(10, 12)
    with schema_context(TENANT_A.slug):
        # Given a full run that succeeded 16 minutes before, after that night's slot
        full = import_run_create(source="ss12000-api", trigger="schedule", enqueue=False)
        ImportRun.objects.filter(pk=full.pk).update(
            status=ImportStatus.SUCCEEDED, created_at=when - dt.timedelta(minutes=16)
        )
        RegisterCheckpoint.objects.create(entity="person", modified_after=when)
        # When the scheduler decides
        run = scheduled_import_start(now=when)
        # Then an incremental run is queued, and only one
        assert run is not None
        assert (run.incremental, run.trigger, run.source) == (True, "schedule", "ss12000-api")
        assert scheduled_import_start(now=when) is None


def test_an_admission_from_the_quarantine_brings_a_full_run(
    tenant_a: Municipality, tenant_b: Municipality
) -> None:
    connect(TENANT_A.slug, incremental_every_minutes=15, full_sync_hour=2)
    connect(TENANT_B.slug, incremental_every_minutes=15, full_sync_hour=2)
    when = at(10, 12)
    for schema in (TENANT_A.slug, TENANT_B.slug):
        with schema_context(schema):
            # Given a baseline and an incremental run 5 minutes ago (the next is not due)
            for minutes, incremental in ((120, False), (5, True)):
                run = import_run_create(
                    source="ss12000-api", trigger="schedule", incremental=incremental,
                    enqueue=False,
                )  # fmt: skip
                ImportRun.objects.filter(pk=run.pk).update(
                    status=ImportStatus.SUCCEEDED, created_at=when - dt.timedelta(minutes=minutes)
                )
            RegisterCheckpoint.objects.create(entity="person", modified_after=when)
    # And in Ale, an administrator admitted a protected person a minute ago
    with schema_context(TENANT_A.slug):
        QuarantinedPerson.objects.create(
            source_id=uuid.uuid4(), given_name="Sam", family_name="Skyddad",
            security_marking="Sekretessmarkering", admitted_at=when - dt.timedelta(minutes=1),
        )  # fmt: skip
        # When the scheduler decides in Ale: a full run, once
        run = scheduled_import_start(now=when)
        assert run is not None
        assert (run.incremental, run.trigger) == (False, "schedule")
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.SUCCEEDED, created_at=when)
        assert scheduled_import_start(now=when + dt.timedelta(minutes=1)) is None
    # And in Borås, without an admission, nothing yet
    with schema_context(TENANT_B.slug):
        assert scheduled_import_start(now=when) is None


def test_a_disabled_connection_schedules_nothing(tenant_a: Municipality) -> None:
    connect(TENANT_A.slug)
    with schema_context(TENANT_A.slug):
        RegisterConnection.objects.update(enabled=False)
        assert scheduled_import_start() is None
    assert api_runs(TENANT_A.slug) == []


def test_the_dispatcher_queues_one_task_per_serving_municipality(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []
    for task in (tasks.start_scheduled_import, tasks.reap_import_runs):
        monkeypatch.setattr(
            task, "apply_async", lambda *a, _n=task.name, **kw: sent.append({"task": _n, **kw})
        )
    assert sorted(tasks.dispatch_scheduled_imports.run(jitter_seconds=0)) == ["ale", "boras"]
    assert sorted(tasks.dispatch_import_reaper.run(jitter_seconds=0)) == ["ale", "boras"]
    assert sorted((m["task"], m["headers"]["_schema_name"], m["queue"]) for m in sent) == [
        ("integrations.tasks.reap_import_runs", "ale", "default"),
        ("integrations.tasks.reap_import_runs", "boras", "default"),
        ("integrations.tasks.start_scheduled_import", "ale", "default"),
        ("integrations.tasks.start_scheduled_import", "boras", "default"),
    ]
    assert connection.schema_name == "public"


def test_beat_runs_the_dispatchers() -> None:
    schedule = app.conf.beat_schedule
    assert schedule["dispatch-scheduled-imports"]["task"] == (
        "integrations.tasks.dispatch_scheduled_imports"
    )
    assert schedule["dispatch-scheduled-imports"]["schedule"] == 60.0
    assert schedule["dispatch-import-reaper"]["task"] == "integrations.tasks.dispatch_import_reaper"
    assert schedule["dispatch-import-reaper"]["schedule"] == 120.0


# --- The reaper ----------------------------------------------------------------------------------


@contextmanager
def import_lock_held_elsewhere(schema: str) -> Iterator[None]:
    """Another session (a live worker) holds the municipality's import lock."""
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"],
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"larspar.import.{schema}"])
        yield


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    write_file_bundle(generate_municipality(pupils=50, seed=1), folder)
    return folder


def died(schema: str, *, minutes_ago: float, attempts: int = 1, **fields: Any) -> ImportRun:
    """A run whose worker stopped ``minutes_ago`` (as a killed worker leaves it)."""
    with schema_context(schema):
        run = import_run_create(
            source="ss12000-files",
            source_path=fields.pop("source_path", "/nowhere"),
            trigger="admin",
            enqueue=False,
        )
        beat = timezone.now() - dt.timedelta(minutes=minutes_ago)
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.RUNNING,
            phase="applying",
            percent=80,
            attempts=attempts,
            started_at=beat,
            heartbeat_at=beat,
            **fields,
        )
        run.refresh_from_db()
        return run


def state(run: ImportRun, schema: str = TENANT_A.slug) -> tuple[Any, ...]:
    with schema_context(schema):
        run.refresh_from_db()
    return (run.status, run.phase, run.percent, run.attempts, run.failure)


def test_a_run_whose_worker_died_is_queued_again_and_then_completes(
    tenant_a: Municipality,
    bundle: Path,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # Given a run whose heartbeat stopped 11 minutes ago (its worker was killed)
    run = died(TENANT_A.slug, minutes_ago=11, source_path=str(bundle))
    # When the reaper task runs in A
    with django_capture_on_commit_callbacks() as queued, schema_context(TENANT_A.slug):
        report = tasks.reap_import_runs.run()
    # Then the same run is queued again, once
    assert report == {"requeued": [run.pk], "failed": [], "cancelled": [], "skipped_locked": []}
    assert state(run) == ("queued", "waiting", 0, 1, "")
    assert run.started_at is None
    assert run.heartbeat_at is not None
    assert len(queued) == 1
    # And the worker that picks it up runs it to its end (attempt 2)
    with schema_context(TENANT_A.slug):
        import_run_execute(run_id=run.pk)
    assert state(run) == ("succeeded", "done", 100, 2, "")


def test_after_three_attempts_the_run_fails_saying_nothing_was_applied(
    tenant_a: Municipality,
) -> None:
    run = died(TENANT_A.slug, minutes_ago=11, attempts=3)
    with schema_context(TENANT_A.slug):
        report = import_runs_reap()
    assert report.failed == [run.pk]
    assert state(run) == (
        "failed",
        "applying",
        80,
        3,
        "The worker stopped (heartbeat lost) 3 times; nothing was applied.",
    )
    assert run.finished_at is not None


def test_a_recent_heartbeat_is_left_alone(tenant_a: Municipality) -> None:
    run = died(TENANT_A.slug, minutes_ago=9)
    with schema_context(TENANT_A.slug):
        assert import_runs_reap().__dict__ == {
            "requeued": [],
            "failed": [],
            "cancelled": [],
            "skipped_locked": [],
        }
    assert state(run) == ("running", "applying", 80, 1, "")


def test_while_a_worker_holds_the_lock_a_long_apply_is_not_taken_for_dead(
    tenant_a: Municipality,
) -> None:
    quiet = died(TENANT_A.slug, minutes_ago=20)
    with import_lock_held_elsewhere(TENANT_A.slug), schema_context(TENANT_A.slug):
        report = import_runs_reap()
    assert report.skipped_locked == [quiet.pk]
    assert state(quiet) == ("running", "applying", 80, 1, "")
    # Above the task's hard time limit no worker can still be running it, lock or not
    with schema_context(TENANT_A.slug):
        ImportRun.objects.filter(pk=quiet.pk).update(
            heartbeat_at=timezone.now() - dt.timedelta(minutes=36)
        )
    with import_lock_held_elsewhere(TENANT_A.slug), schema_context(TENANT_A.slug):
        report = import_runs_reap()
    assert report.requeued == [quiet.pk]
    assert state(quiet)[0] == "queued"


def test_a_dead_run_that_was_asked_to_stop_ends_cancelled(tenant_a: Municipality) -> None:
    run = died(TENANT_A.slug, minutes_ago=11, cancel_requested=True)
    with schema_context(TENANT_A.slug):
        assert import_runs_reap().cancelled == [run.pk]
    assert state(run)[0] == "cancelled"


def test_queued_runs_nobody_picked_up_are_queued_again_then_given_up(
    tenant_a: Municipality, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with schema_context(TENANT_A.slug):
        lost = import_run_create(source="csv", source_path="/x", trigger="api", enqueue=False)
        old = import_run_create(source="csv", source_path="/x", trigger="api", enqueue=False)
        fresh = import_run_create(source="csv", source_path="/x", trigger="api", enqueue=False)
        now = timezone.now()
        ImportRun.objects.filter(pk=lost.pk).update(created_at=now - dt.timedelta(minutes=61))
        ImportRun.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(hours=25))
        with django_capture_on_commit_callbacks() as queued:
            report = import_runs_reap()
        # Nudged once an hour, not at every pass
        again = import_runs_reap()
    assert (report.requeued, report.failed) == ([lost.pk], [old.pk])
    assert len(queued) == 1
    assert (again.requeued, again.failed) == ([], [])
    assert state(lost)[0] == "queued"
    assert state(old)[::4] == (
        "failed",
        "No worker picked the run up within 24 hours; nothing was applied.",
    )
    assert state(fresh)[0] == "queued"


def test_the_reaper_of_one_municipality_leaves_the_other_alone(tenant_a: Municipality) -> None:
    theirs = died(TENANT_B.slug, minutes_ago=60)
    with schema_context(TENANT_A.slug):
        assert import_runs_reap().requeued == []
    assert state(theirs, TENANT_B.slug)[0] == "running"
