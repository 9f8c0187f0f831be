"""Idle sign-out: the municipality's session_idle_minutes decides how long a session may rest."""

from __future__ import annotations

import time

from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.services.sign_in import SESSION_LAST_ACTIVITY_KEY
from config.settings import base
from municipal.models import MunicipalSettings
from tenants.models import Municipality
from tests.accounts.conftest import AUTH_MIDDLEWARE, IDLE_MIDDLEWARE
from tests.accounts.support import make_user, session_of, session_update, sign_in
from tests.conftest import TENANT_A, TENANT_B


def set_idle_minutes(schema: str, minutes: int) -> None:
    with schema_context(schema):
        MunicipalSettings.objects.update_or_create(id=1, defaults={"session_idle_minutes": minutes})


def rest(client: Client, schema: str, minutes: int) -> None:
    """Pretends the session's last request was `minutes` ago."""
    session_update(client, schema, **{SESSION_LAST_ACTIVITY_KEY: int(time.time()) - minutes * 60})


def test_a_session_idle_beyond_the_setting_is_signed_out(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given A signs out after 10 idle minutes, and a session resting for 11
    set_idle_minutes(TENANT_A.slug, 10)
    make_user(TENANT_A.slug, username="anna")
    assert sign_in(client_a, "anna").status_code == 302
    rest(client_a, TENANT_A.slug, 11)
    # When the session is used again
    response = client_a.get("/api/v1/me")
    # Then it is signed out, and the sign-in page says why
    assert response.status_code == 403
    assert client_a.get("/").status_code == 302
    page = client_a.get("/login/")
    assert "You were signed out after 10 minutes without activity." in page.content.decode()
    assert "_auth_user_id" not in session_of(client_a, TENANT_A.slug)


def test_a_session_used_within_the_setting_stays_signed_in(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given a session that rested 9 of A's 10 minutes
    set_idle_minutes(TENANT_A.slug, 10)
    make_user(TENANT_A.slug, username="anna")
    sign_in(client_a, "anna")
    rest(client_a, TENANT_A.slug, 9)
    # When it is used
    response = client_a.get("/api/v1/me")
    # Then it is still signed in and the idle clock starts over
    assert response.status_code == 200
    assert response.json()["username"] == "anna"
    last = session_of(client_a, TENANT_A.slug)[SESSION_LAST_ACTIVITY_KEY]
    assert int(time.time()) - last <= 2


def test_the_idle_limit_is_each_municipalitys_own(
    tenant_a: Municipality, client_a: Client, client_b: Client
) -> None:
    # Given A's limit of 10 minutes, B's default of 60, and sessions resting 11 minutes in both
    set_idle_minutes(TENANT_A.slug, 10)
    make_user(TENANT_A.slug, username="anna")
    make_user(TENANT_B.slug, username="bertil")
    sign_in(client_a, "anna")
    sign_in(client_b, "bertil")
    rest(client_a, TENANT_A.slug, 11)
    rest(client_b, TENANT_B.slug, 11)
    # When both are used
    in_a = client_a.get("/api/v1/me").status_code
    in_b = client_b.get("/api/v1/me").status_code
    # Then only A's is signed out
    assert (in_a, in_b) == (403, 200)
    with schema_context(TENANT_B.slug):
        assert MunicipalSettings.objects.get(id=1).session_idle_minutes == 60


def test_a_lowered_limit_applies_to_open_sessions(tenant_a: Municipality, client_a: Client) -> None:
    # Given a session signed in under the default 60 minutes, resting for 20
    make_user(TENANT_A.slug, username="anna")
    sign_in(client_a, "anna")
    rest(client_a, TENANT_A.slug, 20)
    # When the administrators lower the limit to 15
    set_idle_minutes(TENANT_A.slug, 15)
    # Then the session is signed out at its next request
    assert client_a.get("/api/v1/me").status_code == 403


def test_the_stored_session_expires_with_the_idle_limit(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given A's limit of 10 minutes
    set_idle_minutes(TENANT_A.slug, 10)
    make_user(TENANT_A.slug, username="anna")
    # When anna signs in and uses the session
    sign_in(client_a, "anna")
    client_a.get("/api/v1/me")
    # Then the stored session (and the cookie) expire 10 minutes after the last request
    with schema_context(TENANT_A.slug):
        session = Session.objects.get(session_key=client_a.cookies["sessionid"].value)
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert 600 - 5 <= remaining <= 600
    assert client_a.cookies["sessionid"]["max-age"] == 600


def test_the_idle_middleware_is_installed_after_authentication() -> None:
    # The lead adds it to MIDDLEWARE in config/settings/base.py (the fixture stands in until then).
    assert IDLE_MIDDLEWARE in base.MIDDLEWARE
    assert base.MIDDLEWARE.index(IDLE_MIDDLEWARE) == base.MIDDLEWARE.index(AUTH_MIDDLEWARE) + 1
