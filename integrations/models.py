"""Register imports (tenant schema): runs, their issues, checkpoints and quarantine.

The database, not Redis, is the source of truth for a run: its status, phase, heartbeat and
counts live here, so a run whose worker died is noticed and ended by the reaper.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportSource(models.TextChoices):
    SS12000_API = "ss12000-api", _("SS 12000 API")
    SS12000_FILES = "ss12000-files", _("SS 12000 file bundle")
    CSV = "csv", _("CSV export")


class ImportTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    ADMIN = "admin", _("Administrator")
    API = "api", _("API")
    COMMAND = "command", _("Command")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ImportPhase(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    WAITING_FOR_SLOT = "waiting_slot", _("Waiting for a free worker (other large imports run)")
    READING = "reading", _("Reading and validating")
    APPLYING = "applying", _("Applying")
    ACCOUNTS = "accounts", _("Updating accounts")
    DONE = "done", _("Done")


FINISHED_STATUSES = (ImportStatus.SUCCEEDED, ImportStatus.FAILED, ImportStatus.CANCELLED)


class ImportRun(models.Model):
    source = models.CharField(max_length=20, choices=ImportSource.choices)
    # Where the input is: a file or folder the run owns (uploads are copied under MEDIA_ROOT),
    # or empty for the API (its connection settings live in RegisterConnection).
    source_path = models.CharField(max_length=500, blank=True)
    incremental = models.BooleanField(default=False)
    trigger = models.CharField(max_length=20, choices=ImportTrigger.choices)
    dry_run = models.BooleanField(default=False)
    # A run that applies a dry run "as it was shown" refuses when the diff differs.
    applies_dry_run = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    diff_fingerprint = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    phase = models.CharField(
        max_length=20, choices=ImportPhase.choices, default=ImportPhase.WAITING
    )
    percent = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # {"person": {"read": n, "new": n, "changed": n, "unchanged": n, "gone": n, "errors": n}, ...}
    counts = models.JSONField(default=dict, blank=True)
    # {"read": seconds, "apply": seconds, "accounts": seconds}
    timings = models.JSONField(default=dict, blank=True)
    # Samples of the diff for dry runs: {"person": {"new": [...names], "changed": [...]}}
    samples = models.JSONField(default=dict, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ImportRun #{self.pk} ({self.source}, {self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class ImportIssue(models.Model):
    """A row-level error or warning. Never holds a civic number: the register id and field."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="issues")
    severity = models.CharField(max_length=10)  # "error" | "warning"
    entity = models.CharField(max_length=20, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    location = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        indexes = [models.Index(fields=["run", "severity"])]

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


class RegisterCheckpoint(models.Model):
    """Where incremental sync continues from, per entity type."""

    entity = models.CharField(max_length=20, unique=True)
    modified_after = models.DateTimeField()
    deleted_after = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.entity} after {self.modified_after}"


class QuarantinedPerson(models.Model):
    """A person with protected identity the register sent: not imported until admitted."""

    source_id = models.UUIDField(unique=True)
    given_name = models.CharField(max_length=200)
    family_name = models.CharField(max_length=200)
    security_marking = models.CharField(max_length=30)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    admitted_at = models.DateTimeField(null=True, blank=True)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return f"Quarantined {self.source_id}"


class HeldDuty(models.Model):
    """A duty of a person in quarantine, held back from the register. Kept so that a later
    incremental run, which does not receive the unchanged duty again, still holds back an
    activity's reference to it instead of reporting an unknown duty. Written by the apply
    (pipeline/apply_sql.py); a row whose duty is in the register is simply never consulted."""

    source_id = models.UUIDField(unique=True)
    person_source_id = models.UUIDField()

    def __str__(self) -> str:
        return f"Held duty {self.source_id}"


class RegisterConnection(models.Model):
    """How this municipality's register is reached, and the import policy (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    source = models.CharField(
        max_length=20, choices=ImportSource.choices, default=ImportSource.SS12000_API
    )
    base_url = models.URLField(blank=True)
    token_url = models.URLField(blank=True)
    client_id = models.CharField(max_length=200, blank=True)
    # Kept in the municipality's own schema; production should set it through the admin API
    # only (never logged, never returned).
    client_secret = models.CharField(max_length=500, blank=True)
    enabled = models.BooleanField(default=False)
    incremental_every_minutes = models.PositiveIntegerField(default=15)
    full_sync_hour = models.PositiveSmallIntegerField(default=2)
    # Above this share of rows with errors, a run fails cleanly and applies nothing.
    error_threshold_percent = models.DecimalField(max_digits=5, decimal_places=2, default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="single_register_connection")
        ]

    def __str__(self) -> str:
        return f"RegisterConnection({self.source})"


class RegisterIdKey(models.Model):
    """The municipality's own key for ids derived from register rows that carry none (CSV
    exports, non-UUID SS 12000 ids). One row, made at random on first use and never changed:
    deriving it from the server's SECRET_KEY would change every derived id (so every account's
    link to its person) the day that key is rotated."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    key = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="single_register_id_key")
        ]

    def __str__(self) -> str:
        return "RegisterIdKey"  # never the key
