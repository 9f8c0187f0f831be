"""Accounts tests run against the tenant URLs plus the probe views in tests/accounts/urls.py."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.conftest import TENANT_A, TENANT_B

IDLE_MIDDLEWARE = "accounts.middleware.IdleSessionTimeoutMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


@pytest.fixture
def client_a() -> Client:
    # English answers: the tests compare the English source strings.
    return Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def client_b() -> Client:
    return Client(HTTP_HOST=TENANT_B.domain, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(autouse=True)
def _accounts_settings(settings: SettingsWrapper) -> None:
    settings.ROOT_URLCONF = "tests.accounts.urls"
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    middleware = list(settings.MIDDLEWARE)
    if IDLE_MIDDLEWARE not in middleware:
        # Until config/settings/base.py lists it (test_idle_timeout checks that it does).
        middleware.insert(middleware.index(AUTH_MIDDLEWARE) + 1, IDLE_MIDDLEWARE)
        settings.MIDDLEWARE = middleware
