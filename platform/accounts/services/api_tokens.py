"""API tokens for a municipality's integrations: created, revoked, checked on each request.

The plaintext ("lsp_" + 43 random characters) is returned once, at creation. Only its SHA-256
is stored, with the first 8 characters after "lsp_" as a visible prefix.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiScope, ApiToken, User

TOKEN_PREFIX = "lsp_"  # noqa: S105 (a label, not a secret)
PREFIX_LENGTH = 8
# last_used_at is written at most this often per token (not a write per request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenInvalid(Exception):
    """Unknown, revoked or expired: one answer for all three."""


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    name: str,
    scopes: Iterable[str],
    created_by: User | None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Creates a token; returns it with its plaintext, which is never available again."""
    name = name.strip()
    wanted = sorted(set(scopes))
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the token a name.")]
    unknown = [scope for scope in wanted if scope not in ApiScope.values]
    if unknown:
        errors["scopes"] = [_("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}]
    elif not wanted:
        errors["scopes"] = [_("Choose at least one scope.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if errors:
        raise ValidationError(errors)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{TOKEN_PREFIX}{secret}"
    token = ApiToken.objects.create(
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        secret_hash=token_hash(plaintext),
        scopes=wanted,
        created_by=created_by,
        expires_at=expires_at,
    )
    return token, plaintext


@transaction.atomic
def api_token_revoke(*, token: ApiToken, revoked_by: User | None = None) -> ApiToken:
    """Revokes the token at once (the row stays, for the record). Revoking twice changes nothing."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = revoked_by
        locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


def api_token_authenticate(*, plaintext: str) -> ApiToken:
    """The usable token of this schema with this plaintext; raises ApiTokenInvalid otherwise."""
    now = timezone.now()
    token = (
        ApiToken.objects.filter(secret_hash=token_hash(plaintext)).first()
        if plaintext.startswith(TOKEN_PREFIX)
        else None
    )
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
    ):
        raise ApiTokenInvalid
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
