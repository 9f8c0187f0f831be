"""Tasks run in the schema they were queued from, on a real worker over real Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery.exceptions import TaskError
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import TENANT_A, TENANT_B, TENANT_S
from tests.factories import UserFactory
from tests.worker import running_worker
from worker.base import TenantUnavailable
from worker.tasks import (
    clear_expired_sessions,
    clear_expired_sessions_everywhere,
    tenant_probe,
)

pytestmark = pytest.mark.worker
RESULT_TIMEOUT = 20


@pytest.fixture(scope="module")
def worker(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    with django_db_blocker.unblock(), running_worker():  # type: ignore[attr-defined]
        yield


def queue_in(schema: str, task, **kwargs):  # type: ignore[no-untyped-def]
    with schema_context(schema):
        return task.apply_async(kwargs=kwargs)


def expired_session(schema: str, key: str) -> None:
    with schema_context(schema):
        Session.objects.create(
            session_key=key, session_data="", expire_date=timezone.now() - timedelta(days=1)
        )


def session_exists(schema: str, key: str) -> bool:
    with schema_context(schema):
        return Session.objects.filter(session_key=key).exists()


def test_a_task_queued_in_a_sees_only_as_data(worker: None, committed_db: None) -> None:
    # Given two accounts in A and one in B, committed
    with schema_context(TENANT_A.slug):
        UserFactory(username="committed-a1")
        UserFactory(username="committed-a2")
    with schema_context(TENANT_B.slug):
        UserFactory(username="committed-b1")
    # When the probe is queued in each
    in_a = queue_in(TENANT_A.slug, tenant_probe).get(timeout=RESULT_TIMEOUT)
    in_b = queue_in(TENANT_B.slug, tenant_probe).get(timeout=RESULT_TIMEOUT)
    # Then each ran in its own schema and counted only its own accounts
    assert in_a == {"schema": "ale", "search_path": "ale, public", "accounts": 2}
    assert in_b == {"schema": "boras", "search_path": "boras, public", "accounts": 1}


def test_consecutive_tasks_of_a_then_b_do_not_inherit_the_schema(
    worker: None, committed_db: None
) -> None:
    results = [
        queue_in(schema, tenant_probe).get(timeout=RESULT_TIMEOUT)["schema"]
        for schema in ("ale", "boras", "ale", "boras")
    ]
    assert results == ["ale", "boras", "ale", "boras"]


def test_a_task_sent_right_after_a_request_does_not_inherit_its_schema(
    worker: None, committed_db: None
) -> None:
    # Given a request just served for A on this thread
    assert Client(HTTP_HOST=TENANT_A.domain).get("/login/").status_code == 200
    # When a tenant task is sent with no municipality context
    result = tenant_probe.apply_async()
    # Then it is refused instead of running in A's schema
    with pytest.raises(TenantUnavailable, match="must be queued inside a municipality"):
        result.get(timeout=RESULT_TIMEOUT)
    # And a task sent in B's context right after runs in B
    assert queue_in(TENANT_B.slug, tenant_probe).get(timeout=RESULT_TIMEOUT)["schema"] == "boras"


def test_a_task_for_a_suspended_municipality_fails_and_writes_nothing(
    worker: None, committed_db: None
) -> None:
    # Given expired sessions in the suspended municipality and in the public schema
    expired_session(TENANT_S.slug, "committedsuspended")
    expired_session("public", "committedpublic")
    # When the clean-up is queued for the suspended municipality
    result = queue_in(TENANT_S.slug, clear_expired_sessions)
    # Then it fails with a clear error and deleted nothing anywhere
    with pytest.raises(TenantUnavailable, match="'sotenas' is suspended"):
        result.get(timeout=RESULT_TIMEOUT)
    assert session_exists(TENANT_S.slug, "committedsuspended")
    assert session_exists("public", "committedpublic")


def test_a_task_for_a_removed_municipality_fails_and_writes_nothing(
    worker: None, committed_db: None
) -> None:
    expired_session("public", "committedpublic")
    result = clear_expired_sessions.apply_async(headers={"_schema_name": "removedtown"})
    with pytest.raises((TenantUnavailable, TaskError), match="'removedtown' is unknown"):
        result.get(timeout=RESULT_TIMEOUT)
    assert session_exists("public", "committedpublic")


def test_the_dispatcher_fans_out_to_serving_municipalities_only(
    worker: None, committed_db: None
) -> None:
    # Given expired sessions in A, B and the suspended municipality
    for schema in (TENANT_A.slug, TENANT_B.slug, TENANT_S.slug):
        expired_session(schema, "committedfanout")
    # When the nightly dispatcher runs
    queued = clear_expired_sessions_everywhere.apply_async(kwargs={"jitter_seconds": 0}).get(
        timeout=RESULT_TIMEOUT
    )
    # Then one task went to each serving municipality, never the template or a suspended one
    assert queued == ["ale", "boras"]
    deadline = time.monotonic() + RESULT_TIMEOUT
    while time.monotonic() < deadline and (
        session_exists("ale", "committedfanout") or session_exists("boras", "committedfanout")
    ):
        time.sleep(0.1)
    assert not session_exists("ale", "committedfanout")
    assert not session_exists("boras", "committedfanout")
    assert session_exists("sotenas", "committedfanout")
