"""Status changes of a municipality after onboarding."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from tenants.models import Municipality, MunicipalityStatus


@transaction.atomic
def municipality_mark_active(*, schema_name: str) -> None:
    """The first administrator has accepted the invitation: onboarding is over."""
    Municipality.objects.filter(
        schema_name=schema_name, status=MunicipalityStatus.ONBOARDING
    ).update(status=MunicipalityStatus.ACTIVE, status_changed_at=timezone.now())


@transaction.atomic
def municipality_set_suspended(*, municipality: Municipality, suspended: bool) -> Municipality:
    """Suspends (portal answers 503, tasks refuse to run) or reinstates a municipality."""
    if municipality.status == MunicipalityStatus.TEMPLATE:
        raise ValueError("The template schema has no status to change.")
    municipality.status = MunicipalityStatus.SUSPENDED if suspended else MunicipalityStatus.ACTIVE
    municipality.status_changed_at = timezone.now()
    municipality.save(update_fields=["status", "status_changed_at"])
    return municipality
