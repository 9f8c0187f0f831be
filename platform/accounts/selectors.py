"""Reads for accounts: sign-in policy, session idle limit, API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import ApiToken, SignInPolicy
from core.db import connection


def in_public_schema() -> bool:
    return bool(connection.schema_name == settings.PUBLIC_SCHEMA_NAME)


def sign_in_policy_get() -> SignInPolicy:
    """This schema's sign-in policy (password for everyone until someone changes it).

    Unsaved defaults when the row is missing, so a read never writes.
    """
    return SignInPolicy.objects.filter(id=1).first() or SignInPolicy(id=1)


def session_idle_seconds() -> int:
    """How long a signed-in session may stay unused: the municipality's own setting.

    The platform host (vendor operators) has no municipal settings and uses SESSION_COOKIE_AGE.
    """
    if in_public_schema():
        return int(settings.SESSION_COOKIE_AGE)
    from municipal.selectors import municipal_settings_get

    return max(1, municipal_settings_get().session_idle_minutes) * 60


def api_token_list() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("created_by", "revoked_by").order_by(
        "-created_at", "-id"
    )


def api_token_get(*, token_id: int) -> ApiToken:
    """Raises ApiToken.DoesNotExist (a 404 in the API) for ids of no token in this schema."""
    return api_token_list().get(pk=token_id)


def totp_device_confirmed_exists(*, user: object) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return bool(
        getattr(user, "is_authenticated", False)
        and TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )
