"""The formative log (lärlogg): dated notes about a pupil or a group, optionally tied to a plan.

Entries written in one request (the same note to several pupils) share a ``batch``. An entry is
published when saved unless written as a draft; published entries with visibility
``pupil_guardians`` reach the pupil and their counted guardians (or, for a group entry, the
group's members and their guardians). Every change is a ``FormativeEntryHistory`` row
(append-only in the database, migration 0002).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ENTRY_TEXT_MAX = 10_000


class Visibility(models.TextChoices):
    STAFF = "staff", _("staff only")
    PUPIL_GUARDIANS = "pupil_guardians", _("pupil and guardians")


class FormativeEntry(models.Model):
    pupil = models.ForeignKey(
        "register.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="formative_entries",
    )
    group = models.ForeignKey(
        "register.Group",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="formative_entries",
    )
    plan = models.ForeignKey(
        "plans.PedagogicalPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="formative_entries",
    )
    date = models.DateField()
    text = models.TextField()
    visibility = models.CharField(max_length=16, choices=Visibility.choices)
    batch = models.UUIDField(default=uuid.uuid4, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name_plural = "formative entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(pupil__isnull=False, group__isnull=True)
                | Q(pupil__isnull=True, group__isnull=False),
                name="plans_entry_pupil_xor_group",
            ),
            # Two equalities, not IN (...): the template copier reproduces this definition
            # exactly (an IN list comes back from pg_get_constraintdef in another spelling).
            models.CheckConstraint(
                condition=Q(visibility="staff") | Q(visibility="pupil_guardians"),
                name="plans_entry_visibility",
            ),
        ]
        indexes = [
            models.Index(fields=["pupil", "date"], name="plans_entry_pupil"),
            models.Index(fields=["group", "date"], name="plans_entry_group"),
            models.Index(fields=["batch"], name="plans_entry_batch"),
        ]

    def __str__(self) -> str:
        return f"{self.date} ({self.pk})"


class FormativeEntryHistory(models.Model):
    """One change of an entry: the content after it (``snapshot``), who and when."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        PUBLISHED = "published", _("published")

    entry = models.ForeignKey(FormativeEntry, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=16, choices=Action.choices)
    snapshot = models.JSONField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entry", "at", "pk"]
        verbose_name_plural = "formative entry history"

    def __str__(self) -> str:
        return f"{self.entry_id} {self.action}"
