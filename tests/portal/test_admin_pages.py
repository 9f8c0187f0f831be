"""The municipality administrator's pages (/admin/...), in two municipalities: who may open them,
that they answer in Swedish, and that each action goes through its service (and its audit).

Imports are executed in the test by calling the service (no worker): the pages only queue them.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from access.policy import actor_for, visible_pupils
from access.readlog.models import AccessLogEntry
from accounts.models import SignInPolicy, User
from documentation.textguard.models import LexiconEntry
from documentation.textguard.services import text_check
from integrations.models import (
    ImportIssue,
    ImportPhase,
    ImportRun,
    ImportStatus,
    QuarantinedPerson,
    RegisterConnection,
)
from integrations.services.runs import import_run_create, import_run_execute
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from municipal.models import MunicipalSettings
from register.models import Person
from register.models.choices import RelationType
from tests.access.world import World, build_world
from tests.accounts.support import code_for, make_user, sign_in
from tests.conftest import TENANT_A, TENANT_B, TenantSpec

PAGES = {
    "/admin/": "Kommunadministration",
    "/admin/imports/": "Importer",
    "/admin/quarantine/": "Skyddade identiteter",
    "/admin/users/": "Användare och roller",
    "/admin/access-log/": "Åtkomstlogg",
    "/admin/access-log/pupils/": "Hitta en elev",
    "/admin/settings/": "Inställningar",
    "/admin/settings/lexicon/": "Textvaktens ord",
}


# --- Helpers -------------------------------------------------------------------------------------


def signed_in(spec: TenantSpec, user: User, *, second_factor: bool = True) -> Client:
    """A browser with no language preference (so Swedish), signed in as ``user`` on the
    municipality's host, with a verified one-time code when ``second_factor``."""
    client = Client(HTTP_HOST=spec.domain)
    assert sign_in(client, user.username).status_code == 302
    if second_factor:
        with schema_context(spec.slug):
            device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        verified = client.post("/account/two-factor/verify/", {"code": code_for(device)})
        assert verified.status_code == 302
    return client


def admin_in(spec: TenantSpec = TENANT_A, username: str = "admin") -> tuple[Client, User]:
    user = make_user(
        spec.slug,
        username=username,
        is_municipality_admin=True,
        first_name="Ada",
        last_name="Admin",
    )
    return signed_in(spec, user), user


def teacher_in(spec: TenantSpec = TENANT_A) -> tuple[Client, User]:
    user = make_user(spec.slug, username="teacher", is_school_staff=True)
    return signed_in(spec, user), user


def page_text(response: Any) -> str:
    return str(response.content.decode())


def h1(response: Any) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page_text(response), re.S)
    assert found, "the page has no h1"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def log(schema: str = TENANT_A.slug) -> list[tuple[Any, ...]]:
    with schema_context(schema):
        return list(
            AccessLogEntry.objects.order_by("id").values_list(
                "actor_role", "resource", "object_ref", "pupil_ids"
            )
        )


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


def run_in(schema: str, **fields: Any) -> ImportRun:
    with schema_context(schema):
        run = import_run_create(
            source=fields.pop("source", "ss12000-files"),
            source_path=fields.pop("source_path", "/nowhere"),
            trigger=fields.pop("trigger", "admin"),
            enqueue=False,
            dry_run=fields.pop("dry_run", False),
        )
        if fields:
            ImportRun.objects.filter(pk=run.pk).update(**fields)
            run.refresh_from_db()
        return run


@pytest.fixture(scope="module")
def bundle_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """An SS 12000 file bundle of a 30-pupil municipality, zipped in one top folder."""
    folder = tmp_path_factory.mktemp("bundle")
    write_file_bundle(generate_municipality(pupils=30, seed=1), folder)
    return zipped({f"export/{p.name}": p.read_bytes() for p in sorted(folder.iterdir())})


