"""Reads for register imports: runs, their issues, the quarantine and the schedule's history.

Everything runs in the connection's current schema (the municipality's); callers never filter
by tenant themselves. A run or person of another municipality simply does not exist here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, Max, Q, QuerySet

from integrations.models import (
    ImportIssue,
    ImportRun,
    ImportSource,
    ImportStatus,
    QuarantinedPerson,
    RegisterCheckpoint,
    RegisterConnection,
)

ACTIVE_STATUSES = (ImportStatus.QUEUED, ImportStatus.RUNNING)


def import_run_list() -> QuerySet[ImportRun]:
    """Newest first."""
    return ImportRun.objects.select_related("requested_by").order_by("-created_at", "-id")


def import_run_get(*, run_id: int) -> ImportRun:
    """Raises ImportRun.DoesNotExist (HTTP 404) for an unknown id."""
    return ImportRun.objects.select_related("requested_by").get(pk=run_id)


def import_run_active_exists() -> bool:
    return ImportRun.objects.filter(status__in=ACTIVE_STATUSES).exists()


def import_run_applying(*, dry_run: ImportRun) -> ImportRun | None:
    """The run that applies (or applied) ``dry_run``, if one is queued, running or succeeded."""
    return (
        ImportRun.objects.filter(
            applies_dry_run=dry_run,
            status__in=(*ACTIVE_STATUSES, ImportStatus.SUCCEEDED),
        )
        .order_by("-created_at", "-id")
        .first()
    )


def import_issue_list(*, run_id: int) -> QuerySet[ImportIssue]:
    """A run's row-level errors and warnings in the order they were found."""
    return ImportIssue.objects.filter(run_id=run_id).order_by("id")


def quarantined_person_list() -> QuerySet[QuarantinedPerson]:
    """Waiting persons first, then the admitted ones; by name within each."""
    waiting = ExpressionWrapper(Q(admitted_at__isnull=True), output_field=BooleanField())
    return (
        QuarantinedPerson.objects.select_related("admitted_by")
        .alias(waiting=waiting)
        .order_by("-waiting", "family_name", "given_name", "id")
    )


def quarantined_person_get(*, person_id: int) -> QuarantinedPerson:
    """Raises QuarantinedPerson.DoesNotExist (HTTP 404) for an unknown id."""
    return QuarantinedPerson.objects.get(pk=person_id)


def register_connection_get() -> RegisterConnection:
    """This municipality's connection settings; unsaved defaults (disabled) when missing, so a
    read never writes."""
    return RegisterConnection.objects.filter(pk=1).first() or RegisterConnection(pk=1)


def register_api_configured() -> bool:
    return RegisterConnection.objects.filter(pk=1).exclude(base_url="").exists()


@dataclass(frozen=True)
class ImportHistory:
    """What the scheduler needs to know about earlier runs of the register API."""

    active: bool  # a run (any source) is queued or running
    has_baseline: bool  # a full API run succeeded and left checkpoints for incremental reads
    last_full_at: dt.datetime | None  # the newest full API run (not a dry run), any outcome
    last_run_at: dt.datetime | None  # the newest API run (full or incremental, not a dry run)
    # The newest admission from the quarantine: the admitted person comes with a full run only
    # (an incremental read does not send an unchanged person again).
    last_admitted_at: dt.datetime | None = None


def import_history_get() -> ImportHistory:
    api_runs = ImportRun.objects.filter(source=ImportSource.SS12000_API, dry_run=False)
    last_full = api_runs.filter(incremental=False).order_by("-created_at").first()
    last_run = api_runs.order_by("-created_at").first()
    baseline = (
        api_runs.filter(incremental=False, status=ImportStatus.SUCCEEDED).exists()
        and RegisterCheckpoint.objects.exists()
    )
    return ImportHistory(
        active=import_run_active_exists(),
        has_baseline=baseline,
        last_full_at=last_full.created_at if last_full else None,
        last_run_at=last_run.created_at if last_run else None,
        last_admitted_at=QuarantinedPerson.objects.aggregate(at=Max("admitted_at"))["at"],
    )
