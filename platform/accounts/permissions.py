"""API permissions for accounts: API token scopes and municipality administrators."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import ApiScope, ApiToken
from accounts.policy import HasSecondFactor

__all__ = ["HasScope", "HasSecondFactor", "IsMunicipalityAdmin"]


def HasScope(*scopes: str) -> type[BasePermission]:
    """Permission class allowing API tokens that carry every one of `scopes`.

    Only tokens pass (a signed-in person has no scopes): combine with a role check to let
    people in too, e.g. ``permission_classes = [HasScope("imports:write") | IsMunicipalityAdmin]``.
    """
    unknown = [scope for scope in scopes if scope not in ApiScope.values]
    if unknown or not scopes:
        raise ImproperlyConfigured(f"HasScope needs known scopes, got {scopes!r}.")
    required = frozenset(scopes)

    class _HasScope(BasePermission):
        message: Any = None

        def has_permission(self, request: Request, view: APIView) -> bool:
            token = request.auth
            if not isinstance(token, ApiToken):
                return False
            missing = sorted(required - set(token.scopes))
            if missing:
                self.message = _("This token lacks the scope %(scopes)s.") % {
                    "scopes": ", ".join(missing)
                }
                return False
            return True

    _HasScope.__name__ = _HasScope.__qualname__ = f"HasScope({', '.join(sorted(required))})"
    return _HasScope


class IsMunicipalityAdmin(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user.is_authenticated
            and user.is_active
            and getattr(user, "is_municipality_admin", False)
        )
