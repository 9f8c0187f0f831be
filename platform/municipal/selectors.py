from __future__ import annotations

from municipal.models import MunicipalSettings


def municipal_settings_get() -> MunicipalSettings:
    """The current municipality's settings (defaults until an administrator changes them)."""
    settings, _created = MunicipalSettings.objects.get_or_create(id=1)
    return settings
