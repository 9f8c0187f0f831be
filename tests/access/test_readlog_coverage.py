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


def _talk_of(world: World) -> int:
    from access.policy import actor_for
    from documentation.talks.services.talks import TalkInput, talk_create

    with schema_context(TENANT_A.slug):
        actor = actor_for(world.users["principal_norra"])
        return talk_create(actor=actor, pupil_id=world.people["p8b_1"].pk, data=TalkInput()).pk


def _iup_of(world: World) -> int:
    from access.policy import actor_for
    from documentation.talks.services.iups import IUPInput, iup_create

    with schema_context(TENANT_A.slug):
        actor = actor_for(world.users["principal_norra"])
        pupil_id = world.people["p8b_1"].pk
        return iup_create(actor=actor, pupil_id=pupil_id, data=IUPInput(term="HT2026")).pk


PUPIL_DATA.update(
    {
        "api/v1/talks": (
            lambda w: (_talk_of(w), "/api/v1/talks")[1],
            lambda body: {t["pupil_id"] for t in body["results"]},
        ),
        "api/v1/talks/<int:talk_id>": (
            lambda w: f"/api/v1/talks/{_talk_of(w)}",
            lambda body: {body["pupil_id"]},
        ),
        "api/v1/iups": (
            lambda w: (_iup_of(w), "/api/v1/iups")[1],
            lambda body: {i["pupil_id"] for i in body["results"]},
        ),
        "api/v1/iups/<int:iup_id>": (
            lambda w: f"/api/v1/iups/{_iup_of(w)}",
            lambda body: {body["pupil_id"]},
        ),
    }
)
WRITES = "write endpoint (POST/PUT only); changes are kept as versions and history"

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
    # Register imports (tests/integrations/test_imports_api.py). Runs carry counts and ids; a
    # dry run's samples name people and go to administrators only, logged as import.samples.
    "api/v1/imports": "import runs: status and counts, no names",
    "api/v1/imports/<int:run_id>": "import run status (dry-run samples logged as import.samples)",
    "api/v1/imports/<int:run_id>/cancel": "import run status",
    "api/v1/imports/<int:run_id>/apply": "import run status",
    "api/v1/imports/<int:run_id>/issues.csv": "row issues: register ids and fields, no names",
    # Protected persons who are not in the register (no pupil ids): administrators only, every
    # look logged as quarantine.list, every admission as quarantine.admit.
    "api/v1/quarantine": "quarantined protected persons (logged as quarantine.list)",
    "api/v1/quarantine/<int:person_id>/admit": "admission (logged as quarantine.admit)",
    # Skolverket's syllabi: platform-wide, no pupil data (tests/curriculum/test_api.py).
    "api/v1/curriculum/subjects": "curriculum reference data",
    "api/v1/curriculum/subjects/<str:code>": "curriculum reference data",
}


# The text guard (tests/documentation/textguard/): the check returns positions in the text the
# caller sent and stores nothing; the lexicon and the statistics hold no pupil data or texts.
NO_PUPIL_DATA.update(
    {
        "api/v1/text-guard/check": "checks the caller's own text; stores and returns no pupil data",
        "api/v1/text-guard/rules": "the written rules for free text",
        "api/v1/text-guard/lexicon": "the municipality's word list",
        "api/v1/text-guard/lexicon/<int:entry_id>": "the municipality's word list",
        "api/v1/text-guard/statistics": "acknowledgement counts per school; no texts, no people",
    }
)


# Plans and the formative log (tests/documentation/plans/). A lärlogg entry about a pupil names
# the pupil; a plan, a template and a group's entry name none (a plan read is still logged, as
# plans.plan.*, with the plan in object_ref: tests/documentation/plans/test_readlog.py).
PUPIL_DATA.update(
    {
        "api/v1/formative-entries": (
            lambda w: _plans_support().entries_path_for_coverage(w),
            lambda body: {e["pupil"]["id"] for e in body["results"] if e["pupil"]},
        ),
        "api/v1/formative-entries/<int:entry_id>": (
            lambda w: _plans_support().entry_path_for_coverage(w),
            lambda body: {body["pupil"]["id"]},
        ),
    }
)
NO_PUPIL_DATA.update(
    {
        "api/v1/plans": "a group's plans: no pupil named (logged as plans.plan.list)",
        "api/v1/plans/<int:plan_id>": "a group's plan: no pupil named (logged as plans.plan.*)",
        "api/v1/plans/<int:plan_id>/publish": "a group's plan (logged as plans.plan.publish)",
        "api/v1/plans/<int:plan_id>/archive": "a group's plan (logged as plans.plan.archive)",
        "api/v1/plans/<int:plan_id>/versions": "a group's plan (logged as plans.plan.versions)",
        "api/v1/plan-templates": "plan templates: staff only, no pupil data",
    }
)


