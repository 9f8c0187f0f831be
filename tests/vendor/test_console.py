"""The vendor console's "Workers and queues" section on the platform host: queue depths from the
broker, worker status, and import runs per municipality, as metadata only (no person anywhere).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from config.celery import app
from integrations.models import ImportRun, QuarantinedPerson
from tests.conftest import TENANT_A, TENANT_B, TENANT_S
from tests.factories import PersonFactory, UserFactory
from vendor import operations

NAMES = ("Greta", "Garbo", "Selma", "Lagerlöf", "Nils", "Holgersson")


class FakeInspect:
    """What ``app.control.inspect()`` answers for one worker (no broker round trip)."""

    def __init__(self, answers: dict[str, Any] | None) -> None:
        self.answers = answers

    def ping(self) -> dict[str, Any] | None:
        return self.answers and {name: {"ok": "pong"} for name in self.answers}

    def stats(self) -> dict[str, Any] | None:
        return self.answers and {n: a["stats"] for n, a in self.answers.items()}

    def active(self) -> dict[str, Any] | None:
        return self.answers and {n: a["active"] for n, a in self.answers.items()}

    def active_queues(self) -> dict[str, Any] | None:
        return self.answers and {n: a["queues"] for n, a in self.answers.items()}


ONE_WORKER = {
    "celery@worker-1": {
        "stats": {"pool": {"max-concurrency": 4}, "total": {"run_import": 7, "x": 3}, "uptime": 90},
        # A task's arguments are ids only, and the console shows none of them.
        "active": [{"name": "integrations.tasks.run_import", "kwargs": {"run_id": 424242}}],
        "queues": [{"name": "imports"}, {"name": "default"}],
    }
}


@pytest.fixture
def operator(db: None, platform_client: Client) -> Client:
    UserFactory(username="operator", is_staff=True)
    platform_client.force_login(get_user_model().objects.get(username="operator"))
    return platform_client


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    """The broker's Redis; the test's own messages are removed afterwards."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    pushed: list[tuple[str, bytes]] = []
    client.pushed = pushed  # type: ignore[attr-defined]
    yield client
    for key, value in pushed:
        client.lrem(key, 0, value)
    client.close()


def push(broker: redis.Redis, key: str, count: int) -> None:
    for _ in range(count):
        value = f"test-message-{uuid.uuid4()}".encode()
        broker.rpush(key, value)
        broker.pushed.append((key, value))  # type: ignore[attr-defined]


def depth(page: str, queue: str) -> int:
    found = re.search(rf'<tr id="queue-{queue}"><th scope="row">{queue}</th><td>(\d+)</td>', page)
    assert found, f"no row for the {queue} queue"
    return int(found.group(1))


def run_cells(page: str, slug: str) -> dict[str, int]:
    row = re.search(rf'<tr id="runs-{slug}">(.*?)</tr>', page, re.S)
    assert row, f"no row for {slug}"
    return {s: int(n) for s, n in re.findall(r'<td data-status="(\w+)">(\d+)</td>', row.group(1))}


def runs_in(schema: str, *statuses: str, requested_by: Any = None, age_hours: int = 0) -> None:
    with schema_context(schema):
        for status in statuses:
            run = ImportRun.objects.create(
                source="ss12000-files", trigger="admin", status=status, requested_by=requested_by
            )
            if age_hours:
                ImportRun.objects.filter(pk=run.pk).update(
                    created_at=timezone.now() - dt.timedelta(hours=age_hours)
                )


