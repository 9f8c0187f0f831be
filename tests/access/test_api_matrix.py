"""The need-to-know matrix over HTTP, the read log of every pupil endpoint, cross-tenant refusals
and query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from access.readlog.models import AccessLogEntry
from tests.access.http import signed_in_client
from tests.access.test_policy_matrix import GROUPS, TRUTH
from tests.access.world import PUPILS, World, build_world
from tests.conftest import TENANT_A, TENANT_B, QueryCounter
from tests.factories import EnrolmentFactory, MembershipFactory, PersonFactory


@pytest.fixture
def world(tenant_a: object) -> World:
    with schema_context(TENANT_A.slug):
        return build_world()


def log_entries(schema: str = TENANT_A.slug) -> list[AccessLogEntry]:
    with schema_context(schema):
        return list(AccessLogEntry.objects.order_by("id"))


@pytest.mark.parametrize("actor_name", sorted(TRUTH))
def test_the_http_answers_match_the_truth_table(world: World, actor_name: str) -> None:
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users[actor_name])
    # The list shows exactly the visible pupils, each with the relation that allowed it
    listed = client.get("/api/v1/pupils").json()["results"]
    assert {p["given_name"]: p["relation"] for p in listed} == TRUTH[actor_name]
    # Each pupil's page answers 200 when visible, and the same 404 when not (or missing)
    for pupil_name in PUPILS:
        response = client.get(f"/api/v1/pupils/{world.people[pupil_name].pk}")
        expected = 200 if pupil_name in TRUTH[actor_name] else 404
        assert (pupil_name, response.status_code) == (pupil_name, expected)
    assert client.get("/api/v1/pupils/999999999").status_code == 404
    # Group member lists: only openable groups, never a protected identity in them
    for group_name, group in world.groups.items():
        response = client.get(f"/api/v1/groups/{group.pk}")
        if group_name not in GROUPS.get(actor_name, set()):
            assert response.status_code == 404
            continue
        members = {m["given_name"] for m in response.json()["members"]}
        assert "p8b_protected" not in members
        assert members <= set(TRUTH[actor_name])


def test_staff_without_a_verified_second_factor_get_no_pupil_data(world: World) -> None:
    from tests.accounts.support import sign_in

    client = Client(HTTP_HOST=TENANT_A.domain)
    assert sign_in(client, world.users["teacher_5a"].username).status_code == 302
    before = len(log_entries())
    response = client.get("/api/v1/pupils")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    assert len(log_entries()) == before


def test_anonymous_requests_get_no_pupil_data(world: World) -> None:
    client = Client(HTTP_HOST=TENANT_A.domain)
    pupil_id = world.people["p5a_1"].pk
    for path in ("/api/v1/pupils", f"/api/v1/pupils/{pupil_id}", "/api/v1/groups"):
        assert client.get(path).status_code == 403
    assert log_entries() == []


def test_the_list_and_detail_write_one_entry_each_with_relations(world: World) -> None:
    teacher = world.users["teacher_5a"]
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, teacher)
    client.get("/api/v1/pupils", HTTP_X_REQUEST_ID="req-list-0001", HTTP_USER_AGENT="pytest-ua")
    client.get(f"/api/v1/pupils/{world.people['p5a_2'].pk}", HTTP_X_REQUEST_ID="req-detail-01")
    client.get(f"/api/v1/pupils/{world.people['p8b_1'].pk}")  # not visible: 404, no entry
    entries = log_entries()
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    assert [
        (e.actor_id, e.actor_role, sorted(e.pupil_ids), e.relations, e.resource, e.request_id)
        for e in entries
    ] == [
        (teacher.pk, "teacher", sorted([p1, p2]), {str(p1): "teacher", str(p2): "teacher"},
         "pupil.list", "req-list-0001"),
        (teacher.pk, "teacher", [p2], {str(p2): "teacher"}, "pupil.detail", "req-detail-01"),
    ]  # fmt: skip
    assert entries[0].user_agent == "pytest-ua"
    assert entries[0].ip == "127.0.0.1"


def test_a_group_member_list_is_logged_with_its_members(world: World) -> None:
    mentor = world.users["mentor_8b"]
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, mentor)
    group = world.groups["8B"]
    members = client.get(f"/api/v1/groups/{group.pk}").json()["members"]
    (entry,) = log_entries()
    assert sorted(entry.pupil_ids) == sorted(m["id"] for m in members)
    assert (entry.resource, entry.object_ref) == ("group.members", f"group:{group.pk}")


def test_search_by_name(world: World) -> None:
    with schema_context(TENANT_A.slug):
        pupil = world.people["p5a_2"]
        pupil.family_name = "Åkerström"
        pupil.save()
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users["principal_norra"])
    found = client.get("/api/v1/pupils", {"q": "åkerström"}).json()["results"]
    assert [p["given_name"] for p in found] == ["p5a_2"]


def test_civic_numbers_are_masked_except_for_administrators(world: World) -> None:
    pupil = world.people["p5a_1"]
    teacher = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users["teacher_5a"])
    admin = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users["school_admin_norra"])
    assert teacher.get(f"/api/v1/pupils/{pupil.pk}").json()["civic_no"] == (
        f"{pupil.civic_no[:8]}-****"
    )
    assert admin.get(f"/api/v1/pupils/{pupil.pk}").json()["civic_no"] == pupil.civic_no


def test_a_protected_guardian_is_not_in_a_pupils_contact_list(world: World) -> None:
    with schema_context(TENANT_A.slug):
        father = world.people["father_p5a_1"]
        father.security_marking = "Skyddad folkbokföring"
        father.save()
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users["teacher_5a"])
    detail = client.get(f"/api/v1/pupils/{world.people['p5a_1'].pk}").json()
    assert [r["given_name"] for r in detail["responsibles"]] == ["mother_p5a_1"]


# --- Cross-tenant -------------------------------------------------------------------------------


@pytest.fixture
def world_b(tenant_b: object) -> World:
    with schema_context(TENANT_B.slug):
        return build_world(prefix="b-")


def test_a_session_of_a_reads_nothing_on_bs_host(world: World, world_b: World) -> None:
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users["principal_norra"])
    client.defaults["HTTP_HOST"] = TENANT_B.domain
    pupil_in_b = world_b.people["p5a_1"].pk
    group_in_b = world_b.groups["5A"].pk
    for path in (
        "/api/v1/pupils",
        f"/api/v1/pupils/{pupil_in_b}",
        "/api/v1/groups",
        f"/api/v1/groups/{group_in_b}",
    ):
        assert client.get(path).status_code == 403
    assert log_entries(TENANT_B.slug) == []


def test_ids_of_a_are_not_found_on_b(world: World, world_b: World) -> None:
    # A principal in B asks for ids that belong to A's pupils only
    with schema_context(TENANT_B.slug):
        extra = PersonFactory(given_name="only_in_b_numbering")  # shift B's ids past A's
    client = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["principal_norra"])
    visible_in_b = {p["id"] for p in client.get("/api/v1/pupils").json()["results"]}
    for name in PUPILS:
        pupil_id = world.people[name].pk
        if pupil_id not in visible_in_b:
            assert client.get(f"/api/v1/pupils/{pupil_id}").status_code == 404
    assert extra.pk not in visible_in_b


# --- Query counts ---------------------------------------------------------------------------------


def _class_of(size: int, world: World) -> None:
    with schema_context(TENANT_A.slug):
        unit = world.groups["5A"].organisation
        for index in range(size):
            person = PersonFactory(given_name=f"extra{index}")
            EnrolmentFactory(person=person, school_unit=unit)
            MembershipFactory(person=person, group=world.groups["5A"])


@pytest.mark.parametrize("path", ["/api/v1/pupils", "/api/v1/groups/{group}"])
def test_a_list_takes_the_same_number_of_queries_for_2_and_30_pupils(
    world: World, path: str, count_queries: type[QueryCounter]
) -> None:
    client = signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users["teacher_5a"])
    url = path.format(group=world.groups["5A"].pk)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _class_of(28, world)
    with count_queries() as large:
        body = client.get(url).json()
    size = len(body.get("results", body.get("members", [])))
    assert size == 30
    assert large.count == small.count
    assert large.count <= 12, "\n".join(large.statements)
