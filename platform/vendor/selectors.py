from __future__ import annotations

from tenants.models import Municipality, MunicipalityQuerySet


def municipality_list() -> MunicipalityQuerySet:
    """Municipalities as the vendor sees them: metadata only, never the template."""
    return Municipality.objects.real().prefetch_related("domains").order_by("name")
