from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Self

from django.db import models
from django.db.models import Q
from django.utils import timezone


def today() -> dt.date:
    return timezone.localdate()


def current_q(on: dt.date | None = None, prefix: str = "") -> Q:
    """Dated register rows in force on ``on`` (start inclusive, end inclusive, open end)."""
    on = on or today()
    return Q(**{f"{prefix}start_date__lte": on}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": on})
    )


class DatedQuerySet(models.QuerySet[Any]):
    def current(self, on: dt.date | None = None) -> Self:
        return self.filter(current_q(on))


class RegisterEntity(models.Model):
    """A row the register import owns, identified by the register's own UUID."""

    source_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    # `meta.modified` of the register, kept for incremental sync and conflict analysis.
    source_modified = models.DateTimeField(null=True, blank=True)
    # Digest of everything the register said about the entity (children included): an import
    # skips entities whose digest did not change, so a no-change sync writes no rows at all.
    content_hash = models.CharField(max_length=32, blank=True, default="")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Dated(models.Model):
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    objects = DatedQuerySet.as_manager()

    class Meta:
        abstract = True
