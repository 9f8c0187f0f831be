"""Operational tasks: per-municipality housekeeping and worker probes, and their dispatchers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.celery import app
from core.db import connection
from worker.base import PlatformTask
from worker.dispatch import fan_out


@app.task(soft_time_limit=10, time_limit=20)
def tenant_probe() -> dict[str, Any]:
    """Metadata only: the schema a task ran in, its search_path and the number of accounts."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        search_path = cursor.fetchone()[0]
    return {
        "schema": connection.schema_name,
        "search_path": search_path,
        "accounts": get_user_model().objects.count(),
    }


@app.task(soft_time_limit=60, time_limit=120)
def clear_expired_sessions() -> int:
    """Deletes this municipality's expired sessions (Django's clearsessions, per schema)."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@app.task(base=PlatformTask, soft_time_limit=30, time_limit=60)
def probe_all_tenants(jitter_seconds: float = 5.0) -> list[str]:
    """Dispatcher: one probe per serving municipality (beat runs it to watch worker health)."""
    return fan_out(tenant_probe, queue="interactive", jitter_seconds=jitter_seconds)


@app.task(base=PlatformTask, soft_time_limit=30, time_limit=60)
def clear_expired_sessions_everywhere(jitter_seconds: float = 300.0) -> list[str]:
    """Dispatcher: nightly session clean-up, one task per serving municipality."""
    return fan_out(clear_expired_sessions, jitter_seconds=jitter_seconds)
