"""Per-municipality API tokens with scopes: managed by administrators, used by integrations."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import ApiScope, ApiToken, User
from accounts.services.api_tokens import api_token_create, api_token_revoke
from tenants.models import Municipality
from tests.accounts.support import make_user, sign_in, verified_admin
from tests.conftest import TENANT_A, TENANT_B

TOKENS = "/api/v1/api-tokens"
PROBE = "/api/v1/probe/register"
REJECTED = {"detail": "The API token is invalid, revoked or expired."}
CHALLENGE = 'Bearer realm="api", error="invalid_token"'


def bearer(plaintext: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def make_token(schema: str, *scopes: str, **fields: Any) -> tuple[ApiToken, str]:
    with schema_context(schema):
        return api_token_create(
            name=fields.pop("name", "Elevregistret"),
            scopes=list(scopes) or [ApiScope.REGISTER_READ],
            created_by=None,
            **fields,
        )


def token_rows(schema: str) -> list[tuple[Any, ...]]:
    with schema_context(schema):
        return list(
            ApiToken.objects.order_by("pk").values_list(
                "pk", "name", "scopes", "last_used_at", "revoked_at", "expires_at"
            )
        )


def test_an_administrator_creates_a_token_and_sees_its_secret_once(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given a verified administrator of A
    verified_admin(client_a, TENANT_A.slug)
    # When they create a token
    response = client_a.post(
        TOKENS,
        {"name": "Skolplattformen import", "scopes": ["imports:write", "register:read"]},
        content_type="application/json",
    )
    # Then the answer carries the secret, and only its hash is stored
    assert response.status_code == 201
    body = response.json()
    plaintext = body.pop("token")
    assert plaintext.startswith("lsp_")
    assert len(plaintext) == 4 + 43
    with schema_context(TENANT_A.slug):
        token = ApiToken.objects.get()
    assert body == {
        "id": token.pk,
        "name": "Skolplattformen import",
        "prefix": plaintext[4:12],
        "scopes": ["imports:write", "register:read"],
        "created_by": "admin",
        "created_at": body["created_at"],
        "last_used_at": None,
        "expires_at": None,
        "revoked_at": None,
    }
    assert token.secret_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in str(token_rows(TENANT_A.slug))
    # And the list never shows the secret again
    listed = client_a.get(TOKENS).json()
    assert [sorted(item) for item in listed] == [sorted(body)]
    assert listed[0]["id"] == token.pk


def test_a_token_with_the_scope_is_accepted(tenant_a: Municipality, client_a: Client) -> None:
    # Given a token of A with register:read
    token, plaintext = make_token(TENANT_A.slug, ApiScope.REGISTER_READ)
    # When an integration calls an endpoint needing that scope
    response = Client(HTTP_HOST=TENANT_A.domain).get(PROBE, **bearer(plaintext))
    # Then it is let in, and the token's last use is recorded
    assert response.status_code == 200
    assert response.json() == {"token": "Elevregistret"}
    with schema_context(TENANT_A.slug):
        token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_without_the_scope_gets_403(tenant_a: Municipality) -> None:
    _token, plaintext = make_token(TENANT_A.slug, ApiScope.IMPORTS_WRITE)
    response = Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="en").get(
        PROBE, **bearer(plaintext)
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "This token lacks the scope register:read."}


def test_a_token_of_a_is_401_at_b(tenant_a: Municipality) -> None:
    # Given a token of A
    _token, plaintext = make_token(TENANT_A.slug, *ApiScope.values)
    before_a, before_b = token_rows(TENANT_A.slug), token_rows(TENANT_B.slug)
    # When it is sent to B's host
    response = Client(HTTP_HOST=TENANT_B.domain, HTTP_ACCEPT_LANGUAGE="en").get(
        PROBE, **bearer(plaintext)
    )
    # Then B does not know it, and nothing was recorded in either municipality
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == CHALLENGE
    assert response.json() == REJECTED
    assert (token_rows(TENANT_A.slug), token_rows(TENANT_B.slug)) == (before_a, before_b)


def test_a_revoked_token_is_401(tenant_a: Municipality, client_a: Client) -> None:
    # Given a token revoked by an administrator through the API
    admin = verified_admin(client_a, TENANT_A.slug)
    token, plaintext = make_token(TENANT_A.slug)
    revoked = client_a.post(f"{TOKENS}/{token.pk}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    # When it is used
    response = Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="en").get(
        PROBE, **bearer(plaintext)
    )
    # Then it is refused
    assert response.status_code == 401
    assert response.json() == REJECTED
    with schema_context(TENANT_A.slug):
        token.refresh_from_db()
    assert (token.revoked_by_id, token.last_used_at) == (admin.pk, None)


def test_revoking_twice_keeps_the_first_revocation(tenant_a: Municipality) -> None:
    token, _plaintext = make_token(TENANT_A.slug)
    with schema_context(TENANT_A.slug):
        first = api_token_revoke(token=token).revoked_at
        second = api_token_revoke(token=token).revoked_at
    assert first is not None
    assert second == first


def test_an_expired_token_is_401(tenant_a: Municipality) -> None:
    # Given a token whose expiry has passed
    token, plaintext = make_token(TENANT_A.slug, expires_at=timezone.now() + timedelta(days=1))
    with schema_context(TENANT_A.slug):
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    # When it is used
    response = Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="en").get(
        PROBE, **bearer(plaintext)
    )
    # Then it is refused
    assert response.status_code == 401
    assert response.json() == REJECTED


@pytest.mark.parametrize("plaintext", ["lsp_not-a-real-token", "lsp_"])
def test_an_unknown_token_is_401(tenant_a: Municipality, plaintext: str) -> None:
    response = Client(HTTP_HOST=TENANT_A.domain).get(PROBE, **bearer(plaintext))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == CHALLENGE


def test_a_token_is_no_person(tenant_a: Municipality) -> None:
    # Given a token with every scope
    _token, plaintext = make_token(TENANT_A.slug, *ApiScope.values)
    client = Client(HTTP_HOST=TENANT_A.domain)
    # When it is used where a signed-in person is needed
    me = client.get("/api/v1/me", **bearer(plaintext))
    tokens = client.get(TOKENS, **bearer(plaintext))
    created = client.post(
        TOKENS, {"name": "x", "scopes": ["register:read"]}, "application/json", **bearer(plaintext)
    )
    pupils = client.get("/api/v1/probe/pupil-documentation", **bearer(plaintext))
    # Then it is refused everywhere, and no token was made
    assert [r.status_code for r in (me, tokens, created, pupils)] == [403, 403, 403, 403]
    assert len(token_rows(TENANT_A.slug)) == 1


def test_staff_who_are_not_administrators_cannot_manage_tokens(
    tenant_a: Municipality, client_a: Client
) -> None:
    make_user(TENANT_A.slug, username="sara", is_school_staff=True)
    sign_in(client_a, "sara")
    listed = client_a.get(TOKENS)
    created = client_a.post(
        TOKENS, {"name": "x", "scopes": ["register:read"]}, content_type="application/json"
    )
    assert (listed.status_code, created.status_code) == (403, 403)
    assert token_rows(TENANT_A.slug) == []


def test_administrators_verify_a_code_before_managing_tokens(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given an administrator signed in with a password only
    make_user(TENANT_A.slug, username="admin", is_municipality_admin=True)
    sign_in(client_a, "admin")
    # When they try to create a token
    response = client_a.post(
        TOKENS, {"name": "x", "scopes": ["register:read"]}, content_type="application/json"
    )
    # Then they are asked for the second factor and nothing is created
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    assert token_rows(TENANT_A.slug) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "scopes": ["pupils:delete"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": " ", "scopes": ["register:read"]}, "name"),
        (
            {"name": "x", "scopes": ["register:read"], "expires_at": "2020-01-01T00:00:00Z"},
            "expires_at",
        ),
    ],
)
def test_invalid_token_requests_create_nothing(
    tenant_a: Municipality, client_a: Client, payload: dict[str, Any], field: str
) -> None:
    verified_admin(client_a, TENANT_A.slug)
    response = client_a.post(TOKENS, payload, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert token_rows(TENANT_A.slug) == []


def test_an_administrator_of_a_cannot_manage_tokens_at_b(
    tenant_a: Municipality, client_a: Client, client_b: Client
) -> None:
    # Given a verified administrator of A and a token of B
    verified_admin(client_a, TENANT_A.slug)
    make_token(TENANT_B.slug)
    before = token_rows(TENANT_B.slug)
    # When A's session is used on B's host to list, create and revoke
    client_b.cookies = client_a.cookies
    listed = client_b.get(TOKENS)
    created = client_b.post(
        TOKENS, {"name": "x", "scopes": ["register:read"]}, content_type="application/json"
    )
    revoked = client_b.post(f"{TOKENS}/{before[0][0]}/revoke")
    # Then B knows no such session and its tokens are unchanged
    assert [r.status_code for r in (listed, created, revoked)] == [403, 403, 403]
    assert token_rows(TENANT_B.slug) == before


def test_a_token_id_of_b_is_not_found_at_a(tenant_a: Municipality, client_a: Client) -> None:
    # Given a token of B and none at A
    token_b, plaintext_b = make_token(TENANT_B.slug)
    verified_admin(client_a, TENANT_A.slug)
    before = token_rows(TENANT_B.slug)
    # When A's administrator revokes that id on A's host
    response = client_a.post(f"{TOKENS}/{token_b.pk}/revoke")
    # Then there is no such token at A, and B's token still works
    assert response.status_code == 404
    assert client_a.get(TOKENS).json() == []
    assert token_rows(TENANT_B.slug) == before
    assert Client(HTTP_HOST=TENANT_B.domain).get(PROBE, **bearer(plaintext_b)).status_code == 200


def test_token_list_is_each_municipalitys_own(
    tenant_a: Municipality, client_a: Client, client_b: Client
) -> None:
    verified_admin(client_a, TENANT_A.slug, username="admin-a")
    verified_admin(client_b, TENANT_B.slug, username="admin-b")
    make_token(TENANT_A.slug, name="Ale integration")
    make_token(TENANT_B.slug, name="Borås integration")
    assert [t["name"] for t in client_a.get(TOKENS).json()] == ["Ale integration"]
    assert [t["name"] for t in client_b.get(TOKENS).json()] == ["Borås integration"]
    with schema_context(TENANT_B.slug):
        assert User.objects.filter(username="admin-a").count() == 0
