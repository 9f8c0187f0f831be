"""Signing the matrix's actors in over HTTP, with the second factor where the role needs it."""

from __future__ import annotations

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from accounts.models import User
from tests.accounts.support import code_for, sign_in


def signed_in_client(host: str, schema: str, user: User) -> Client:
    client = Client(HTTP_HOST=host, HTTP_ACCEPT_LANGUAGE="en")
    assert sign_in(client, user.username).status_code == 302
    if user.is_school_staff or user.is_municipality_admin:
        with schema_context(schema):
            device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        verified = client.post("/account/two-factor/verify/", {"code": code_for(device)})
        assert verified.status_code == 302
    return client
