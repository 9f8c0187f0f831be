"""Incremental sync from the SS 12000 API, end to end: a full run, a day's changes on the
register's server, then an incremental run (``meta.modified.after`` + /deletedEntities since the
checkpoints) must leave the register a full run of the same day leaves.

Protected identity across runs: a person quarantined by an earlier run is not sent again by an
incremental one (unchanged), yet references to them in what changed (a class's memberships, a
pupil's guardians, an activity's teacher duty) must still be held back, not reported as unknown.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context

from integrations.models import (
    HeldDuty,
    ImportRun,
    ImportStatus,
    QuarantinedPerson,
    RegisterCheckpoint,
)
from integrations.records import Entity
from integrations.services.runs import import_run_create, import_run_execute
from integrations.synthetic.delta import DeltaResult, apply_delta
from integrations.synthetic.generator import SyntheticMunicipality, generate_municipality
from integrations.synthetic.ss12000_json import iter_entity_json
from register.models import ActivityTeacher, Duty
from tenants.models import Municipality
from tests.conftest import TENANT_A, TENANT_B
from tests.fakes.ss12000_server import FakeSS12000Server, running_fake_ss12000
from tests.integrations.test_import_bad_input import diff, issues_of, register_content
from tests.integrations.test_import_faults import connect

UNKNOWN = "refers to an unknown"


@pytest.fixture(scope="module")
def town() -> SyntheticMunicipality:
    return generate_municipality(pupils=300, seed=51)


@pytest.fixture(scope="module")
def next_day(town: SyntheticMunicipality) -> DeltaResult:
    return apply_delta(town, fraction=0.05, seed=1)


@pytest.fixture
def register_api(town: SyntheticMunicipality) -> Iterator[FakeSS12000Server]:
    with running_fake_ss12000(town, page_size=100) as server:
        yield server


def api_run(schema: str, *, incremental: bool) -> ImportRun:
    with schema_context(schema):
        run = import_run_create(
            source="ss12000-api", trigger="command", incremental=incremental, enqueue=False
        )
        import_run_execute(run_id=run.pk)
        run.refresh_from_db()
    assert (run.status, run.failure) == (ImportStatus.SUCCEEDED, "")
    return run


def unknown_references(schema: str, run: ImportRun) -> list[tuple[str, str, str, str]]:
    return [issue for issue in issues_of(schema, run) if UNKNOWN in issue[3]]


def test_an_incremental_run_leaves_the_register_a_full_run_leaves(
    tenant_a: Municipality,
    tenant_b: Municipality,
    register_api: FakeSS12000Server,
    next_day: DeltaResult,
) -> None:
    # Given Ale and Borås holding today's register, read in full from the API
    for schema in (TENANT_A.slug, TENANT_B.slug):
        connect(schema, register_api)
        api_run(schema, incremental=False)
    with schema_context(TENANT_A.slug):
        checkpoints = dict(RegisterCheckpoint.objects.values_list("entity", "modified_after"))
    assert sorted(checkpoints) == ["activity", "duty", "group", "organisation", "person"]
    # When the register changes overnight (left, joined, moved, renamed, newly protected)
    register_api.set_municipality(next_day.municipality)
    # And Ale reads only the changes, Borås everything
    register_api.clear_log()
    changes = api_run(TENANT_A.slug, incremental=True)
    incremental_requests = register_api.api_requests()
    everything = api_run(TENANT_B.slug, incremental=False)
    # Then the incremental run asked for changes and deletions only
    assert {r.path.rsplit("/", 1)[-1] for r in incremental_requests} == {
        "organisations", "persons", "groups", "duties", "activities", "deletedEntities",
    }  # fmt: skip
    assert all(
        r.param("meta.modified.after") or r.param("pageToken") or r.path.endswith("deletedEntities")
        for r in incremental_requests
    )
    assert changes.counts["person"]["read"] < everything.counts["person"]["read"] // 5
    # And both registers are the same, row for row
    assert diff(register_content(TENANT_B.slug), register_content(TENANT_A.slug)) == []
    # And the references both runs held back (to protected persons) are held back, not errors
    assert everything.counts["references"]["held_back"] > 0
    assert changes.counts["references"]["held_back"] > 0
    assert unknown_references(TENANT_A.slug, changes) == []
    assert unknown_references(TENANT_B.slug, everything) == []


def test_references_to_a_protected_teacher_stay_held_back_in_an_incremental_run(
    tenant_a: Municipality, tenant_b: Municipality
) -> None:
    # Given a member of staff with protected identity who teaches an activity: a full run holds
    # their duty back, and the activity's link to it
    town = generate_municipality(pupils=100, seed=52)
    activity = next(a for a in iter_entity_json(town, Entity.ACTIVITY) if a["teachers"])
    duty_id = activity["teachers"][0]["duty"]["id"]
    duty = next(d for d in iter_entity_json(town, Entity.DUTY) if d["id"] == duty_id)
    teacher = uuid.UUID(duty["person"]["id"])
    town.protect_staff_member(teacher)
    with running_fake_ss12000(town, page_size=100) as server:
        connect(TENANT_A.slug, server)
        first = api_run(TENANT_A.slug, incremental=False)
        with schema_context(TENANT_A.slug):
            assert QuarantinedPerson.objects.filter(source_id=teacher).exists()
            assert not Duty.objects.filter(source_id=duty_id).exists()
            assert list(HeldDuty.objects.values_list("source_id", "person_source_id")) == [
                (uuid.UUID(duty_id), teacher)
            ]
        assert unknown_references(TENANT_A.slug, first) == []
        # When only the activity changes overnight (the teacher and the duty do not)
        tomorrow = apply_delta(town, fraction=0.02, seed=1).municipality
        tomorrow.touch(uuid.UUID(activity["id"]))
        server.set_municipality(tomorrow)
        changes = api_run(TENANT_A.slug, incremental=True)
    # Then the incremental run read the activity again, not the duty, and held its link back
    assert changes.counts["activity"]["read"] >= 1
    assert changes.counts.get("duty", {}).get("read", 0) == 0
    assert unknown_references(TENANT_A.slug, changes) == []
    assert changes.counts["references"]["held_back"] >= 1
    with schema_context(TENANT_A.slug):
        assert not Duty.objects.filter(source_id=duty_id).exists()
        assert not ActivityTeacher.objects.filter(duty__source_id=duty_id).exists()
    # And Borås was not touched
    with schema_context(TENANT_B.slug):
        assert (HeldDuty.objects.count(), QuarantinedPerson.objects.count()) == (0, 0)