# Assessments (tests/documentation/assessments/): the class grid names its pupils (read and
# save both log them, as assessments.grid.read/save), a pupil's assessments name the pupil;
# matrices are teaching material and the settings are the municipality's.
def _grid_path(world: World) -> str:
    from tests.documentation.assessments.factories import matrix_make

    with schema_context(TENANT_A.slug):
        matrix = matrix_make(world.users["principal_norra"])
    return f"/api/v1/assessments/grid?matrix={matrix.pk}&group={world.groups['8B'].pk}"


PUPIL_DATA.update(
    {
        "api/v1/assessments/grid": (
            _grid_path,
            lambda body: {p["id"] for p in body["pupils"]},
        ),
        "api/v1/pupils/<int:pupil_id>/assessments": (
            lambda w: f"/api/v1/pupils/{w.people['p8b_1'].pk}/assessments",
            lambda body: {body["pupil"]["id"]},
        ),
    }
)
NO_PUPIL_DATA.update(
    {
        "api/v1/assessments/matrices": "assessment matrices: teaching material, no pupil data",
        "api/v1/assessments/matrices/<int:matrix_id>": "an assessment matrix (no pupil data)",
        "api/v1/assessments/matrices/<int:matrix_id>/publish": "an assessment matrix",
        "api/v1/assessments/matrices/<int:matrix_id>/archive": "an assessment matrix",
        "api/v1/assessments/matrices/<int:matrix_id>/copy": "an assessment matrix",
        "api/v1/assessments/settings": "the municipality's assessment settings",
    }
)


def _plans_support():  # type: ignore[no-untyped-def]
    from tests.documentation.plans import support

    return support


def test_every_tenant_route_is_classified() -> None:
    routes = set(all_routes())
    classified = set(PUPIL_DATA) | set(HTML_PUPIL_DATA) | set(NO_PUPIL_DATA)
    assert routes - classified == set(), "classify new routes in PUPIL_DATA or NO_PUPIL_DATA"


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


# --- Portal pages (HTML): which actor reads them and which pupils the page shows --------------

PortalCase = tuple[str, Callable[[World], str], Callable[[World], set[int]]]
HTML_PUPIL_DATA: dict[str, PortalCase] = {
    "": ("mother_p5a_1", lambda w: "/", lambda w: {w.people["p5a_1"].pk}),
    "groups/<int:group_id>/": (
        "principal_norra",
        lambda w: f"/groups/{w.groups['8B'].pk}/",
        # protected identities never appear in a group list
        lambda w: {w.people[name].pk for name in ("p8b_1", "p8b_2")},
    ),
    "pupils/<int:pupil_id>/": (
        "principal_norra",
        lambda w: f"/pupils/{w.people['p8b_1'].pk}/",
        lambda w: {w.people["p8b_1"].pk},
    ),
    "children/<int:pupil_id>/": (
        "mother_p5a_1",
        lambda w: f"/children/{w.people['p5a_1'].pk}/",
        lambda w: {w.people["p5a_1"].pk},
    ),
}
NO_PUPIL_DATA.update(
    {
        "api/v1/talk-templates": "talk templates: questions, no pupil data",
        "api/v1/talks/<int:talk_id>/publish": WRITES,
        "api/v1/talks/<int:talk_id>/agreements": WRITES,
        "api/v1/talks/<int:talk_id>/agreements/<int:agreement_id>/follow-up": WRITES,
        "api/v1/iups/<int:iup_id>/publish": WRITES,
        "me/": "redirects to the pupil's own page (logged there)",
        "accessibility/": "accessibility statement",
        "data-protection/": "information notice",
        "i18n/setlang/": "language choice",
    }
)
# Administration pages (tests/portal/test_admin_pages.py) that name pupils: the account list
# (pupils' accounts; protected identities are never named there) and the pupil search of the
# access-log review. Before PUPIL_DATA_ROUTES: the parametrized test below reads this dict.
HTML_PUPIL_DATA.update(
    {
        "admin/users/": (
            "municipality_admin",
            lambda w: "/admin/users/",
            lambda w: w.pupil_ids("p5a_1"),
        ),
        "admin/access-log/pupils/": (
            "municipality_admin",
            lambda w: "/admin/access-log/pupils/?q=p5a",
            lambda w: w.pupil_ids("p5a_1", "p5a_2"),
        ),
    }
)
# Portal pages of development talks and IUPs (tests/portal/test_talk_pages.py): each shows one
# pupil's documentation (the list: the pupils of my talks) and logs it once.
HTML_PUPIL_DATA.update(
    {
        "talks/": (
            "principal_norra",
            lambda w: (_talk_of(w), "/talks/")[1],
            lambda w: {w.people["p8b_1"].pk},
        ),
        "pupils/<int:pupil_id>/talks/new/": (
            "principal_norra",
            lambda w: f"/pupils/{w.people['p8b_1'].pk}/talks/new/",
            lambda w: {w.people["p8b_1"].pk},
        ),
        "talks/<int:talk_id>/": (
            "principal_norra",
            lambda w: f"/talks/{_talk_of(w)}/",
            lambda w: {w.people["p8b_1"].pk},
        ),
        "talks/<int:talk_id>/publish/": (
            "principal_norra",
            lambda w: f"/talks/{_talk_of(w)}/publish/",
            lambda w: {w.people["p8b_1"].pk},
        ),
        "pupils/<int:pupil_id>/iups/new/": (
            "principal_norra",
            lambda w: f"/pupils/{w.people['p8b_1'].pk}/iups/new/",
            lambda w: {w.people["p8b_1"].pk},
        ),
        "iups/<int:iup_id>/": (
            "principal_norra",
            lambda w: f"/iups/{_iup_of(w)}/",
            lambda w: {w.people["p8b_1"].pk},
        ),
        "iups/<int:iup_id>/publish/": (
            "principal_norra",
            lambda w: f"/iups/{_iup_of(w)}/publish/",
            lambda w: {w.people["p8b_1"].pk},
        ),
    }
)


