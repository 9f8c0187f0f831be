"""Creating a municipality's schema: clone the migrated template, or migrate from scratch."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django_tenants.clone import CloneSchema
from django_tenants.utils import quote_schema_name, schema_exists
from psycopg import sql

from core.db import connection

logger = logging.getLogger(__name__)


def tenant_migration_keys() -> set[tuple[str, str]]:
    """(app, migration) pairs that a municipality's schema must have applied."""
    from django.apps import apps

    tenant_labels = {apps.get_app_config(a.rsplit(".", 1)[-1]).label for a in settings.TENANT_APPS}
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    return {key for key in loader.disk_migrations if key[0] in tenant_labels}


def template_is_current(template: str) -> bool:
    """True when the template schema has exactly the tenant migrations on disk applied.

    Cloning a stale template and copying its migration records would leave a municipality
    believing it has tables it does not: then we migrate instead.
    """
    if not schema_exists(template):
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT app, name FROM {}.django_migrations").format(sql.Identifier(template))
        )
        applied = set(cursor.fetchall())
    return tenant_migration_keys() <= applied


def _ensure_clone_function() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.proname = 'clone_schema' AND n.nspname = 'public'"
        )
        if cursor.fetchone() is None:
            CloneSchema()._create_clone_schema_function()


def schema_create(*, schema_name: str) -> str:
    """Creates and fills ``schema_name``; returns "clone" or "migrate" (the path taken).

    Runs inside the caller's transaction: PostgreSQL DDL is transactional, so a failure later in
    onboarding leaves no schema behind.
    """
    template = settings.TENANT_BASE_SCHEMA
    connection.set_schema_to_public()
    if template and template_is_current(template):
        _ensure_clone_function()
        with connection.cursor() as cursor:
            cursor.execute("SELECT public.clone_schema(%s, %s, 'NODATA')", [template, schema_name])
            # The clone has the tables; record the template's migrations as applied (what
            # `migrate --fake` would do, in one statement instead of one per migration).
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {}.django_migrations (app, name, applied)"
                    " SELECT app, name, applied FROM {}.django_migrations"
                ).format(sql.Identifier(schema_name), sql.Identifier(template))
            )
        connection.set_schema_to_public()
        return "clone"
    logger.warning("Template schema %s missing or stale: migrating %s", template, schema_name)
    schema_migrate(schema_name=schema_name)
    return "migrate"


def schema_migrate(*, schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote_schema_name(schema_name)}")
    call_command(
        "migrate_schemas", schema_name=schema_name, tenant=True, interactive=False, verbosity=0
    )
    connection.set_schema_to_public()
