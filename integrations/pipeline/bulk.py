"""Bulk loading: when an import writes most of a register table (above all the first import into
an empty register), that table's foreign keys and secondary indexes are dropped at the start of
the apply transaction and re-created, from their own catalogue definitions, before it commits
(after the accounts step, which updates every new person row).

Why (PostgreSQL manual, "Populating a Database"): Django creates every foreign key DEFERRABLE
INITIALLY DEFERRED, so each inserted row queues a check that COMMIT runs one index probe at a time
(about 2.5 million for a 100,000-pupil municipality, 27 s); ``ALTER TABLE ... ADD CONSTRAINT``
validates a whole table with one join instead. Likewise an index built once by sorting costs a
fraction of maintaining it row by row, and the accounts step's update of every new person row
(to link its account) writes no index entry at all (see HALF_FULL).

Safety: PostgreSQL's DDL is transactional. A failure or a kill anywhere before COMMIT leaves the
previous register with its constraints and indexes exactly as they were; the definitions are
re-created from ``pg_get_constraintdef`` / ``pg_get_indexdef``, so the schema ends identical to
the migrations' (names included). The price is an ACCESS EXCLUSIVE lock on the loaded tables, and
on the register tables their foreign keys point at, until COMMIT: readers of this municipality's
register wait. That is acceptable for an empty table or a rewrite of most of it, never for the
nightly small delta, which keeps the row-by-row path (``bulk_tables`` decides per table). And it
never waits long for the lock: if readers hold a table past a short timeout, the bulk load gives
way and the run applies row by row (``_lock_within_timeout``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import OperationalError, transaction
from psycopg.errors import LockNotAvailable

from core.db import connection

logger = logging.getLogger(__name__)

# Unique constraints stay (the apply's ON CONFLICT clauses need them as arbiters), except this
# one, which no statement conflicts on: the accounts step links every new account by updating
# its person row, and each update writes an entry into every index of the table.
DROPPED_UNIQUE = ("register_person_user_id_key",)
# Tables loaded with pages half full: the accounts step then updates every new person row (to
# link its account), and with room in its page and no index on the changed column PostgreSQL
# writes the new version in place ("HOT": no index entries). Measured on a copy of the person
# table of a 100,000-pupil municipality, linking 184,000 accounts: 5.2 s with full pages,
# 1.6 s half full.
# The table ends no larger than it would with full pages (there, each new version goes to a new
# page); the setting is reset at the end, so later rows fill pages as before.
HALF_FULL = ("register_person",)
# Register table -> the staging table whose rows it receives.
STAGED_INTO: dict[str, str] = {
    "register_organisation": "s_org",
    "register_person": "s_person",
    "register_email": "s_email",
    "register_enrolment": "s_enrolment",
    "register_responsible": "s_responsible",
    "register_group": "s_group",
    "register_groupmembership": "s_membership",
    "register_duty": "s_duty",
    "register_assignmentrole": "s_assignment",
    "register_activity": "s_activity",
    "register_activity_groups": "s_activity_group",
    "register_activityteacher": "s_activity_teacher",
}
REGISTER_TABLES = tuple(STAGED_INTO)
# A table that holds rows is bulk-loaded only for a change this large, absolute and relative to
# its size: the lock then blocks its readers for the whole apply, which a large rewrite (a
# school-year change) may justify and a nightly delta never does.
BULK_MIN_ROWS = 10_000
BULK_MIN_SHARE = 0.5
# How long the bulk load waits for readers to let go of its tables before it gives way.
DEFAULT_LOCK_TIMEOUT_MS = 3000


def bulk_tables(
    staged: Mapping[str, int], *, min_rows: int = BULK_MIN_ROWS, min_share: float = BULK_MIN_SHARE
) -> list[str]:
    """The register tables to bulk-load, given the rows staged per staging table: every empty
    table that receives rows, and a table with rows when the staged rows reach both limits."""
    chosen = []
    with connection.cursor() as cursor:
        for table, stage_table in STAGED_INTO.items():
            rows = staged.get(stage_table, 0)
            if not rows:
                continue
            # reltuples is the estimate of the last ANALYZE (every applied run ends with one);
            # emptiness is checked exactly.
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {table}),"  # noqa: S608 (one of STAGED_INTO)
                " (SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass)",
                [table],
            )
            has_rows, estimate = cursor.fetchone()
            if not has_rows or (rows >= min_rows and rows >= min_share * float(estimate)):
                chosen.append(table)
    return chosen


@dataclass
class BulkLoad:
    """What ``bulk_load_begin`` dropped, to be re-created by ``bulk_load_finish``."""

    tables: tuple[str, ...] = ()
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (name, CREATE INDEX ...)
    # (table, name, definition): unique constraints first, so that they are re-created first
    constraints: list[tuple[str, str, str]] = field(default_factory=list)
    immediate: list[str] = field(default_factory=list)  # kept foreign keys checked per statement
    fill_factor: dict[str, str | None] = field(default_factory=dict)  # table -> its own setting


def bulk_load_begin(tables: list[str]) -> BulkLoad:
    """Locks ``tables`` and drops their secondary indexes, their foreign keys to register tables
    and the unique constraints in DROPPED_UNIQUE. Must run in the apply transaction before
    anything writes to these tables (PostgreSQL refuses DDL on a table with pending trigger
    events)."""
    if not tables:
        return BulkLoad()
    quote = connection.ops.quote_name
    load = BulkLoad(tables=tuple(tables))
    locked = set(tables)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT con.conrelid::regclass::text, con.conname, pg_get_constraintdef(con.oid),
                      con.contype = 'u' OR con.confrelid::regclass::text = ANY(%(register)s),
                      con.confrelid::regclass::text
                 FROM pg_constraint con
                WHERE con.conrelid = ANY(%(tables)s::text[]::regclass[])
                  AND (con.contype = 'f' OR con.conname = ANY(%(unique)s))
                ORDER BY con.contype DESC, 1, 2""",
            {
                "tables": list(tables),
                "register": list(REGISTER_TABLES),
                "unique": list(DROPPED_UNIQUE),
            },
        )
        for table, name, definition, droppable, target in cursor.fetchall():
            if droppable:
                load.constraints.append((table, name, definition))
                if target in REGISTER_TABLES:
                    locked.add(target)  # dropping a foreign key locks its target as well
            else:
                # Dropping a foreign key locks the table it points at too; for accounts_user
                # that would block every sign-in of the municipality. It stays, checked at the
                # end of each statement, so that no trigger event is pending when the indexes
                # are re-created.
                load.immediate.append(name)
        # Every lock at once (the tables and the register tables their keys point at), in a
        # fixed order, before any DDL: no DROP then waits while holding some of them, which
        # leaves fewer chances to deadlock with a portal query holding another.
        if not _lock_within_timeout(cursor, sorted(locked)):
            return BulkLoad()  # the row-by-row path needs no exclusive lock
        cursor.execute(
            """SELECT ic.relname, pg_get_indexdef(i.indexrelid)
                 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                WHERE i.indrelid = ANY(%(tables)s::text[]::regclass[])
                  AND NOT i.indisunique AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                                  AND c.conrelid = i.indrelid)
                ORDER BY 1""",
            {"tables": list(tables)},
        )
        load.indexes = [(name, definition) for name, definition in cursor.fetchall()]
        if load.immediate:
            cursor.execute(
                f"SET CONSTRAINTS {', '.join(quote(n) for n in load.immediate)} IMMEDIATE"
            )
        for table, name, _definition in load.constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        if load.indexes:
            cursor.execute(f"DROP INDEX {', '.join(quote(name) for name, _ in load.indexes)}")
        for table in sorted(set(tables) & set(HALF_FULL)):
            cursor.execute(
                "SELECT option_value FROM pg_options_to_table("
                " (SELECT reloptions FROM pg_class WHERE oid = %s::regclass))"
                " WHERE option_name = 'fillfactor'",
                [table],
            )
            own = cursor.fetchone()
            load.fill_factor[table] = own[0] if own else None
            cursor.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")
    return load


