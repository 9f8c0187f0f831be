"""Recording an import run: its status row, its issues (the downloadable report), the persons
it held in quarantine and the incremental checkpoints. Called by ``runs`` (inside the apply
transaction where the record must commit or roll back with the register)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from integrations.models import (
    ImportIssue,
    ImportPhase,
    ImportRun,
    ImportStatus,
    QuarantinedPerson,
    RegisterCheckpoint,
)
from integrations.pipeline.reader import ReadResult
from integrations.records import SourceIssue

MAX_STORED_ISSUES = 10_000


def run_update(run: ImportRun, **fields: object) -> None:
    """Sets ``fields`` on the run object and writes exactly them (no save() of the whole row)."""
    for name, value in fields.items():
        setattr(run, name, value)
    ImportRun.objects.filter(pk=run.pk).update(**fields)


def quarantined_store(run: ImportRun, read: ReadResult) -> None:
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


def checkpoints_store(opened: object, read: ReadResult) -> None:
    api = getattr(opened, "api", None)
    marks: dict[str, dt.datetime] = (
        {e.value: value for e, value in api.checkpoints.items()} if api else read.latest_modified
    )
    for entity, value in marks.items():
        RegisterCheckpoint.objects.update_or_create(
            entity=entity, defaults={"modified_after": value}
        )


def issues_store(run: ImportRun, issues: list[SourceIssue]) -> dict[str, int]:
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


def run_record(
    run: ImportRun,
    read: ReadResult,
    apply_issues: list[SourceIssue],
    held_back: int,
    accounts: object,
    timings: dict[str, float],
    fingerprint: str,
) -> None:
    issues = [*read.issues, *apply_issues]
    issue_counts = issues_store(run, issues)
    counts: dict[str, dict[str, int]] = {k: v.as_dict() for k, v in read.counts.items()}
    counts["references"] = {"held_back": held_back}
    if accounts is not None:
        counts["accounts"] = dict(accounts.__dict__)
    run_update(
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
