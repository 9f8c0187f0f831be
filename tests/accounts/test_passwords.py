"""Passwords: set once through an invitation link, stored with Argon2."""

from __future__ import annotations

from django.test import Client, override_settings
from django_tenants.utils import schema_context

from accounts.models import Invitation, InvitationRole, User
from accounts.services.invitations import invitation_create
from accounts.services.sign_in import SESSION_LAST_ACTIVITY_KEY, SESSION_METHOD_KEY
from config.settings import base
from tenants.models import Municipality
from tests.accounts.support import make_user, session_of
from tests.conftest import TENANT_A

NEW_PASSWORD = "Blåbärssylt i november 42"


def invite(schema: str, username: str) -> str:
    with schema_context(schema):
        user = User.objects.create(username=username, email=f"{username}@example.org")
        user.set_unusable_password()
        user.save()
        return invitation_create(
            email=user.email, role=InvitationRole.ACCOUNT_HOLDER, user=user, send_email=False
        ).token


def test_passwords_are_stored_with_argon2_under_the_base_settings(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given the production hashers (the test settings use MD5 for speed)
    token = invite(TENANT_A.slug, "sara")
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        # When a password is chosen through the invitation link
        response = client_a.post(
            f"/invitation/{token}/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
        )
        # Then it is stored as an Argon2 hash, and it works
        assert response.status_code == 302
        with schema_context(TENANT_A.slug):
            user = User.objects.get(username="sara")
            assert user.password.startswith("argon2$argon2id$")
            assert user.check_password(NEW_PASSWORD)
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_an_invitation_link_sets_a_password_once(tenant_a: Municipality, client_a: Client) -> None:
    # Given an invitation that was used
    token = invite(TENANT_A.slug, "sara")
    body = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    assert client_a.post(f"/invitation/{token}/", body).status_code == 302
    assert session_of(client_a, TENANT_A.slug)[SESSION_METHOD_KEY] == "password"
    assert SESSION_LAST_ACTIVITY_KEY in session_of(client_a, TENANT_A.slug)
    with schema_context(TENANT_A.slug):
        stored = User.objects.get(username="sara").password
    # When the link is used again
    again = Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="en").post(
        f"/invitation/{token}/", {"password": "Something else 99!", "password_again": "x"}
    )
    # Then it is refused and the password is unchanged
    assert again.status_code == 404
    with schema_context(TENANT_A.slug):
        assert User.objects.get(username="sara").password == stored


def test_an_invitation_of_a_is_unknown_at_b(tenant_a: Municipality, client_b: Client) -> None:
    # Given an open invitation at A
    token = invite(TENANT_A.slug, "sara")
    make_user(TENANT_A.slug, username="other")
    # When its link is opened and posted on B's host
    opened = client_b.get(f"/invitation/{token}/")
    posted = client_b.post(
        f"/invitation/{token}/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    # Then B knows no such invitation, and A's invitation and account are untouched
    assert (opened.status_code, posted.status_code) == (404, 404)
    with schema_context(TENANT_A.slug):
        invitation = Invitation.objects.get(user__username="sara")
        assert invitation.accepted_at is None
        assert not User.objects.get(username="sara").has_usable_password()
