"""Reading plans, templates and the formative log: always narrowed by ``access.documents``.

"Not yours" and "missing" raise the same ``DoesNotExist`` (HTTP 404).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Case, CharField, Q, QuerySet, Value, When

from access.documents import (
    FAMILY_RELATIONS,
    SHARED_VISIBILITY,
    STAFF_DOCUMENT_RELATIONS,
    group_documents,
    pupil_documents,
    staff_groups,
)
from access.policy import Actor, my_duties, pupils, relation_conditions
from documentation.plans.models import (
    FormativeEntry,
    PedagogicalPlan,
    PlanTemplate,
    PlanVersion,
    TemplateScope,
)
from register.models import Organisation

DOCUMENT_RELATIONS = STAFF_DOCUMENT_RELATIONS | FAMILY_RELATIONS
# The read log's relation for a document the actor reads only because they wrote it (e.g. a
# teacher whose duty ended, about a pupil who left).
AUTHOR_RELATION = "author"

# --- Plans ---------------------------------------------------------------------------------------


def plans_readable(actor: Actor) -> QuerySet[PedagogicalPlan]:
    """Plans ``actor`` may read: drafts for the author and staff of the group (or of one of the
    activity's groups); published plans also for the group's members and their guardians."""
    group_plans = group_documents(actor, PedagogicalPlan.objects.filter(group__isnull=False))
    activity_plans = group_documents(
        actor,
        PedagogicalPlan.objects.filter(activity__isnull=False),
        group_field="activity__groups",
    )
    return group_plans | PedagogicalPlan.objects.filter(pk__in=activity_plans.values("pk"))


def plan_list(
    actor: Actor,
    *,
    group_id: int | None = None,
    activity_id: int | None = None,
    archived: bool = False,
) -> QuerySet[PedagogicalPlan]:
    plans = plans_readable(actor).filter(archived_at__isnull=not archived)
    if group_id is not None:
        plans = plans.filter(group_id=group_id)
    if activity_id is not None:
        plans = plans.filter(activity_id=activity_id)
    return plans.select_related("group", "activity", "author").order_by(
        "-period_start", "title", "pk"
    )


def plan_get(actor: Actor, plan_id: int) -> PedagogicalPlan:
    return plans_readable(actor).select_related("group", "activity", "author").get(pk=plan_id)


def plan_versions(actor: Actor, plan_id: int) -> tuple[PedagogicalPlan, QuerySet[PlanVersion]]:
    plan = plan_get(actor, plan_id)
    return plan, plan.versions.select_related("author").order_by("version")


# --- Templates -----------------------------------------------------------------------------------


def _is_staff(actor: Actor) -> bool:
    return bool(
        actor.user.is_active and (actor.user.is_school_staff or actor.user.is_municipality_admin)
    )


def template_organisations(actor: Actor, *, prefix: str = "organisation__") -> Q:
    """Condition on organisations (through ``prefix``; "" for Organisation itself) whose
    templates the actor shares: where they hold a current duty, those above it and below it."""
    duty_orgs = list(
        Organisation.objects.filter(pk__in=my_duties(actor).values("duty_at_id")).values_list(
            "pk", "lineage"
        )
    )
    at_or_above = {org for _pk, lineage in duty_orgs for org in lineage} | {
        pk for pk, _lineage in duty_orgs
    }
    return Q(**{f"{prefix}pk__in": at_or_above}) | Q(
        **{f"{prefix}lineage__overlap": [pk for pk, _lineage in duty_orgs]}
    )


def templates_visible(actor: Actor) -> QuerySet[PlanTemplate]:
    """Templates for staff: the municipality's, and those of the schools they work at."""
    if not _is_staff(actor):
        return PlanTemplate.objects.none()
    templates = PlanTemplate.objects.filter(archived_at__isnull=True)
    if actor.user.is_municipality_admin:
        return templates
    return templates.filter(
        Q(scope=TemplateScope.MUNICIPALITY)
        | (Q(scope=TemplateScope.ORGANISATION) & template_organisations(actor))
    )


def template_list(actor: Actor, *, subject_code: str = "") -> QuerySet[PlanTemplate]:
    templates = templates_visible(actor).select_related("organisation", "created_by")
    if subject_code:
        templates = templates.filter(subject_code=subject_code)
    return templates.order_by("title", "pk")


# --- The formative log ---------------------------------------------------------------------------


def entries_readable(actor: Actor) -> QuerySet[FormativeEntry]:
    """Entries ``actor`` may read. About a pupil: ``access.documents.pupil_documents`` (staff
    with a direct relation and the author read all; the pupil and guardians published
    ``pupil_guardians`` ones). About a group: ``group_documents``, and staff-only entries only
    for the group's staff and the author."""
    about_pupils = pupil_documents(actor, FormativeEntry.objects.filter(pupil__isnull=False))
    about_groups = group_documents(
        actor, FormativeEntry.objects.filter(group__isnull=False)
    ).filter(
        Q(visibility=SHARED_VISIBILITY) | Q(group__in=staff_groups(actor)) | Q(author=actor.user.pk)
    )
    return about_pupils | about_groups


def entry_list(
    actor: Actor, *, pupil_id: int | None = None, group_id: int | None = None
) -> QuerySet[FormativeEntry]:
    entries = entries_readable(actor)
    if pupil_id is not None:
        entries = entries.filter(pupil_id=pupil_id)
    if group_id is not None:
        entries = entries.filter(group_id=group_id)
    return entries.select_related("pupil", "group", "author").order_by("-date", "-pk")


def entry_get(actor: Actor, entry_id: int) -> FormativeEntry:
    return entries_readable(actor).select_related("pupil", "group", "author").get(pk=entry_id)


# --- For the read log ----------------------------------------------------------------------------


def reading_relations(actor: Actor, pupil_ids: Iterable[int]) -> dict[int, str]:
    """For each pupil, the documentation relation that let ``actor`` read about them (the
    policy's order: self, guardian, teacher, mentor, assignment, principal), or "author". One
    query."""
    wanted = set(pupil_ids)
    if not wanted:
        return {}
    conditions = [(n, c) for n, c in relation_conditions(actor) if n in DOCUMENT_RELATIONS]
    relation: Any = Case(
        *(When(condition, then=Value(name)) for name, condition in conditions),
        default=Value(AUTHOR_RELATION),
        output_field=CharField(),
    )
    found = dict(
        pupils().filter(pk__in=wanted).annotate(relation=relation).values_list("pk", "relation")
    )
    return {pk: str(found.get(pk, AUTHOR_RELATION)) for pk in sorted(wanted)}
