"""Onboarding a municipality through the service, the command and the vendor API."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django_tenants.utils import schema_context, schema_exists

from accounts.models import Invitation
from tenants.models import Domain, Municipality, MunicipalityStatus
from tenants.services.onboarding import MunicipalityAlreadyExists, municipality_onboard
from tests.conftest import TENANT_A
from tests.factories import UserFactory

VALID = {
    "name": "Lilla Edets kommun",
    "code": "1462",
    "slug": "lillaedet",
    "domain": "lillaedet.larspar.test",
    "admin_email": "rektor@example.org",
}


def snapshot() -> tuple[int, int, list[str]]:
    from core.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace ORDER BY nspname")
        schemas = [row[0] for row in cursor.fetchall()]
    return Municipality.objects.count(), Domain.objects.count(), schemas


def test_onboarding_creates_schema_domain_and_invitation(db: None) -> None:
    # When a municipality is onboarded
    result = municipality_onboard(**VALID)
    # Then its row, host and schema exist, cloned from the template
    municipality = Municipality.objects.get(schema_name="lillaedet")
    assert (municipality.name, municipality.code, municipality.status) == (
        "Lilla Edets kommun",
        "1462",
        MunicipalityStatus.ONBOARDING,
    )
    assert result.schema_path == "clone"
    assert Domain.objects.get(tenant=municipality).domain == "lillaedet.larspar.test"
    assert schema_exists("lillaedet")
    # And its schema holds exactly one open invitation for the administrator
    with schema_context("lillaedet"):
        invitation = Invitation.objects.get()
        assert (invitation.email, invitation.role) == ("rektor@example.org", "municipality_admin")
        assert get_user_model().objects.count() == 0
    assert result.invitation_url.startswith("http://lillaedet.larspar.test/invitation/")


def test_the_invitation_is_emailed_after_commit(db: None, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        result = municipality_onboard(**VALID)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rektor@example.org"]
    assert result.invitation_url in mail.outbox[0].body


def test_the_cloned_schema_has_every_migration_recorded(db: None) -> None:
    from tenants.services.schemas import tenant_migration_keys

    municipality_onboard(**VALID)
    with schema_context("lillaedet"):
        from core.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
    assert tenant_migration_keys() <= applied


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "146"),
        ("code", "14620"),
        ("code", "14a2"),
        ("slug", "Lilla-Edet"),
        ("slug", "le"),
        ("slug", "public"),
        ("slug", "template"),
        ("slug", "www"),
        ("slug", "api"),
        ("slug", "admin"),
        ("slug", "pgcrypto"),
        ("slug", "tplx"),
        ("domain", "not a host"),
        ("domain", "larspar.test"),
        ("admin_email", "no-at-sign"),
        ("name", "   "),
    ],
)
def test_invalid_input_is_refused_and_creates_nothing(db: None, field: str, value: str) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        municipality_onboard(**{**VALID, field: value})
    assert list(refused.value.message_dict) == [field]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("slug", TENANT_A.slug), ("code", TENANT_A.code), ("domain", TENANT_A.domain)],
)
def test_a_taken_slug_code_or_domain_is_refused_and_creates_nothing(
    db: None, field: str, value: str
) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        municipality_onboard(**{**VALID, field: value})
    assert field in refused.value.message_dict
    assert snapshot() == before


def test_onboarding_twice_says_it_already_exists(db: None) -> None:
    municipality_onboard(**VALID)
    before = snapshot()
    with pytest.raises(MunicipalityAlreadyExists, match="already exists"):
        municipality_onboard(**VALID)
    assert snapshot() == before


def test_a_failure_late_in_onboarding_leaves_no_schema_or_rows(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the invitation step fails after the schema was cloned
    def broken(**kwargs: object) -> None:
        raise RuntimeError("mail system down")

    monkeypatch.setattr("tenants.services.onboarding.invitation_create", broken)
    before = snapshot()
    with pytest.raises(RuntimeError):
        municipality_onboard(**VALID)
    # Then the transaction took the schema, the row and the domain with it
    assert snapshot() == before


def test_onboarding_migrates_when_the_template_is_missing(
    db: None, settings: pytest.FixtureRequest
) -> None:
    settings.TENANT_BASE_SCHEMA = "tpl_missing"  # type: ignore[attr-defined]
    result = municipality_onboard(**VALID)
    assert result.schema_path == "migrate"
    with schema_context("lillaedet"):
        assert Invitation.objects.count() == 1


def test_the_command_onboards_and_prints_the_invitation(db: None) -> None:
    out = StringIO()
    call_command("onboard_municipality", *_argv(VALID), stdout=out)
    assert "Onboarded Lilla Edets kommun (lillaedet) at lillaedet.larspar.test [clone]" in (
        out.getvalue()
    )
    assert "http://lillaedet.larspar.test/invitation/" in out.getvalue()
    out = StringIO()
    call_command("onboard_municipality", *_argv(VALID), stdout=out)
    assert "already exists" in out.getvalue()


def test_the_command_explains_invalid_input(db: None) -> None:
    before = snapshot()
    with pytest.raises(CommandError, match="code: The municipality code must be exactly four"):
        call_command("onboard_municipality", *_argv({**VALID, "code": "12"}))
    assert snapshot() == before


def _argv(values: dict[str, str]) -> list[str]:
    return [f"--{key.replace('_', '-')}={value}" for key, value in values.items()]


# --- The vendor API and console ----------------------------------------------------------------


@pytest.fixture
def operator_client(db: None, platform_client: Client) -> Client:
    UserFactory(username="operator", is_staff=True)
    platform_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    platform_client.force_login(get_user_model().objects.get(username="operator"))
    return platform_client


def test_a_vendor_operator_onboards_through_the_api(operator_client: Client) -> None:
    response = operator_client.post(
        "/api/v1/vendor/municipalities", VALID, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["code"], body["status"], body["domains"]) == (
        "lillaedet",
        "1462",
        "onboarding",
        ["lillaedet.larspar.test"],
    )
    assert "invitation" not in str(body)


def test_the_api_lists_municipalities_without_the_template(operator_client: Client) -> None:
    slugs = [m["slug"] for m in operator_client.get("/api/v1/vendor/municipalities").json()]
    assert slugs == ["ale", "boras", "sotenas"]


def test_the_api_answers_invalid_input_with_400_and_creates_nothing(
    operator_client: Client,
) -> None:
    before = snapshot()
    response = operator_client.post(
        "/api/v1/vendor/municipalities",
        {**VALID, "slug": "public"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"slug": ["The slug 'public' is reserved."]}
    assert snapshot() == before


def test_the_api_answers_a_repeat_with_409(operator_client: Client) -> None:
    operator_client.post("/api/v1/vendor/municipalities", VALID, content_type="application/json")
    response = operator_client.post(
        "/api/v1/vendor/municipalities", VALID, content_type="application/json"
    )
    assert response.status_code == 409


def test_the_vendor_api_refuses_anonymous_and_non_staff(db: None, platform_client: Client) -> None:
    before = snapshot()
    anonymous = platform_client.post(
        "/api/v1/vendor/municipalities", VALID, content_type="application/json"
    )
    UserFactory(username="not-an-operator", is_staff=False)
    platform_client.force_login(get_user_model().objects.get(username="not-an-operator"))
    non_staff = platform_client.post(
        "/api/v1/vendor/municipalities", VALID, content_type="application/json"
    )
    assert (anonymous.status_code, non_staff.status_code) == (403, 403)
    assert snapshot() == before


def test_the_vendor_api_does_not_exist_on_a_municipality_host(db: None, client_a: Client) -> None:
    # Given a staff account of municipality A (not a vendor operator)
    with schema_context(TENANT_A.slug):
        UserFactory(username="a-staff", is_staff=True)
    signed_in = client_a.post(
        "/login/", {"username": "a-staff", "password": "correct horse battery staple"}
    )
    assert signed_in.status_code == 302
    before = snapshot()
    response = client_a.post(
        "/api/v1/vendor/municipalities", VALID, content_type="application/json"
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_the_vendor_console_onboards_through_its_form(operator_client: Client) -> None:
    response = operator_client.post("/", VALID)
    assert response.status_code == 302
    assert Municipality.objects.filter(schema_name="lillaedet").exists()
    page = operator_client.get("/").content.decode()
    assert "Lilla Edets kommun" in page


def test_the_vendor_console_suspends_and_reinstates(operator_client: Client) -> None:
    operator_client.post("/municipalities/boras/suspend/", {"suspend": "1"})
    assert Municipality.objects.get(schema_name="boras").status == "suspended"
    assert Client(HTTP_HOST="boras.larspar.test").get("/login/").status_code == 503
    operator_client.post("/municipalities/boras/suspend/", {"suspend": "0"})
    assert Municipality.objects.get(schema_name="boras").status == "active"


# --- The first administrator's invitation ------------------------------------------------------


def test_accepting_the_invitation_creates_the_admin_and_activates_the_municipality(
    db: None,
) -> None:
    result = municipality_onboard(**VALID)
    token_path = result.invitation_url.removeprefix("http://lillaedet.larspar.test")
    client = Client(HTTP_HOST="lillaedet.larspar.test")
    assert client.get(token_path).status_code == 200
    response = client.post(
        token_path, {"password": "Tulpan-och-Ros-77", "password_again": "Tulpan-och-Ros-77"}
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me").json()["is_municipality_admin"] is True
    assert Municipality.objects.get(schema_name="lillaedet").status == "active"
    # And the link is spent
    assert Client(HTTP_HOST="lillaedet.larspar.test").get(token_path).status_code == 404


def test_an_invitation_link_works_only_on_its_own_municipality(db: None) -> None:
    result = municipality_onboard(**VALID)
    token_path = result.invitation_url.removeprefix("http://lillaedet.larspar.test")
    response = Client(HTTP_HOST=TENANT_A.domain).post(
        token_path, {"password": "Tulpan-och-Ros-77", "password_again": "Tulpan-och-Ros-77"}
    )
    assert response.status_code == 404
    with schema_context(TENANT_A.slug):
        assert not get_user_model().objects.filter(username="rektor@example.org").exists()


def test_a_new_municipalitys_schema_is_identical_to_the_template(db: None) -> None:
    from tests.benchmarks.test_onboarding import schema_fingerprint

    # When a municipality is onboarded (the template copier, not clone_schema)
    result = municipality_onboard(**VALID)
    assert result.schema_path == "clone"
    # Then every table, column, sequence, constraint, index, trigger and function matches
    assert schema_fingerprint("lillaedet") == schema_fingerprint("tpl_base")
