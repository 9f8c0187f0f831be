"""The one way to queue a task: bound to the current schema, sent after commit."""

from __future__ import annotations

from typing import Any

from celery import Task
from django.db import transaction

from core.db import connection


def schema_headers() -> dict[str, str]:
    return {"_schema_name": connection.schema_name}


def enqueue_on_commit(task: Task, /, *, queue: str | None = None, **kwargs: Any) -> None:
    """Queue ``task(**kwargs)`` once the current transaction commits.

    The schema is read *now*, not at commit time: Celery's own ``delay_on_commit`` inside
    ``tenant_context`` nested in an outer ``atomic()`` reads it after the context was left and
    would run the task in the public schema.
    """
    headers = schema_headers()
    options: dict[str, Any] = {"headers": headers}
    if queue:
        options["queue"] = queue
    transaction.on_commit(lambda: task.apply_async(kwargs=kwargs, **options))
