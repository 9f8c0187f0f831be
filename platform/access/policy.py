"""The need-to-know access policy: the one place that answers "who may see which pupil".

Everything that reads pupil data (API, portal, exports, reports, tasks acting for a user) goes
through these functions. Each answers with a queryset that carries the *relation* that allowed
the read (for the read log), and "not yours" is indistinguishable from "missing".

Relations, strongest first:
- self: the pupil themself;
- guardian: a responsible adult whose relation type the municipality counts (Vårdnadshavare by
  default);
- teacher: teaches an activity of one of the pupil's groups (a current duty, activity, teacher
  assignment and membership);
- mentor / assignment: has a mentor role (or another assignment role the municipality allows)
  for one of the pupil's groups;
- principal: has a current Rektor duty at the pupil's school unit or an organisation above it;
- school_admin: has a current Skoladministratör duty there;
- municipality_admin: administers the municipality.
Pupils with protected identity (any security marking but "Ingen") are reached only through the
direct relations (the first five and principal), never through the administrative ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from accounts.models import User
from core.db import connection
from municipal.models import MunicipalSettings
from municipal.selectors import municipal_settings_get
from register.models import (
    Activity,
    ActivityTeacher,
    AssignmentRole,
    Duty,
    Enrolment,
    Group,
    GroupMembership,
    Person,
    Responsible,
)
from register.models.base import today
from register.models.choices import AssignmentRoleType, DutyRole, SecurityMarking

# A subquery of ids (``.values("pk")``), used inside IN (...): typed loosely on purpose.
IdQuery = QuerySet[Any, Any]


class Relation:
    SELF = "self"
    GUARDIAN = "guardian"
    TEACHER = "teacher"
    MENTOR = "mentor"
    ASSIGNMENT = "assignment"
    PRINCIPAL = "principal"
    SCHOOL_ADMIN = "school_admin"
    MUNICIPALITY_ADMIN = "municipality_admin"


DIRECT_RELATIONS = frozenset(
    {
        Relation.SELF,
        Relation.GUARDIAN,
        Relation.TEACHER,
        Relation.MENTOR,
        Relation.ASSIGNMENT,
        Relation.PRINCIPAL,
    }
)


@dataclass(frozen=True)
class Actor:
    """Who is asking, with the municipality's policy settings (fetched once per request)."""

    user: User
    settings: MunicipalSettings
    on: dt.date


def actor_for(user: User, *, on: dt.date | None = None) -> Actor:
    return Actor(user=user, settings=municipal_settings_get(), on=on or today())


# --- Building blocks (each a subquery: the whole policy runs as one SQL statement) --------------


def my_person_ids(actor: Actor) -> IdQuery:
    return Person.objects.filter(user_id=actor.user.pk, removed_at__isnull=True).values("pk")


def my_duties(actor: Actor) -> QuerySet[Duty]:
    return Duty.objects.current(actor.on).filter(person__in=my_person_ids(actor))


def taught_groups(actor: Actor) -> IdQuery:
    teaching = ActivityTeacher.objects.current(actor.on).filter(duty__in=my_duties(actor))
    activities = Activity.objects.current(actor.on).filter(teachers__in=teaching)
    return Group.objects.current(actor.on).filter(activities__in=activities).values("pk")


def assigned_groups(actor: Actor, role_types: list[str]) -> IdQuery:
    roles = AssignmentRole.objects.current(actor.on).filter(
        duty__in=my_duties(actor), role_type__in=role_types
    )
    return Group.objects.current(actor.on).filter(assignment_roles__in=roles).values("pk")


def members_of(actor: Actor, groups: IdQuery) -> IdQuery:
    return GroupMembership.objects.current(actor.on).filter(group__in=groups).values("person_id")


def enrolled_under(actor: Actor, duty_role: str) -> IdQuery:
    """Pupils enrolled at a unit at or below an organisation where I hold ``duty_role``."""
    led_orgs = ArraySubquery(my_duties(actor).filter(duty_role=duty_role).values("duty_at_id"))
    return (
        Enrolment.objects.current(actor.on)
        .filter(cancelled=False, school_unit__lineage__overlap=led_orgs)
        .values("person_id")
    )


def _other_assignment_roles(actor: Actor) -> list[str]:
    return [
        r for r in actor.settings.assignment_roles_with_access if r != AssignmentRoleType.MENTOR
    ]


def relation_conditions(actor: Actor) -> list[tuple[str, Q]]:
    """(relation, condition on Person) in priority order; the first that holds is recorded."""
    unprotected = Q(security_marking=SecurityMarking.NONE)
    conditions = [
        (Relation.SELF, Q(pk__in=my_person_ids(actor))),
        (
            Relation.GUARDIAN,
            Q(
                pk__in=Responsible.objects.filter(
                    guardian__in=my_person_ids(actor),
                    relation_type__in=actor.settings.guardian_relation_types,
                ).values("pupil_id")
            ),
        ),
        (Relation.TEACHER, Q(pk__in=members_of(actor, taught_groups(actor)))),
        (
            Relation.MENTOR,
            Q(pk__in=members_of(actor, assigned_groups(actor, [AssignmentRoleType.MENTOR]))),
        ),
        (
            Relation.ASSIGNMENT,
            Q(pk__in=members_of(actor, assigned_groups(actor, _other_assignment_roles(actor)))),
        ),
        (Relation.PRINCIPAL, Q(pk__in=enrolled_under(actor, DutyRole.PRINCIPAL))),
        (
            Relation.SCHOOL_ADMIN,
            Q(pk__in=enrolled_under(actor, DutyRole.SCHOOL_ADMINISTRATOR)) & unprotected,
        ),
    ]
    if actor.user.is_municipality_admin:
        conditions.append((Relation.MUNICIPALITY_ADMIN, unprotected))
    return conditions


