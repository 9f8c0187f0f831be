"""Derived register ids (CSV rows carry no register id) are keyed by the municipality's own
random key (RegisterIdKey), not by the server's SECRET_KEY: rotating that key changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings
from django_tenants.utils import schema_context

from core.db import connection
from integrations.models import ImportRun, RegisterIdKey
from integrations.services.sources import tenant_id_secret
from integrations.synthetic.csv_writer import write_csv_export
from integrations.synthetic.generator import generate_municipality
from register.models import Person
from tenants.models import Municipality
from tests.conftest import TENANT_A, TENANT_B

id_key_migration = importlib.import_module("integrations.migrations.0002_register_id_key")


@pytest.fixture(scope="module")
def natural_keys_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean CSV export without register ids: every id is derived."""
    folder = tmp_path_factory.mktemp("csv")
    write_csv_export(generate_municipality(pupils=40, seed=3), folder, with_ids=False)
    return folder


def _import_csv(slug: str, folder: Path) -> None:
    call_command("import_register", "--tenant", slug, "--source", "csv", str(folder))


def test_each_municipality_gets_its_own_random_key_made_once(
    tenant_a: Municipality, tenant_b: Municipality
) -> None:
    # Given two municipalities that have never imported
    with schema_context(TENANT_A.slug):
        assert not RegisterIdKey.objects.exists()
        # When the key is asked for twice
        first, again = tenant_id_secret(), tenant_id_secret()
        stored = bytes(RegisterIdKey.objects.get().key)
    with schema_context(TENANT_B.slug):
        other = tenant_id_secret()
    # Then it was made once, is 32 random bytes, and differs between municipalities
    assert first == again == stored
    assert len(first) == 32
    assert other != first


def test_rotating_secret_key_changes_no_derived_id(
    tenant_a: Municipality, natural_keys_export: Path
) -> None:
    # Given a CSV import (its person ids are derived from civic numbers)
    _import_csv(TENANT_A.slug, natural_keys_export)
    with schema_context(TENANT_A.slug):
        before = sorted(Person.objects.values_list("source_id", flat=True))
    assert before
    # When the server's SECRET_KEY is rotated and the same export is imported again
    with override_settings(SECRET_KEY="a-completely-different-secret-key-" + "x" * 30):
        _import_csv(TENANT_A.slug, natural_keys_export)
    # Then every person kept its id and the re-run changed nothing
    with schema_context(TENANT_A.slug):
        after = sorted(Person.objects.values_list("source_id", flat=True))
        rerun = ImportRun.objects.order_by("-pk").first()
    assert after == before
    assert rerun is not None
    assert rerun.counts["person"]["unchanged"] == len(before)
    assert "changed" not in rerun.counts["person"]
    assert "new" not in rerun.counts["person"]


def test_the_migration_keeps_the_old_key_for_a_register_with_data(
    tenant_a: Municipality, natural_keys_export: Path
) -> None:
    # Given a municipality imported before the key existed (its ids came from the old HMAC)
    _import_csv(TENANT_A.slug, natural_keys_export)
    with schema_context(TENANT_A.slug):
        RegisterIdKey.objects.all().delete()
        # When the migration's data step runs
        id_key_migration.keep_existing_ids(apps, SimpleNamespace(connection=connection))
        kept = bytes(RegisterIdKey.objects.get().key)
    # Then the key is exactly the old derivation, so no derived id changes
    from django.conf import settings

    legacy = hmac.new(
        settings.SECRET_KEY.encode(), f"register-ids:{TENANT_A.slug}".encode(), hashlib.sha256
    ).digest()
    assert kept == legacy


def test_the_migration_leaves_an_empty_register_to_a_random_key(tenant_b: Municipality) -> None:
    # Given a municipality with no register data
    with schema_context(TENANT_B.slug):
        # When the migration's data step runs
        id_key_migration.keep_existing_ids(apps, SimpleNamespace(connection=connection))
        # Then no key is stored: the first import makes a random one
        assert not RegisterIdKey.objects.exists()
