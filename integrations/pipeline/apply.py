"""Applying the staged rows: one ordered series of set-based statements, inside the caller's
transaction. References are checked against the live register as it is being updated, so a
child may point at a parent created earlier in the same run."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.db import connection
from integrations.pipeline import apply_sql as sql
from integrations.pipeline.bulk import REGISTER_TABLES
from integrations.records import Entity, SourceIssue


@dataclass
class ApplyResult:
    issues: list[SourceIssue] = field(default_factory=list)
    held_back: int = 0
    dropped: dict[str, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))


def _execute(statements: str | list[str], params: Mapping[str, object] | None = None) -> None:
    with connection.cursor() as cursor:
        for statement in [statements] if isinstance(statements, str) else statements:
            cursor.execute(statement, params or {})


def _drop_dangling(result: ApplyResult, table: str) -> None:
    for name, parent_entity, what, statement in sql.DANGLING:
        if name != table:
            continue
        with connection.cursor() as cursor:
            cursor.execute(statement)
            rows = cursor.fetchall()
        for parent_sid, missing_sid, held in rows:
            if held:
                # Held back until the person is admitted from quarantine (admission makes the
                # next run read everything again), so the digest stays.
                result.held_back += 1
                continue
            result.dropped[parent_entity].add(parent_sid)
            result.issues.append(
                SourceIssue(
                    severity="error",
                    entity=Entity(parent_entity),
                    source_id=str(parent_sid),
                    message=f"refers to an unknown {what} ({missing_sid}); that part was skipped",
                )
            )


def apply_transaction_tune() -> None:
    """Settings for the apply transaction only (SET LOCAL ends with it). Memory: the joins over
    hundreds of thousands of staged rows hash in memory instead of spilling in batches, and the
    bulk load's index builds sort in memory. Commit: not waiting for the WAL flush is safe here,
    because a crash that loses an acknowledged apply loses a run whose status row is in the same
    lost transaction; the run stays "running" and the reaper starts it over."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")


def _empty_tables() -> frozenset[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT '{table}' WHERE NOT EXISTS (SELECT 1 FROM {table})"  # noqa: S608
                for table in REGISTER_TABLES
            )
        )
        return frozenset(row[0] for row in cursor.fetchall())


def _into(table: str, statements: list[str], empty: frozenset[str]) -> list[str]:
    """The statements for ``table``. For a table that was empty when the run began (a first
    import), those that update, end or delete rows it held have nothing to do and are left out,
    and the inserts need no conflict handling: their rows are distinct and nothing else writes
    the table (one import per municipality). A plain INSERT skips the speculative insertion of
    ON CONFLICT, about a third of an insert's cost."""
    if table not in empty:
        return statements
    return [s.split("ON CONFLICT")[0] for s in statements if s.lstrip().startswith("INSERT")]


def apply_staged(*, today: dt.date) -> ApplyResult:
    result = ApplyResult()
    dates = {"yesterday": today - dt.timedelta(days=1)}
    empty = _empty_tables()
    # Organisations first: everything else hangs on them.
    _drop_dangling(result, "s_org")
    _execute(_into("register_organisation", [sql.UPSERT_ORGANISATIONS], empty))
    _execute(sql.LINK_PARENT_ORGANISATIONS)
    _drop_dangling(result, "s_enrolment")
    # Persons, then what belongs to them.
    _execute(_into("register_person", [sql.UPSERT_PERSONS], empty))
    _execute(sql.GONE[:3], dates)  # persons who left, with their memberships and enrolments
    _execute(_into("register_email", sql.REPLACE_EMAILS, empty))
    _execute(_into("register_enrolment", sql.ENROLMENTS, empty), dates)
    _drop_dangling(result, "s_responsible")
    _execute(_into("register_responsible", sql.RESPONSIBLES, empty))
    # Groups and memberships.
    _drop_dangling(result, "s_group")
    _execute(_into("register_group", [sql.UPSERT_GROUPS], empty))
    _drop_dangling(result, "s_membership")
    _execute(_into("register_groupmembership", sql.MEMBERSHIPS, empty), dates)
    # Duties and assignment roles.
    _drop_dangling(result, "s_duty")
    _execute(_into("register_duty", [sql.UPSERT_DUTIES], empty))
    _drop_dangling(result, "s_assignment")
    _execute(_into("register_assignmentrole", sql.ASSIGNMENTS, empty), dates)
    # Activities with their groups and teachers.
    _drop_dangling(result, "s_activity")
    _execute(_into("register_activity", [sql.UPSERT_ACTIVITIES], empty))
    _drop_dangling(result, "s_activity_group")
    _drop_dangling(result, "s_activity_teacher")
    _execute(_into("register_activity_groups", sql.ACTIVITY_GROUPS, empty))
    _execute(_into("register_activityteacher", sql.ACTIVITY_TEACHERS, empty), dates)
    # Whatever else left the register, then the organisation tree.
    _execute(sql.GONE[3:], dates)
    _execute(sql.REFRESH_LINEAGE)
    # Parents applied without some of their parts are read again next time.
    for entity, source_ids in result.dropped.items():
        _execute(sql.CLEAR_DIGEST[entity], {"ids": list(source_ids)})
    return result


def staged_fingerprint() -> str:
    """A digest of what this run would change: a dry run's and its apply's must be equal."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT md5(concat_ws('|',
                (SELECT string_agg(content_hash, ',' ORDER BY source_id) FROM s_org),
                (SELECT string_agg(content_hash, ',' ORDER BY source_id) FROM s_person),
                (SELECT string_agg(content_hash, ',' ORDER BY source_id) FROM s_group),
                (SELECT string_agg(content_hash, ',' ORDER BY source_id) FROM s_duty),
                (SELECT string_agg(content_hash, ',' ORDER BY source_id) FROM s_activity),
                (SELECT string_agg(kind || source_id::text, ',' ORDER BY kind, source_id)
                   FROM s_mark)))"""
        )
        return str(cursor.fetchone()[0])