def _lock_within_timeout(cursor: Any, tables: list[str]) -> bool:
    """Takes ACCESS EXCLUSIVE on ``tables``, waiting at most ``IMPORTS_BULK_LOCK_TIMEOUT_MS``.
    A reader holding one of them (a long report, a portal page) would otherwise make this
    request wait, and every later reader of the municipality's register queue behind it. The
    bulk load is only faster, so it gives way: False, nothing locked, and the apply takes the
    row-by-row path (whose row locks do not conflict with readers)."""
    timeout = int(getattr(settings, "IMPORTS_BULK_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS))
    cursor.execute("SELECT current_setting('lock_timeout')")
    previous = cursor.fetchone()[0]
    try:
        with transaction.atomic():  # a savepoint: the failed LOCK must not doom the apply
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{timeout}ms"])
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
    except OperationalError as error:
        if not isinstance(error.__cause__, LockNotAvailable):
            raise
        logger.warning("bulk load gave way to readers of %s; loading row by row", tables)
        return False
    finally:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
    return True


def bulk_load_finish(load: BulkLoad) -> None:
    """Re-creates what ``bulk_load_begin`` dropped: the indexes (each built by one sort), then
    the constraints (a foreign key is validated by one join; a dangling reference, like a
    duplicate under a unique constraint, fails the transaction)."""
    if not load.tables:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, own in load.fill_factor.items():
            cursor.execute(
                f"ALTER TABLE {table} RESET (fillfactor)"
                if own is None
                else f"ALTER TABLE {table} SET (fillfactor = {int(own)})"
            )
        for _name, definition in load.indexes:
            cursor.execute(definition)
        for table, name, definition in load.constraints:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
        if load.immediate:
            cursor.execute(
                f"SET CONSTRAINTS {', '.join(quote(n) for n in load.immediate)} DEFERRED"
            )
