"""Helpers for the accounts tests: accounts, sign-in, TOTP codes and sessions per municipality."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from accounts.models import User
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


def make_user(schema: str, **fields: Any) -> User:
    with schema_context(schema):
        user: User = UserFactory(**fields)
    return user


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> HttpResponse:
    response: HttpResponse = client.post(
        "/login/", {"username": username, "password": password}, **extra
    )
    return response


def make_device(schema: str, user: User) -> TOTPDevice:
    with schema_context(schema):
        return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code_for(device: TOTPDevice) -> str:
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"


def code_for_key(key_hex: str) -> str:
    return code_for(TOTPDevice(key=key_hex))


def session_of(client: Client, schema: str) -> dict[str, Any]:
    """The client's server-side session data, read in the municipality's schema."""
    with schema_context(schema):
        store = SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
        return dict(store.items())


def session_update(client: Client, schema: str, **values: Any) -> None:
    with schema_context(schema):
        store = SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
        for key, value in values.items():
            store[key.replace("__", ".")] = value
        store.save()


def signed_in_user_id(client: Client, schema: str) -> str | None:
    if settings.SESSION_COOKIE_NAME not in client.cookies:
        return None
    value = session_of(client, schema).get("_auth_user_id")
    return str(value) if value is not None else None


def verified_admin(client: Client, schema: str, username: str = "admin") -> User:
    """A municipality administrator signed in on `client` with a verified TOTP code."""
    admin = make_user(schema, username=username, is_municipality_admin=True)
    device = make_device(schema, admin)
    assert sign_in(client, username).status_code == 302
    assert client.post("/account/two-factor/verify/", {"code": code_for(device)}).status_code == 302
    return admin
