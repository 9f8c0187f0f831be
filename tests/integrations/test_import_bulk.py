"""The bulk load (integrations/pipeline/bulk.py): a first import into an empty register loads
its tables without their foreign keys and secondary indexes and re-creates them before COMMIT.

Proved here: the schema ends exactly as the migrations made it (the template's fingerprint:
names, definitions, deferrability, validity); a failure inside the bulk load rolls everything
back, DDL included; a dangling reference written while the keys are dropped is caught when they
are re-created; a small delta keeps the row-by-row path; the other municipality is untouched.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from accounts.models import User
from core.db import connection
from integrations.models import ImportStatus
from integrations.pipeline.bulk import bulk_load_begin, bulk_load_finish, bulk_tables
from integrations.synthetic.delta import apply_delta
from integrations.synthetic.generator import SyntheticMunicipality, generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from register.models import Activity, Email, Group, GroupMembership, Organisation, Person
from tests.benchmarks.test_onboarding import schema_fingerprint
from tests.conftest import TENANT_A, TENANT_B
from tests.factories import (
    ActivityTeacherFactory,
    AssignmentRoleFactory,
    EnrolmentFactory,
    GroupFactory,
    MembershipFactory,
    ResponsibleFactory,
)
from tests.integrations.test_import_bad_input import (
    diff,
    edit_page,
    exact_snapshot,
    register_content,
    run_import,
)
from tests.worker import test_database_url as database_url

TEMPLATE = "tpl_base"
TIMINGS = {"read", "apply", "accounts"}
# The register's one foreign key to a table outside it (see the first test).
USER_FK = "register_person_user_id_6d25dede_fk_accounts_user_id"


def foreign_key_ids(schema: str) -> dict[str, int]:
    """The catalogue ids of the register tables' foreign keys, by name: a bulk load drops and
    re-creates them (same names, new ids), the row-by-row path leaves them alone."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT con.conname, con.oid FROM pg_constraint con
                WHERE con.connamespace = %s::regnamespace AND con.contype = 'f'
                  AND con.conrelid::regclass::text LIKE %s""",
            [schema, "%register%"],
        )
        return dict(cursor.fetchall())


def bulk_loaded(schema: str, before: dict[str, int]) -> set[str]:
    """The foreign keys that were re-created since ``before``."""
    after = foreign_key_ids(schema)
    assert after.keys() == before.keys()
    return {name for name, oid in after.items() if before[name] != oid}


@pytest.fixture(scope="module")
def village(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticMunicipality, Path]:
    municipality = generate_municipality(pupils=200, seed=11)
    folder = tmp_path_factory.mktemp("bulk") / "bundle"
    write_file_bundle(municipality, folder)
    return municipality, folder


def test_a_first_import_bulk_loads_and_leaves_the_schema_exactly_as_migrated(
    tenant_a: object, tenant_b: object, village: tuple[SyntheticMunicipality, Path]
) -> None:
    _municipality, folder = village
    # Given Ale with an empty register, its schema identical to the template's, and Borås
    template = schema_fingerprint(TEMPLATE)
    assert schema_fingerprint(TENANT_A.slug) == template
    boras_schema = schema_fingerprint(TENANT_B.slug)
    boras_rows = exact_snapshot(TENANT_B.slug)
    keys = foreign_key_ids(TENANT_A.slug)
    # When the first import runs
    run = run_import(TENANT_A.slug, folder)
    # Then it succeeded and took the bulk path: every register foreign key was re-created
    # (but the one to accounts_user, which stays: dropping it would lock out sign-ins)
    assert (run.status, run.failure) == (ImportStatus.SUCCEEDED, "")
    assert set(run.timings) == TIMINGS
    assert bulk_loaded(TENANT_A.slug, keys) == set(keys) - {USER_FK}
    # And every constraint and index is back with its name and definition, validated
    assert schema_fingerprint(TENANT_A.slug) == template
    with schema_context(TENANT_A.slug):
        assert Person.objects.count() == run.counts["person"]["new"]
        assert GroupMembership.objects.count() > 0
        assert (
            User.objects.filter(person__isnull=False).count() == run.counts["accounts"]["created"]
        )
    # And Borås was not touched, neither its schema nor its rows
    assert schema_fingerprint(TENANT_B.slug) == boras_schema
    assert diff(boras_rows, exact_snapshot(TENANT_B.slug)) == []


def _one_row_in_every_register_table() -> tuple[list[int], list[int]]:
    """Factory rows (none of them in the export); returns their organisations and persons."""
    teacher = ActivityTeacherFactory()
    group = GroupFactory(organisation=teacher.activity.organisation)
    teacher.activity.groups.set([group])
    AssignmentRoleFactory(duty=teacher.duty, group=group)
    membership = MembershipFactory(group=group)
    EnrolmentFactory(person=membership.person, school_unit=group.organisation)
    responsible = ResponsibleFactory(pupil=membership.person)
    Email.objects.create(person=membership.person, value="x@example.org", type="Privat")
    organisations = [
        teacher.activity.organisation_id,
        teacher.duty.duty_at_id,
        group.organisation_id,
    ]
    persons = [teacher.duty.person_id, membership.person_id, responsible.guardian_id]
    return organisations, persons


def test_the_bulk_path_imports_the_same_register_as_the_row_by_row_path(
    tenant_a: object, tenant_b: object, village: tuple[SyntheticMunicipality, Path]
) -> None:
    _municipality, folder = village
    # Given Ale with an empty register, and Borås with one row in every register table, so
    # that no table of Borås' is bulk-loaded (it holds rows and the change is small)
    with schema_context(TENANT_B.slug):
        organisations, persons = _one_row_in_every_register_table()
        content = register_content(TENANT_B.slug)
    assert [
        t for t, (rows, _digest) in content.items() if t.startswith("register_") and not rows
    ] == []
    keys = {schema: foreign_key_ids(schema) for schema in (TENANT_A.slug, TENANT_B.slug)}
    # When both import the same export
    bulk = run_import(TENANT_A.slug, folder)
    row_by_row = run_import(TENANT_B.slug, folder)
    # Then Ale loaded in bulk and Borås row by row
    assert (bulk.status, row_by_row.status) == (ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED)
    assert bulk_loaded(TENANT_A.slug, keys[TENANT_A.slug]) == set(keys[TENANT_A.slug]) - {USER_FK}
    assert bulk_loaded(TENANT_B.slug, keys[TENANT_B.slug]) == set()
    # And, without Borås' own rows (ended by the import: not in the export), the registers are
    # equal value for value (ids and clocks aside)
    with schema_context(TENANT_B.slug):
        Person.objects.filter(pk__in=persons).delete()
        Activity.objects.filter(organisation_id__in=organisations).delete()
        Group.objects.filter(organisation_id__in=organisations).delete()
        Organisation.objects.filter(pk__in=organisations).delete()
    assert diff(register_content(TENANT_A.slug), register_content(TENANT_B.slug)) == []


def test_a_failure_inside_the_bulk_load_rolls_back_to_the_empty_register_with_its_keys(
    tenant_a: object, tenant_b: object, village: tuple[SyntheticMunicipality, Path], tmp_path: Path
) -> None:
    _municipality, bundle = village
    # Given Ale with an empty register and an export whose groups name 40 members the register
    # does not contain: errors found only while applying, after the keys were dropped and the
    # persons written, above the default threshold of 1 %
    folder = tmp_path / "ghosts"
    folder.mkdir()
    for page in bundle.iterdir():
        (folder / page.name).write_bytes(page.read_bytes())

    def ghosts(items: list[dict[str, Any]]) -> None:
        for group in items[:40]:
            group["groupMemberships"].append({"person": {"id": str(uuid.uuid4())}})

    edit_page(folder, "groups", ghosts)
    template = schema_fingerprint(TEMPLATE)
    before = exact_snapshot(TENANT_A.slug)
    boras_rows = exact_snapshot(TENANT_B.slug)
    # When it is imported
    run = run_import(TENANT_A.slug, folder)
    # Then the run failed and nothing of it is left: no rows, and every key and index is back
    assert run.status == ImportStatus.FAILED
    assert run.failure.startswith("40 of ")
    assert "nothing was applied" in run.failure
    assert diff(before, exact_snapshot(TENANT_A.slug)) == []
    assert schema_fingerprint(TENANT_A.slug) == template
    # And Borås is untouched
    assert diff(boras_rows, exact_snapshot(TENANT_B.slug)) == []


def test_a_dangling_reference_written_while_the_keys_are_dropped_fails_their_restore(
    tenant_a: object, village: tuple[SyntheticMunicipality, Path]
) -> None:
    _municipality, folder = village
    # Given Ale holding a register
    assert run_import(TENANT_A.slug, folder).status == ImportStatus.SUCCEEDED
    template = schema_fingerprint(TEMPLATE)
    before = exact_snapshot(TENANT_A.slug)
    # When a bulk load of memberships writes one that names a person who does not exist
    # (nothing refuses it while the foreign keys are dropped)
    with schema_context(TENANT_A.slug), pytest.raises(IntegrityError), transaction.atomic():  # noqa: PT012
        load = bulk_load_begin(["register_groupmembership"])
        assert (len(load.constraints), len(load.indexes)) == (2, 4)
        group = Group.objects.first()
        assert group is not None
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO register_groupmembership (group_id, person_id, start_date)"
                " VALUES (%s, (SELECT max(id) + 1000 FROM register_person), current_date)",
                [group.pk],
            )
        bulk_load_finish(load)
    # Then re-creating the foreign key refused it, and the transaction rolled back entirely:
    # the rows and the schema are as before
    assert diff(before, exact_snapshot(TENANT_A.slug)) == []
    assert schema_fingerprint(TENANT_A.slug) == template


def test_a_small_delta_keeps_the_row_by_row_path(
    tenant_a: object, village: tuple[SyntheticMunicipality, Path], tmp_path: Path
) -> None:
    municipality, folder = village
    # Given Ale holding a register
    assert run_import(TENANT_A.slug, folder).status == ImportStatus.SUCCEEDED
    keys = foreign_key_ids(TENANT_A.slug)
    # When a 5 % delta is imported
    delta = apply_delta(municipality, fraction=0.05, seed=3)
    changed = tmp_path / "delta"
    write_file_bundle(delta.municipality, changed)
    run = run_import(TENANT_A.slug, changed)
    # Then it applied row by row (no bulk load, so no lock that would block the portal)
    assert run.status == ImportStatus.SUCCEEDED, run.failure
    assert run.counts["person"].get("changed", 0) + run.counts["person"].get("new", 0) > 0
    assert bulk_loaded(TENANT_A.slug, keys) == set()


def test_which_tables_are_bulk_loaded(
    tenant_a: object, tenant_b: object, village: tuple[SyntheticMunicipality, Path]
) -> None:
    _municipality, folder = village
    # Given Ale holding a register (about 400 persons) and Borås with an empty one
    assert run_import(TENANT_A.slug, folder).status == ImportStatus.SUCCEEDED
    with schema_context(TENANT_A.slug):
        persons = Person.objects.count()
        # Then a table that holds rows is bulk-loaded only for a change both large and most of it
        assert bulk_tables({"s_person": persons}) == []  # below the absolute minimum
        assert bulk_tables({"s_person": persons // 3}, min_rows=1) == []  # a third of it
        assert bulk_tables({"s_person": persons, "s_email": 1}, min_rows=1) == ["register_person"]
    with schema_context(TENANT_B.slug):
        # And an empty table is, for any number of rows; tables that receive none never are
        assert bulk_tables({"s_person": 1, "s_group": 0}) == ["register_person"]


def exclusively_locked_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                WHERE l.pid = pg_backend_pid() AND l.mode = 'AccessExclusiveLock'
                  AND c.relkind = 'r' ORDER BY 1"""
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_bulk_load_locks_its_tables_and_their_targets_but_never_the_accounts(
    tenant_a: object, tenant_b: object
) -> None:
    # When memberships are bulk-loaded, their two foreign keys' targets are locked with them
    with schema_context(TENANT_A.slug), transaction.atomic():
        bulk_load_begin(["register_groupmembership"])
        assert exclusively_locked_tables() == [
            "register_group",
            "register_groupmembership",
            "register_person",
        ]
        transaction.set_rollback(True)
    # And when persons are, accounts_user (every sign-in reads it) is not locked: the key
    # pointing at it stays, checked per statement
    with schema_context(TENANT_B.slug), transaction.atomic():
        load = bulk_load_begin(["register_person"])
        assert exclusively_locked_tables() == ["register_person"]
        assert load.immediate == [USER_FK]
        transaction.set_rollback(True)


