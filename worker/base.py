"""Base task classes: every task runs either in one serving municipality's schema or, for
platform tasks (dispatchers), in the public schema, and it is checked before any code runs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from tenant_schemas_celery.task import TenantTask as _SchemaSwitchingTask

from core.db import connection


class TenantUnavailable(Exception):
    """The task's municipality is unknown, suspended, the template, or the task has none."""


def task_schema_name(task: Any) -> str | None:
    headers = task.request.headers or {}
    return headers.get("_schema_name") or task.request.get("_schema_name")


class TenantTask(_SchemaSwitchingTask):
    """A task that reads or writes one municipality's data.

    tenant-schemas-celery switches the schema in a ``task_prerun`` signal, but Celery only logs
    errors raised by signal handlers; a task for a removed municipality would then run in
    whatever schema the worker's connection had last. So we check again, here, and refuse.
    """

    abstract = True
    # Tasks must be idempotent: acknowledged late, retried on a lost worker.
    acks_late = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.bind_to_tenant()
        return super().__call__(*args, **kwargs)

    def bind_to_tenant(self) -> None:
        from tenants.models import Municipality

        schema = task_schema_name(self)
        if not schema or schema == settings.PUBLIC_SCHEMA_NAME:
            connection.set_schema_to_public()
            raise TenantUnavailable(f"{self.name} must be queued inside a municipality's schema.")
        connection.set_schema_to_public()
        municipality = Municipality.objects.filter(schema_name=schema).first()
        if municipality is None or not municipality.is_serving:
            state = "unknown" if municipality is None else municipality.status
            raise TenantUnavailable(f"{self.name} refused: municipality {schema!r} is {state}.")
        connection.set_tenant(municipality)


class PlatformTask(_SchemaSwitchingTask):
    """A task that touches no municipality's data (dispatchers, housekeeping of public tables)."""

    abstract = True
    acks_late = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        connection.set_schema_to_public()
        return super().__call__(*args, **kwargs)
