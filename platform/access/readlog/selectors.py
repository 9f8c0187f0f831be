"""Reading the read log (municipality administrators only: the API checks that) and verifying
its chain. Everything runs in the connection's current schema."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from psycopg import sql

from access.readlog.models import GENESIS_HASH, AccessLogEntry
from core.db import connection


def _start_of_day(day: dt.date) -> dt.datetime:
    # Dates are the municipality's calendar days (TIME_ZONE, Europe/Stockholm).
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def access_log_list(
    *,
    pupil_id: int | None = None,
    actor_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AccessLogEntry]:
    """Entries newest first. ``since`` and ``until`` are inclusive calendar days."""
    entries = AccessLogEntry.objects.all()
    if pupil_id is not None:
        entries = entries.filter(pupil_ids__contains=[pupil_id])  # @>, served by the GIN index
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if since is not None:
        entries = entries.filter(occurred_at__gte=_start_of_day(since))
    if until is not None:
        entries = entries.filter(occurred_at__lt=_start_of_day(until + dt.timedelta(days=1)))
    return entries.order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken_id: int | None = None
    reason: str = ""
    head_id: int | None = None
    head_hash: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None

    def __str__(self) -> str:
        if not self.ok:
            return f"BROKEN at entry {self.broken_id}: {self.reason}"
        if self.head_id is None:
            return f"OK: {self.entries} entries"
        return f"OK: {self.entries} entries, head {self.head_id} {self.head_hash}"


# One pass in id order: each entry's digest is recomputed by the same database function the
# insert trigger used, and its id and prev_hash are compared with the entry before it (the first
# one with the last purge checkpoint, or with the genesis: id 1 and 64 zeros).
_FIRST_BROKEN = """
WITH anchor AS (
    SELECT coalesce(p.through_id, 0) AS through_id,
           coalesce(p.through_hash, %(genesis)s) AS through_hash
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
        SELECT through_id, through_hash FROM {purges} ORDER BY id DESC LIMIT 1
    ) AS p ON true
),
chain AS (
    SELECT e.id, e.prev_hash, e.entry_hash,
           lag(e.id) OVER w AS before_id,
           lag(e.entry_hash) OVER w AS before_hash,
           {digest}(e.prev_hash, e.id, e.occurred_at, e.actor_id, e.actor_display,
                    e.actor_role, e.pupil_ids, e.relations, e.resource, e.object_ref,
                    e.request_id, e.ip, e.user_agent) AS recomputed
    FROM {entries} e
    WINDOW w AS (ORDER BY e.id)
)
SELECT id, reason FROM (
SELECT c.id,
       CASE
           WHEN c.before_id IS NULL AND c.id <> a.through_id + 1 THEN
               'the chain should start at entry ' || (a.through_id + 1)
               || CASE WHEN a.through_id > 0 THEN ' (after the last purge)' ELSE '' END
           WHEN c.before_id IS NULL AND c.prev_hash IS DISTINCT FROM a.through_hash THEN
               'its previous hash does not match the start of the chain'
           WHEN c.before_id IS NOT NULL AND c.id <> c.before_id + 1 THEN
               'entries ' || (c.before_id + 1) || '..' || (c.id - 1) || ' are missing'
           WHEN c.before_id IS NOT NULL AND c.prev_hash IS DISTINCT FROM c.before_hash THEN
               'its previous hash does not match entry ' || c.before_id
           WHEN c.recomputed IS DISTINCT FROM c.entry_hash THEN
               'its contents do not match its hash'
       END AS reason
FROM chain c CROSS JOIN anchor a
) AS checked
WHERE reason IS NOT NULL
ORDER BY id
LIMIT 1
"""


def access_log_verify() -> ChainReport:
    """Verifies the current schema's chain; names the first broken entry."""
    schema = sql.Identifier(connection.schema_name)
    query = sql.SQL(_FIRST_BROKEN).format(
        purges=sql.SQL("{}.access_accesslogpurge").format(schema),
        entries=sql.SQL("{}.access_accesslogentry").format(schema),
        digest=sql.SQL("{}.access_log_digest").format(schema),
    )
    with connection.cursor() as cursor:
        cursor.execute(query, {"genesis": GENESIS_HASH})
        broken = cursor.fetchone()
    if broken is not None:
        return ChainReport(entries=_count(), broken_id=broken[0], reason=broken[1])
    head = AccessLogEntry.objects.order_by("-id").values_list("id", "entry_hash").first()
    if head is None:
        return ChainReport(entries=0)
    return ChainReport(entries=_count(), head_id=head[0], head_hash=head[1])


def _count() -> int:
    return AccessLogEntry.objects.count()
