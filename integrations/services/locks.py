"""The locks an import run holds: its municipality's import lock, and for a large run one of the
fleet's slots for large imports.

Both are PostgreSQL session advisory locks on the run's own connection: the database is the one
place every worker sees, and a worker that dies releases them with its connection, so neither
can be left behind by a crash.

**Large-import slots (fairness).** A large import keeps one worker process busy for tens of
seconds to minutes (a 100,000-pupil first import: about 25 s, docs/benchmarks.md). If every
process of the ``imports`` queue ran a large import, a small municipality's run would wait for
one of them to end. So at most ``IMPORTS_LARGE_RUN_SLOTS`` large runs execute at once across
all workers (default 1: a deployment of two processes keeps one free for small runs; set it to
the queue's processes minus those kept free). A large run that finds every slot taken goes back
to the queue without holding a process (``integrations.tasks.run_import`` retries it) and shows
the phase "waiting for a slot" meanwhile.

A run is large when it will read a large register: a full run (incremental runs read only what
changed) of a municipality whose register holds at least ``IMPORTS_LARGE_RUN_PERSONS`` persons,
or whose export is at least ``IMPORTS_LARGE_RUN_BYTES`` (unpacked), or a first full run from the
SS 12000 API (its size is unknown until it has been read).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from django.conf import settings

from core.db import connection
from integrations.models import ImportRun, ImportSource

DEFAULT_LARGE_RUN_SLOTS = 1
DEFAULT_LARGE_RUN_PERSONS = 20_000  # about 9,000 pupils with their guardians
DEFAULT_LARGE_RUN_BYTES = 25 << 20  # an SS 12000 bundle of about 20,000 persons
# Two-key advisory locks (class, slot) live apart from the one-key municipality locks.
LARGE_SLOT_LOCK_CLASS = 0x4C53  # "LS"


def tenant_import_lock_try() -> bool:
    """Takes this municipality's import lock (one run at a time); False if another run has it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [_tenant_key()])
        return bool(cursor.fetchone()[0])


def tenant_import_lock_release() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [_tenant_key()])


def _tenant_key() -> str:
    return f"larspar.import.{connection.schema_name}"


def large_run_slots() -> int:
    return max(1, int(getattr(settings, "IMPORTS_LARGE_RUN_SLOTS", DEFAULT_LARGE_RUN_SLOTS)))


def import_run_is_large(run: ImportRun) -> bool:
    if run.incremental:
        return False
    persons = int(getattr(settings, "IMPORTS_LARGE_RUN_PERSONS", DEFAULT_LARGE_RUN_PERSONS))
    live = _live_persons_up_to(persons)
    if live >= persons:
        return True
    if run.source == ImportSource.SS12000_API:
        return live == 0
    if not run.source_path:
        return False
    limit = int(getattr(settings, "IMPORTS_LARGE_RUN_BYTES", DEFAULT_LARGE_RUN_BYTES))
    return _size_on_disk(Path(run.source_path), stop_at=limit) >= limit


def large_import_slot_take() -> int | None:
    """Takes a free slot for a large run on this connection: its number, or None if all are
    taken."""
    with connection.cursor() as cursor:
        for slot in range(large_run_slots()):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LARGE_SLOT_LOCK_CLASS, slot])
            if cursor.fetchone()[0]:
                return slot
    return None


def large_import_slot_release(slot: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LARGE_SLOT_LOCK_CLASS, slot])


def _live_persons_up_to(limit: int) -> int:
    """Persons in the register, counted up to ``limit`` (a bounded scan, not a full count)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM register_person LIMIT %s) AS persons", [limit]
        )
        return int(cursor.fetchone()[0])


def _size_on_disk(path: Path, *, stop_at: int) -> int:
    """Bytes of a file (a .zip: of its files unpacked, as its central directory lists them), or
    of the files under a folder (counting stops once ``stop_at`` is reached). A missing or
    unreadable path is 0: the run itself reports it."""
    if path.is_file():
        if zipfile.is_zipfile(path):
            try:
                with zipfile.ZipFile(path) as archive:
                    return sum(info.file_size for info in archive.infolist())
            except (OSError, zipfile.BadZipFile):
                return 0
        return path.stat().st_size
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name)).st_size
            except OSError:
                continue
            if total >= stop_at:
                return total
    return total
