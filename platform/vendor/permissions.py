from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.permissions import BasePermission


def is_vendor_operator(request: HttpRequest) -> bool:
    """An operator is a staff account of the public schema, reached on the platform host only."""
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    return bool(
        tenant is not None
        and tenant.schema_name == settings.PUBLIC_SCHEMA_NAME
        and user is not None
        and user.is_authenticated
        and user.is_staff
        and user.is_active
    )


class IsVendorOperator(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return is_vendor_operator(request)
