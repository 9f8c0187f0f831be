"""`manage.py import_register`: runs in the municipality's schema, prints a summary, refuses bad
input before creating anything, exits non-zero when the run failed."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from core.db import connection
from integrations.models import ImportRun, ImportStatus, RegisterConnection
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from register.models import Person
from tenants.models import Municipality
from tests.conftest import TENANT_A, TENANT_B
from tests.integrations.workers import large_slots_taken_elsewhere

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    write_file_bundle(generate_municipality(pupils=50, seed=1), folder)
    return folder


def import_register(*args: str) -> str:
    out = io.StringIO()
    call_command("import_register", *args, stdout=out)
    return out.getvalue()


def run_rows(schema: str) -> list[tuple[Any, ...]]:
    with schema_context(schema):
        return list(
            ImportRun.objects.order_by("pk").values_list(
                "source", "trigger", "dry_run", "incremental", "status"
            )
        )


@contextmanager
def import_lock_held_elsewhere(schema: str) -> Iterator[None]:
    """Another session (another worker) holds the municipality's import lock."""
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"],
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"larspar.import.{schema}"])
        yield


def test_a_bundle_is_imported_in_the_tenant_and_summarised(
    tenant_a: Municipality, bundle: Path
) -> None:
    # When the command imports a bundle into A
    output = import_register("--tenant", "ale", "--source", "ss12000-files", str(bundle))
    # Then the run is recorded (trigger "command") and applied in A only
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
        persons = Person.objects.count()
    assert (run.status, run.trigger, run.dry_run, run.source_path) == (
        ImportStatus.SUCCEEDED,
        "command",
        False,
        str(bundle),
    )
    assert persons == run.counts["person"]["new"] > 0
    with schema_context(TENANT_B.slug):
        assert Person.objects.count() == 0
    # And the summary gives counts per entity, issues, timings and the status
    person = run.counts["person"]
    columns = ("read", "new", "changed", "unchanged", "gone", "quarantined", "errors")
    lines = output.splitlines()
    assert lines[0] == f"ale: run {run.pk} (ss12000-files) succeeded"
    assert lines[1] == "  entity        " + "".join(f"{c:>12}" for c in columns)
    assert f"  person        {''.join(f'{person.get(c, 0):>12}' for c in columns)}" in lines
    assert f"  errors: {run.error_count}, warnings: {run.warning_count}" in lines
    timings = ", ".join(f"{k} {v:.2f} s" for k, v in run.timings.items())
    assert f"  time: {timings}" in lines


def test_a_dry_run_changes_nothing_and_says_how_to_apply_it(
    tenant_a: Municipality, bundle: Path
) -> None:
    output = import_register(
        "--tenant", "ale", "--source", "ss12000-files", str(bundle), "--dry-run"
    )
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
        assert Person.objects.count() == 0
    assert output.splitlines()[0] == f"ale: dry run {run.pk} (ss12000-files) succeeded"
    assert f"  apply as shown: POST /api/v1/imports/{run.pk}/apply" in output.splitlines()
    # Samples name people: they stay out of the terminal
    for name in run.samples["person"]["new"]:
        assert name not in output


def test_a_csv_export_folder_is_imported(tenant_b: Municipality) -> None:
    # The fixture holds rows with deliberate errors: B tolerates them
    with schema_context(TENANT_B.slug):
        RegisterConnection.objects.create(error_threshold_percent=100)
    output = import_register("--tenant", "boras", "--source", "csv", str(FIXTURES / "csv_export"))
    assert run_rows(TENANT_B.slug) == [("csv", "command", False, False, "succeeded")]
    assert output.splitlines()[0].endswith("(csv) succeeded")
    assert run_rows(TENANT_A.slug) == []