def terminate_backend(pid: int) -> None:
    with psycopg.connect(database_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_bulk_load_gives_way_to_a_reader_and_applies_row_by_row(
    tenant_a: object, tenant_b: object, village: tuple[SyntheticMunicipality, Path], settings: Any
) -> None:
    _municipality, folder = village
    settings.IMPORTS_BULK_LOCK_TIMEOUT_MS = 200
    with schema_context(TENANT_A.slug):
        before = foreign_key_ids(TENANT_A.slug)
    # Given a long report reading Ale's (empty) person table in an open transaction
    with psycopg.connect(database_url()) as reader:
        reader.execute("SELECT count(*) FROM ale.register_person")  # Ale: TENANT_A
        # (ended after 20 s, so that an import that waits for it fails this test, not hangs it)
        pid = reader.info.backend_pid
        ender = threading.Timer(20, terminate_backend, [pid])
        ender.start()
        # When the first import comes, which would bulk-load that table
        started = time.monotonic()
        run = run_import(TENANT_A.slug, folder)
        seconds = time.monotonic() - started
        ender.cancel()
        # Then it did not wait for the reader to finish: it applied row by row, keys untouched
        assert (run.status, run.failure) == (ImportStatus.SUCCEEDED, "")
        assert bulk_loaded(TENANT_A.slug, before) == set()
        assert reader.execute("SELECT 1").fetchone() == (1,)  # the reader was never disturbed
    assert seconds < 20
    # And the register is the one the bulk path gives (Borås, nobody reading)
    assert run_import(TENANT_B.slug, folder).status == ImportStatus.SUCCEEDED
    assert diff(register_content(TENANT_A.slug), register_content(TENANT_B.slug)) == []
    with schema_context(TENANT_A.slug):
        assert run.counts["person"]["new"] == Person.objects.count()
