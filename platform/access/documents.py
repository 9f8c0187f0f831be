"""Who may read and write pedagogical documentation: the rules every document type uses.

Documentation is need-to-know in a narrower sense than register data: the administrative
relations (school_admin, municipality_admin) that see pupil lists never read documentation.

Reading:
- staff with a *direct* relation to the pupil (teacher, mentor, assignment, principal) read
  drafts and published items, staff-only items included; for a group document, staff who teach,
  mentor or hold an allowed assignment role for the group, or lead its unit;
- the author always reads their own items;
- the pupil (self) and their counted guardians read *published* items whose visibility is
  "pupil_guardians" (never drafts, never staff-only items); for a group document, the group's
  current members and their guardians read its published items.
Writing: staff with a direct relation to the pupil (or the group), never pupils or guardians.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Q, QuerySet

from access.policy import (
    Actor,
    Relation,
    assigned_groups,
    my_duties,
    my_person_ids,
    pupils,
    relation_annotation,
    relation_conditions,
    taught_groups,
)
from register.models import Group, GroupMembership, Responsible
from register.models.base import current_q
from register.models.choices import AssignmentRoleType, DutyRole

STAFF_DOCUMENT_RELATIONS = frozenset(
    {Relation.TEACHER, Relation.MENTOR, Relation.ASSIGNMENT, Relation.PRINCIPAL}
)
FAMILY_RELATIONS = frozenset({Relation.SELF, Relation.GUARDIAN})
SHARED_VISIBILITY = "pupil_guardians"
# The staff relations in the policy's priority order (teacher before mentor, ...).
STAFF_RELATION_ORDER = ("teacher", "mentor", "assignment", "principal")
assert set(STAFF_RELATION_ORDER) == STAFF_DOCUMENT_RELATIONS


class DocumentAccessDenied(Exception):
    """The actor may not write this; callers answer 404 (the same as a missing pupil)."""


def _pupils_by(actor: Actor, relations: frozenset[str]) -> QuerySet[Any]:
    """Pupils reached through any of ``relations`` (not only the strongest relation: a teacher
    who is also a parent at the school reads their pupils' documentation as a teacher)."""
    if not actor.user.is_active:
        return pupils().none().values("pk")
    reached = Q(pk__in=[])
    for name, condition in relation_conditions(actor):
        if name in relations:
            reached |= condition
    return pupils().filter(reached).values("pk")


def staff_pupils(actor: Actor) -> QuerySet[Any]:
    """Ids of pupils whose documentation the actor reads and writes as staff."""
    return _pupils_by(actor, STAFF_DOCUMENT_RELATIONS)


def family_pupils(actor: Actor) -> QuerySet[Any]:
    """Ids of pupils whose published, shared documentation the actor reads as pupil/guardian."""
    return _pupils_by(actor, FAMILY_RELATIONS)


def staff_groups(actor: Actor) -> QuerySet[Any]:
    """Groups whose documents the actor reads and writes: taught, mentored or held by an
    allowed assignment role, or at a unit the actor leads as principal. Never through an
    administrative relation (school or municipality administrator)."""
    if not actor.user.is_active:
        return Group.objects.none().values("pk")
    roles = [AssignmentRoleType.MENTOR, *actor.settings.assignment_roles_with_access]
    led_orgs = ArraySubquery(
        my_duties(actor).filter(duty_role=DutyRole.PRINCIPAL).values("duty_at_id")
    )
    return (
        Group.objects.current(actor.on)
        .filter(
            Q(pk__in=taught_groups(actor))
            | Q(pk__in=assigned_groups(actor, roles))
            | Q(organisation__lineage__overlap=led_orgs)
        )
        .values("pk")
    )


def family_groups(actor: Actor) -> QuerySet[Any]:
    """Groups the actor (or a child they are responsible for) belongs to now."""
    me = my_person_ids(actor)
    children = Responsible.objects.filter(
        guardian__in=me, relation_type__in=actor.settings.guardian_relation_types
    ).values("pupil_id")
    return (
        GroupMembership.objects.filter(current_q(actor.on))
        .filter(Q(person__in=me) | Q(person__in=children))
        .values("group_id")
    )


def pupil_documents(
    actor: Actor,
    documents: QuerySet[Any],
    *,
    pupil_field: str = "pupil",
    author_field: str = "author",
    published_field: str = "published_at",
    visibility_field: str | None = "visibility",
) -> QuerySet[Any]:
    """``documents`` (about one pupil each) narrowed to those ``actor`` may read."""
    shared = Q(**{f"{published_field}__isnull": False})
    if visibility_field:
        shared &= Q(**{visibility_field: SHARED_VISIBILITY})
    return documents.filter(
        Q(**{f"{pupil_field}__in": staff_pupils(actor)})
        | Q(**{author_field: actor.user.pk})
        | (Q(**{f"{pupil_field}__in": family_pupils(actor)}) & shared)
    )


def group_documents(
    actor: Actor,
    documents: QuerySet[Any],
    *,
    group_field: str = "group",
    author_field: str = "author",
    published_field: str = "published_at",
) -> QuerySet[Any]:
    """``documents`` (about one group each) narrowed to those ``actor`` may read."""
    return documents.filter(
        Q(**{f"{group_field}__in": staff_groups(actor)})
        | Q(**{author_field: actor.user.pk})
        | (
            Q(**{f"{group_field}__in": family_groups(actor)})
            & Q(**{f"{published_field}__isnull": False})
        )
    )


def require_staff_pupil(actor: Actor, pupil_id: int) -> str:
    """The relation that lets ``actor`` write about this pupil; DocumentAccessDenied if none."""
    if actor.user.is_active:
        for name, condition in relation_conditions(actor):
            if (
                name in STAFF_DOCUMENT_RELATIONS
                and pupils().filter(condition, pk=pupil_id).exists()
            ):
                return name
    raise DocumentAccessDenied


def require_staff_group(actor: Actor, group_id: int) -> None:
    if not staff_groups(actor).filter(pk=group_id).exists():
        raise DocumentAccessDenied


def staff_pupil_relations(actor: Actor, pupil_ids: set[int]) -> dict[int, str]:
    """Of ``pupil_ids``, those the actor writes about as staff (exactly
    ``access.documents.staff_pupils``), with the relation that allows it (teacher before
    mentor, ...). One query.

    The relation is computed once, as a CASE over the staff relations, and pupils whose CASE
    is empty are dropped here: filtering with staff_pupils() as well would build and send every
    relation's subquery twice, which costs more than the rest of a 300-cell grid save.
    tests/documentation/assessments/test_grid_service.py proves the two agree for every actor.
    """
    rows = (
        pupils()
        .filter(pk__in=pupil_ids)
        .annotate(relation=relation_annotation(actor, STAFF_RELATION_ORDER))
        .values_list("pk", "relation")
    )
    return {pk: relation for pk, relation in rows if relation}
