"""Every plans endpoint that answers with documentation writes exactly one read-log entry:
naming the pupils whose entries it carried (with the relation that allowed it), or, for a
group's plan, no pupil and the plan in object_ref. Refusals write none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.access.world import World
from tests.conftest import TENANT_A
from tests.documentation.plans.support import PERIOD, SUBJECT, entry_make, log_entries, plan_make

ClientFor = Callable[[str], Client]


def call(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(
        path, body or {}, content_type="application/json", HTTP_X_REQUEST_ID="req-plans-1"
    )


def _one_new_entry(before: int) -> Any:
    entries = log_entries()
    assert len(entries) == before + 1, [(e.resource, e.object_ref) for e in entries[before:]]
    return entries[-1]


@pytest.mark.parametrize(
    ("method", "path", "body", "resource", "ref"),
    [
        ("get", "/api/v1/plans", None, "plans.plan.list", ""),
        ("get", "/api/v1/plans?group={group}", None, "plans.plan.list", "group={group}"),
        ("get", "/api/v1/plans/{plan}", None, "plans.plan.detail", "plan:{plan}"),
        ("get", "/api/v1/plans/{plan}/versions", None, "plans.plan.versions", "plan:{plan}"),
        ("patch", "/api/v1/plans/{draft}", {"title": "Nytt"}, "plans.plan.update", "plan:{draft}"),
        ("post", "/api/v1/plans/{draft}/publish", None, "plans.plan.publish", "plan:{draft}"),
        ("post", "/api/v1/plans/{draft}/archive", None, "plans.plan.archive", "plan:{draft}"),
        ("post", "/api/v1/plans", "new", "plans.plan.create", "plan:"),
    ],
)
def test_each_plan_endpoint_logs_one_entry_without_pupils(
    world: World,
    client_for: ClientFor,
    method: str,
    path: str,
    body: Any,
    resource: str,
    ref: str,
) -> None:
    with schema_context(TENANT_A.slug):
        ids = {
            "plan": plan_make(world, published=True).pk,
            "draft": plan_make(world).pk,
            "group": world.groups["5A"].pk,
        }
    if body == "new":
        body = {
            "group_id": ids["group"],
            "title": "Ny plan",
            "subject_code": SUBJECT,
            "period_start": PERIOD[0].isoformat(),
            "period_end": PERIOD[1].isoformat(),
        }
    teacher = client_for("teacher_5a")
    before = len(log_entries())
    response = call(teacher, method, path.format(**ids), body)
    assert response.status_code in (200, 201), response.content
    entry = _one_new_entry(before)
    assert (entry.resource, entry.pupil_ids, entry.relations) == (resource, [], {})
    assert entry.object_ref.startswith(ref.format(**ids))
    assert (entry.actor_id, entry.actor_role) == (world.users["teacher_5a"].pk, "staff")
    assert entry.request_id == "req-plans-1"


def test_a_guardians_plan_read_is_logged_with_their_role(
    world: World, client_for: ClientFor
) -> None:
    with schema_context(TENANT_A.slug):
        plan = plan_make(world, published=True)
    mother = client_for("mother_p5a_1")
    mother.get(f"/api/v1/plans/{plan.pk}")
    (entry,) = log_entries()
    assert (entry.actor_role, entry.resource) == ("pupil_or_guardian", "plans.plan.detail")


def test_the_entry_list_names_exactly_the_pupils_on_the_page(
    world: World, client_for: ClientFor
) -> None:
    with schema_context(TENANT_A.slug):
        entry_make(world, pupil="p5a_1")
        entry_make(world, pupil="p5a_2", visibility="staff")
        entry_make(world, pupil=None, group="5A")
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    # the teacher reads both pupils' entries and the group's
    client_for("teacher_5a").get("/api/v1/formative-entries")
    # the mother reads her child's and the group's
    client_for("mother_p5a_1").get("/api/v1/formative-entries")
    # a filter that returns nothing is logged too, with what was asked
    client_for("mother_p5a_1").get("/api/v1/formative-entries", {"pupil": p2})
    teacher_read, mother_read, empty_read = log_entries()
    assert (teacher_read.pupil_ids, teacher_read.relations, teacher_read.actor_role) == (
        sorted([p1, p2]),
        {str(p1): "teacher", str(p2): "teacher"},
        "teacher",
    )
    assert (mother_read.pupil_ids, mother_read.relations, mother_read.actor_role) == (
        [p1],
        {str(p1): "guardian"},
        "guardian",
    )
    assert (empty_read.pupil_ids, empty_read.object_ref) == ([], f"pupil={p2}")
    assert {e.resource for e in (teacher_read, mother_read, empty_read)} == {
        "plans.formative_entry.list"
    }


def test_entry_detail_create_and_update_each_log_once(world: World, client_for: ClientFor) -> None:
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    teacher = client_for("teacher_5a")
    created = call(
        teacher,
        "post",
        "/api/v1/formative-entries",
        {"pupil_ids": [p1, p2], "text": "Bra samarbete i gruppen.", "visibility": "staff"},
    ).json()
    entry_id = created["entries"][0]["id"]
    call(teacher, "get", f"/api/v1/formative-entries/{entry_id}")
    call(teacher, "patch", f"/api/v1/formative-entries/{entry_id}", {"text": "Gott samarbete."})
    create, detail, update = log_entries()
    assert (create.resource, sorted(create.pupil_ids), create.object_ref) == (
        "plans.formative_entry.create",
        sorted([p1, p2]),
        f"batch:{created['batch']}",
    )
    pupil = created["entries"][0]["pupil"]["id"]
    for entry, resource in ((detail, "detail"), (update, "update")):
        assert entry.resource == f"plans.formative_entry.{resource}"
        assert (entry.pupil_ids, entry.relations) == ([pupil], {str(pupil): "teacher"})
        assert entry.object_ref == f"entry:{entry_id} pupil:{pupil}"


def test_a_group_entry_names_no_pupil_but_the_group(world: World, client_for: ClientFor) -> None:
    with schema_context(TENANT_A.slug):
        entry = entry_make(world, pupil=None, group="8B", author="mentor_8b")
    client_for("pupil_p8b_protected").get(f"/api/v1/formative-entries/{entry.pk}")
    (logged,) = log_entries()
    assert (logged.pupil_ids, logged.object_ref) == ([], f"entry:{entry.pk} group:{entry.group_id}")
    assert logged.actor_role == "pupil_or_guardian"


def test_refusals_and_missing_objects_log_nothing(world: World, client_for: ClientFor) -> None:
    with schema_context(TENANT_A.slug):
        plan = plan_make(world)
        entry = entry_make(world, pupil="p5a_1", visibility="staff")
    outsider = client_for("teacher_ma8b")
    for_5a = {"group_id": world.groups["5A"].pk, "text": "x", "visibility": "staff"}
    for method, path, body in (
        ("get", f"/api/v1/plans/{plan.pk}", None),
        ("get", f"/api/v1/plans/{plan.pk}/versions", None),
        ("patch", f"/api/v1/plans/{plan.pk}", {"title": "x"}),
        ("post", f"/api/v1/plans/{plan.pk}/publish", None),
        ("get", f"/api/v1/formative-entries/{entry.pk}", None),
        ("patch", f"/api/v1/formative-entries/{entry.pk}", {"text": "x"}),
        ("post", "/api/v1/formative-entries", for_5a),
        ("get", "/api/v1/formative-entries/999999999", None),
    ):  # fmt: skip
        assert call(outsider, method, path, body).status_code == 404, path
    assert log_entries() == []