# The class grid page (tests/portal/test_grid_page.py) names the group's pupils and logs them
# once (portal.assessments.grid); its autosave answers name the saved pupils and are logged as
# portal.assessments.grid.save; the assessment page lists groups and matrices only.
def _grid_page_path(world: World) -> str:
    from tests.documentation.assessments.factories import matrix_make

    with schema_context(TENANT_A.slug):
        matrix = matrix_make(world.users["principal_norra"])
    return f"/groups/{world.groups['8B'].pk}/grid/{matrix.pk}/"


def _pupil_assessment_path(world: World) -> str:
    from tests.documentation.assessments.factories import matrix_make

    with schema_context(TENANT_A.slug):
        matrix = matrix_make(world.users["teacher_5a"])
    return f"/pupils/{world.people['p5a_1'].pk}/assessments/{matrix.pk}/"


HTML_PUPIL_DATA.update(
    {
        "groups/<int:group_id>/grid/<int:matrix_id>/": (
            "principal_norra",
            _grid_page_path,
            lambda w: w.pupil_ids("p8b_1", "p8b_2"),
        ),
        # One pupil's assessments on a matrix (tests/portal/test_pupil_assessment_page.py):
        # portal.assessments.pupil; its save is logged as the grid's.
        "pupils/<int:pupil_id>/assessments/<int:matrix_id>/": (
            "teacher_5a",
            _pupil_assessment_path,
            lambda w: w.pupil_ids("p5a_1"),
        ),
    }
)
NO_PUPIL_DATA.update(
    {
        "grids/": "the groups I assess and their matrices: no pupil named",
        "groups/<int:group_id>/grid/<int:matrix_id>/save/": (
            "grid autosave (POST only): logged as portal.assessments.grid.save"
        ),
    }
)


# The lärlogg in the portal (tests/portal/test_learning_log_pages.py): the pupil's log page
# and the edit page of one's own entry name the pupil once (portal.learning_log[.entry]);
# matrices are teaching material, no pupil data (as their API).
def _own_entry_path(world: World) -> str:
    from tests.documentation.plans.support import entry_make

    with schema_context(TENANT_A.slug):
        entry = entry_make(world, pupil="p8b_1", author="principal_norra")
    return f"/learning-log/{entry.pk}/"


HTML_PUPIL_DATA.update(
    {
        "pupils/<int:pupil_id>/learning-log/": (
            "principal_norra",
            lambda w: f"/pupils/{w.people['p8b_1'].pk}/learning-log/",
            lambda w: {w.people["p8b_1"].pk},
        ),
        "learning-log/<int:entry_id>/": (
            "principal_norra",
            _own_entry_path,
            lambda w: {w.people["p8b_1"].pk},
        ),
    }
)
NO_PUPIL_DATA.update(
    {
        "matrices/": "assessment matrices: teaching material, no pupil data",
        "matrices/new/": "the matrix editor (teaching material)",
        "matrices/<int:matrix_id>/": "an assessment matrix (teaching material)",
        "matrices/<int:matrix_id>/copy/": "an assessment matrix (POST only)",
        "matrices/<int:matrix_id>/archive/": "an assessment matrix (POST only)",
        "matrices/<int:matrix_id>/delete/": "an assessment matrix (POST only)",
    }
)
PUPIL_DATA_ROUTES = set(PUPIL_DATA) | set(HTML_PUPIL_DATA)


