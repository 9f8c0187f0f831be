"""Creating a municipality's schema: copy the migrated template, or migrate from scratch."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db.backends.utils import CursorWrapper
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
        with connection.cursor() as cursor:
            ddl = _template_copy_ddl(cursor, template=template, schema_name=schema_name)
        if ddl is None:
            _ensure_clone_function()
        with connection.cursor() as cursor:
            if ddl is not None:
                cursor.execute(ddl)
            else:
                cursor.execute(
                    "SELECT public.clone_schema(%s, %s, 'NODATA')", [template, schema_name]
                )
            # The copy has the tables; record the template's migrations as applied (what
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


# --- Copying the template's structure ---------------------------------------------------------
#
# django-tenants' clone_schema() copies anything (views, functions, types, grants, rows), but it
# reads the catalogue in ways that get slower with every schema in the database -- measured with
# a 29-table template: 1.2 s per onboarding next to 5-65 schemas, 6.0 s next to 125 -- and its
# copies are not exact: unique constraints and their indexes get PostgreSQL's default names
# instead of Django's (a later migration that drops one by name would fail), identity sequences
# of integer columns become bigint. See docs/benchmarks.md. The template holds what migrations
# create -- tables with their identity sequences, constraints and indexes, plus functions and
# triggers -- so onboarding writes that DDL itself from a few catalogue queries that read the
# template's own entries by index: their cost depends on the template, not on the number of
# municipalities, and the copy keeps every name. If the template ever holds anything else (a
# view, a type, grants, comments, ...), the copy refuses and clone_schema() is used instead.

# pg_class has no index on the schema alone: scanned once here; the other queries start from the
# relations' oids (%(relations)s) and read the rest of the catalogue by index.
_RELATIONS_SQL = "SELECT oid FROM pg_class WHERE relnamespace = %(template)s::regnamespace"

# Everything in the template schema that the copy does not reproduce, one row each.
_UNSUPPORTED_SQL = """
WITH ns AS (SELECT oid, nspname, nspacl, nspowner FROM pg_namespace WHERE nspname = %(template)s),
me AS (SELECT oid FROM pg_roles WHERE rolname = current_user),
rels AS MATERIALIZED (SELECT * FROM pg_class WHERE oid = ANY(%(relations)s::oid[]))
SELECT 'relation ' || relname || ' of kind ' || relkind::text FROM rels
 WHERE relkind NOT IN ('r', 'i', 'S')
UNION ALL
SELECT 'options, grants, owner, persistence, tablespace or row security of ' || relname
  FROM rels, me
 WHERE relkind IN ('r', 'S')
   AND (reloptions IS NOT NULL OR relacl IS NOT NULL OR relowner <> me.oid
        OR relpersistence <> 'p' OR reltablespace <> 0 OR relrowsecurity OR relforcerowsecurity
        OR relreplident NOT IN ('d', 'n') OR relispartition OR relhassubclass OR relhasrules)
UNION ALL
SELECT 'tablespace of index ' || relname FROM rels WHERE relkind = 'i' AND reltablespace <> 0
UNION ALL
SELECT 'sequence ' || s.relname || ' that is not an identity column''s' FROM rels s
 WHERE s.relkind = 'S' AND s.oid NOT IN (
       SELECT d.objid FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.objid = ANY(%(relations)s::oid[])
          AND d.objsubid = 0 AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i')
UNION ALL
SELECT 'column grants or statistics target of ' || c.relname || '.' || a.attname
  FROM rels c JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE a.attrelid = ANY(%(relations)s::oid[]) AND c.relkind = 'r'
   AND a.attnum > 0 AND NOT a.attisdropped AND (a.attacl IS NOT NULL OR a.attstattarget > 0)
UNION ALL
SELECT 'sequence default of ' || c.relname FROM rels c JOIN pg_attrdef d ON d.adrelid = c.oid
 WHERE d.adrelid = ANY(%(relations)s::oid[])
   AND pg_get_expr(d.adbin, d.adrelid) LIKE '%%nextval(%%'
UNION ALL
SELECT 'inheritance of ' || c.relname FROM rels c JOIN pg_inherits i ON i.inhrelid = c.oid
 WHERE i.inhrelid = ANY(%(relations)s::oid[])
UNION ALL
SELECT 'disabled or constraint trigger ' || t.tgname
  FROM rels c JOIN pg_trigger t ON t.tgrelid = c.oid
 WHERE t.tgrelid = ANY(%(relations)s::oid[]) AND NOT t.tgisinternal
   AND (t.tgenabled <> 'O' OR t.tgconstraint <> 0)
UNION ALL
SELECT 'comment on trigger ' || t.tgname FROM rels c JOIN pg_trigger t ON t.tgrelid = c.oid
  JOIN pg_description d ON d.objoid = t.oid AND d.classoid = 'pg_trigger'::regclass
 WHERE t.tgrelid = ANY(%(relations)s::oid[])
UNION ALL
SELECT 'default or generated column of ' || c.relname || ' calling ' || p.proname
  FROM rels c JOIN pg_attrdef ad ON ad.adrelid = c.oid
  JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
   AND d.refclassid = 'pg_proc'::regclass
  JOIN pg_proc p ON p.oid = d.refobjid, ns
 WHERE ad.adrelid = ANY(%(relations)s::oid[]) AND p.pronamespace = ns.oid
UNION ALL
SELECT 'policy ' || p.polname FROM rels c JOIN pg_policy p ON p.polrelid = c.oid
 WHERE p.polrelid = ANY(%(relations)s::oid[])
UNION ALL
SELECT 'constraint ' || con.conname || ' of type ' || con.contype::text
  FROM rels c JOIN pg_constraint con ON con.conrelid = c.oid
 WHERE con.conrelid = ANY(%(relations)s::oid[])
   AND con.contype NOT IN ('p', 'u', 'f', 'c', 'x', 'n')
UNION ALL
SELECT 'comment on ' || c.relname FROM rels c JOIN pg_description d
    ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
 WHERE d.objoid = ANY(%(relations)s::oid[])
UNION ALL
SELECT 'comment on constraint ' || con.conname
  FROM rels c JOIN pg_constraint con ON con.conrelid = c.oid
  JOIN pg_description d ON d.objoid = con.oid AND d.classoid = 'pg_constraint'::regclass
 WHERE con.conrelid = ANY(%(relations)s::oid[])
UNION ALL
SELECT 'aggregate, grants, owner, comment, extension or schema name in function ' || p.proname
  FROM pg_proc p, ns, me
 WHERE p.pronamespace = ns.oid
   AND (p.prokind NOT IN ('f', 'p') OR p.proacl IS NOT NULL OR p.proowner <> me.oid
        OR p.prosrc LIKE '%%' || ns.nspname || '%%'
        OR EXISTS (SELECT 1 FROM pg_description d
                    WHERE d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass)
        OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                      AND d.objid = p.oid AND d.deptype = 'e'))
