"""Two municipalities, one database: nothing written in one is visible from the other."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django_tenants.utils import schema_context

from core.db import connection
from municipal.models import MunicipalSettings
from tenants.models import Municipality
from tests.conftest import TENANT_A, TENANT_B
from tests.factories import UserFactory

User = get_user_model()
PASSWORD = "correct horse battery staple"


def search_path() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        return str(cursor.fetchone()[0])


def test_orm_rows_written_in_a_are_invisible_from_b(tenant_a: Municipality) -> None:
    # Given a user written in A
    with schema_context(TENANT_A.slug):
        UserFactory(username="only-in-a")
    # When B and A are asked for it
    with schema_context(TENANT_B.slug):
        in_b = User.objects.filter(username="only-in-a").count()
    with schema_context(TENANT_A.slug):
        in_a = User.objects.filter(username="only-in-a").count()
    # Then only A has it
    assert (in_a, in_b) == (1, 0)


def test_tenant_only_tables_do_not_exist_in_the_public_schema(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = %s ORDER BY table_schema",
            [MunicipalSettings._meta.db_table],
        )
        schemas = [row[0] for row in cursor.fetchall()]
    assert "public" not in schemas
    assert {"ale", "boras", "tpl_base"} <= set(schemas)


def test_public_only_tables_do_not_exist_in_a_tenant_schema(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name = %s",
            [TENANT_A.slug, Municipality._meta.db_table],
        )
        assert cursor.fetchone()[0] == 0


def test_credentials_of_a_do_not_sign_in_at_b(db: None, client_b: Client) -> None:
    # Given an account in A
    with schema_context(TENANT_A.slug):
        UserFactory(username="anna")
    # When its credentials are used on B's host
    response = client_b.post("/login/", {"username": "anna", "password": PASSWORD})
    # Then B refuses them (its own user table has no such account)
    assert response.status_code == 200
    assert "_auth_user_id" not in client_b.session


def test_session_cookie_of_a_is_not_signed_in_at_b(
    db: None, client_a: Client, client_b: Client
) -> None:
    # Given a user signed in at A, and a user in B with the same primary key
    with schema_context(TENANT_A.slug):
        anna = UserFactory(username="anna")
    with schema_context(TENANT_B.slug):
        bertil = UserFactory(username="bertil")
        User.objects.filter(pk=bertil.pk).update(id=anna.pk)
    assert client_a.post("/login/", {"username": "anna", "password": PASSWORD}).status_code == 302
    assert client_a.get("/api/v1/me").json()["username"] == "anna"
    # When A's session cookie is sent to B's host
    client_b.cookies = client_a.cookies
    response = client_b.get("/api/v1/me")
    # Then B does not know that session (sessions live per schema)
    assert response.status_code == 403


def test_an_unknown_host_gets_a_clear_404_page(db: None) -> None:
    response = Client(HTTP_HOST="nowhere.larspar.test").get("/")
    assert response.status_code == 404
    assert "nowhere.larspar.test" in response.content.decode()


def test_the_template_schema_is_never_served(db: None) -> None:
    from tenants.models import Domain

    template = Municipality.objects.get(schema_name="tpl_base")
    Domain.objects.create(domain="tpl.larspar.test", tenant=template, is_primary=True)
    assert Client(HTTP_HOST="tpl.larspar.test").get("/login/").status_code == 404


def test_a_suspended_municipality_gets_a_clear_503_page(db: None) -> None:
    response = Client(HTTP_HOST="sotenas.larspar.test").get("/login/")
    assert response.status_code == 503
    assert "Sotenäs kommun" in response.content.decode()


def test_search_path_is_right_after_a_rollback(tenant_a: Municipality) -> None:
    connection.set_tenant(tenant_a)

    def write_then_fail() -> None:
        with transaction.atomic():
            UserFactory(username="rolled-back")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert search_path() == "ale, public"
    assert not User.objects.filter(username="rolled-back").exists()


def test_search_path_is_right_after_a_savepoint_rollback(tenant_a: Municipality) -> None:
    connection.set_tenant(tenant_a)
    with transaction.atomic():
        sid = transaction.savepoint()
        UserFactory(username="savepointed")
        transaction.savepoint_rollback(sid)
        assert search_path() == "ale, public"
    assert search_path() == "ale, public"


def test_switching_tenants_changes_the_search_path(tenant_a: Municipality) -> None:
    with schema_context(TENANT_B.slug):
        assert search_path() == "boras, public"
    with schema_context(TENANT_A.slug):
        assert search_path() == "ale, public"


def test_cache_keys_differ_per_tenant(db: None) -> None:
    # Given the same key set in both municipalities
    with schema_context(TENANT_A.slug):
        cache.set("greeting", "hej från Ale", 30)
    with schema_context(TENANT_B.slug):
        cache.set("greeting", "hej från Borås", 30)
        in_b = cache.get("greeting")
        key_b = cache.make_key("greeting")
    with schema_context(TENANT_A.slug):
        in_a = cache.get("greeting")
        key_a = cache.make_key("greeting")
    # Then each reads its own, under a key that names its schema
    assert (in_a, in_b) == ("hej från Ale", "hej från Borås")
    assert key_a.startswith("ale:")
    assert key_b.startswith("boras:")


def test_the_platform_host_serves_the_vendor_side(platform_client: Client, db: None) -> None:
    response = platform_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"
