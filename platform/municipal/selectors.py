from __future__ import annotations

from core import request_cache
from core.db import connection
from municipal.models import MunicipalSettings


def municipal_settings_get() -> MunicipalSettings:
    """The current municipality's settings (defaults until an administrator changes them).

    Read once per request however many times it is asked for (the memo is per schema).
    """
    return request_cache.memoised(f"municipal_settings:{connection.schema_name}", _fetch)


def _fetch() -> MunicipalSettings:
    settings, _created = MunicipalSettings.objects.get_or_create(id=1)
    return settings
