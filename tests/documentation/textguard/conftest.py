"""Signed-in people of the two municipalities, for the text guard's endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from documentation.textguard.models import Acknowledgement, LexiconEntry
from tenants.models import Municipality
from tests.access.http import signed_in_client
from tests.accounts.support import make_user
from tests.conftest import TENANT_A, TENANT_B, TenantSpec


def person_client(spec: TenantSpec, username: str, **flags: bool) -> tuple[User, Client]:
    """A user of ``spec`` signed in over HTTP (staff and administrators with a TOTP code)."""
    user = make_user(spec.slug, username=username, **flags)
    return user, signed_in_client(spec.domain, spec.slug, user)


def lexicon_rows(schema: str) -> list[tuple[Any, ...]]:
    with schema_context(schema):
        return list(
            LexiconEntry.objects.order_by("pk").values_list(
                "pk", "lemma", "forms", "category", "suggestion", "enabled"
            )
        )


def acknowledgement_rows(schema: str) -> list[tuple[Any, ...]]:
    with schema_context(schema):
        return list(Acknowledgement.objects.order_by("pk").values_list())


@pytest.fixture
def teacher_a(tenant_a: Municipality) -> Client:
    return person_client(TENANT_A, "teacher-a", is_school_staff=True)[1]


@pytest.fixture
def admin_a(tenant_a: Municipality) -> Client:
    return person_client(TENANT_A, "admin-a", is_municipality_admin=True)[1]


@pytest.fixture
def admin_b(tenant_b: Municipality) -> Client:
    return person_client(TENANT_B, "admin-b", is_municipality_admin=True)[1]