def pupils() -> QuerySet[Person]:
    """Everyone with a current, non-cancelled enrolment who is still in the register."""
    enrolled = Enrolment.objects.current().filter(person=OuterRef("pk"), cancelled=False)
    return Person.objects.filter(Exists(enrolled), removed_at__isnull=True)


# --- The questions everything else asks ----------------------------------------------------------


def visible_pupils(actor: Actor) -> QuerySet[Person]:
    """The pupils ``actor`` may see, each annotated with ``relation``. One SQL statement."""
    conditions = relation_conditions(actor)
    if not actor.user.is_active:
        return Person.objects.none()
    any_relation = Q()
    for _relation, condition in conditions:
        any_relation |= condition
    relation = Case(
        *(When(condition, then=Value(name)) for name, condition in conditions),
        output_field=CharField(),
    )
    return pupils().filter(any_relation).annotate(relation=relation)


def access_pupil_by_id(actor: Actor, pupil_id: int) -> Person:
    """The pupil, if ``actor`` may see them; Person.DoesNotExist otherwise (one answer, 404)."""
    return visible_pupils(actor).get(pk=pupil_id)


def visible_groups(actor: Actor) -> QuerySet[Group]:
    """Groups whose member lists ``actor`` may see: taught, assigned, or at a unit they lead."""
    user = actor.user
    if not user.is_active:
        return Group.objects.none()
    groups = Group.objects.current(actor.on)
    if user.is_municipality_admin:
        return groups
    roles = [AssignmentRoleType.MENTOR, *_other_assignment_roles(actor)]
    led_orgs = ArraySubquery(
        my_duties(actor)
        .filter(duty_role__in=[DutyRole.PRINCIPAL, DutyRole.SCHOOL_ADMINISTRATOR])
        .values("duty_at_id")
    )
    return groups.filter(
        Q(pk__in=taught_groups(actor))
        | Q(pk__in=assigned_groups(actor, roles))
        | Q(organisation__lineage__overlap=led_orgs)
    )


def family_children(actor: Actor) -> QuerySet[Person]:
    """The current pupils the actor is a counted responsible adult for (the child switcher)."""
    children = Responsible.objects.filter(
        guardian__in=my_person_ids(actor),
        relation_type__in=actor.settings.guardian_relation_types,
    ).values("pupil_id")
    return pupils().filter(pk__in=children).order_by("given_name", "family_name", "pk")


def access_group_by_id(actor: Actor, group_id: int) -> Group:
    return visible_groups(actor).get(pk=group_id)


def group_members(actor: Actor, group: Group) -> QuerySet[Person]:
    """A group's current members as a list: pupils with protected identity never appear here,
    whatever the actor's relation (they are reached one by one, through a direct relation)."""
    in_group = GroupMembership.objects.current(actor.on).filter(group=group).values("person_id")
    return (
        visible_pupils(actor)
        .filter(pk__in=in_group, security_marking=SecurityMarking.NONE)
        .order_by("family_name", "given_name", "pk")
    )


# --- The relation per pupil as one compiled SQL expression ----------------------------------


def relation_case(actor: Actor, order: tuple[str, ...]) -> Case:
    """The first relation of ``order`` that holds for a pupil, "" when none does (inactive
    users reach nobody, as in access.documents)."""
    conditions = dict(relation_conditions(actor)) if actor.user.is_active else {}
    return Case(
        *(When(conditions[name], then=Value(name)) for name in order if name in conditions),
        default=Value(""),
        output_field=CharField(),
    )


# Compiled relation CASEs, by everything their SQL depends on (see _relation_key). Building the
# policy's nested querysets and compiling them costs tens of milliseconds of CPU per request,
# more than the rest of a 300-cell grid save; the SQL text and parameters are a pure function
# of the key (what the relations find is decided when the statement runs), so it is compiled
# once per worker process and key.
_RELATION_SQL: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}
_RELATION_SQL_MAX = 1024


def _relation_key(actor: Actor, order: tuple[str, ...]) -> tuple[Any, ...]:
    """Everything access.policy.relation_conditions reads from the actor (keep in step with it:
    tests/documentation/assessments/test_grid_service.py proves the cached CASE agrees with
    access.documents.staff_pupils for every actor)."""
    user, settings = actor.user, actor.settings
    return (
        connection.schema_name,
        user.pk,
        user.is_active,
        user.is_municipality_admin,
        user.is_school_staff,
        actor.on,
        tuple(settings.guardian_relation_types),
        tuple(settings.assignment_roles_with_access),
        order,
    )


def relation_annotation(actor: Actor, order: tuple[str, ...]) -> RawSQL:
    """``_relation_case`` for a Person query (its table unaliased), compiled once per key."""
    key = _relation_key(actor, order)
    compiled = _RELATION_SQL.get(key)
    if compiled is None:
        query = Person.objects.all().query
        case = relation_case(actor, order).resolve_expression(query)
        sql, params = query.get_compiler(connection=connection).compile(case)
        compiled = (sql, tuple(params))
        if len(_RELATION_SQL) >= _RELATION_SQL_MAX:
            _RELATION_SQL.clear()
        _RELATION_SQL[key] = compiled
    # Django's own compiled SQL with its parameters kept apart: nothing from a request in it.
    return RawSQL(compiled[0], compiled[1], output_field=CharField())  # noqa: S611
