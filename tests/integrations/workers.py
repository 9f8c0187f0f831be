"""Real Celery workers and committed imports for the worker tests (faults, fairness).

Their data must be committed (a worker process reads and writes it); ``committed_imports``
empties what they wrote afterwards.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import psycopg
from django.db import transaction
from django_tenants.utils import schema_context

from core.db import connection
from integrations.models import ImportRun, ImportStatus
from integrations.services.locks import LARGE_SLOT_LOCK_CLASS
from integrations.services.runs import import_run_create, import_run_execute
from tests.conftest import TENANT_A, TENANT_B
from tests.worker import REPO_ROOT
from tests.worker import test_database_url as database_url

WAIT_SECONDS = 90
IMPORT_TABLES_SQL = """
SELECT table_name FROM information_schema.tables
 WHERE table_schema = %s AND table_type = 'BASE TABLE'
   AND (table_name LIKE 'register\\_%%' OR table_name LIKE 'integrations\\_%%'
        OR table_name IN ('accounts_user', 'municipal_municipalsettings'))
"""


def _import_tables(schema: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(IMPORT_TABLES_SQL, [schema])
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            # Names from information_schema, not from input
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')  # noqa: S608
            counts[table] = int(cursor.fetchone()[0])
    return counts


@contextmanager
def committed_imports(
    django_db_blocker: Any, schemas: tuple[str, ...] = (TENANT_A.slug, TENANT_B.slug)
) -> Iterator[None]:
    """Imports that commit (a worker process reads and writes them); afterwards every table an
    import writes is emptied again in ``schemas`` (what was not empty before is kept)."""
    with django_db_blocker.unblock():
        kept = {s: {t for t, n in _import_tables(s).items() if n} for s in schemas}
        assert not any(t.startswith("register_") for s in schemas for t in kept[s]), kept
        try:
            yield
        finally:
            connection.set_schema_to_public()
            # DELETE, not TRUNCATE ... CASCADE: that would reach (empty) documentation tables
            # that refuse it. Foreign keys are deferred: any order works in one transaction.
            with transaction.atomic(), connection.cursor() as cursor:
                for schema in schemas:
                    for table in _import_tables(schema):
                        if table not in kept[schema]:
                            cursor.execute(f'DELETE FROM "{schema}"."{table}"')  # noqa: S608


def run_file_import(schema: str, folder: Path) -> ImportRun:
    with schema_context(schema):
        run = import_run_create(
            source="ss12000-files", source_path=str(folder), trigger="command", enqueue=False
        )
        import_run_execute(run_id=run.pk)
        run.refresh_from_db()
        assert (run.status, run.failure) == (ImportStatus.SUCCEEDED, "")
        return run


class Worker:
    """A real Celery worker (prefork, as deployed; one process unless told) in a process group
    of its own, so that it and only it can be killed."""

    def __init__(
        self, app: Any, log: Path, *, env: dict[str, str] | None = None, processes: int = 1
    ) -> None:
        self.app = app
        self.processes_wanted = processes
        self.log = log
        self.name = f"faults-{secrets.token_hex(4)}@{socket.gethostname()}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "platform")]),
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        with self.log.open("ab") as log:  # the worker's output, for when a test fails
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "prefork",
                 "-c", str(self.processes_wanted), "-Q", "imports,interactive", "-n", self.name,
                 "--without-gossip", "--without-mingle", "-l", "warning"],
                cwd=REPO_ROOT, env=self.env, start_new_session=True, stdout=log, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + WAIT_SECONDS
        while not self.app.control.ping(destination=[self.name], timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the test worker did not start: {self.log.read_text()[-3000:]}")
        return self

    def processes(self) -> list[psutil.Process]:
        assert self.process is not None
        main = psutil.Process(self.process.pid)
        return [main, *main.children(recursive=True)]

    def kill(self) -> list[int]:
        """kill -9 of the worker: its main process and its pool process at once."""
        assert self.process is not None
        victims = self.processes()
        assert len(victims) >= 2, "expected a main and a pool process"
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        _gone, alive = psutil.wait_procs(victims, timeout=10)
        assert not alive, alive
        return [p.pid for p in victims]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # cold shutdown: nothing of ours is running
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


class TableLock:
    """Holds EXCLUSIVE on a register table from another connection: the import's apply
    transaction, which writes organisations, persons, groups and duties before activities,
    then waits inside its transaction when it reaches the table, so a fault can be injected
    at a known point in the middle of the apply."""

    def __init__(self, schema: str, table: str) -> None:
        self.relation = f'"{schema}"."{table}"'
        self.connection = psycopg.connect(database_url())
        self.connection.execute(f"LOCK TABLE {self.relation} IN EXCLUSIVE MODE")

    def waiting_backend(self) -> tuple[int, bool]:
        """(pid, has written) of the backend waiting for the table, once there is one."""
        deadline = time.monotonic() + WAIT_SECONDS
        with psycopg.connect(database_url(), autocommit=True) as probe:
            while time.monotonic() < deadline:
                row = probe.execute(
                    "SELECT a.pid, a.backend_xid IS NOT NULL FROM pg_locks l"
                    " JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE NOT l.granted AND l.relation = %s::regclass",
                    [self.relation],
                ).fetchone()
                if row:
                    return int(row[0]), bool(row[1])
                time.sleep(0.05)
        raise AssertionError("the import never reached the locked table")

    def release(self) -> None:
        if not self.connection.closed:
            self.connection.rollback()
            self.connection.close()


def backend_gone(pid: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    with psycopg.connect(database_url(), autocommit=True) as probe:
        while probe.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, f"backend {pid} still there"
            time.sleep(0.05)


def run_state(schema: str, run_id: int) -> ImportRun:
    with schema_context(schema):
        return ImportRun.objects.get(pk=run_id)


def finished(schema: str, run_id: int) -> ImportRun:
    deadline = time.monotonic() + WAIT_SECONDS
    while not (run := run_state(schema, run_id)).is_finished:
        assert time.monotonic() < deadline, f"run still {run.status}/{run.phase}"
        time.sleep(0.1)
    return run


@contextmanager
def large_slots_taken_elsewhere(slots: int = 1) -> Iterator[None]:
    """Another worker's sessions hold the first ``slots`` slots for large runs."""
    with psycopg.connect(database_url(), autocommit=True) as other:
        for slot in range(slots):
            other.execute("SELECT pg_advisory_lock(%s, %s)", [LARGE_SLOT_LOCK_CLASS, slot])
        yield
