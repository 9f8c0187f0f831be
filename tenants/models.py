"""Municipalities (tenants) and their host names. Public schema only."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


class MunicipalityStatus(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    # The migrated schema new municipalities are cloned from. Never served, listed or dispatched.
    TEMPLATE = "template", _("Template")


# Municipalities whose portal answers and whose tasks run.
SERVING_STATUSES = (MunicipalityStatus.ONBOARDING, MunicipalityStatus.ACTIVE)


class MunicipalityQuerySet(models.QuerySet["Municipality"]):
    def real(self) -> MunicipalityQuerySet:
        """Every municipality, without the template schema."""
        return self.exclude(status=MunicipalityStatus.TEMPLATE)

    def serving(self) -> MunicipalityQuerySet:
        return self.filter(status__in=SERVING_STATUSES)


class Municipality(TenantMixin):
    """A municipality's education board: one tenant with its own PostgreSQL schema.

    ``schema_name`` is the municipality's slug (``lillaedet``), also used in its host name.
    """

    name = models.CharField(_("name"), max_length=200)
    # SCB's four-digit municipality code (kommunkod), e.g. 1462 for Lilla Edet. Empty only for
    # the template row.
    code = models.CharField(_("municipality code"), max_length=4, unique=True, null=True)  # noqa: DJ001
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=MunicipalityStatus.choices,
        default=MunicipalityStatus.ONBOARDING,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)

    # Schemas are created by tenants.services.onboarding only (inside one transaction).
    auto_create_schema = False
    auto_drop_schema = False
    clone_mode = "NODATA"

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.schema_name

    @property
    def slug(self) -> str:
        return self.schema_name

    @property
    def is_serving(self) -> bool:
        return self.status in SERVING_STATUSES


class Domain(DomainMixin):
    """A host name that routes to one municipality (``lillaedet.larspar.se``)."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
