"""The database connection, typed as django-tenants' schema-aware wrapper."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db import connection as _connection

if TYPE_CHECKING:
    from django_tenants.postgresql_backend.base import DatabaseWrapper

# The same proxy object as django.db.connection; only its static type differs.
connection = cast("DatabaseWrapper", _connection)
