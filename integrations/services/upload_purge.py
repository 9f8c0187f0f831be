"""Deleting uploaded register exports once no run needs them.

An upload holds personal data (civic numbers, names, guardianships), so it is kept only while a
run may still read it: queued and running runs, and a successful dry run that may still be
applied "as it was shown" (IMPORT_UPLOAD_KEEP_DAYS, default 7, after the dry run finished, and
only until a run applying it succeeded). Everything else goes at the next purge (nightly, per
municipality). A folder no run refers to is what a refused or interrupted upload left: it goes
once it is an hour old (younger ones may belong to a request still creating its run).

Paths given to the command (``import_register PATH``) are the operator's own files and are
never touched: only folders under this municipality's uploads root are considered.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from integrations.models import ImportRun, ImportStatus
from integrations.services.uploads import uploads_root

DEFAULT_KEEP_DAYS = 7
ORPHAN_GRACE = dt.timedelta(hours=1)


@dataclass
class UploadsPurged:
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def upload_keep_days() -> int:
    return int(getattr(settings, "IMPORT_UPLOAD_KEEP_DAYS", DEFAULT_KEEP_DAYS))


def upload_folder(source_path: str) -> Path | None:
    """The upload folder a run reads (its folder, or the folder of its ``upload.zip``), or None
    for input that is not an upload of this municipality."""
    if not source_path:
        return None
    root = uploads_root().resolve()
    path = Path(source_path).resolve()
    folder = path.parent if path.name == "upload.zip" else path
    return folder if folder.parent == root else None


def _still_needed(run: ImportRun, applied: set[int], keep_since: dt.datetime) -> bool:
    if run.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return True
    return (
        run.dry_run
        and run.status == ImportStatus.SUCCEEDED
        and run.pk not in applied
        and run.finished_at is not None
        and run.finished_at >= keep_since
    )


def import_uploads_purge(*, now: dt.datetime | None = None) -> UploadsPurged:
    """Deletes this municipality's uploads that no run needs any more (see the module)."""
    now = now or timezone.now()
    root = uploads_root()
    result = UploadsPurged()
    if not root.is_dir():
        return result
    keep_since = now - dt.timedelta(days=upload_keep_days())
    applied = set(
        ImportRun.objects.filter(
            status=ImportStatus.SUCCEEDED, applies_dry_run__isnull=False
        ).values_list("applies_dry_run_id", flat=True)
    )
    needs: dict[Path, bool] = {}
    for run in ImportRun.objects.exclude(source_path="").only(
        "pk", "source_path", "status", "dry_run", "finished_at"
    ):
        folder = upload_folder(run.source_path)
        if folder is not None:
            needs[folder] = needs.get(folder, False) or _still_needed(run, applied, keep_since)
    orphan_before = (now - ORPHAN_GRACE).timestamp()
    for folder in sorted(p.resolve() for p in root.iterdir() if p.is_dir()):
        needed = needs.get(folder)
        if needed or (needed is None and folder.stat().st_mtime > orphan_before):
            result.kept.append(folder.name)
            continue
        shutil.rmtree(folder, ignore_errors=True)
        result.deleted.append(folder.name)
    return result
