"""API token authentication for integrations: ``Authorization: Bearer lsp_...``.

A token never stands in for a person: request.user stays anonymous and request.auth is the
ApiToken, so endpoints that check IsAuthenticated or a role refuse tokens, and only endpoints
that name a scope with accounts.permissions.HasScope accept them. Tokens live in the
municipality's schema: one of another municipality is simply unknown here (401).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.models import ApiToken
from accounts.services.api_tokens import TOKEN_PREFIX, ApiTokenInvalid, api_token_authenticate

BEARER_REALM = 'Bearer realm="api"'


class ApiTokenRejected(exceptions.APIException):
    """401 with a Bearer challenge.

    Not an AuthenticationFailed: DRF turns those into 403 whenever the first authentication class
    (here SessionAuthentication) has no challenge of its own.
    """

    status_code = 401
    default_detail = _("The API token is invalid, revoked or expired.")
    default_code = "invalid_token"
    auth_header = f'{BEARER_REALM}, error="invalid_token"'


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise ApiTokenRejected from None
        if not plaintext.startswith(TOKEN_PREFIX):
            return None  # some other kind of bearer token: not ours to judge
        try:
            token = api_token_authenticate(plaintext=plaintext)
        except ApiTokenInvalid:
            raise ApiTokenRejected from None
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return BEARER_REALM


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "lsp_<secret>"}