def test_queue_hands_the_run_to_the_workers(
    tenant_a: Municipality,
    bundle: Path,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks() as queued:
        output = import_register(
            "--tenant", "ale", "--source", "ss12000-files", str(bundle), "--queue"
        )
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
    assert output == f"Run {run.pk} queued on the imports queue (ale).\n"
    assert run.status == ImportStatus.QUEUED
    assert len(queued) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--tenant", "nowhere", "--source", "csv", "x"),
            "No municipality with the slug 'nowhere'.",
        ),
        (
            ("--tenant", "sotenas", "--source", "csv", "x"),
            "sotenas is suspended: nothing imported.",
        ),
        (("--tenant", "ale", "--source", "csv"), "csv needs a path: a folder or a .zip archive."),
        (
            ("--tenant", "ale", "--source", "csv", "/no/such/export"),
            "/no/such/export: no such file or folder.",
        ),
        (
            ("--tenant", "ale", "--source", "ss12000-files", str(FIXTURES / "csv_export")),
            "csv_export: no file for duty, group, organisation, person (expected e.g. "
            "organisations.json, persons.json, groups.json, duties.json)",
        ),
        (
            ("--tenant", "ale", "--source", "csv", str(FIXTURES / "csv_export" / "elever.csv")),
            "elever.csv: not a folder or a .zip archive.",
        ),
        (
            ("--tenant", "ale", "--source", "ss12000-api", "/srv/export"),
            "ss12000-api reads the register's API: give no path.",
        ),
        (
            ("--tenant", "ale", "--source", "ss12000-api"),
            "This municipality has no SS 12000 API connection set up.",
        ),
        (
            ("--tenant", "ale", "--source", "csv", "--incremental", "/srv/export"),
            "--incremental is for ss12000-api only.",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(
    tenant_a: Municipality, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError) as refused:
        import_register(*args)
    assert str(refused.value) == message
    assert run_rows(TENANT_A.slug) == []


def test_a_failed_run_exits_non_zero_with_the_reason(
    tenant_a: Municipality, bundle: Path, tmp_path: Path
) -> None:
    # Given a bundle whose persons file is cut off
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in bundle.iterdir():
        content = path.read_bytes()
        (broken / path.name).write_bytes(content[:200] if "persons" in path.name else content)
    # When it is imported
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command(
            "import_register", "--tenant", "ale", "--source", "ss12000-files", str(broken),
            stdout=out,
        )  # fmt: skip
    # Then the run failed, nothing was applied, and the command says so
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
        assert Person.objects.count() == 0
    assert run.status == ImportStatus.FAILED
    assert run.failure.startswith("The register input could not be read: ")
    assert str(failed.value) == f"Run {run.pk} failed: {run.failure}"
    assert f"  failure: {run.failure}" in out.getvalue().splitlines()


def test_an_import_already_running_in_the_tenant_cancels_this_one(
    tenant_a: Municipality, bundle: Path
) -> None:
    with import_lock_held_elsewhere(TENANT_A.slug), pytest.raises(CommandError) as busy:
        import_register("--tenant", "ale", "--source", "ss12000-files", str(bundle))
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
    assert str(busy.value) == (
        f"Another import of ale is running; run {run.pk} was cancelled. "
        "Try again later, or use --queue to wait for it."
    )
    assert run.status == ImportStatus.CANCELLED
    # Another municipality's lock is its own
    import_register("--tenant", "boras", "--source", "ss12000-files", str(bundle))
    assert run_rows(TENANT_B.slug)[0][-1] == "succeeded"


def test_a_large_import_with_every_slot_taken_cancels_this_one_and_says_why(
    tenant_a: Municipality, bundle: Path, settings: Any
) -> None:
    # Given every file export counting as large and the only slot taken by another worker
    settings.IMPORTS_LARGE_RUN_BYTES = 1
    with large_slots_taken_elsewhere(), pytest.raises(CommandError) as busy:
        import_register("--tenant", "ale", "--source", "ss12000-files", str(bundle))
    # Then the run is cancelled with the reason, and nothing was imported
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
        assert Person.objects.count() == 0
    assert str(busy.value) == (
        "Every slot for large imports is taken (other municipalities' large imports are "
        f"running); run {run.pk} was cancelled. Try again later, or use --queue to wait for a "
        "slot."
    )
    assert run.status == ImportStatus.CANCELLED


def test_an_api_run_is_created_for_the_configured_connection(
    tenant_a: Municipality, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with schema_context(TENANT_A.slug):
        RegisterConnection.objects.create(base_url="https://register.example/ss12000/v2")
    with django_capture_on_commit_callbacks() as queued:
        import_register("--tenant", "ale", "--source", "ss12000-api", "--incremental", "--queue")
    assert run_rows(TENANT_A.slug) == [("ss12000-api", "command", False, True, "queued")]
    assert len(queued) == 1
