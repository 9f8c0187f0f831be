"""Pedagogical plans: create (also from a template), update, publish, archive. Never delete.

A draft changes freely (each change a history row). Publishing makes version 1, an official
record; every later change makes the next version. Archived plans are read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.policy import Actor
from documentation.plans import curriculum_refs
from documentation.plans.guard import texts_guard
from documentation.plans.models import (
    PedagogicalPlan,
    PlanAction,
    PlanHistory,
    PlanTemplate,
    PlanVersion,
)
from documentation.plans.sanitise import sanitise_html
from documentation.plans.selectors import plans_readable, templates_visible
from documentation.plans.services.common import (
    jsonable,
    references_clean,
    staff_target,
    subject_version,
)
from register.models import Activity, Group

# What an update may change (the group or activity of a plan stays).
EDITABLE_FIELDS = (
    "title",
    "subject_code",
    "period_start",
    "period_end",
    "description_html",
    "teaching_forms",
    "assessment_forms",
    "central_content_keys",
    "knowledge_requirement_keys",
)
TEXT_FIELDS = ("title", "description_html", "teaching_forms", "assessment_forms")
SNAPSHOT_FIELDS = ("group_id", "activity_id", "curriculum_version", *EDITABLE_FIELDS)


class PlanDeletionRefused(Exception):
    """Plans are archived, never deleted."""


def plan_ref(plan: PedagogicalPlan) -> str:
    return f"plans.plan:{plan.pk}"


def plan_snapshot(plan: PedagogicalPlan) -> dict[str, Any]:
    return jsonable({name: getattr(plan, name) for name in SNAPSHOT_FIELDS})


def _organisation_id(group: Group | None, activity: Activity | None) -> int | None:
    owner = group or activity
    return owner.organisation_id if owner is not None else None


def _content_clean(content: dict[str, Any], *, version: int | None, on: dt.date) -> dict[str, Any]:
    """Trims texts, sanitises the description and checks the references against the subject
    version (``version``, or when None the version valid ``on``, which the plan binds to);
    ValidationError."""
    for name in ("title", "subject_code", "teaching_forms", "assessment_forms"):
        content[name] = str(content.get(name) or "").strip()
    if not content["title"]:
        raise ValidationError({"title": [_("A plan needs a title.")]})
    if not content["subject_code"]:
        raise ValidationError({"subject_code": [_("A plan is for a subject.")]})
    if content["period_end"] < content["period_start"]:
        raise ValidationError({"period_end": [_("The period ends before it starts.")]})
    content["description_html"] = sanitise_html(str(content.get("description_html") or ""))
    if version is None:
        version = subject_version(content["subject_code"], on=on)
    content["curriculum_version"] = version
    content["central_content_keys"], content["knowledge_requirement_keys"] = references_clean(
        central_content=content.get("central_content_keys") or (),
        requirements=content.get("knowledge_requirement_keys") or (),
        version=version,
    )
    return content


@transaction.atomic
def plan_create(
    *,
    actor: Actor,
    title: str,
    period_start: dt.date,
    period_end: dt.date,
    group_id: int | None = None,
    activity_id: int | None = None,
    subject_code: str = "",
    description_html: str = "",
    teaching_forms: str = "",
    assessment_forms: str = "",
    central_content_keys: Sequence[str] = (),
    knowledge_requirement_keys: Sequence[str] = (),
    template: PlanTemplate | None = None,
    acknowledge: bool = False,
) -> PedagogicalPlan:
    """A draft plan for a group or an activity the actor teaches (or mentors, leads, ...).
    An activity's plan takes the activity's subject unless another is given."""
    group, activity = staff_target(actor, group_id=group_id, activity_id=activity_id)
    content = _content_clean(
        {
            "title": title,
            "subject_code": subject_code or (activity.subject_code if activity else ""),
            "period_start": period_start,
            "period_end": period_end,
            "description_html": description_html,
            "teaching_forms": teaching_forms,
            "assessment_forms": assessment_forms,
            "central_content_keys": central_content_keys,
            "knowledge_requirement_keys": knowledge_requirement_keys,
        },
        version=None,
        on=actor.on,
    )
    now = timezone.now()
    plan = PedagogicalPlan.objects.create(
        group=group,
        activity=activity,
        template=template,
        author=actor.user,
        updated_by=actor.user,
        created_at=now,
        updated_at=now,
        **content,
    )
    PlanHistory.objects.create(
        plan=plan, action=PlanAction.CREATED, changes=plan_snapshot(plan), by=actor.user, at=now
    )
    texts_guard(
        texts={name: content[name] for name in TEXT_FIELDS},
        acknowledged=acknowledge,
        user=actor.user,
        document_ref=plan_ref(plan),
        organisation_id=_organisation_id(group, activity),
    )
    return plan


@transaction.atomic
def plan_create_from_template(
    *,
    actor: Actor,
    template_id: int,
    period_start: dt.date,
    period_end: dt.date,
    group_id: int | None = None,
    activity_id: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    acknowledge: bool = False,
) -> tuple[PedagogicalPlan, list[str]]:
    """A draft plan with a template's content (``overrides`` win), bound to today's subject
    version. References written against an older version are carried over when the item has
    the same key in today's version; the others are left out and returned."""
    template = templates_visible(actor).get(pk=template_id)
    overrides = dict(overrides or {})
    fields = (
        "title",
        "subject_code",
        "description_html",
        "teaching_forms",
        "assessment_forms",
        "central_content_keys",
        "knowledge_requirement_keys",
    )
    content = {name: overrides.get(name, getattr(template, name)) for name in fields}
    dropped: list[str] = []
    if content["subject_code"] == template.subject_code:
        version = subject_version(template.subject_code, on=actor.on)
        for name in ("central_content_keys", "knowledge_requirement_keys"):
            if name in overrides or template.curriculum_version == version:
                continue
            carried = []
            for ref in content[name]:
                moved = curriculum_refs.reference_carry(ref, version=version)
                if moved is None:
                    dropped.append(ref)
                else:
                    carried.append(moved)
            content[name] = carried
    plan = plan_create(
        actor=actor,
        group_id=group_id,
        activity_id=activity_id,
        period_start=period_start,
        period_end=period_end,
        template=template,
        acknowledge=acknowledge,
        **content,
    )
    return plan, dropped


