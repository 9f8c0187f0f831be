"""Meta-test: every URL of a municipality's host is classified, and every one that returns pupil
data writes exactly one read-log entry naming the pupils it returned."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import schema_context

from access.readlog.models import AccessLogEntry
from tests.access.http import signed_in_client
from tests.access.world import World, build_world
from tests.conftest import TENANT_A


def all_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    resolver = resolver or get_resolver("config.urls_tenant")
    routes = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += all_routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            routes.append(route)
    return routes


# Routes that return pupil personal data or documentation: how to request one as the principal,
# and which pupil ids the response carried.
PupilIds = Callable[[dict], set[int]]  # type: ignore[type-arg]
PUPIL_DATA: dict[str, tuple[Callable[[World], str], PupilIds]] = {
    "api/v1/pupils": (
        lambda w: "/api/v1/pupils",
        lambda body: {p["id"] for p in body["results"]},
    ),
    "api/v1/pupils/<int:pupil_id>": (
        lambda w: f"/api/v1/pupils/{w.people['p8b_1'].pk}",
        lambda body: {body["id"]},
    ),
    "api/v1/groups/<int:group_id>": (
        lambda w: f"/api/v1/groups/{w.groups['8B'].pk}",
        lambda body: {m["id"] for m in body["members"]},
    ),
}
# Routes that return no pupil data, with the reason.
NO_PUPIL_DATA = {
    "login/": "sign-in form",
    "logout/": "sign-out",
    "invitation/<str:token>/": "setting one's own password",
    "healthz": "liveness probe",
    "api/schema/": "OpenAPI document",
    "api/docs/": "API documentation page",
    "account/two-factor/setup/": "own second factor",
    "account/two-factor/verify/": "own second factor",
    "": "start page: the user's own name only",
    "api/v1/me": "the user's own account",
    "api/v1/groups": "group names only, no members",
    "api/v1/api-tokens": "integration tokens (metadata)",
    "api/v1/api-tokens/<int:token_id>/revoke": "integration tokens (metadata)",
    # Reviewing the log reveals who read whom; it is logged as access_log.review/export
    # (tests/access/test_readlog.py), with no pupil ids of its own.
    "api/v1/access-log": "read-log review (logged as access_log.review)",
    "api/v1/access-log/export.csv": "read-log export (logged as access_log.export)",
}


def test_every_tenant_route_is_classified() -> None:
    routes = set(all_routes())
    unclassified = routes - set(PUPIL_DATA) - set(NO_PUPIL_DATA)
    assert unclassified == set(), "classify new routes in PUPIL_DATA or NO_PUPIL_DATA"
    assert set(PUPIL_DATA) | set(NO_PUPIL_DATA) >= routes


@pytest.mark.parametrize("route", sorted(PUPIL_DATA))
def test_every_pupil_data_route_writes_one_entry_naming_its_pupils(
    tenant_a: object, route: str
) -> None:
    with schema_context(TENANT_A.slug):
        world = build_world()
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users["principal_norra"])
    path_for, pupil_ids_of = PUPIL_DATA[route]
    # When the route is read
    response = client.get(path_for(world))
    # Then exactly one entry names exactly the pupils in the response
    assert response.status_code == 200
    with schema_context(TENANT_A.slug):
        entries = list(AccessLogEntry.objects.all())
    assert len(entries) == 1
    assert set(entries[0].pupil_ids) == pupil_ids_of(response.json())
    assert set(entries[0].relations.values()) == {"principal"}
    assert entries[0].actor_id == world.users["principal_norra"].pk