@pytest.mark.parametrize("route", sorted(HTML_PUPIL_DATA))
def test_every_portal_page_with_pupil_data_writes_one_entry_naming_its_pupils(
    tenant_a: object, route: str
) -> None:
    with schema_context(TENANT_A.slug):
        world = build_world()
    actor_name, path_for, expected = HTML_PUPIL_DATA[route]
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users[actor_name])
    response = client.get(path_for(world))
    assert response.status_code == 200
    with schema_context(TENANT_A.slug):
        entries = list(AccessLogEntry.objects.all())
    assert len(entries) == 1
    assert set(entries[0].pupil_ids) == expected(world)
    assert entries[0].actor_id == world.users[actor_name].pk


# Administration pages (tests/portal/test_admin_pages.py): municipality administrators with a
# second factor only. None names a pupil of the register: counts, settings, accounts' actions,
# protected persons outside the register (logged as quarantine.list) and dry-run samples
# (logged as import.samples), as the API does.
NO_PUPIL_DATA.update(
    {
        "admin/": "administration overview: counts only",
        "admin/imports/": "import runs: status and counts, no names; the upload form",
        "admin/imports/sync/": "starts an API import (POST only)",
        "admin/imports/<int:run_id>/": "import run (dry-run samples logged as import.samples)",
        "admin/imports/<int:run_id>/progress/": "import run progress: phase and percent",
        "admin/imports/<int:run_id>/apply/": "applies a dry run (POST only)",
        "admin/imports/<int:run_id>/cancel/": "cancels a run (POST only)",
        "admin/quarantine/": "quarantined protected persons (logged as quarantine.list)",
        "admin/quarantine/<int:person_id>/admit/": "admission (logged as quarantine.admit)",
        "admin/users/<int:user_id>/active/": "account action (audited as accounts.set_active)",
        "admin/users/<int:user_id>/admin/": "account action (audited as accounts.set_admin)",
        "admin/access-log/": "read-log review (logged as access_log.review)",
        "admin/settings/": "the municipality's settings (changes audited as settings.change)",
        "admin/settings/lexicon/": "the text guard's word list",
        "admin/settings/lexicon/enabled/": "the text guard's word list (POST only)",
    }
)

# Development talks and IUPs in the portal (tests/portal/test_talk_pages.py): the autosaves,
# the inline agreed-action forms and the text check answer only with a status and what the
# teacher just sent (the pages are in HTML_PUPIL_DATA above).
PORTAL_WRITES = "portal write (POST only): answers with a status and the text just sent"
NO_PUPIL_DATA.update(
    {
        "pupils/<int:pupil_id>/talks/new/autosave/": PORTAL_WRITES,
        "talks/<int:talk_id>/autosave/": PORTAL_WRITES,
        "talks/<int:talk_id>/agreements/": PORTAL_WRITES,
        "talks/<int:talk_id>/agreements/<int:agreement_id>/follow-up/": PORTAL_WRITES,
        "pupils/<int:pupil_id>/iups/new/autosave/": PORTAL_WRITES,
        "iups/<int:iup_id>/autosave/": PORTAL_WRITES,
        "text-guard/findings/": "checks the caller's own text; stores and returns no pupil data",
    }
)

# Plan pages in the portal (tests/portal/test_plan_pages.py): a plan is about a group and names
# no pupil; each page is still logged (portal.plan.*, the plan in object_ref), as the API is.
NO_PUPIL_DATA.update(
    {
        "plans/": "my plans: no pupil named (logged as portal.plan.list)",
        "groups/<int:group_id>/plans/": "a group's plans: no pupil named (portal.plan.list)",
        "groups/<int:group_id>/plans/new/": "a new plan's form (logged as portal.plan.new)",
        "plans/<int:plan_id>/": "a group's plan: no pupil named (logged as portal.plan.detail)",
        "plans/<int:plan_id>/autosave/": PORTAL_WRITES,
        "plans/<int:plan_id>/curriculum/": "the curriculum picker's items (reference data)",
        "plans/<int:plan_id>/publish/": "a group's plan (logged as portal.plan.publish)",
        "plans/<int:plan_id>/versions/": "a group's plan (logged as portal.plan.versions)",
    }
)