def test_the_console_shows_queues_workers_and_runs_per_municipality_without_names(
    operator: Client, broker: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given runs in A (one requested by a named person, one older than a day), a running run in
    # B, a quarantined person and a pupil in A's register, and messages waiting in two queues
    with schema_context(TENANT_A.slug):
        greta = UserFactory(username="greta", first_name="Greta", last_name="Garbo")
        PersonFactory(given_name="Nils", family_name="Holgersson")
        QuarantinedPerson.objects.create(
            source_id=uuid.uuid4(),
            given_name="Selma",
            family_name="Lagerlöf",
            security_marking="Skyddad folkbokföring",
        )
    runs_in(TENANT_A.slug, "succeeded", "failed", "succeeded", requested_by=greta)
    runs_in(TENANT_A.slug, "failed", age_hours=30)
    runs_in(TENANT_B.slug, "running")
    before = {q.name: q.depth for q in operations.queue_depths() or []}
    push(broker, "imports", 3)
    push(broker, f"reports{operations.PRIORITY_SEP}3", 2)
    monkeypatch.setattr(app.control, "inspect", lambda **kwargs: FakeInspect(ONE_WORKER))
    # When an operator opens the console
    response = operator.get("/")
    page = response.content.decode()
    # Then the section lists every queue with what waits in it (priority lists included)
    assert response.status_code == 200
    assert "Arbetare och köer" in page
    assert depth(page, "imports") == before["imports"] + 3
    assert depth(page, "reports") == before["reports"] + 2
    assert depth(page, "interactive") == before["interactive"]
    assert depth(page, "default") == before["default"]
    # And the worker that answered, with counts only
    worker_row = "<td>default, imports</td><td>4</td><td>1</td><td>10</td><td>90</td>"
    assert f'<th scope="row">celery@worker-1</th>{worker_row}' in page
    assert "424242" not in page
    # And each serving municipality's runs of the last 24 hours, by status, and its latest run
    assert run_cells(page, TENANT_A.slug) == {
        "queued": 0, "running": 0, "succeeded": 2, "failed": 1, "cancelled": 0,
    }  # fmt: skip
    assert run_cells(page, TENANT_B.slug)["running"] == 1
    assert re.search(rf'<tr id="runs-{TENANT_B.slug}">.*?<td>Pågår', page, re.S)
    assert f'id="runs-{TENANT_S.slug}"' not in page  # suspended: not serving
    # And no person's name appears anywhere on the page
    assert [name for name in NAMES if name in page] == []


def test_no_worker_answering_is_said_plainly(
    operator: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no worker running
    monkeypatch.setattr(app.control, "inspect", lambda **kwargs: FakeInspect(None))
    # When an operator opens the console
    page = operator.get("/").content.decode()
    # Then it says so, and still lists the queues and the municipalities
    assert "Ingen arbetare svarade inom en sekund." in page
    assert 'id="queue-imports"' in page
    assert f'id="runs-{TENANT_A.slug}"' in page


def test_an_unreachable_broker_is_reported_and_the_console_still_answers(
    operator: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a broker nobody answers at
    def refuse(**kwargs: Any) -> FakeInspect:
        raise OSError("connection refused")

    monkeypatch.setattr(operations, "_broker_url", lambda: "redis://127.0.0.1:1/0")
    monkeypatch.setattr(app.control, "inspect", refuse)
    # When an operator opens the console
    response = operator.get("/")
    page = response.content.decode()
    # Then the page answers and says what is unknown
    assert response.status_code == 200
    assert "Meddelandekön (Redis) svarade inte: köernas längd är okänd." in page
    assert "Arbetarna gick inte att fråga: meddelandekön svarade inte." in page
    assert "Kommuner" in page


def test_the_real_broker_is_asked_within_the_timeout(db: None) -> None:
    # Given the test's Redis as the broker, and whatever workers there are
    started = time.monotonic()
    # When the worker status and the queue depths are read for real
    report = operations.worker_status(timeout=0.5)
    depths = operations.queue_depths()
    # Then both answer promptly, whether or not a worker runs
    assert report.reachable
    assert depths is not None
    assert [q.name for q in depths] == ["interactive", "imports", "reports", "default"]
    assert time.monotonic() - started < 5


def test_only_operators_see_the_section(db: None, platform_client: Client) -> None:
    # Given a visitor who is not signed in, and a signed-in account that is not an operator
    anonymous = platform_client.get("/")
    UserFactory(username="not-an-operator", is_staff=False)
    platform_client.force_login(get_user_model().objects.get(username="not-an-operator"))
    signed_in = platform_client.get("/")
    # Then neither gets the console
    assert anonymous.status_code == 302
    assert signed_in.status_code == 302
    assert "Arbetare och köer" not in signed_in.content.decode()