@pytest.fixture(autouse=True)
def media_root(settings: SettingsWrapper, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


# --- Who may open the pages ----------------------------------------------------------------------


@pytest.mark.parametrize(("path", "heading"), sorted(PAGES.items()))
def test_every_admin_page_answers_in_swedish_for_an_admin_with_a_second_factor(
    tenant_a: object, path: str, heading: str
) -> None:
    # Given an administrator of A who verified a one-time code, with no language preference
    client, _admin = admin_in()
    # When a page of the administration is opened
    response = client.get(path)
    # Then it answers in Swedish with its heading and the administration's own menu
    assert response.status_code == 200
    assert response["Content-Language"] == "sv"
    assert '<html lang="sv">' in page_text(response)
    assert h1(response) == heading
    assert 'aria-label="Kommunadministration"' in page_text(response)
    assert 'aria-current="page"' in page_text(response)


def test_the_portal_menu_links_to_the_administration_for_admins_only(tenant_a: object) -> None:
    # Given an administrator and a teacher of A
    admin_client, _admin = admin_in()
    teacher_client, _teacher = teacher_in()
    # When each opens the start page
    # Then only the administrator's menu links to /admin/
    assert 'href="/admin/"' in page_text(admin_client.get("/"))
    assert 'href="/admin/"' not in page_text(teacher_client.get("/"))


def test_an_admin_without_a_verified_code_is_sent_to_the_code_first(tenant_a: object) -> None:
    # Given an administrator signed in with a password only (a confirmed device exists)
    user = make_user(TENANT_A.slug, username="admin", is_municipality_admin=True)
    with schema_context(TENANT_A.slug):
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = signed_in(TENANT_A, user, second_factor=False)
    # When they open the administration
    response = client.get("/admin/users/")
    # Then they are asked for the one-time code, and come back afterwards
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/verify/?next=%2Fadmin%2Fusers%2F")


def test_signed_out_visitors_are_sent_to_sign_in(tenant_a: object) -> None:
    # Given a browser that is not signed in
    client = Client(HTTP_HOST=TENANT_A.domain)
    # When it opens an administration page, or posts to one
    page = client.get("/admin/imports/")
    post = client.post("/admin/users/1/admin/", {"admin": "1"})
    # Then it is sent to the sign-in page
    assert page.status_code == 302
    assert page["Location"].startswith("/login/?next=/admin/imports/")
    assert post.status_code == 302
    assert post["Location"].startswith("/login/")


def test_a_teacher_gets_404_everywhere_and_changes_nothing(
    tenant_a: object, bundle_zip: bytes, media_root: Path
) -> None:
    # Given a teacher with a second factor, a colleague, a quarantined person and a dry run
    client, teacher = teacher_in()
    colleague = make_user(TENANT_A.slug, username="colleague", is_school_staff=True)
    with schema_context(TENANT_A.slug):
        waiting = QuarantinedPerson.objects.create(
            source_id="7b0f5c1e-0000-4000-8000-000000000001",
            given_name="Hemlig",
            family_name="Person",
            security_marking="Skyddad folkbokföring",
        )
        RegisterConnection.objects.create(base_url="https://register.example/api")
    dry = run_in(TENANT_A.slug, dry_run=True, status=ImportStatus.SUCCEEDED)
    queued = run_in(TENANT_A.slug)
    # When the teacher opens every page and tries every action
    pages = [client.get(path).status_code for path in [*PAGES, f"/admin/imports/{dry.pk}/"]]
    posts = [
        client.post(
            "/admin/imports/",
            {"source": "ss12000-files", "file": SimpleUploadedFile("x.zip", bundle_zip)},
        ),
        client.post("/admin/imports/sync/", {}),
        client.post(f"/admin/imports/{dry.pk}/apply/"),
        client.post(f"/admin/imports/{queued.pk}/cancel/"),
        client.post(f"/admin/quarantine/{waiting.pk}/admit/", {"confirm": "on"}),
        client.post(f"/admin/users/{colleague.pk}/active/", {"active": "0"}),
        client.post(f"/admin/users/{teacher.pk}/admin/", {"admin": "1"}),
        client.post("/admin/settings/", {"section": "municipal", "session_idle_minutes": "5"}),
        client.post("/admin/settings/lexicon/", {"lemma": "latmask", "category": "offensive"}),
        client.post("/admin/settings/lexicon/enabled/", {"lemma": "lat", "enabled": "0"}),
    ]
    # Then every answer is 404, and nothing changed
    assert set(pages) == {404}
    assert {response.status_code for response in posts} == {404}
    with schema_context(TENANT_A.slug):
        assert ImportRun.objects.count() == 2
        assert ImportRun.objects.get(pk=queued.pk).status == ImportStatus.QUEUED
        assert QuarantinedPerson.objects.get(pk=waiting.pk).admitted_at is None
        assert User.objects.get(pk=colleague.pk).is_active
        assert not User.objects.get(pk=teacher.pk).is_municipality_admin
        assert not MunicipalSettings.objects.filter(session_idle_minutes=5).exists()
        assert not LexiconEntry.objects.exists()
    assert not list(media_root.rglob("*"))
    assert log() == []


def test_an_admin_session_of_one_municipality_is_not_signed_in_on_another(
    tenant_a: object, tenant_b: object
) -> None:
    # Given A's administrator, signed in with a second factor on A's host
    client, _admin = admin_in(TENANT_A)
    assert client.get("/admin/").status_code == 200
    # When the same browser (same cookie) asks B's host for B's administration
    response = client.get("/admin/", HTTP_HOST=TENANT_B.domain)
    # Then B does not know the session: sign in first
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- Imports -------------------------------------------------------------------------------------


def test_an_admin_uploads_a_bundle_dry_runs_it_and_applies_it(
    tenant_a: object, tenant_b: object, bundle_zip: bytes, media_root: Path
) -> None:
    # Given A's administrator on the imports page
    client, admin = admin_in()
    form = client.get("/admin/imports/")
    assert 'enctype="multipart/form-data"' in page_text(form)
    # When they upload the zipped bundle as a dry run
    response = client.post(
        "/admin/imports/",
        {
            "source": "ss12000-files",
            "dry_run": "on",
            "file": SimpleUploadedFile("export.zip", bundle_zip),
        },
    )
    # Then a dry run is queued over the stored upload and they are sent to it
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/imports/{run.pk}/"
    assert (run.dry_run, run.trigger, run.status, run.requested_by_id) == (
        True,
        "admin",
        ImportStatus.QUEUED,
        admin.pk,
    )
    stored = Path(run.source_path)
    assert stored.name == "upload.zip"
    assert stored.parent.parent == media_root / TENANT_A.slug / "imports"
    # And the page of the queued run polls its progress every second
    queued_page = page_text(client.get(f"/admin/imports/{run.pk}/"))
    assert f'hx-get="/admin/imports/{run.pk}/progress/"' in queued_page
    assert 'hx-trigger="every 1s"' in queued_page
    assert "<progress" in queued_page

    # When the worker's job is done (here: synchronously) and the page is opened again
    done = execute(TENANT_A.slug, run.pk)
    assert done.status == ImportStatus.SUCCEEDED
    page = client.get(f"/admin/imports/{run.pk}/")
    text = page_text(page)
    # Then it shows the diff per kind of data, examples, and an Apply button; nothing changed yet
    new_persons = done.counts["person"]["new"]
    assert new_persons > 30
    assert re.search(rf"<th scope=\"row\">Personer</th><td>\d+</td><td>{new_persons}</td>", text)
    assert "Exempel" in text
    assert 'hx-trigger="every 1s"' not in text
    assert f'action="/admin/imports/{run.pk}/apply/"' in text
    with schema_context(TENANT_A.slug):
        assert not Person.objects.exists()
    assert ("municipality_admin", "import.samples", f"import:{run.pk}", []) in log()

    # When they apply the dry run, and the worker runs the new run
    applied = client.post(f"/admin/imports/{run.pk}/apply/")
    with schema_context(TENANT_A.slug):
        applying = ImportRun.objects.exclude(pk=run.pk).get()
    assert applied["Location"] == f"/admin/imports/{applying.pk}/"
    assert applying.applies_dry_run_id == run.pk
    finished = execute(TENANT_A.slug, applying.pk)
    # Then the register holds what the dry run showed, in A only
    assert finished.status == ImportStatus.SUCCEEDED
    with schema_context(TENANT_A.slug):
        assert Person.objects.count() == new_persons
    with schema_context(TENANT_B.slug):
        assert not Person.objects.exists()
    # And the dry run cannot be applied twice: its page links the run that applied it
    again = client.post(f"/admin/imports/{run.pk}/apply/")
    assert again["Location"] == f"/admin/imports/{applying.pk}/"
    dry_page = page_text(client.get(f"/admin/imports/{run.pk}/"))
    assert f'action="/admin/imports/{run.pk}/apply/"' not in dry_page
    assert f'href="/admin/imports/{applying.pk}/"' in dry_page
    # And the history lists both runs
    history = page_text(client.get("/admin/imports/"))
    assert f'href="/admin/imports/{run.pk}/"' in history
    assert f'href="/admin/imports/{applying.pk}/"' in history


def test_a_dry_run_whose_upload_was_purged_is_not_applied_and_says_why(
    tenant_a: object, bundle_zip: bytes
) -> None:
    # Given a succeeded dry run of an upload that the nightly purge has since deleted
    client, _admin = admin_in()
    client.post(
        "/admin/imports/",
        {
            "source": "ss12000-files",
            "dry_run": "on",
            "file": SimpleUploadedFile("e.zip", bundle_zip),
        },
    )
    with schema_context(TENANT_A.slug):
        dry = execute(TENANT_A.slug, ImportRun.objects.get().pk)
    Path(dry.source_path).unlink()
    # When the administrator applies it
    response = client.post(f"/admin/imports/{dry.pk}/apply/", follow=True)
    # Then they stay on the dry run, told in Swedish why, and no run was created
    assert response.redirect_chain == [(f"/admin/imports/{dry.pk}/", 302)]
    assert "Provkörningens uppladdade fil har tagits bort" in page_text(response)
    with schema_context(TENANT_A.slug):
        assert list(ImportRun.objects.values_list("pk", flat=True)) == [dry.pk]


def test_an_upload_that_is_no_export_is_refused_with_the_reason(
    tenant_a: object, media_root: Path
) -> None:
    # Given A's administrator
    client, _admin = admin_in()
    # When they upload a text file as an SS 12000 bundle
    response = client.post(
        "/admin/imports/",
        {"source": "ss12000-files", "file": SimpleUploadedFile("notes.txt", b"hello")},
    )
    # Then the form says why, and nothing was queued or kept
    assert response.status_code == 400
    assert "errorlist" in page_text(response)
    with schema_context(TENANT_A.slug):
        assert not ImportRun.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_the_progress_fragment_shows_the_phase_and_percent(tenant_a: object) -> None:
    # Given a run that is reading its input, 45 % through
    client, _admin = admin_in()
    run = run_in(TENANT_A.slug, status=ImportStatus.RUNNING, phase=ImportPhase.READING, percent=45)
    # When the progress bar polls its fragment
    response = client.get(f"/admin/imports/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    text = page_text(response)
    # Then it shows a labelled progress element and a status message with the percent
    assert response.status_code == 200
    assert '<progress id="import-progress-bar" max="100" value="45" aria-valuetext="45 %">' in text
    assert '<label for="import-progress-bar">Förlopp</label>' in text
    assert '<p role="status">Läser och validerar… 45 %</p>' in text
    assert "HX-Refresh" not in response
    # When the run has finished
    with schema_context(TENANT_A.slug):
        ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.SUCCEEDED, percent=100)
    finished = client.get(f"/admin/imports/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    # Then the fragment says so and htmx reloads the page to show the result
    assert '<p role="status">Lyckades.</p>' in page_text(finished)
    assert finished["HX-Refresh"] == "true"


def test_an_admin_cancels_a_queued_run(tenant_a: object) -> None:
    # Given a queued run
    client, _admin = admin_in()
    run = run_in(TENANT_A.slug)
    # When the administrator cancels it from its page
    page = page_text(client.get(f"/admin/imports/{run.pk}/"))
    assert f'action="/admin/imports/{run.pk}/cancel/"' in page
    response = client.post(f"/admin/imports/{run.pk}/cancel/")
    # Then it has ended as cancelled
    assert response.status_code == 302
    with schema_context(TENANT_A.slug):
        assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.CANCELLED


def test_the_issues_of_a_run_download_as_csv_through_the_api(tenant_a: object) -> None:
    # Given a finished run with a row error whose message looks like a formula
    client, _admin = admin_in()
    run = run_in(TENANT_A.slug, status=ImportStatus.FAILED, error_count=1)
    with schema_context(TENANT_A.slug):
        ImportIssue.objects.create(
            run=run, severity="error", entity="person", message='=HYPERLINK("x")'
        )
    # When the administrator follows the download link on the run's page
    page = page_text(client.get(f"/admin/imports/{run.pk}/"))
    link = f'href="/api/v1/imports/{run.pk}/issues.csv"'
    assert link in page
    assert link in page_text(client.get("/admin/imports/"))  # and from the history
    response = client.get(f"/api/v1/imports/{run.pk}/issues.csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    # Then it is UTF-8 CSV with a BOM, formulas neutralised
    assert response.status_code == 200
    assert body.startswith("\ufeffseverity,")
    assert "'=HYPERLINK" in body


def test_the_api_sync_needs_a_connection_and_then_queues_a_run(tenant_a: object) -> None:
    # Given A without an SS 12000 API connection
    client, admin = admin_in()
    # When the administrator asks for a sync
    refused = client.post("/admin/imports/sync/", {"dry_run": "on"}, follow=True)
    # Then nothing is queued and the page says why
    assert "Kommunen har ingen anslutning till ett SS 12000-API." in page_text(refused)
    with schema_context(TENANT_A.slug):
        assert not ImportRun.objects.exists()
        RegisterConnection.objects.create(base_url="https://register.example/api")
    # When a connection exists and they ask again
    response = client.post("/admin/imports/sync/", {"dry_run": "on"})
    # Then an API run is queued for them
    with schema_context(TENANT_A.slug):
        run = ImportRun.objects.get()
    assert response["Location"] == f"/admin/imports/{run.pk}/"
    assert (run.source, run.trigger, run.dry_run, run.requested_by_id) == (
        "ss12000-api",
        "admin",
        True,
        admin.pk,
    )


def test_runs_of_another_municipality_do_not_exist_here(tenant_a: object, tenant_b: object) -> None:
    # Given a run of B
    client, _admin = admin_in(TENANT_A)
    run_of_b = run_in(TENANT_B.slug)
    with schema_context(TENANT_A.slug):
        assert not ImportRun.objects.filter(pk=run_of_b.pk).exists()
    # When A's administrator asks for it on A's host
    # Then it does not exist
    assert client.get(f"/admin/imports/{run_of_b.pk}/").status_code == 404
    assert client.post(f"/admin/imports/{run_of_b.pk}/cancel/").status_code == 404


# --- Protected identities ------------------------------------------------------------------------


def test_an_admin_reviews_and_admits_a_quarantined_person(
    tenant_a: object, tenant_b: object
) -> None:
    # Given a person with protected identity waiting in A's quarantine, and one in B's
    client, admin = admin_in()
    with schema_context(TENANT_A.slug):
        person = QuarantinedPerson.objects.create(
            source_id="7b0f5c1e-0000-4000-8000-000000000002",
            given_name="Siri",
            family_name="Skyddad",
            security_marking="Skyddad folkbokföring",
        )
    with schema_context(TENANT_B.slug):
        other = QuarantinedPerson.objects.create(
            source_id="7b0f5c1e-0000-4000-8000-000000000003",
            given_name="Bo",
            family_name="Borås",
            security_marking="Sekretessmarkering",
        )
    # When the administrator opens the list
    page = page_text(client.get("/admin/quarantine/"))
    # Then it names the person, offers an admission with a confirmation, and the look is logged
    assert "Skyddad, Siri" in page
    assert "Borås" not in page
    assert f'action="/admin/quarantine/{person.pk}/admit/"' in page
    assert "Jag har kontrollerat att Siri Skyddad får släppas in" in page
    assert log() == [("municipality_admin", "quarantine.list", "page=1", [])]
    # When they press Admit without confirming
    client.post(f"/admin/quarantine/{person.pk}/admit/", {})
    # Then nothing happens
    with schema_context(TENANT_A.slug):
        assert QuarantinedPerson.objects.get(pk=person.pk).admitted_at is None
    # When they confirm and admit
    response = client.post(f"/admin/quarantine/{person.pk}/admit/", {"confirm": "on"}, follow=True)
    # Then the person is admitted by them, audited, and the list says so
    with schema_context(TENANT_A.slug):
        admitted = QuarantinedPerson.objects.get(pk=person.pk)
    assert admitted.admitted_at is not None
    assert admitted.admitted_by_id == admin.pk
    assert ("municipality_admin", "quarantine.admit", f"quarantine:{person.pk}", []) in log()
    assert "Insläppt. Nästa import för in personen i registret." in page_text(response)
    # And B's person cannot be admitted from A's host
    assert client.post(f"/admin/quarantine/{other.pk}/admit/", {"confirm": "on"}).status_code in {
        404,
        302,
    }
    with schema_context(TENANT_B.slug):
        assert QuarantinedPerson.objects.get(pk=other.pk).admitted_at is None


# --- Users and roles -----------------------------------------------------------------------------


def test_an_admin_deactivates_an_account_and_grants_the_admin_role(tenant_a: object) -> None:
    # Given A's administrator and two members of staff
    client, _admin = admin_in()
    staff: dict[str, Any] = {"is_school_staff": True}
    karin = make_user(TENANT_A.slug, username="karin", first_name="Karin", last_name="Ek", **staff)
    olle = make_user(TENANT_A.slug, username="olle", first_name="Olle", last_name="Rektor", **staff)
    # When they search for Karin
    found = page_text(client.get("/admin/users/?q=karin"))
    # Then the list shows Karin (with her role) and not Olle
    assert "Karin Ek" in found
    assert "Skolpersonal" in found
    assert "Olle Rektor" not in found
    # When they deactivate Karin and make Olle an administrator
    client.post(f"/admin/users/{karin.pk}/active/", {"active": "0", "q": "karin"})
    client.post(f"/admin/users/{olle.pk}/admin/", {"admin": "1"})
    # Then Karin is locked out by an administrator's decision (not the register's), Olle is an
    # administrator, and both decisions are audited
    with schema_context(TENANT_A.slug):
        karin.refresh_from_db()
        olle.refresh_from_db()
    assert (karin.is_active, karin.deactivated_by_register_at) == (False, None)
    assert olle.is_municipality_admin
    resources = [(resource, ref) for _role, resource, ref, _ids in log()]
    assert ("accounts.set_active", f"user:{karin.pk} active=0") in resources
    assert ("accounts.set_admin", f"user:{olle.pk} admin=1") in resources
    # And Karin can no longer sign in
    assert sign_in(Client(HTTP_HOST=TENANT_A.domain), "karin").status_code != 302
    # When the administrator reactivates Karin
    client.post(f"/admin/users/{karin.pk}/active/", {"active": "1"})
    with schema_context(TENANT_A.slug):
        karin.refresh_from_db()
    assert karin.is_active


def test_an_admin_cannot_revoke_their_own_role_or_deactivate_themselves(tenant_a: object) -> None:
    # Given A's administrator
    client, admin = admin_in()
    # When they try to revoke their own role, and to deactivate themselves
    revoked = client.post(f"/admin/users/{admin.pk}/admin/", {"admin": "0"}, follow=True)
    deactivated = client.post(f"/admin/users/{admin.pk}/active/", {"active": "0"}, follow=True)
    # Then both are refused with a reason, and nothing is audited
    assert "Du kan inte ta bort din egen administratörsroll." in page_text(revoked)
    assert "Du kan inte inaktivera ditt eget konto." in page_text(deactivated)
    with schema_context(TENANT_A.slug):
        admin.refresh_from_db()
    assert admin.is_municipality_admin
    assert admin.is_active
    assert not [entry for entry in log() if entry[1].startswith("accounts.set")]


def test_the_users_page_shows_register_roles_hides_protected_names_and_logs_pupils(
    tenant_a: object,
) -> None:
    # Given A's register with pupils, guardians and staff, one pupil with protected identity
    with schema_context(TENANT_A.slug):
        world: World = build_world()
    client, _admin = admin_in()
    # When the administrator lists the accounts
    page = page_text(client.get("/admin/users/"))
    # Then pupils and guardians carry their roles, the protected pupil's name is not shown
    assert re.search(r"pupil_p5a_1.*?<li>Elev</li>", page, re.S)
    assert re.search(r"mother_p5a_1.*?<li>Vårdnadshavare</li>", page, re.S)
    assert "Skyddad identitet" in page
    assert "pupil_p8b_protected" not in page
    # And the read names the (unprotected) pupils on the page, in one entry
    entries = [entry for entry in log() if entry[1] == "accounts.list"]
    assert len(entries) == 1
    assert set(entries[0][3]) == world.pupil_ids("p5a_1")


# --- Access log review ---------------------------------------------------------------------------


def test_an_admin_reviews_who_viewed_a_pupil_and_exports_the_same_selection(
    tenant_a: object,
) -> None:
    # Given a teacher who viewed two pupils
    with schema_context(TENANT_A.slug):
        world: World = build_world()
    pupil = world.people["p5a_1"]
    teacher = signed_in(TENANT_A, world.users["teacher_5a"])
    assert teacher.get(f"/pupils/{pupil.pk}/").status_code == 200
    teacher.get(f"/pupils/{world.people['p5a_2'].pk}/")
    client, _admin = admin_in()
    # When the administrator finds the pupil by name
    found = client.get("/admin/access-log/pupils/?q=p5a_1", HTTP_HX_REQUEST="true")
    # Then the fragment links to the pupil's log, and the search is logged with the pupil
    assert f'href="/admin/access-log/?pupil={pupil.pk}"' in page_text(found)
    assert "<html" not in page_text(found)
    search = [e for e in log() if e[1] == "access_log.pupil_search"]
    assert search == [("municipality_admin", "access_log.pupil_search", "q=p5a_1", [pupil.pk])]
    # When they open the log filtered on the pupil
    page = client.get(f"/admin/access-log/?pupil={pupil.pk}")
    text = page_text(page)
    # Then only reads of that pupil are listed, the teacher among them, with the export link
    assert page.status_code == 200
    assert world.users["teacher_5a"].get_full_name() in text
    assert f'href="?actor={world.users["teacher_5a"].pk}"' in text
    assert f'href="/api/v1/access-log/export.csv?pupil={pupil.pk}"' in text
    rows = re.findall(r"<tr>\s*<td>\d{4}-", text)
    with schema_context(TENANT_A.slug):
        expected = AccessLogEntry.objects.filter(pupil_ids__contains=[pupil.pk]).count()
    assert len(rows) == expected
    # And the review itself is logged with its filter, naming no pupil
    assert log()[-1] == ("municipality_admin", "access_log.review", f"pupil={pupil.pk}", [])
    # When they follow the export link
    export = client.get(f"/api/v1/access-log/export.csv?pupil={pupil.pk}")
    lines = b"".join(export.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    # Then the CSV holds the same selection
    assert export.status_code == 200
    assert len(lines) == 1 + expected  # the header, then the same entries


def test_the_access_log_filters_by_user_name_and_dates(tenant_a: object) -> None:
    # Given A's administrator, and a colleague whose reads are logged
    client, admin = admin_in()
    make_user(TENANT_A.slug, username="colleague", is_school_staff=True)
    # When they filter on the colleague's user name
    by_user = client.get("/admin/access-log/?user=colleague")
    # Then the page answers and the review is logged with the colleague's id
    with schema_context(TENANT_A.slug):
        colleague_id = User.objects.get(username="colleague").pk
    assert by_user.status_code == 200
    assert log()[-1][2] == f"actor={colleague_id}"
    assert f"export.csv?actor={colleague_id}" in page_text(by_user)
    # When the user name is unknown or the days are reversed
    unknown = client.get("/admin/access-log/?user=nobody")
    reversed_days = client.get("/admin/access-log/?since=2026-02-01&until=2026-01-01")
    # Then the form says what is wrong (in Swedish), and no review is logged
    assert unknown.status_code == 400
    assert "Inget konto har det användarnamnet." in page_text(unknown)
    assert reversed_days.status_code == 400
    assert len([e for e in log() if e[1] == "access_log.review"]) == 1
    assert admin.pk


# --- Settings ------------------------------------------------------------------------------------


def settings_post(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "section": "municipal",
        "controller_name": "Barn- och utbildningsnämnden",
        "controller_contact": "bun@ale.example",
        "data_protection_officer": "dso@ale.example",
        "accessibility_contact": "tillganglighet@ale.example",
        "session_idle_minutes": "30",
        "pupil_login_from_school_year": "4",
        "guardian_relation_types": [RelationType.GUARDIAN],
        "assignment_roles_with_access": ["Specialpedagog", "Elevhälsopersonal"],
        "school_forms": ["FKLASS", "GR", "GY"],
    }
    data.update(changes)
    return data


def test_guardian_relation_types_decide_what_a_foster_parent_sees(
    tenant_a: object, tenant_b: object
) -> None:
    # Given A's register, where a foster parent is "Annan ansvarig" for p8b_2
    with schema_context(TENANT_A.slug):
        world: World = build_world()
        foster = actor_for(world.users["foster_p8b_2"])
        assert not visible_pupils(foster).exists()
    client, _admin = admin_in()
    # When the administrator lets "other responsible adults" see their children's documentation
    both = [RelationType.GUARDIAN, RelationType.OTHER_RESPONSIBLE]
    response = client.post("/admin/settings/", settings_post(guardian_relation_types=both))
    # Then the settings are saved and audited, and the foster parent sees the child
    assert response.status_code == 302
    with schema_context(TENANT_A.slug):
        saved = MunicipalSettings.objects.get()
        foster = actor_for(world.users["foster_p8b_2"])
        seen = set(visible_pupils(foster).values_list("pk", flat=True))
    assert saved.guardian_relation_types == ["Vårdnadshavare", "Annan ansvarig"]
    assert saved.session_idle_minutes == 30
    assert saved.controller_name == "Barn- och utbildningsnämnden"
    # The mentor role is no choice on the form and stays as it was
    assert saved.assignment_roles_with_access == ["Mentor", "Specialpedagog", "Elevhälsopersonal"]
    assert seen == world.pupil_ids("p8b_2")
    settings_entries = [e for e in log() if e[1] == "settings.change"]
    assert len(settings_entries) == 1
    assert "guardian_relation_types" in settings_entries[0][2]
    # And the page shows the new choice; B's settings are untouched
    assert 'value="Annan ansvarig" id="id_guardian_relation_types_1" checked' in page_text(
        client.get("/admin/settings/")
    )
    with schema_context(TENANT_B.slug):
        other = MunicipalSettings.objects.filter(id=1).first()
        assert other is None or other.guardian_relation_types == ["Vårdnadshavare"]


def test_the_school_forms_in_use_are_saved_and_at_least_one_is_required(tenant_a: object) -> None:
    client, _admin = admin_in()
    # When the administrator keeps compulsory school only
    response = client.post("/admin/settings/", settings_post(school_forms=["GR"]))
    # Then it is saved
    assert response.status_code == 302
    with schema_context(TENANT_A.slug):
        assert MunicipalSettings.objects.get().school_forms == ["GR"]
    # When they untick every school form
    refused = client.post("/admin/settings/", settings_post(school_forms=[]))
    # Then the form says why (in Swedish) and nothing changes
    assert refused.status_code == 400
    assert "Välj minst en skolform." in page_text(refused)
    with schema_context(TENANT_A.slug):
        assert MunicipalSettings.objects.get().school_forms == ["GR"]


def test_invalid_settings_are_refused_and_nothing_changes(tenant_a: object) -> None:
    # Given A's administrator
    client, _admin = admin_in()
    # When they post an idle time of one minute and an unknown relation type
    response = client.post(
        "/admin/settings/",
        settings_post(session_idle_minutes="1", guardian_relation_types=["Granne"]),
    )
    # Then the form is shown again with the errors, and nothing was saved or audited
    assert response.status_code == 400
    assert "errorlist" in page_text(response)
    with schema_context(TENANT_A.slug):
        row = MunicipalSettings.objects.filter(id=1).first()
    assert row is None or row.session_idle_minutes == 60
    assert not [e for e in log() if e[1] == "settings.change"]


def test_the_sign_in_policy_is_saved_with_the_methods_accounts_offer(tenant_a: object) -> None:
    # Given A's administrator on the settings page
    client, _admin = admin_in()
    page = page_text(client.get("/admin/settings/"))
    assert "Engångskod (TOTP)" in page
    # When they save the sign-in methods (password everywhere), and then an unknown method
    saved = client.post(
        "/admin/settings/",
        {
            "section": "sign_in",
            "staff_method": "password",
            "guardian_method": "password",
            "pupil_method": "password",
        },
    )
    refused = client.post(
        "/admin/settings/",
        {"section": "sign_in", "staff_method": "bankid", "guardian_method": "password",
         "pupil_method": "password"},
    )  # fmt: skip
    # Then the first is stored, the second refused
    assert saved.status_code == 302
    assert refused.status_code == 400
    with schema_context(TENANT_A.slug):
        assert SignInPolicy.objects.get().staff_method == "password"


def test_the_lexicon_adds_a_word_and_switches_a_shipped_word_off(tenant_a: object) -> None:
    # Given A's administrator, and a word of the shipped lexicon
    client, _admin = admin_in()
    page = page_text(client.get("/admin/settings/lexicon/"))
    switch = r'name="lemma" value="([^"]+)">\s*<input type="hidden" name="enabled" value="0">'
    shipped = re.search(switch, page)
    assert shipped, "the shipped words are listed with a switch"
    lemma = shipped.group(1)
    with schema_context(TENANT_A.slug):
        assert text_check(texts={"t": lemma})
    # When they add a word of their own and switch the shipped word off
    added = client.post(
        "/admin/settings/lexicon/", {"lemma": "slarvmaja", "category": "value_judgement"}
    )
    off = client.post("/admin/settings/lexicon/enabled/", {"lemma": lemma, "enabled": "0"})
    # Then the text guard finds the new word and no longer the shipped one, in A only
    assert added.status_code == 302
    assert off.status_code == 302
    with schema_context(TENANT_A.slug):
        assert [f.category for f in text_check(texts={"t": "en slarvmaja"})] == ["value_judgement"]
        assert not text_check(texts={"t": lemma})
    with schema_context(TENANT_B.slug):
        assert text_check(texts={"t": lemma})
        assert not text_check(texts={"t": "en slarvmaja"})
    refs = [ref for _r, resource, ref, _i in log() if resource == "settings.change"]
    assert len(refs) == 2
    # And the list shows the word as switched off
    listed = page_text(client.get("/admin/settings/lexicon/"))
    assert "slarvmaja" in listed
    assert re.search(rf"<th scope=\"row\">{re.escape(lemma)}</th><td>[^<]*</td>\s*<td>Av", listed)
