"""Test set-up: the real PostgreSQL and Redis, two municipalities onboarded through the real path.

Tenant data written inside a test is rolled back with the test's transaction (the `db` fixture).
Tests that need committed data (a real worker reads it from another process) use
`committed_db`, which deletes what it wrote afterwards, because pytest-django's flush
truncates public tables only and would leave tenant rows behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from core.db import connection
from tenants.models import Municipality, MunicipalityStatus
from tenants.services.onboarding import municipality_onboard, template_schema_ensure


@dataclass(frozen=True)
class TenantSpec:
    name: str
    code: str
    slug: str
    domain: str
    admin_email: str


TENANT_A = TenantSpec("Ale kommun", "1440", "ale", "ale.larspar.test", "admin@ale.example")
TENANT_B = TenantSpec("Borås stad", "1490", "boras", "boras.larspar.test", "admin@boras.example")
# Onboarded, then suspended: its tasks and pages must be refused.
TENANT_S = TenantSpec("Sotenäs kommun", "1427", "sotenas", "sotenas.larspar.test", "a@s.example")


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment: None,
    django_db_blocker: pytest.FixtureRequest,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """Creates the test database for every run, also when only worker tests were selected
    (pytest-django would set up no database for tests that never request `db`)."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        db_cfg = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        template_schema_ensure()
        for spec in (TENANT_A, TENANT_B, TENANT_S):
            municipality_onboard(**spec.__dict__)
        Municipality.objects.filter(schema_name__in=["ale", "boras"]).update(
            status=MunicipalityStatus.ACTIVE
        )
        Municipality.objects.filter(schema_name="sotenas").update(
            status=MunicipalityStatus.SUSPENDED
        )
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        connection.close()
        teardown_databases(db_cfg, verbosity=0)


def pytest_configure(config: pytest.Config) -> None:
    # Compiled catalogues must exist before the first request caches the translations.
    from deploy.compilemessages import main as compile_messages

    compile_messages()


@pytest.fixture(autouse=True)
def _public_schema_between_tests() -> Iterator[None]:
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Code run directly by a test speaks the source language (English), whatever a previous
    request activated; requests choose their own language (Swedish unless asked otherwise)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def tenant_a(db: None) -> Municipality:
    return Municipality.objects.get(schema_name=TENANT_A.slug)


@pytest.fixture
def tenant_b(db: None) -> Municipality:
    return Municipality.objects.get(schema_name=TENANT_B.slug)


@pytest.fixture
def client_a() -> Client:
    return Client(HTTP_HOST=TENANT_A.domain)


@pytest.fixture
def client_b() -> Client:
    return Client(HTTP_HOST=TENANT_B.domain)


@pytest.fixture
def platform_client() -> Client:
    from django.conf import settings

    return Client(HTTP_HOST=settings.PLATFORM_DOMAIN)


@pytest.fixture
def committed_db(django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Writes that commit (for a worker in another process); cleans test users up afterwards."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        yield
        for schema in (TENANT_A.slug, TENANT_B.slug, TENANT_S.slug, "public"):
            with schema_context(schema):
                from django.contrib.auth import get_user_model
                from django.contrib.sessions.models import Session

                get_user_model().objects.filter(username__startswith="committed-").delete()
                Session.objects.filter(session_key__startswith="committed").delete()


class QueryCounter:
    """Counts the SQL statements a block sends, without django-tenants' `SET search_path`
    (it precedes every cursor use; TENANT_LIMIT_SET_CALLS must stay off, see docs)."""

    def __init__(self) -> None:
        from django.test.utils import CaptureQueriesContext

        self._context = CaptureQueriesContext(connection)

    def __enter__(self) -> QueryCounter:
        self._context.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._context.__exit__(*exc_info)

    @property
    def statements(self) -> list[str]:
        return [
            q["sql"]
            for q in self._context.captured_queries
            if not q["sql"].startswith("SET search_path")
        ]

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries() -> type[QueryCounter]:
    return QueryCounter