UNION ALL
SELECT 'type ' || t.typname FROM pg_type t, ns
 WHERE t.typnamespace = ns.oid AND t.typrelid = 0 AND NOT EXISTS (
       SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0)
UNION ALL
SELECT 'constraint ' || conname || ' of a domain' FROM pg_constraint, ns
 WHERE connamespace = ns.oid AND conrelid = 0
UNION ALL
SELECT 'statistics object ' || stxname FROM pg_statistic_ext, ns WHERE stxnamespace = ns.oid
UNION ALL
SELECT 'collation ' || collname FROM pg_collation, ns WHERE collnamespace = ns.oid
UNION ALL
SELECT 'operator ' || oprname FROM pg_operator, ns WHERE oprnamespace = ns.oid
UNION ALL
SELECT 'operator class ' || opcname FROM pg_opclass, ns WHERE opcnamespace = ns.oid
UNION ALL
SELECT 'operator family ' || opfname FROM pg_opfamily, ns WHERE opfnamespace = ns.oid
UNION ALL
SELECT 'text search configuration ' || cfgname FROM pg_ts_config, ns WHERE cfgnamespace = ns.oid
UNION ALL
SELECT 'text search dictionary ' || dictname FROM pg_ts_dict, ns WHERE dictnamespace = ns.oid
UNION ALL
SELECT 'conversion ' || conname FROM pg_conversion, ns WHERE connamespace = ns.oid
UNION ALL
SELECT 'grants or owner of the schema' FROM ns, me
 WHERE ns.nspacl IS NOT NULL OR ns.nspowner <> me.oid
"""

# The copy, one piece a row, in order: tables, functions, identity columns, each table's primary
# key, unique, check and exclusion constraints, its other indexes, the foreign keys, the triggers.
# Read with the search path set to the template alone, definitions name the template's own
# objects without a schema (so they resolve in the new schema) and anything elsewhere, e.g.
# public, with its schema. pg_get_indexdef() and pg_get_triggerdef() always name the table with
# its schema, pg_get_functiondef() the function: that schema is taken out here and the result
# checked in Python.
_DDL_SQL = """
WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = %(template)s),
rels AS MATERIALIZED (SELECT * FROM pg_class WHERE oid = ANY(%(relations)s::oid[]))
SELECT 1 AS step, relname AS sort, 'table' AS kind, quote_ident(relname) AS name, NULL AS detail
  FROM rels WHERE relkind = 'r'
UNION ALL
SELECT 2, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', 'function',
       quote_ident(p.proname),
       CASE WHEN starts_with(f.def, f.head || quote_ident(ns.nspname) || '.')
            THEN f.head || substr(f.def, length(f.head || quote_ident(ns.nspname) || '.') + 1)
       END
  FROM ns, pg_proc p,
       LATERAL (SELECT pg_get_functiondef(p.oid) AS def,
                       CASE p.prokind WHEN 'p' THEN 'CREATE OR REPLACE PROCEDURE '
                                      ELSE 'CREATE OR REPLACE FUNCTION ' END AS head) f
 WHERE p.pronamespace = ns.oid
