"""The need-to-know matrix: for every actor and pupil, the policy's answer is the truth table's."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from access.policy import access_group_by_id, access_pupil_by_id, actor_for, group_members
from access.policy import visible_pupils as policy_visible_pupils
from municipal.selectors import municipal_settings_get
from register.models import Person
from tests.access.world import PUPILS, World, build_world
from tests.conftest import TENANT_A, QueryCounter

# actor -> {pupil: relation} for every pupil the actor may see (all others: not visible).
TRUTH: dict[str, dict[str, str]] = {
    "teacher_5a": {"p5a_1": "teacher", "p5a_2": "teacher"},
    "teacher_ma8b": {"p8b_1": "teacher", "p8b_protected": "teacher"},
    "teacher_ended": {},
    "teacher_idle": {},
    "mentor_8b": {"p8b_1": "mentor", "p8b_2": "mentor", "p8b_protected": "mentor"},
    "specped_5a": {"p5a_1": "assignment", "p5a_2": "assignment"},
    # Schemaläggare is not among the assignment roles that give access by default.
    "scheduler_3c": {},
    "principal_norra": {
        "p5a_1": "principal",
        "p5a_2": "principal",
        "p8b_1": "principal",
        "p8b_2": "principal",
        "p8b_protected": "principal",
    },
    # Administrative relations never reach a pupil with protected identity.
    "school_admin_norra": {
        "p5a_1": "school_admin",
        "p5a_2": "school_admin",
        "p8b_1": "school_admin",
        "p8b_2": "school_admin",
    },
    "municipality_admin": {
        "p5a_1": "municipality_admin",
        "p5a_2": "municipality_admin",
        "p8b_1": "municipality_admin",
        "p8b_2": "municipality_admin",
        "p3c_1": "municipality_admin",
    },
    "pupil_p5a_1": {"p5a_1": "self"},
    "pupil_p8b_protected": {"p8b_protected": "self"},
    "mother_p5a_1": {"p5a_1": "guardian"},
    "father_p5a_1": {"p5a_1": "guardian"},
    # "Annan ansvarig" is not counted unless the municipality says so.
    "foster_p8b_2": {},
    "parent_p8b_protected": {"p8b_protected": "guardian"},
    # The child left the school: nobody sees them as a current pupil any more.
    "parent_p_left": {},
}
# Groups whose member lists each actor may open (their members follow from the table above,
# minus protected identities, which never appear in lists).
GROUPS: dict[str, set[str]] = {
    "teacher_5a": {"5A"},
    "teacher_ma8b": {"Ma8B"},
    "mentor_8b": {"8B"},
    "specped_5a": {"5A"},
    "principal_norra": {"5A", "8B", "Ma8B"},
    "school_admin_norra": {"5A", "8B", "Ma8B"},
    "municipality_admin": {"5A", "8B", "Ma8B", "3C"},
}


@pytest.fixture
def world(tenant_a: object) -> World:
    with schema_context(TENANT_A.slug):
        return build_world()


@pytest.mark.parametrize("actor_name", sorted(TRUTH))
def test_visible_pupils_match_the_truth_table(world: World, actor_name: str) -> None:
    with schema_context(TENANT_A.slug):
        actor = actor_for(world.users[actor_name])
        seen = {p.given_name: p.relation for p in policy_visible_pupils(actor)}
    assert seen == TRUTH[actor_name]


@pytest.mark.parametrize("actor_name", sorted(TRUTH))
def test_access_pupil_by_id_matches_the_truth_table(world: World, actor_name: str) -> None:
    with schema_context(TENANT_A.slug):
        actor = actor_for(world.users[actor_name])
        for pupil_name in PUPILS:
            pupil_id = world.people[pupil_name].pk
            if pupil_name in TRUTH[actor_name]:
                pupil = access_pupil_by_id(actor, pupil_id)
                assert pupil.relation == TRUTH[actor_name][pupil_name]  # type: ignore[attr-defined]
            else:
                with pytest.raises(Person.DoesNotExist):
                    access_pupil_by_id(actor, pupil_id)


@pytest.mark.parametrize("actor_name", sorted(TRUTH))
def test_group_member_lists_match_the_truth_table(world: World, actor_name: str) -> None:
    with schema_context(TENANT_A.slug):
        actor = actor_for(world.users[actor_name])
        for group_name, group in world.groups.items():
            if group_name not in GROUPS.get(actor_name, set()):
                with pytest.raises(type(group).DoesNotExist):
                    access_group_by_id(actor, group.pk)
                continue
            members = {
                p.given_name for p in group_members(actor, access_group_by_id(actor, group.pk))
            }
            in_group = {
                name
                for name in TRUTH[actor_name]
                if group.memberships.filter(person__given_name=name).exists()
            }
            assert members == in_group - {"p8b_protected"}


def test_a_municipality_can_let_other_responsibles_see(world: World) -> None:
    with schema_context(TENANT_A.slug):
        settings = municipal_settings_get()
        settings.guardian_relation_types = ["Vårdnadshavare", "Annan ansvarig"]
        settings.save()
        actor = actor_for(world.users["foster_p8b_2"])
        assert {p.given_name: p.relation for p in policy_visible_pupils(actor)} == {
            "p8b_2": "guardian"
        }


def test_a_deactivated_account_sees_nobody(world: World) -> None:
    with schema_context(TENANT_A.slug):
        user = world.users["principal_norra"]
        user.is_active = False
        user.save()
        assert list(policy_visible_pupils(actor_for(user))) == []


def test_a_pupil_who_gains_a_protected_identity_leaves_administrative_views(world: World) -> None:
    with schema_context(TENANT_A.slug):
        pupil = world.people["p5a_2"]
        pupil.security_marking = "Sekretessmarkering"
        pupil.save()
        admin = actor_for(world.users["school_admin_norra"])
        teacher = actor_for(world.users["teacher_5a"])
        assert "p5a_2" not in {p.given_name for p in policy_visible_pupils(admin)}
        assert "p5a_2" in {p.given_name for p in policy_visible_pupils(teacher)}
        assert "p5a_2" not in {p.given_name for p in group_members(teacher, world.groups["5A"])}


def test_the_pupil_list_is_one_query_whatever_its_size(
    world: World, count_queries: type[QueryCounter]
) -> None:
    with schema_context(TENANT_A.slug):
        actor = actor_for(world.users["principal_norra"])
        with count_queries() as queries:
            assert len(list(policy_visible_pupils(actor))) == 5
    assert queries.count == 1
