"""Fairness between municipalities on the imports queue: at most IMPORTS_LARGE_RUN_SLOTS large
runs execute at once across all workers, so a small municipality's run always finds a process
(integrations/services/locks.py). A large run that finds no slot stays queued, changes nothing
and is tried again."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count
from django_tenants.utils import schema_context

from integrations.models import ImportPhase, ImportRun, ImportSource, ImportStatus
from integrations.services.locks import (
    import_run_is_large,
    large_import_slot_release,
    large_import_slot_take,
    tenant_import_lock_release,
    tenant_import_lock_try,
)
from integrations.services.runs import (
    ImportWaitingForSlot,
    import_run_create,
    import_run_execute,
)
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from register.models import Person
from tenants.models import Municipality, MunicipalityStatus
from tests.conftest import TENANT_A, TENANT_B, TENANT_S
from tests.integrations.test_import_bad_input import diff, register_content
from tests.integrations.workers import (
    WAIT_SECONDS,
    TableLock,
    Worker,
    committed_imports,
    finished,
    large_slots_taken_elsewhere,
    run_state,
)


@pytest.fixture(scope="module")
def village(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("village")
    write_file_bundle(generate_municipality(pupils=20, seed=42), folder)
    return folder


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("town")
    write_file_bundle(generate_municipality(pupils=300, seed=41), folder)
    return folder


def size_of(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def queued_run(schema: str, folder: Path, **options: Any) -> ImportRun:
    with schema_context(schema):
        return import_run_create(
            source="ss12000-files", source_path=str(folder), trigger="command", enqueue=False,
            **options,
        )  # fmt: skip


def persons(schema: str) -> int:
    with schema_context(schema):
        return Person.objects.count()


# --- In process ---------------------------------------------------------------------------------


def test_a_large_run_waits_while_every_slot_is_taken_and_changes_nothing(
    tenant_a: Municipality, tenant_b: Municipality, village: Path, settings: Any
) -> None:
    # Given every file export counting as large, and the only slot held by another worker
    settings.IMPORTS_LARGE_RUN_BYTES = 1
    run = queued_run(TENANT_A.slug, village)
    with large_slots_taken_elsewhere():
        # When the run is executed
        with schema_context(TENANT_A.slug), pytest.raises(ImportWaitingForSlot) as busy:
            import_run_execute(run_id=run.pk)
        # Then it stays queued, waiting for a slot, and nothing was imported
        assert str(busy.value) == "every slot for large imports is taken"
        waiting = run_state(TENANT_A.slug, run.pk)
        assert (waiting.status, waiting.phase, waiting.attempts, waiting.started_at) == (
            ImportStatus.QUEUED,
            ImportPhase.WAITING_FOR_SLOT,
            0,
            None,
        )
        assert waiting.heartbeat_at is not None  # the reaper sees it was nudged
        assert (persons(TENANT_A.slug), persons(TENANT_B.slug)) == (0, 0)
        # And it let go of the municipality's lock (another run of Ale may go)
        with schema_context(TENANT_A.slug):
            assert tenant_import_lock_try() is True
            tenant_import_lock_release()
    # When it is tried again after the slot was freed
    with schema_context(TENANT_A.slug):
        import_run_execute(run_id=run.pk)
    # Then it runs to the end, in Ale only
    done = run_state(TENANT_A.slug, run.pk)
    assert (done.status, done.attempts, done.failure) == (ImportStatus.SUCCEEDED, 1, "")
    assert persons(TENANT_A.slug) == done.counts["person"]["new"]
    assert persons(TENANT_B.slug) == 0


def test_a_small_run_needs_no_slot(tenant_a: Municipality, village: Path) -> None:
    # Given the only slot taken (by another municipality's large run)
    run = queued_run(TENANT_A.slug, village)
    # When a small run is executed (a 20-pupil export, below every limit)
    with large_slots_taken_elsewhere(), schema_context(TENANT_A.slug):
        import_run_execute(run_id=run.pk)
    # Then it runs at once
    done = run_state(TENANT_A.slug, run.pk)
    assert (done.status, done.attempts) == (ImportStatus.SUCCEEDED, 1)
    assert persons(TENANT_A.slug) == done.counts["person"]["new"]


def test_a_cancelled_run_waiting_for_a_slot_is_cancelled_without_one(
    tenant_a: Municipality, village: Path, settings: Any
) -> None:
    # Given a large run waiting for a slot, which the administrator then cancels
    settings.IMPORTS_LARGE_RUN_BYTES = 1
    run = queued_run(TENANT_A.slug, village)
    with schema_context(TENANT_A.slug):  # as a cancel reaching the run between two tries
        ImportRun.objects.filter(pk=run.pk).update(cancel_requested=True)
    with large_slots_taken_elsewhere(), schema_context(TENANT_A.slug):
        # When the task tries it again
        import_run_execute(run_id=run.pk)
    # Then it ends cancelled, without waiting for a slot, and imported nothing
    assert run_state(TENANT_A.slug, run.pk).status == ImportStatus.CANCELLED
    assert persons(TENANT_A.slug) == 0


def test_slots_are_taken_in_turn_up_to_the_setting(tenant_a: Municipality, settings: Any) -> None:
    # Given two slots, the first held by another worker
    settings.IMPORTS_LARGE_RUN_SLOTS = 2
    with large_slots_taken_elsewhere(1), schema_context(TENANT_A.slug):
        # When this worker takes one
        taken = large_import_slot_take()
        # Then it got the free one
        assert taken == 1
        large_import_slot_release(1)
    # And with both held elsewhere there is none
    with large_slots_taken_elsewhere(2), schema_context(TENANT_A.slug):
        assert large_import_slot_take() is None


def test_which_runs_are_large(
    tenant_a: Municipality, tenant_b: Municipality, village: Path, settings: Any, tmp_path: Path
) -> None:
    # Given limits of 10 persons and 100 MB, Ale holding the 20-pupil village, Borås empty
    settings.IMPORTS_LARGE_RUN_PERSONS = 10
    settings.IMPORTS_LARGE_RUN_BYTES = 100 << 20
    with schema_context(TENANT_A.slug):
        import_run_execute(run_id=queued_run(TENANT_A.slug, village).pk)
        assert Person.objects.count() > 10

    def large(**fields: Any) -> bool:
        return import_run_is_large(ImportRun(trigger="command", **fields))

    with schema_context(TENANT_A.slug):
        # Then a full run of a register this size is large, from any source
        assert large(source=ImportSource.SS12000_FILES, source_path=str(village))
        assert large(source=ImportSource.SS12000_API)
        # But an incremental run reads only what changed
        assert not large(source=ImportSource.SS12000_API, incremental=True)
    with schema_context(TENANT_B.slug):
        # An empty register: an export is as large as its files; the API's size is unknown
        files = {"source": ImportSource.SS12000_FILES, "source_path": str(village)}
        assert not large(**files)
        assert large(source=ImportSource.SS12000_API)
        settings.IMPORTS_LARGE_RUN_BYTES = size_of(village)
        assert large(**files)
        # And a .zip counts unpacked (JSON packs about tenfold)
        packed = shutil.make_archive(str(tmp_path / "village"), "zip", village)
        assert Path(packed).stat().st_size < size_of(village)
        assert large(source=ImportSource.SS12000_FILES, source_path=packed)


# --- On a real worker ----------------------------------------------------------------------------


@contextmanager
def serving(django_db_blocker: Any, schema: str) -> Iterator[None]:
    """The test database keeps Sotenäs suspended (for the refusal tests); here it serves."""
    municipalities = Municipality.objects.filter(schema_name=schema)
    with django_db_blocker.unblock(), schema_context("public"):
        before = municipalities.get().status
        municipalities.update(status=MunicipalityStatus.ACTIVE)
    try:
        yield
    finally:
        with django_db_blocker.unblock(), schema_context("public"):
            municipalities.update(status=before)


@pytest.mark.worker
def test_two_large_runs_and_a_small_one_on_a_worker_of_two_processes(
    django_db_setup: None, django_db_blocker: Any, village: Path, town: Path, tmp_path: Path
) -> None:
    from config.celery import app

    # Given a worker of two processes, one slot for large runs, the town's export large and
    # the village's small
    limit = (size_of(village) + size_of(town)) // 2
    assert size_of(village) < limit <= size_of(town)
    schemas = (TENANT_A.slug, TENANT_B.slug, TENANT_S.slug)
    with serving(django_db_blocker, TENANT_S.slug), committed_imports(django_db_blocker, schemas):
        worker = Worker(
            app, tmp_path / "worker.log", processes=2, env={"IMPORTS_LARGE_RUN_BYTES": str(limit)}
        ).start()
        lock = TableLock(TENANT_A.slug, "register_activity")
        try:
            # When Ale's large run is in the middle of its apply (held there by a table lock)
            with schema_context(TENANT_A.slug):
                ale = import_run_create(
                    source="ss12000-files", source_path=str(town), trigger="command"
                )
            lock.waiting_backend()
            # And Borås queues a large run too
            with schema_context(TENANT_B.slug):
                boras = import_run_create(
                    source="ss12000-files", source_path=str(town), trigger="command"
                )
            deadline = time.monotonic() + WAIT_SECONDS
            while run_state(TENANT_B.slug, boras.pk).phase != ImportPhase.WAITING_FOR_SLOT:
                assert time.monotonic() < deadline, "Borås' run never asked for a slot"
                time.sleep(0.05)
            # And then Sotenäs, a small municipality, queues its run
            with schema_context(TENANT_S.slug):
                sotenas = import_run_create(
                    source="ss12000-files", source_path=str(village), trigger="command"
                )
            small = finished(TENANT_S.slug, sotenas.pk)
            # Then Sotenäs' run started at once and finished while both large runs were still
            # going (Ale's held in its apply, Borås' waiting for the slot)
            assert small.status == ImportStatus.SUCCEEDED
            assert small.started_at is not None
            assert (small.started_at - small.created_at).total_seconds() < 5
            assert run_state(TENANT_A.slug, ale.pk).status == ImportStatus.RUNNING
            waiting = run_state(TENANT_B.slug, boras.pk)
            assert (waiting.status, waiting.phase, waiting.attempts) == (
                ImportStatus.QUEUED,
                ImportPhase.WAITING_FOR_SLOT,
                0,
            )
            assert persons(TENANT_B.slug) == 0
            # When Ale's apply may go on
            lock.release()
            first = finished(TENANT_A.slug, ale.pk)
            second = finished(TENANT_B.slug, boras.pk)
        finally:
            lock.release()
            worker.stop()
        # Then both large runs succeeded, Borås' only after Ale's had ended, and the two
        # registers are the same import of the same export
        assert (first.status, second.status) == (ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED)
        assert first.finished_at is not None
        assert second.started_at is not None
        assert second.started_at >= first.finished_at
        # (within one retry interval of the slot being freed)
        assert (second.started_at - first.finished_at).total_seconds() < 15
        assert diff(register_content(TENANT_A.slug), register_content(TENANT_B.slug)) == []
        with schema_context(TENANT_S.slug):
            assert Person.objects.aggregate(n=Count("pk"))["n"] == small.counts["person"]["new"]
