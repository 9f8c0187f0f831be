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


def apply_staged(*, today: dt.date) -> ApplyResult:
    result = ApplyResult()
    dates = {"yesterday": today - dt.timedelta(days=1)}
    # Organisations first: everything else hangs on them.
    _drop_dangling(result, "s_org")
    _execute([sql.UPSERT_ORGANISATIONS, sql.LINK_PARENT_ORGANISATIONS])
    _drop_dangling(result, "s_enrolment")
    # Persons, then what belongs to them.
    _execute(sql.UPSERT_PERSONS)
    _execute(sql.GONE[:3], dates)  # persons who left, with their memberships and enrolments
    _execute(sql.REPLACE_EMAILS)
    _execute(sql.ENROLMENTS, dates)
    _drop_dangling(result, "s_responsible")
    _execute(sql.RESPONSIBLES)
    # Groups and memberships.
    _drop_dangling(result, "s_group")
    _execute(sql.UPSERT_GROUPS)
    _drop_dangling(result, "s_membership")
    _execute(sql.MEMBERSHIPS, dates)
    # Duties and assignment roles.
    _drop_dangling(result, "s_duty")
    _execute(sql.UPSERT_DUTIES)
    _drop_dangling(result, "s_assignment")
    _execute(sql.ASSIGNMENTS, dates)
    # Activities with their groups and teachers.
    _drop_dangling(result, "s_activity")
    _execute(sql.UPSERT_ACTIVITIES)
    _drop_dangling(result, "s_activity_group")
    _drop_dangling(result, "s_activity_teacher")
    _execute(sql.ACTIVITY_CHILDREN, dates)
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
