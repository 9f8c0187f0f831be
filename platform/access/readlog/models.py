"""Read-log tables (tenant schema). Their rules live in the database: see migration 0002.

- ``AccessLogEntry`` rows are append-only: a trigger refuses UPDATE, DELETE and TRUNCATE (DELETE
  only passes inside ``access_log_purge_expired``, for entries older than the retention).
- A BEFORE INSERT trigger chains them: under a per-schema advisory lock it numbers the entry
  (``id`` = previous id + 1, gapless) and sets ``prev_hash`` and ``entry_hash``. The application
  sends one INSERT and never the id or the hashes.
- ``AccessLogPurge`` rows are the checkpoints a retention purge leaves: the id and hash of the
  last entry it removed, so the remaining chain still has a verifiable start.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

# The chain's start before any entry (and before any purge): 64 zeros.
GENESIS_HASH = "0" * 64


class AccessLogEntry(models.Model):
    """One read of pupil data by one actor (one request, one export, one report run)."""

    # Numbered by the insert trigger (no sequence): gapless and in chain order.
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_default=Now(), editable=False)
    # No foreign keys: accounts and persons may be removed, the log stays.
    actor_id = models.BigIntegerField(_("actor id"))
    actor_display = models.CharField(_("actor"), max_length=300)
    actor_role = models.CharField(_("actor role"), max_length=32)
    pupil_ids = ArrayField(models.BigIntegerField(), verbose_name=_("pupils"), default=list)
    # {"<pupil id>": "<relation that allowed the read>"}
    relations = models.JSONField(_("relations"), default=dict)
    resource = models.CharField(_("resource"), max_length=64)
    object_ref = models.CharField(_("object"), max_length=200, blank=True, default="")
    request_id = models.CharField(_("request id"), max_length=64, blank=True, default="")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True, default="")
    # Hex SHA-256, set by the insert trigger (returned to the ORM through RETURNING).
    prev_hash = models.CharField(max_length=64, db_default="", editable=False)
    entry_hash = models.CharField(max_length=64, db_default="", editable=False)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log entries")
        indexes = [
            GinIndex(fields=["pupil_ids"], name="access_log_pupils_gin"),
            models.Index(fields=["actor_id", "occurred_at"], name="access_log_actor_at"),
            models.Index(fields=["occurred_at"], name="access_log_at"),
        ]

    def __str__(self) -> str:
        return f"AccessLogEntry #{self.pk} {self.resource}"


class AccessLogPurge(models.Model):
    """A retention purge: it removed entries up to ``through_id`` (whose hash it keeps)."""

    purged_at = models.DateTimeField(db_default=Now(), editable=False)
    cutoff = models.DateTimeField()
    retention_months = models.PositiveIntegerField()
    through_id = models.BigIntegerField()
    through_hash = models.CharField(max_length=64)
    entries_purged = models.BigIntegerField()

    class Meta:
        verbose_name = _("access log purge")
        verbose_name_plural = _("access log purges")

    def __str__(self) -> str:
        return f"AccessLogPurge through #{self.through_id}"
