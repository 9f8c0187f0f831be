"""The import pipeline end to end, from an SS 12000 file bundle to accounts, in two tenants."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from core.db import connection
from integrations.models import ImportRun, ImportStatus, QuarantinedPerson
from integrations.services.runs import import_run_create, import_run_execute
from integrations.synthetic.delta import apply_delta
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from register.models import GroupMembership, Person
from tests.conftest import TENANT_A, TENANT_B

WRITE_COUNTERS = """
SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables
 WHERE schemaname = %s AND (relname LIKE 'register_%%' OR relname = 'accounts_user')
"""


def run_import(schema: str, folder: Path, **options: object) -> ImportRun:
    with schema_context(schema):
        run = import_run_create(
            source="ss12000-files", source_path=str(folder), trigger="command", enqueue=False,
            **options,  # type: ignore[arg-type]
        )  # fmt: skip
        import_run_execute(run_id=run.pk)
        run.refresh_from_db()
        return run


def row_writes(schema: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(WRITE_COUNTERS, [schema])
        return int(cursor.fetchone()[0])


@pytest.fixture
def small_town(tmp_path: Path):  # type: ignore[no-untyped-def]
    municipality = generate_municipality(pupils=300, seed=7)
    folder = tmp_path / "bundle"
    write_file_bundle(municipality, folder)
    return municipality, folder


def test_a_first_import_creates_the_register_and_accounts(tenant_a: object, small_town) -> None:  # type: ignore[no-untyped-def]
    _municipality, folder = small_town
    run = run_import(TENANT_A.slug, folder)
    assert (run.status, run.failure) == (ImportStatus.SUCCEEDED, "")
    with schema_context(TENANT_A.slug):
        persons = Person.objects.filter(removed_at__isnull=True).count()
        quarantined = QuarantinedPerson.objects.count()
        assert persons + quarantined == run.counts["person"]["read"] - run.counts["person"].get(
            "errors", 0
        )
        assert run.counts["person"]["new"] == persons
        assert User.objects.filter(is_active=True).count() == run.counts["accounts"]["created"]
        assert User.objects.filter(is_school_staff=True).count() > 0
        assert GroupMembership.objects.count() > 0
    # Nothing leaked into the other municipality
    with schema_context(TENANT_B.slug):
        assert Person.objects.count() == 0


def test_a_no_change_rerun_writes_no_rows(tenant_a: object, small_town) -> None:  # type: ignore[no-untyped-def]
    _municipality, folder = small_town
    run_import(TENANT_A.slug, folder)
    before = row_writes(TENANT_A.slug)
    again = run_import(TENANT_A.slug, folder)
    assert again.status == ImportStatus.SUCCEEDED
    assert row_writes(TENANT_A.slug) == before
    for counts in again.counts.values():
        if "read" in counts:
            skipped = counts.get("errors", 0) + counts.get("quarantined", 0)
            assert counts.get("unchanged", 0) == counts["read"] - skipped


def test_a_delta_applies_changes_and_ends_what_left(
    tenant_a: object, small_town, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    municipality, folder = small_town
    run_import(TENANT_A.slug, folder)
    delta = apply_delta(municipality, fraction=0.05, seed=1)
    changed = tmp_path / "delta"
    write_file_bundle(delta.municipality, changed)
    run = run_import(TENANT_A.slug, changed)
    assert run.status == ImportStatus.SUCCEEDED, run.failure
    counts = run.counts["person"]
    assert counts.get("changed", 0) + counts.get("new", 0) + counts.get("gone", 0) > 0
    with schema_context(TENANT_A.slug):
        removed = Person.objects.filter(removed_at__isnull=False)
        assert removed.count() == counts.get("gone", 0)
        for person in removed:
            if person.user_id:
                assert person.user.is_active is False  # type: ignore[union-attr]


def test_a_dry_run_shows_the_diff_and_changes_nothing(tenant_a: object, small_town) -> None:  # type: ignore[no-untyped-def]
    _municipality, folder = small_town
    run = run_import(TENANT_A.slug, folder, dry_run=True)
    assert run.status == ImportStatus.SUCCEEDED
    assert run.counts["person"]["new"] > 0
    assert len(run.samples["person"]["new"]) == 5
    with schema_context(TENANT_A.slug):
        assert Person.objects.count() == 0
        assert User.objects.count() == 0
