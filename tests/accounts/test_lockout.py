"""Lockout after repeated failed sign-ins, counted per municipality (through POST /login/)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import SignInThrottle, ThrottleScope
from tenants.models import Municipality
from tests.accounts.support import make_user, sign_in, signed_in_user_id
from tests.conftest import TENANT_A, TENANT_B

WRONG = "not the password at all"
LOCKED_15 = "Too many failed attempts, try again in 15 minutes."
WRONG_MESSAGE = "Wrong user name or password."


def throttle_rows(schema: str) -> list[tuple[str, str, int, bool]]:
    now = timezone.now()
    with schema_context(schema):
        return [
            (row.scope, row.key, row.failures, bool(row.locked_until and row.locked_until > now))
            for row in SignInThrottle.objects.order_by("scope", "key")
        ]


def test_five_failures_lock_the_user_name_with_a_clear_message(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given an account in A and four failed attempts
    make_user(TENANT_A.slug, username="anna")
    answers = [sign_in(client_a, "anna", WRONG) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 200]
    assert all(WRONG_MESSAGE in r.content.decode() for r in answers)
    # When the fifth fails as well
    fifth = sign_in(client_a, "anna", WRONG)
    # Then the user name is locked for the cool-down, with a message saying for how long
    assert fifth.status_code == 429
    assert fifth["Retry-After"] == "900"
    assert LOCKED_15 in fifth.content.decode()
    # And even the right password is refused without being checked
    right = sign_in(client_a, "anna")
    assert right.status_code == 429
    assert LOCKED_15 in right.content.decode()
    assert signed_in_user_id(client_a, TENANT_A.slug) is None
    assert throttle_rows(TENANT_A.slug) == [
        ("ip", "127.0.0.1", 5, False),
        ("username", "anna", 0, True),
    ]


def test_the_lock_ends_after_the_cool_down(tenant_a: Municipality, client_a: Client) -> None:
    # Given a locked user name whose cool-down has just ended
    make_user(TENANT_A.slug, username="anna")
    for _ in range(5):
        sign_in(client_a, "anna", WRONG)
    with schema_context(TENANT_A.slug):
        past = timezone.now() - timedelta(minutes=16)
        SignInThrottle.objects.update(window_started_at=past, locked_until=past)
    # When the right password is used
    response = sign_in(client_a, "anna")
    # Then the user is signed in and the user name's counter is gone
    assert response.status_code == 302
    assert signed_in_user_id(client_a, TENANT_A.slug) is not None
    with schema_context(TENANT_A.slug):
        assert not SignInThrottle.objects.filter(scope=ThrottleScope.USERNAME).exists()


def test_a_successful_sign_in_resets_the_count(tenant_a: Municipality, client_a: Client) -> None:
    # Given four failures followed by a successful sign-in
    make_user(TENANT_A.slug, username="anna")
    for _ in range(4):
        sign_in(client_a, "anna", WRONG)
    assert sign_in(client_a, "anna").status_code == 302
    client_a.post("/logout/")
    # When four more attempts fail
    answers = [sign_in(client_a, "anna", WRONG).status_code for _ in range(4)]
    # Then the user name is not locked: counting started over
    assert answers == [200, 200, 200, 200]
    with schema_context(TENANT_A.slug):
        row = SignInThrottle.objects.get(scope=ThrottleScope.USERNAME, key="anna")
    assert (row.failures, row.locked_until) == (4, None)


def test_failures_outside_the_window_start_over(tenant_a: Municipality, client_a: Client) -> None:
    # Given four failures that are now older than the 15-minute window
    make_user(TENANT_A.slug, username="anna")
    for _ in range(4):
        sign_in(client_a, "anna", WRONG)
    with schema_context(TENANT_A.slug):
        SignInThrottle.objects.filter(scope=ThrottleScope.USERNAME).update(
            window_started_at=timezone.now() - timedelta(minutes=16)
        )
    # When one more attempt fails
    response = sign_in(client_a, "anna", WRONG)
    # Then it is the first of a new window, not the fifth
    assert response.status_code == 200
    with schema_context(TENANT_A.slug):
        row = SignInThrottle.objects.get(scope=ThrottleScope.USERNAME, key="anna")
    assert (row.failures, row.locked_until) == (1, None)


def test_unknown_user_names_are_locked_like_real_ones(
    tenant_a: Municipality, client_a: Client
) -> None:
    # Given no account called "nobody"
    # When five attempts are made for it
    answers = [sign_in(client_a, "nobody", WRONG).status_code for _ in range(5)]
    # Then it answers exactly as for an existing account (no oracle)
    assert answers == [200, 200, 200, 200, 429]


def test_user_names_are_counted_case_insensitively(
    tenant_a: Municipality, client_a: Client
) -> None:
    make_user(TENANT_A.slug, username="anna")
    answers = [sign_in(client_a, name, WRONG).status_code for name in ["anna", "Anna", "ANNA "]]
    answers += [sign_in(client_a, name, WRONG).status_code for name in ["aNNa", "anna"]]
    assert answers == [200, 200, 200, 200, 429]


def test_failures_from_one_address_lock_that_address(
    tenant_a: Municipality, client_a: Client, settings: SettingsWrapper
) -> None:
    # Given a limit of three failures per address and accounts to spray
    settings.SIGN_IN_IP_FAILURES = 3
    for name in ("anna", "bo", "cecilia", "david"):
        make_user(TENANT_A.slug, username=name)
    spray = {"REMOTE_ADDR": "198.51.100.7"}
    # When one address tries one password against three user names
    answers = [sign_in(client_a, n, WRONG, **spray).status_code for n in ("anna", "bo", "cecilia")]
    # Then the third failure locks the address, for every user name
    assert answers == [200, 200, 429]
    assert sign_in(client_a, "david", **spray).status_code == 429
    # And people elsewhere are not affected
    other = Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="en")
    assert sign_in(other, "david", REMOTE_ADDR="203.0.113.9").status_code == 302


def test_only_trusted_proxies_name_the_address(
    tenant_a: Municipality, client_a: Client, settings: SettingsWrapper
) -> None:
    # Given one trusted proxy, and a client that forged an X-Forwarded-For entry of its own
    settings.TRUSTED_PROXY_COUNT = 1
    headers = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.66, 198.51.100.7"}
    # When a sign-in fails
    sign_in(client_a, "anna", WRONG, **headers)
    # Then the failure is counted for the address our proxy saw, not the forged one
    assert throttle_rows(TENANT_A.slug) == [
        ("ip", "198.51.100.7", 1, False),
        ("username", "anna", 1, False),
    ]


def test_lockout_counters_are_per_municipality(
    tenant_a: Municipality, client_a: Client, client_b: Client
) -> None:
    # Given "anna" in both municipalities, locked out at A
    make_user(TENANT_A.slug, username="anna")
    make_user(TENANT_B.slug, username="anna")
    for _ in range(5):
        sign_in(client_a, "anna", WRONG)
    before_a = throttle_rows(TENANT_A.slug)
    # When anna signs in at B
    response = sign_in(client_b, "anna")
    # Then B lets her in, B counted nothing, and A's lock is unchanged
    assert response.status_code == 302
    assert signed_in_user_id(client_b, TENANT_B.slug) is not None
    assert throttle_rows(TENANT_B.slug) == []
    assert throttle_rows(TENANT_A.slug) == before_a
    assert sign_in(client_a, "anna").status_code == 429


@pytest.mark.parametrize("failures", [1, 4])
def test_failures_at_b_do_not_count_at_a(
    tenant_a: Municipality, client_a: Client, client_b: Client, failures: int
) -> None:
    # Given failures for "anna" at B only
    make_user(TENANT_A.slug, username="anna")
    for _ in range(failures):
        sign_in(client_b, "anna", WRONG)
    # When anna fails once at A
    sign_in(client_a, "anna", WRONG)
    # Then A counts exactly that one failure
    assert throttle_rows(TENANT_A.slug) == [
        ("ip", "127.0.0.1", 1, False),
        ("username", "anna", 1, False),
    ]
    assert throttle_rows(TENANT_B.slug) == [
        ("ip", "127.0.0.1", failures, False),
        ("username", "anna", failures, False),
    ]


def test_the_platform_host_counts_in_the_public_schema_only(
    tenant_a: Municipality, platform_client: Client, settings: SettingsWrapper
) -> None:
    # Given a vendor operator account "anna" and a municipality account of the same name
    settings.ROOT_URLCONF = "config.urls_tenant"
    make_user("public", username="anna", is_staff=True)
    make_user(TENANT_A.slug, username="anna")
    # When five sign-ins fail on the platform host
    answers = [sign_in(platform_client, "anna", WRONG).status_code for _ in range(5)]
    # Then the operator's user name is locked there, and no municipality counted anything
    assert answers == [200, 200, 200, 200, 429]
    assert throttle_rows("public") == [("ip", "127.0.0.1", 5, False), ("username", "anna", 0, True)]
    assert throttle_rows(TENANT_A.slug) == []
    assert throttle_rows(TENANT_B.slug) == []
