"""Uploaded exports (personal data) are deleted once no run needs them; nothing else is."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from config.celery import app
from integrations import tasks
from integrations.models import ImportRun, ImportStatus
from integrations.services.upload_purge import import_uploads_purge
from integrations.services.uploads import uploads_root
from tenants.models import Municipality
from tests.conftest import TENANT_A, TENANT_B

NOW = timezone.now()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def _upload(name: str, *, age: dt.timedelta = dt.timedelta(days=30), zipped: bool = False) -> Path:
    """An upload folder as import_upload_store leaves it; returns the path a run reads."""
    folder = uploads_root() / name
    folder.mkdir(parents=True)
    path = folder / ("upload.zip" if zipped else "elever.csv")
    path.write_text("Personnummer;Förnamn\n")
    stamp = (NOW - age).timestamp()
    os.utime(folder, (stamp, stamp))
    return path if zipped else folder


def _run(path: Path | str, status: str, *, dry_run: bool = False, **fields: Any) -> ImportRun:
    return ImportRun.objects.create(
        source="csv",
        source_path=str(path),
        trigger="admin",
        dry_run=dry_run,
        status=status,
        finished_at=fields.pop("finished_at", None),
        **fields,
    )


def _left(schema: str) -> list[str]:
    with schema_context(schema):
        root = uploads_root()
        return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_only_uploads_a_run_may_still_read_are_kept(
    tenant_a: Municipality, media: Path, tmp_path: Path
) -> None:
    day = dt.timedelta(days=1)
    operator_folder = tmp_path / "operator-export"
    operator_folder.mkdir()
    with schema_context(TENANT_A.slug):
        # Given uploads in every state a run can leave them
        _run(_upload("applied", zipped=True), ImportStatus.SUCCEEDED, finished_at=NOW - day)
        _run(_upload("failed"), ImportStatus.FAILED, finished_at=NOW - day)
        _run(_upload("queued"), ImportStatus.QUEUED)
        _run(_upload("running"), ImportStatus.RUNNING)
        _run(_upload("dry-fresh"), ImportStatus.SUCCEEDED, dry_run=True, finished_at=NOW - day)
        _run(_upload("dry-old"), ImportStatus.SUCCEEDED, dry_run=True, finished_at=NOW - 8 * day)
        shown = _run(
            _upload("dry-applied"), ImportStatus.SUCCEEDED, dry_run=True, finished_at=NOW - day
        )
        _run(shown.source_path, ImportStatus.SUCCEEDED, applies_dry_run=shown, finished_at=NOW)
        failed_apply = _run(
            _upload("dry-apply-failed"), ImportStatus.SUCCEEDED, dry_run=True, finished_at=NOW
        )
        _run(failed_apply.source_path, ImportStatus.FAILED, applies_dry_run=failed_apply)
        _upload("orphan-old", age=2 * dt.timedelta(hours=1))
        _upload("orphan-fresh", age=dt.timedelta(minutes=5))
        _run(operator_folder, ImportStatus.SUCCEEDED, finished_at=NOW - 30 * day)
        # When the uploads are purged
        result = import_uploads_purge(now=NOW)
    # Then exactly the uploads no run needs are gone, and the operator's own folder is not touched
    assert sorted(result.deleted) == [
        "applied",
        "dry-applied",
        "dry-old",
        "failed",
        "orphan-old",
    ]
    assert sorted(result.kept) == [
        "dry-apply-failed",
        "dry-fresh",
        "orphan-fresh",
        "queued",
        "running",
    ]
    assert _left(TENANT_A.slug) == sorted(result.kept)
    assert operator_folder.is_dir()


def test_a_purge_touches_only_its_own_municipality(
    tenant_a: Municipality, tenant_b: Municipality, media: Path
) -> None:
    # Given an upload of B that B no longer needs
    with schema_context(TENANT_B.slug):
        _run(_upload("b-done"), ImportStatus.SUCCEEDED, finished_at=NOW)
    with schema_context(TENANT_A.slug):
        # When A purges (A's runs refer to nothing of B)
        result = import_uploads_purge(now=NOW)
    # Then B's upload is still there
    assert (result.deleted, result.kept) == ([], [])
    assert _left(TENANT_B.slug) == ["b-done"]


def test_the_purge_runs_nightly_for_every_municipality(
    tenant_a: Municipality, tenant_b: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the beat schedule
    entry = app.conf.beat_schedule["dispatch-import-uploads-purge"]
    assert entry["task"] == "integrations.tasks.dispatch_import_uploads_purge"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {40})
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(
        tasks.purge_import_uploads,
        "apply_async",
        lambda **kw: sent.append((kw["headers"]["_schema_name"], kw["queue"])),
    )
    # When its dispatcher runs
    queued = tasks.dispatch_import_uploads_purge.run(jitter_seconds=0)
    # Then one purge is queued per serving municipality, on the default queue
    assert sorted(queued) == sorted(sent_schema for sent_schema, _queue in sent)
    assert sorted(sent) == [(TENANT_A.slug, "default"), (TENANT_B.slug, "default")]
