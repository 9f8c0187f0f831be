"""Writing the read log, and purging it after the retention.

The chain (numbering, hashes, the per-schema lock) is computed by the database's insert trigger,
so a logged read costs exactly one INSERT statement.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request

from access.readlog.models import AccessLogEntry, AccessLogPurge
from accounts.http import client_ip
from accounts.models import User
from core.db import connection
from core.logging import request_id_var
from municipal.selectors import municipal_settings_get

# The law (and the issue) asks for at least two years; a municipality may keep the log longer.
MIN_RETENTION_MONTHS = 24
USER_AGENT_MAX = 300

_PURGE_FLAG_ON = "SELECT set_config('larspar.retention_purge', 'on', true)"
_PURGE_FLAG_OFF = "SELECT set_config('larspar.retention_purge', 'off', true)"
# The lock the insert trigger takes (see migration 0002): a purge must not race an insert.
_CHAIN_LOCK = "SELECT pg_advisory_xact_lock(hashtext('larspar.access_log'), hashtext(%s))"


def access_log_record(
    *,
    actor: User,
    actor_role: str,
    pupils: Mapping[int, str],
    resource: str,
    object_ref: str = "",
    request: HttpRequest | Request | None = None,
) -> None:
    """Logs one read of pupil data: ``pupils`` maps each pupil's person id to the relation that
    allowed the actor to read it (``access.policy.Relation``).

    An empty ``pupils`` is logged too: a list that returned nobody is still a read (and shows
    what was searched for). Exactly one INSERT, no savepoint: a single statement is atomic on its
    own, and inside a caller's transaction the entry commits or rolls back with the read.
    Inside a transaction the chain lock is held until that transaction ends, so log last.
    """
    if not 0 < len(actor_role) <= 32 or not 0 < len(resource) <= 64:
        raise ValueError("actor_role (1-32 characters) and resource (1-64) are required")
    relations: dict[str, str] = {}
    for pupil_id, relation in pupils.items():
        if isinstance(pupil_id, bool) or not isinstance(pupil_id, int):
            raise TypeError(f"pupil ids are person ids (int), got {pupil_id!r}")
        if not isinstance(relation, str) or not relation:
            raise ValueError(f"pupil {pupil_id}: the relation that allowed the read is required")
        relations[str(pupil_id)] = relation
    django_request = request._request if isinstance(request, Request) else request
    AccessLogEntry.objects.create(
        actor_id=actor.pk,
        actor_display=(actor.get_full_name() or actor.get_username())[:300],
        actor_role=actor_role,
        pupil_ids=sorted(pupils),
        relations=relations,
        resource=resource,
        object_ref=object_ref[:200],
        request_id=_request_id(django_request),
        ip=_client_ip(django_request) if django_request is not None else None,
        user_agent=(
            django_request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
            if django_request is not None
            else ""
        ),
    )


def _client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or what TRUSTED_PROXY_COUNT proxies vouch for (accounts.http); None when it
    is not an IP address (the column is inet)."""
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


def _request_id(request: HttpRequest | None) -> str:
    value = getattr(request, "request_id", None) if request is not None else None
    if value is None:  # a task acting for a user: the id it was queued with, if any
        value = request_id_var.get()
    return "" if value == "-" else str(value)[:64]


def access_log_retention_months() -> int:
    """The municipality's retention; refuses (ValidationError) a value below the minimum."""
    months = municipal_settings_get().access_log_retention_months
    if months < MIN_RETENTION_MONTHS:
        raise ValidationError(
            {
                "access_log_retention_months": [
                    _(
                        "The access log must be kept at least %(minimum)d months; "
                        "the setting is %(months)d. Nothing was purged."
                    )
                    % {"minimum": MIN_RETENTION_MONTHS, "months": months}
                ]
            }
        )
    return months


@transaction.atomic
def access_log_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Removes the current municipality's entries older than its retention; returns how many.

    Removes the longest *prefix* of the chain that is expired (an expired entry after a younger
    one waits for the next purge) and records a checkpoint with the last removed entry's id and
    hash, where the remaining chain starts: the verifier checks the chain from there. The
    database refuses to delete an entry within the retention whatever is asked of it, measured
    from its own clock (so ``now`` later than the database's clock purges nothing extra).
    """
    months = access_log_retention_months()
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_CHAIN_LOCK, [connection.schema_name])
        cursor.execute(
            "SELECT least(%s::timestamptz, now()) - make_interval(months => %s)", [now, months]
        )
        cutoff = cursor.fetchone()[0]
    first_kept = (
        AccessLogEntry.objects.filter(occurred_at__gte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    expired = AccessLogEntry.objects.all()
    if first_kept is not None:
        expired = expired.filter(id__lt=first_kept)
    last = expired.order_by("-id").values_list("id", "entry_hash").first()
    if last is None:
        return 0
    through_id, through_hash = last
    with connection.cursor() as cursor:
        # Transaction-local, and reverted with the savepoint if the DELETE fails.
        cursor.execute(_PURGE_FLAG_ON)
        cursor.execute("DELETE FROM access_accesslogentry WHERE id <= %s", [through_id])
        purged = cursor.rowcount
        cursor.execute(_PURGE_FLAG_OFF)
    AccessLogPurge.objects.create(
        cutoff=cutoff,
        retention_months=months,
        through_id=through_id,
        through_hash=through_hash,
        entries_purged=purged,
    )
    return purged
