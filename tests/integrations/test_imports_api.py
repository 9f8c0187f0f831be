"""The imports API and the quarantine API, in two municipalities: uploads, runs, progress,
cancel, "apply as shown", the issues report, permissions, and what each look leaves in the log.

Runs are executed in the test by calling the service (no worker): the API only queues them.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from access.readlog.models import AccessLogEntry
from accounts.models import User
from accounts.services.api_tokens import api_token_create
from integrations.models import (
    ImportIssue,
    ImportRun,
    ImportStatus,
    QuarantinedPerson,
    RegisterConnection,
)
from integrations.services.runs import import_run_create, import_run_execute
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from register.models import Person
from tenants.models import Municipality
from tests.access.http import signed_in_client
from tests.accounts.support import make_user, sign_in
from tests.conftest import TENANT_A, TENANT_B

FIXTURES = Path(__file__).parent / "fixtures"
IMPORTS = "/api/v1/imports"
QUARANTINE = "/api/v1/quarantine"


# --- Helpers -------------------------------------------------------------------------------------


def admin_client(spec: Any = TENANT_A, username: str = "admin") -> tuple[Client, User]:
    user = make_user(spec.slug, username=username, is_municipality_admin=True)
    return signed_in_client(spec.domain, spec.slug, user), user


def teacher_client(spec: Any = TENANT_A) -> Client:
    user = make_user(spec.slug, username="teacher", is_school_staff=True)
    return signed_in_client(spec.domain, spec.slug, user)


def token_client(spec: Any = TENANT_A, scopes: tuple[str, ...] = ("imports:write",)) -> Client:
    with schema_context(spec.slug):
        _token, plaintext = api_token_create(
            name="Elevregistret", scopes=list(scopes), created_by=None
        )
    return Client(
        HTTP_HOST=spec.domain, HTTP_AUTHORIZATION=f"Bearer {plaintext}", HTTP_ACCEPT_LANGUAGE="en"
    )


def upload(data: bytes, name: str = "export.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def execute(schema: str, run_id: int) -> ImportRun:
    with schema_context(schema):
        import_run_execute(run_id=run_id)
        return ImportRun.objects.get(pk=run_id)


def runs(schema: str) -> list[tuple[Any, ...]]:
    with schema_context(schema):
        return list(
            ImportRun.objects.order_by("pk").values_list("pk", "status", "cancel_requested")
        )


def log(schema: str = TENANT_A.slug) -> list[tuple[Any, ...]]:
    with schema_context(schema):
        return list(
            AccessLogEntry.objects.order_by("id").values_list(
                "actor_role", "resource", "object_ref", "pupil_ids"
            )
        )


def media_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def bundle_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """An SS 12000 file bundle of a 50-pupil municipality, zipped in one top folder."""
    folder = tmp_path_factory.mktemp("bundle")
    write_file_bundle(generate_municipality(pupils=50, seed=1), folder)
    return zipped({f"export/{p.name}": p.read_bytes() for p in sorted(folder.iterdir())})


@pytest.fixture(autouse=True)
def media_root(settings: SettingsWrapper, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def queued_run(schema: str, **fields: Any) -> ImportRun:
    with schema_context(schema):
        return import_run_create(
            source=fields.pop("source", "ss12000-files"),
            source_path=fields.pop("source_path", "/nowhere"),
            trigger=fields.pop("trigger", "admin"),
            enqueue=False,
            **fields,
        )


# --- Starting runs -------------------------------------------------------------------------------


def test_an_admin_uploads_a_bundle_and_the_run_is_queued_with_its_file_kept(
    tenant_a: Municipality,
    bundle_zip: bytes,
    media_root: Path,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # Given a verified administrator of A
    client, admin = admin_client()
    # When they upload a bundle (the client's file name must not matter)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            IMPORTS,
            {"source": "ss12000-files", "dry_run": "false", "file": upload(bundle_zip, "../x.zip")},
        )
    # Then a run is queued (one task after commit) and the upload is kept in A's media folder
    assert response.status_code == 201
    body = response.json()
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
    assert response["Location"] == f"/api/v1/imports/{run.pk}"
    assert len(queued) == 1
    stored = Path(run.source_path)
    assert stored.parent.parent == media_root / TENANT_A.slug / "imports"
    assert uuid.UUID(hex=stored.parent.name).hex == stored.parent.name
    assert stored.name == "upload.zip"
    assert stored.read_bytes() == bundle_zip
    assert media_files(media_root) == [f"ale/imports/{stored.parent.name}/upload.zip"]
    assert body == {
        "id": run.pk,
        "source": "ss12000-files",
        "trigger": "admin",
        "incremental": False,
        "dry_run": False,
        "applies_dry_run": None,
        "status": "queued",
        "phase": "waiting",
        "percent": 0,
        "cancel_requested": False,
        "attempts": 0,
        "counts": {},
        "timings": {},
        "error_count": 0,
        "warning_count": 0,
        "failure": "",
        "requested_by": admin.username,
        "created_at": body["created_at"],
        "started_at": None,
        "heartbeat_at": None,
        "finished_at": None,
        "samples": {},
    }
    # When the worker runs it, the progress endpoint shows the end
    execute(TENANT_A.slug, run.pk)
    detail = client.get(f"{IMPORTS}/{run.pk}").json()
    assert (detail["status"], detail["phase"], detail["percent"]) == ("succeeded", "done", 100)
    assert detail["attempts"] == 1
    assert set(detail["timings"]) == {"read", "apply", "accounts"}
    with schema_context(TENANT_A.slug):
        assert detail["counts"]["person"]["new"] == Person.objects.count() > 0
    assert detail["started_at"] is not None
    assert detail["heartbeat_at"] is not None
    assert detail["finished_at"] is not None
    # And nothing of it reached B
    assert runs(TENANT_B.slug) == []


def test_a_token_with_imports_write_starts_a_run_whose_trigger_is_api(
    tenant_a: Municipality, bundle_zip: bytes
) -> None:
    client = token_client()
    response = client.post(IMPORTS, {"source": "ss12000-files", "file": upload(bundle_zip)})
    assert response.status_code == 201
    body = response.json()
    assert (body["trigger"], body["requested_by"], body["dry_run"]) == ("api", None, False)


def test_a_csv_export_is_uploaded_as_its_files_under_clean_names(
    tenant_a: Municipality, media_root: Path
) -> None:
    # Given the files of a CSV export, one of them with a path in its client-side name
    files = [
        upload((FIXTURES / "csv_export" / name).read_bytes(), name)
        for name in sorted(p.name for p in (FIXTURES / "csv_export").iterdir())
    ]
    files[0] = upload(files[0].read(), "../../" + files[0].name)
    with schema_context(TENANT_A.slug):  # the fixture holds rows with deliberate errors
        RegisterConnection.objects.create(error_threshold_percent=100)
    client, _admin = admin_client()
    # When they are uploaded together
    response = client.post(IMPORTS, {"source": "csv", "file": files})
    # Then they are stored by their base names in the run's own folder, and the run succeeds
    assert response.status_code == 201, response.json()
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
    folder = Path(run.source_path)
    assert sorted(p.name for p in folder.iterdir()) == [
        "aktiviteter.csv",
        "elever.csv",
        "grupper.csv",
        "organisationer.csv",
        "personal.csv",
        "vardnadshavare.csv",
    ]
    assert execute(TENANT_A.slug, run.pk).status == ImportStatus.SUCCEEDED


def test_an_api_run_is_started_with_json_when_the_connection_is_set_up(
    tenant_a: Municipality, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client, _admin = admin_client()
    body = {"source": "ss12000-api", "incremental": True, "dry_run": False}
    # Without a connection: refused, nothing created
    response = client.post(IMPORTS, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "source": ["This municipality has no SS 12000 API connection set up."]
    }
    assert runs(TENANT_A.slug) == []
    # With one: an incremental API run is queued
    with schema_context(TENANT_A.slug):
        RegisterConnection.objects.create(base_url="https://register.example/ss12000/v2")
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(IMPORTS, body, content_type="application/json")
    assert response.status_code == 201
    assert len(queued) == 1
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
    assert (run.source, run.incremental, run.source_path, run.trigger) == (
        "ss12000-api",
        True,
        "",
        "admin",
    )


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"source": "ftp"}, {"source": ['"ftp" is not a valid choice.']}),
        (
            {"source": "csv", "incremental": "true"},
            {"incremental": ["Only the SS 12000 API can be read incrementally."]},
        ),
        (
            {"source": "ss12000-files"},
            {"file": ["Send the export as a .zip archive or as its files."]},
        ),
        (
            {"source": "ss12000-files", "file": "zip:../../etc/evil.json"},
            {"file": ["The archive holds an unsafe path: '../../etc/evil.json'."]},
        ),
        (
            {"source": "ss12000-files", "file": "zip:/abs/persons.json"},
            {"file": ["The archive holds an unsafe path: '/abs/persons.json'."]},
        ),
        (
            {"source": "ss12000-files", "file": "zip:export/persons.json"},
            {
                "file": [
                    "upload.zip: no file for duty, group, organisation "
                    "(expected e.g. organisations.json, persons.json, groups.json, duties.json)"
                ]
            },
        ),
        (
            {"source": "ss12000-files", "file": "plain:notes.docx"},
            {"file": ["notes.docx: send a .zip archive or files ending in .json."]},
        ),
        (
            {"source": "ss12000-api", "file": "plain:persons.json"},
            {"file": ["The SS 12000 API is read directly: send no file."]},
        ),
    ],
)
def test_bad_input_is_refused_with_field_messages_and_nothing_is_created_or_stored(
    tenant_a: Municipality, media_root: Path, data: dict[str, str], errors: dict[str, list[str]]
) -> None:
    client, _admin = admin_client()
    if "file" in data:
        kind, name = data["file"].split(":", 1)
        content = zipped({name: b'{"data": []}'}) if kind == "zip" else b"{}"
        data = {**data, "file": upload(content, "export.zip" if kind == "zip" else name)}  # type: ignore[dict-item]
    response = client.post(IMPORTS, data)
    assert response.status_code == 400
    assert response.json() == errors
    assert runs(TENANT_A.slug) == []
    assert media_files(media_root) == []


def test_an_upload_over_the_limit_is_refused_with_413(
    tenant_a: Municipality, settings: SettingsWrapper, bundle_zip: bytes, media_root: Path
) -> None:
    client, _admin = admin_client()
    # Given a limit below the bundle's size: refused after reading, nothing kept
    settings.IMPORT_UPLOAD_MAX_BYTES = 1000
    response = client.post(IMPORTS, {"source": "ss12000-files", "file": upload(bundle_zip)})
    assert response.status_code == 413
    assert response.json() == {"detail": "The upload is larger than the limit of 1000 bytes."}
    # Given a declared length far above it: refused before the body is read
    settings.IMPORT_UPLOAD_MAX_BYTES = 0
    big = upload(b"x" * (2 * 1024 * 1024), "persons.json")
    response = client.post(IMPORTS, {"source": "ss12000-files", "file": big})
    assert response.status_code == 413
    assert response.json() == {"detail": "The upload is larger than the limit of 0 bytes."}
    assert runs(TENANT_A.slug) == []
    assert media_files(media_root) == []


def test_an_archive_that_unpacks_too_large_is_refused(
    tenant_a: Municipality, settings: SettingsWrapper, bundle_zip: bytes
) -> None:
    settings.IMPORT_UPLOAD_MAX_UNPACKED_BYTES = 100 * 1024
    client, _admin = admin_client()
    response = client.post(IMPORTS, {"source": "ss12000-files", "file": upload(bundle_zip)})
    assert response.status_code == 413
    assert response.json() == {"detail": "The archive unpacks to more than 100 KB."}
    assert runs(TENANT_A.slug) == []


# --- Listing and following runs ------------------------------------------------------------------


def test_the_list_is_paginated_newest_first_and_shows_this_municipality_only(
    tenant_a: Municipality,
) -> None:
    first, second = queued_run(TENANT_A.slug), queued_run(TENANT_A.slug, dry_run=True)
    queued_run(TENANT_B.slug)
    client, _admin = admin_client()
    body = client.get(IMPORTS).json()
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [second.pk, first.pk]
    assert "samples" not in body["results"][0]


def test_a_dry_run_shows_samples_to_admins_with_a_log_entry_and_not_to_tokens(
    tenant_a: Municipality, bundle_zip: bytes
) -> None:
    client, _admin = admin_client()
    response = client.post(
        IMPORTS, {"source": "ss12000-files", "dry_run": "true", "file": upload(bundle_zip)}
    )
    run = execute(TENANT_A.slug, response.json()["id"])
    assert run.status == ImportStatus.SUCCEEDED
    with schema_context(TENANT_A.slug):
        assert Person.objects.count() == 0
    # The administrator sees the samples, and the look is logged (names, but no pupil ids)
    detail = client.get(f"{IMPORTS}/{run.pk}").json()
    assert detail["samples"] == run.samples
    assert len(detail["samples"]["person"]["new"]) == 5
    assert log() == [("municipality_admin", "import.samples", f"import:{run.pk}", [])]
    # A token sees the counts, not the names
    detail = token_client().get(f"{IMPORTS}/{run.pk}").json()
    assert detail["samples"] is None
    assert detail["counts"] == run.counts
    assert len(log()) == 1


# --- Apply as shown ------------------------------------------------------------------------------


def finished_dry_run(client: Client, bundle_zip: bytes) -> ImportRun:
    """A dry run of the bundle, uploaded through the API by ``client`` and run by the worker."""
    created = client.post(
        IMPORTS, {"source": "ss12000-files", "dry_run": "true", "file": upload(bundle_zip)}
    ).json()
    return execute(TENANT_A.slug, created["id"])


def test_a_succeeded_dry_run_is_applied_as_it_was_shown_once(
    tenant_a: Municipality, bundle_zip: bytes
) -> None:
    client, admin = admin_client()
    dry = finished_dry_run(client, bundle_zip)
    # When it is applied
    response = client.post(f"{IMPORTS}/{dry.pk}/apply")
    # Then a new run over the same file applies exactly what was shown
    assert response.status_code == 201
    body = response.json()
    assert (body["applies_dry_run"], body["dry_run"], body["requested_by"]) == (
        dry.pk,
        False,
        admin.username,
    )
    applied = execute(TENANT_A.slug, body["id"])
    assert (applied.status, applied.failure) == (ImportStatus.SUCCEEDED, "")
    assert applied.source_path == dry.source_path
    assert applied.diff_fingerprint == dry.diff_fingerprint
    with schema_context(TENANT_A.slug):
        assert Person.objects.count() == dry.counts["person"]["new"]
    # And it cannot be applied a second time
    again = client.post(f"{IMPORTS}/{dry.pk}/apply")
    assert again.status_code == 409
    assert again.json() == {"detail": f"This dry run is already applied by run {applied.pk}."}


def test_applying_a_dry_run_fails_cleanly_when_the_register_changed_since(
    tenant_a: Municipality, bundle_zip: bytes
) -> None:
    client, _admin = admin_client()
    dry = finished_dry_run(client, bundle_zip)
    # Given the same input was applied in between, by another run
    other = queued_run(TENANT_A.slug, source_path=dry.source_path)
    assert execute(TENANT_A.slug, other.pk).status == ImportStatus.SUCCEEDED
    # When the dry run is applied
    applied = execute(TENANT_A.slug, client.post(f"{IMPORTS}/{dry.pk}/apply").json()["id"])
    # Then it refuses: the diff is not the one shown
    assert (applied.status, applied.failure) == (
        ImportStatus.FAILED,
        "The register changed since the dry run; run a new dry run and apply that.",
    )


def test_a_dry_run_by_token_applied_by_an_admin_is_recorded_as_the_admins(
    tenant_a: Municipality, bundle_zip: bytes
) -> None:
    # Given a dry run started through the API with a token
    dry = finished_dry_run(token_client(), bundle_zip)
    assert dry.trigger == "api"
    # When an administrator applies it
    client, admin = admin_client()
    body = client.post(f"{IMPORTS}/{dry.pk}/apply").json()
    # Then the applying run carries the administrator's trigger, not the dry run's
    assert (body["trigger"], body["requested_by"]) == ("admin", admin.username)


def test_a_dry_run_whose_upload_was_purged_is_refused_and_nothing_is_queued(
    tenant_a: Municipality, bundle_zip: bytes
) -> None:
    client, _admin = admin_client()
    dry = finished_dry_run(client, bundle_zip)
    # Given its upload was deleted by the purge (kept for a limited time)
    Path(dry.source_path).unlink()
    before = runs(TENANT_A.slug)
    # When it is applied
    response = client.post(f"{IMPORTS}/{dry.pk}/apply")
    # Then the request is refused with the reason, and no run is created
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The dry run's upload has been deleted (uploads are kept for a limited "
        "time); upload the export again and run a new dry run."
    }
    assert runs(TENANT_A.slug) == before


def test_only_a_succeeded_dry_run_can_be_applied(tenant_a: Municipality) -> None:
    run = queued_run(TENANT_A.slug)
    client, _admin = admin_client()
    response = client.post(f"{IMPORTS}/{run.pk}/apply")
    assert response.status_code == 400
    assert response.json() == {"detail": "Only a finished dry run can be applied."}
    assert runs(TENANT_A.slug) == [(run.pk, "queued", False)]


# --- Cancel --------------------------------------------------------------------------------------


def test_a_queued_run_is_cancelled_and_cannot_be_cancelled_twice(tenant_a: Municipality) -> None:
    run = queued_run(TENANT_A.slug)
    client = token_client()
    response = client.post(f"{IMPORTS}/{run.pk}/cancel")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["cancel_requested"]) == ("cancelled", True)
    assert body["finished_at"] is not None
    again = client.post(f"{IMPORTS}/{run.pk}/cancel")
    assert again.status_code == 409
    assert again.json() == {"detail": "The run has already ended (cancelled)."}
    # The worker, picking the message up later, leaves it cancelled
    assert execute(TENANT_A.slug, run.pk).status == ImportStatus.CANCELLED


def test_a_running_run_is_asked_to_stop(tenant_a: Municipality) -> None:
    run = queued_run(TENANT_A.slug)
    with schema_context(TENANT_A.slug):
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)
    client, _admin = admin_client()
    body = client.post(f"{IMPORTS}/{run.pk}/cancel").json()
    assert (body["status"], body["cancel_requested"]) == ("running", True)


# --- The issues report ---------------------------------------------------------------------------


def test_the_issues_download_as_csv_with_bom_and_formulas_escaped(tenant_a: Municipality) -> None:
    run = queued_run(TENANT_A.slug)
    with schema_context(TENANT_A.slug):
        ImportIssue.objects.bulk_create(
            [
                ImportIssue(
                    run=run,
                    severity="error",
                    entity="person",
                    source_id="3f0c9a50-0000-4000-8000-000000000001",
                    location="elever.csv:12",
                    message="birth date is not a date",
                ),
                ImportIssue(
                    run=run,
                    severity="warning",
                    entity="group",
                    source_id='=HYPERLINK("http://x")',
                    location="grupper.csv:3",
                    message="unknown value; kept as written: Förskoleklass, ÅÄÖ",
                ),
            ]
        )
    client = token_client()
    response = client.get(f"{IMPORTS}/{run.pk}/issues.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="import-ale-{run.pk}-issues.csv"'
    )
    text = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    assert text == (
        "\ufeffseverity,entity,source_id,location,message\r\n"
        "error,person,3f0c9a50-0000-4000-8000-000000000001,elever.csv:12,"
        "birth date is not a date\r\n"
        'warning,group,"\'=HYPERLINK(""http://x"")",grupper.csv:3,'
        '"unknown value; kept as written: Förskoleklass, ÅÄÖ"\r\n'
    )


# --- Permissions: need to know, second factor, tokens, other municipalities ---------------------

ENDPOINTS: list[tuple[str, str]] = [
    ("get", IMPORTS),
    ("post", IMPORTS),
    ("get", IMPORTS + "/{run}"),
    ("post", IMPORTS + "/{run}/cancel"),
    ("post", IMPORTS + "/{run}/apply"),
    ("get", IMPORTS + "/{run}/issues.csv"),
    ("get", QUARANTINE),
    ("post", QUARANTINE + "/{person}/admit"),
]


def quarantined(schema: str, given_name: str = "Skyddad") -> QuarantinedPerson:
    with schema_context(schema):
        return QuarantinedPerson.objects.create(
            source_id=uuid.uuid4(),
            given_name=given_name,
            family_name="Person",
            security_marking="Skyddad folkbokföring",
        )


def state(schema: str) -> tuple[Any, ...]:
    with schema_context(schema):
        return (
            runs(schema),
            list(QuarantinedPerson.objects.values_list("pk", "admitted_at")),
            log(schema),
        )


def call(client: Client, method: str, template: str, run: ImportRun, person: Any) -> Any:
    path = template.format(run=run.pk, person=person.pk)
    if method == "post" and path == IMPORTS:
        return client.post(path, {"source": "ss12000-api"}, content_type="application/json")
    return getattr(client, method)(path)


@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
def test_a_teacher_gets_403_and_nothing_changes(
    tenant_a: Municipality, method: str, template: str
) -> None:
    run, person = queued_run(TENANT_A.slug), quarantined(TENANT_A.slug)
    client = teacher_client()
    before = state(TENANT_A.slug)
    response = call(client, method, template, run, person)
    assert response.status_code == 403
    assert state(TENANT_A.slug) == before


@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
def test_an_admin_without_a_verified_second_factor_is_asked_for_it(
    tenant_a: Municipality, method: str, template: str
) -> None:
    run, person = queued_run(TENANT_A.slug), quarantined(TENANT_A.slug)
    make_user(TENANT_A.slug, username="admin", is_municipality_admin=True)
    client = Client(HTTP_HOST=TENANT_A.domain, HTTP_ACCEPT_LANGUAGE="en")
    assert sign_in(client, "admin").status_code == 302
    before = state(TENANT_A.slug)
    response = call(client, method, template, run, person)
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    assert state(TENANT_A.slug) == before


@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
def test_tokens_need_the_scope_and_never_reach_the_quarantine(
    tenant_a: Municipality, method: str, template: str
) -> None:
    run, person = queued_run(TENANT_A.slug), quarantined(TENANT_A.slug)
    before = state(TENANT_A.slug)
    # A token without imports:write: refused everywhere
    response = call(token_client(scopes=("register:read",)), method, template, run, person)
    assert response.status_code == 403
    if template.startswith(IMPORTS):
        assert response.json() == {"detail": "This token lacks the scope imports:write."}
    # A token with it: refused on the quarantine (persons with protected identity)
    if template.startswith(QUARANTINE):
        response = call(token_client(), method, template, run, person)
        assert response.status_code == 403
    assert state(TENANT_A.slug) == before


@pytest.mark.parametrize(("method", "template"), [e for e in ENDPOINTS if "{" in e[1]])
def test_another_municipalitys_ids_are_unknown(
    tenant_a: Municipality, method: str, template: str
) -> None:
    # Given A's own run and person, and B's, whose ids A has no objects for (ids are numbered
    # per municipality)
    own_run, own_person = queued_run(TENANT_A.slug), quarantined(TENANT_A.slug)
    run = queued_run(TENANT_B.slug, dry_run=True)
    while run.pk == own_run.pk:
        run = queued_run(TENANT_B.slug, dry_run=True)
    with schema_context(TENANT_B.slug):
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.SUCCEEDED)
    person = quarantined(TENANT_B.slug, "Andra")
    while person.pk == own_person.pk:
        person = quarantined(TENANT_B.slug, "Andra")
    before_a, before_b = state(TENANT_A.slug), state(TENANT_B.slug)
    # When A's administrator uses them
    client, _admin = admin_client()
    response = call(client, method, template, run, person)
    # Then they do not exist, and nothing changed in either municipality
    assert response.status_code == 404
    assert state(TENANT_B.slug) == before_b
    after_a = state(TENANT_A.slug)
    assert after_a[:2] == before_a[:2]


def test_a_token_of_another_municipality_is_unknown(tenant_a: Municipality) -> None:
    run = queued_run(TENANT_A.slug)
    client = token_client(TENANT_B)
    client.defaults["HTTP_HOST"] = TENANT_A.domain
    assert client.get(IMPORTS).status_code == 401
    assert client.post(f"{IMPORTS}/{run.pk}/cancel").status_code == 401
    assert runs(TENANT_A.slug) == [(run.pk, "queued", False)]


def test_unknown_ids_are_404(tenant_a: Municipality) -> None:
    client, _admin = admin_client()
    assert client.get(f"{IMPORTS}/999999").status_code == 404
    assert client.post(f"{IMPORTS}/999999/apply").status_code == 404
    assert client.get(f"{IMPORTS}/999999/issues.csv").status_code == 404
    assert client.post(f"{QUARANTINE}/999999/admit").status_code == 404


# --- The quarantine ------------------------------------------------------------------------------


def test_an_import_quarantines_a_protected_person_whom_the_admin_sees_and_admits(
    tenant_a: Municipality, tmp_path: Path
) -> None:
    # Given a bundle in which one guardian has a protected identity
    folder = tmp_path / "bundle"
    write_file_bundle(generate_municipality(pupils=50, seed=1), folder)
    persons_file = next(folder.glob("persons-*.json"))
    page = json.loads(persons_file.read_text("utf-8"))
    protected = next(p for p in page["data"] if p["enrolments"])  # a pupil
    protected["securityMarking"] = "Skyddad folkbokföring"
    persons_file.write_text(json.dumps(page), "utf-8")
    run = queued_run(TENANT_A.slug, source_path=str(folder))
    assert execute(TENANT_A.slug, run.pk).status == ImportStatus.SUCCEEDED
    with schema_context(TENANT_A.slug):
        assert not Person.objects.filter(source_id=protected["id"]).exists()
        person = QuarantinedPerson.objects.get()
    # When the administrator lists the quarantine
    client, admin = admin_client()
    response = client.get(QUARANTINE)
    # Then they see the person, and the look is logged without pupil ids
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": person.pk,
            "source_id": protected["id"],
            "given_name": protected["givenName"],
            "family_name": protected["familyName"],
            "security_marking": "Skyddad folkbokföring",
            "first_seen_at": response.json()["results"][0]["first_seen_at"],
            "admitted_at": None,
            "admitted_by": None,
        }
    ]
    assert log() == [("municipality_admin", "quarantine.list", "page=1", [])]
    # When they admit the person
    response = client.post(f"{QUARANTINE}/{person.pk}/admit")
    # Then the admission is recorded and audited, and the next import brings the person in
    assert response.status_code == 200
    assert response.json()["admitted_by"] == admin.username
    assert response.json()["admitted_at"] is not None
    assert log()[1] == ("municipality_admin", "quarantine.admit", f"quarantine:{person.pk}", [])
    again = queued_run(TENANT_A.slug, source_path=str(folder))
    assert execute(TENANT_A.slug, again.pk).status == ImportStatus.SUCCEEDED
    with schema_context(TENANT_A.slug):
        admitted = Person.objects.get(source_id=protected["id"])
    assert admitted.security_marking == "Skyddad folkbokföring"


def test_the_quarantine_lists_waiting_persons_first_and_this_municipalitys_only(
    tenant_a: Municipality,
) -> None:
    done = quarantined(TENANT_A.slug, "Anna")
    waiting = quarantined(TENANT_A.slug, "Bertil")
    quarantined(TENANT_B.slug, "Cecilia")
    client, _admin = admin_client()
    client.post(f"{QUARANTINE}/{done.pk}/admit")
    names = [p["given_name"] for p in client.get(QUARANTINE).json()["results"]]
    assert names == [waiting.given_name, done.given_name]
    assert log(TENANT_B.slug) == []