def _plan_for_write(actor: Actor, plan_id: int) -> PedagogicalPlan:
    """The plan, locked, if ``actor`` writes it: DoesNotExist if they cannot read it,
    DocumentAccessDenied if they can only read it (both answer 404)."""
    if not plans_readable(actor).filter(pk=plan_id).exists():
        raise PedagogicalPlan.DoesNotExist
    plan = PedagogicalPlan.objects.select_for_update().get(pk=plan_id)
    staff_target(actor, group_id=plan.group_id, activity_id=plan.activity_id)
    if plan.archived_at is not None:
        raise ValidationError(_("The plan is archived: it can no longer be changed."))
    return plan


def _new_version(plan: PedagogicalPlan, actor: Actor, now: dt.datetime) -> int:
    plan.current_version += 1
    PlanVersion.objects.create(
        plan=plan,
        version=plan.current_version,
        snapshot=plan_snapshot(plan),
        author=actor.user,
        at=now,
    )
    return plan.current_version


@transaction.atomic
def plan_update(
    *,
    actor: Actor,
    plan_id: int,
    changes: Mapping[str, Any],
    acknowledge: bool = False,
) -> PedagogicalPlan:
    """Changes a plan's content (only the fields in ``changes``). A published plan gets a new
    version; a draft a history row. Nothing changed, nothing written."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: [_("This field cannot be changed.")] for name in sorted(unknown)}
        )
    plan = _plan_for_write(actor, plan_id)
    before = {name: getattr(plan, name) for name in (*EDITABLE_FIELDS, "curriculum_version")}
    content = {**before, **changes}
    # The plan stays bound to its subject version; another subject binds to today's version.
    same_subject = str(content["subject_code"]).strip() == before["subject_code"]
    cleaned = _content_clean(
        content, version=plan.curriculum_version if same_subject else None, on=actor.on
    )
    changed = {name: value for name, value in cleaned.items() if before.get(name) != value}
    if not changed:
        return plan
    now = timezone.now()
    for name, value in changed.items():
        setattr(plan, name, value)
    plan.updated_by = actor.user
    plan.updated_at = now
    version = _new_version(plan, actor, now) if plan.published_at is not None else None
    plan.save()
    PlanHistory.objects.create(
        plan=plan,
        action=PlanAction.UPDATED,
        changes=jsonable(changed),
        version=version,
        by=actor.user,
        at=now,
    )
    texts_guard(
        texts={name: changed[name] for name in TEXT_FIELDS if name in changed},
        acknowledged=acknowledge,
        user=actor.user,
        document_ref=plan_ref(plan),
        organisation_id=_organisation_id(plan.group, plan.activity),
    )
    return plan


@transaction.atomic
def plan_publish(*, actor: Actor, plan_id: int, acknowledge: bool = False) -> PedagogicalPlan:
    """Publishes a draft: from now on an official record, and version 1 of it."""
    plan = _plan_for_write(actor, plan_id)
    if plan.published_at is not None:
        raise ValidationError(_("The plan is already published."))
    now = timezone.now()
    plan.published_at = now
    plan.updated_by = actor.user
    plan.updated_at = now
    version = _new_version(plan, actor, now)
    plan.save()
    PlanHistory.objects.create(
        plan=plan, action=PlanAction.PUBLISHED, version=version, by=actor.user, at=now
    )
    texts_guard(
        texts={name: getattr(plan, name) for name in TEXT_FIELDS},
        acknowledged=acknowledge,
        user=actor.user,
        document_ref=plan_ref(plan),
        organisation_id=_organisation_id(plan.group, plan.activity),
    )
    return plan


@transaction.atomic
def plan_archive(*, actor: Actor, plan_id: int) -> PedagogicalPlan:
    """Archives a finished (or abandoned) plan: kept, read-only, out of the default lists."""
    plan = _plan_for_write(actor, plan_id)
    now = timezone.now()
    plan.archived_at = now
    plan.updated_by = actor.user
    plan.updated_at = now
    plan.save(update_fields=["archived_at", "updated_by", "updated_at"])
    PlanHistory.objects.create(plan=plan, action=PlanAction.ARCHIVED, by=actor.user, at=now)
    return plan


def plan_delete(*, actor: Actor, plan_id: int) -> NoReturn:
    """Refused, always: a plan is archived, never deleted (the database refuses it too)."""
    raise PlanDeletionRefused(_("Plans are never deleted: archive the plan instead."))