UNION ALL
SELECT 3, c.relname || '.' || a.attnum, 'identity', quote_ident(c.relname),
       'ALTER COLUMN ' || quote_ident(a.attname) || ' ADD GENERATED '
       || CASE a.attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END
       || ' AS IDENTITY (SEQUENCE NAME ' || quote_ident(s.relname)
       || ' INCREMENT BY ' || q.seqincrement || ' MINVALUE ' || q.seqmin
       || ' MAXVALUE ' || q.seqmax || ' START WITH ' || q.seqstart || ' CACHE ' || q.seqcache
       || CASE WHEN q.seqcycle THEN ' CYCLE)' ELSE ' NO CYCLE)' END
  FROM rels c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attidentity <> '' AND NOT a.attisdropped
  JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid
   AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass AND d.deptype = 'i'
  JOIN rels s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_sequence q ON q.seqrelid = s.oid
 WHERE a.attrelid = ANY(%(relations)s::oid[]) AND d.refobjid = ANY(%(relations)s::oid[])
UNION ALL
SELECT CASE WHEN con.contype = 'f' THEN 6 ELSE 4 END,
       c.relname || '.' || con.contype::text || '.' || con.conname, 'constraint',
       quote_ident(c.relname),
       'ADD CONSTRAINT ' || quote_ident(con.conname) || ' ' || pg_get_constraintdef(con.oid)
  FROM rels c JOIN pg_constraint con ON con.conrelid = c.oid
 WHERE con.conrelid = ANY(%(relations)s::oid[]) AND con.contype IN ('p', 'u', 'f', 'c', 'x')
UNION ALL
SELECT 5, t.relname || '.' || ic.relname, 'index', quote_ident(t.relname),
       replace(pg_get_indexdef(i.indexrelid),
               ' ON ' || quote_ident(ns.nspname) || '.' || quote_ident(t.relname) || ' USING ',
               ' ON ' || quote_ident(t.relname) || ' USING ')
  FROM ns, rels t
  JOIN pg_index i ON i.indrelid = t.oid
  JOIN pg_class ic ON ic.oid = i.indexrelid
 WHERE i.indrelid = ANY(%(relations)s::oid[])
   AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conrelid = i.indrelid
                      AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
UNION ALL
SELECT 7, c.relname || '.' || t.tgname, 'trigger', quote_ident(c.relname),
       replace(pg_get_triggerdef(t.oid),
               ' ON ' || quote_ident(ns.nspname) || '.' || quote_ident(c.relname) || ' ',
               ' ON ' || quote_ident(c.relname) || ' ')
  FROM ns, rels c JOIN pg_trigger t ON t.tgrelid = c.oid
 WHERE t.tgrelid = ANY(%(relations)s::oid[]) AND NOT t.tgisinternal
ORDER BY step, sort
"""

_LIKE_OPTIONS = (
    "INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION"
    " INCLUDING COMMENTS"
)


def _template_copy_ddl(cursor: CursorWrapper, *, template: str, schema_name: str) -> str | None:
    """The DDL that creates ``schema_name`` with the structure of ``template`` (no rows), or None
    when the template holds something this copy does not reproduce (then use clone_schema())."""
    cursor.execute(_RELATIONS_SQL, {"template": template})
    params: dict[str, Any] = {"template": template, "relations": [r[0] for r in cursor.fetchall()]}
    cursor.execute(_UNSUPPORTED_SQL, params)
    unsupported = [row[0] for row in cursor.fetchall()]
    if unsupported:
        logger.info("Template %s needs clone_schema(): %s", template, "; ".join(unsupported[:5]))
        return None
    # The caller's next cursor sets the search path again (django-tenants does on every cursor).
    cursor.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(template)))
    cursor.execute(_DDL_SQL, params)
    rows = cursor.fetchall()

    source, target = quote_schema_name(template), quote_schema_name(schema_name)
    # Function bodies are checked when called, as pg_dump does: they may use what comes later.
    ddl = [
        f"CREATE SCHEMA {target}",
        f"SET search_path TO {target}",
        "SET check_function_bodies = off",
    ]
    for _step, _sort, kind, name, detail in rows:
        if kind == "table":
            ddl.append(f"CREATE TABLE {name} (LIKE {source}.{name} {_LIKE_OPTIONS})")
        elif kind in ("identity", "constraint"):
            ddl.append(f"ALTER TABLE {name} {detail}")
        elif _names_its_object(kind, name, detail):
            ddl.append(detail.rstrip().rstrip(";"))
        else:
            logger.info("Template %s needs clone_schema(): %s %s", template, kind, detail)
            return None
    ddl.append("RESET check_function_bodies")
    return ";\n".join(ddl) + ";"


def _names_its_object(kind: str, name: str, definition: str | None) -> bool:
    """True when an index, trigger or function definition names its object without a schema."""
    if definition is None:  # a function whose definition did not start as expected
        return False
    if kind == "function":
        return definition.startswith(
            (f"CREATE OR REPLACE FUNCTION {name}(", f"CREATE OR REPLACE PROCEDURE {name}(")
        )
    pattern = f" ON {name} USING " if kind == "index" else f" ON {name} "
    return definition.count(pattern) == 1
