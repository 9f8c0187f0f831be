"""Fan-out: a job for every municipality is one task per municipality, never one big task."""

from __future__ import annotations

import random
from typing import Any

from celery import Task

from core.db import connection
from tenants.models import Municipality


def fan_out(
    task: Task, *, queue: str | None = None, jitter_seconds: float = 30.0, **kwargs: Any
) -> list[str]:
    """Queues ``task(**kwargs)`` once in each serving municipality's schema, spread over time.

    Jitter keeps a nightly job from hitting the database for all municipalities in the same
    second. Returns the schema names queued for.
    """
    queued = []
    for schema_name in Municipality.objects.serving().values_list("schema_name", flat=True):
        options: dict[str, Any] = {
            "headers": {"_schema_name": schema_name},
            "countdown": random.uniform(0, jitter_seconds) if jitter_seconds else 0,
        }
        if queue:
            options["queue"] = queue
        task.apply_async(kwargs=kwargs, **options)
        queued.append(schema_name)
    connection.set_schema_to_public()
    return queued
