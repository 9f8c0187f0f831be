"""The plan editor's machinery: a form becomes a ``plan_update`` (an unchanged form writes
nothing), the service's refusals become messages next to their inputs, and what the editor,
its autosave fragment and the curriculum picker render.

Autosave (like the talk editor's) saves drafts only: a change to a published plan is its next
official version, so it is saved on purpose, with the button.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from access.documents import DocumentAccessDenied
from access.policy import Actor
from documentation.plans.guard import GuardFindings
from documentation.plans.models import PedagogicalPlan
from documentation.plans.services.common import staff_target
from documentation.plans.services.plans import plan_update
from documentation.textguard.services import Finding, text_check
from portal.plan_forms import FINDING_FIELDS, REF_FIELDS, PlanForm, description_text
from portal.plan_forms import description_html as html_of
from portal.plan_picker import Picker, picker_build
from portal.talk_common import findings_by_field, form_errors_text, subject_names


def can_write(actor: Actor, plan: PedagogicalPlan) -> bool:
    """Staff who write the plan's group's (or activity's) documents; archived plans are
    read-only for everyone."""
    if plan.archived_at is not None:
        return False
    try:
        staff_target(actor, group_id=plan.group_id, activity_id=plan.activity_id)
    except DocumentAccessDenied:
        return False
    return True


def plan_form_for(plan: PedagogicalPlan) -> PlanForm:
    return PlanForm(
        initial={
            "title": plan.title,
            "subject_code": plan.subject_code,
            "period_start": plan.period_start,
            "period_end": plan.period_end,
            "description": description_text(plan.description_html),
            "teaching_forms": plan.teaching_forms,
            "assessment_forms": plan.assessment_forms,
        }
    )


def stored_texts(plan: PedagogicalPlan) -> dict[str, str]:
    """The plan's free text as the editor's inputs hold it (for the text guard)."""
    return {
        "title": plan.title,
        "description": description_text(plan.description_html),
        "teaching_forms": plan.teaching_forms,
        "assessment_forms": plan.assessment_forms,
    }


def findings_of(texts: dict[str, str]) -> list[Finding]:
    return text_check(texts={name: text for name, text in texts.items() if text})


# --- Saving --------------------------------------------------------------------------------


@dataclass
class SaveOutcome:
    plan: PedagogicalPlan
    saved: bool = False
    findings: list[Finding] = field(default_factory=list)
    error: str = ""
    subject_changed: bool = False


def _changes(plan: PedagogicalPlan, form: PlanForm) -> dict[str, Any]:
    data = form.cleaned_data
    changes: dict[str, Any] = {
        name: data[name]
        for name in (
            "title",
            "subject_code",
            "period_start",
            "period_end",
            "teaching_forms",
            "assessment_forms",
        )
    }
    # The stored HTML stays as it is unless the teacher changed the text (the editor does not
    # show emphasis or links written through the API).
    if data["description"].strip() != description_text(plan.description_html).strip():
        changes["description_html"] = html_of(data["description"])
    refs = form.references()
    if data["subject_code"] != plan.subject_code:
        refs = {name: [] for name in REF_FIELDS}  # ticked items belong to the old subject
    changes.update(refs)
    return changes


def findings_from(refused: GuardFindings) -> list[Finding]:
    """The service's findings (plain dicts), named after the editor's inputs."""
    return [
        Finding(**{**found, "field": FINDING_FIELDS.get(found["field"], found["field"])})
        for found in refused.findings
    ]


def form_refused(form: forms.Form, invalid: ValidationError) -> None:
    """The service's ValidationError next to the input it is about (or above the form)."""
    if not hasattr(invalid, "error_dict"):
        form.add_error(None, invalid)
        return
    for name, errors in invalid.message_dict.items():
        name = FINDING_FIELDS.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


def plan_form_save(actor: Actor, plan: PedagogicalPlan, form: PlanForm) -> SaveOutcome:
    """Saves the editor's form through ``plan_update``; the text guard's findings are returned
    (shown inline) whether or not the save went through."""
    if not form.is_valid():
        return SaveOutcome(plan, error=form_errors_text(form))
    findings = findings_of(form.texts())
    changes = _changes(plan, form)
    subject_changed = changes["subject_code"] != plan.subject_code
    try:
        plan = plan_update(
            actor=actor,
            plan_id=plan.pk,
            changes=changes,
            acknowledge=bool(form.cleaned_data.get("acknowledge")),
        )
    except GuardFindings as refused:
        return SaveOutcome(plan, findings=findings_from(refused) or findings)
    except ValidationError as invalid:
        form_refused(form, invalid)
        return SaveOutcome(plan, error=form_errors_text(form), findings=findings)
    return SaveOutcome(plan, saved=True, findings=findings, subject_changed=subject_changed)


# --- Rendering -----------------------------------------------------------------------------


def picker_for(plan: PedagogicalPlan, form: PlanForm | None = None, query: str = "") -> Picker:
    """The picker for the plan as stored, or for a posted form (another subject shows today's
    version of it, nothing ticked: the ticks belonged to the old subject)."""
    if form is None or not form.is_bound:
        checked = [*plan.central_content_keys, *plan.knowledge_requirement_keys]
        return picker_build(
            code=plan.subject_code, version=plan.curriculum_version, checked=checked, query=query
        )
    code = str(form.data.get("subject_code", plan.subject_code))
    if code != plan.subject_code:
        return picker_build(code=code, version=None, query=query)
    refs = form.references()
    return picker_build(
        code=code,
        version=plan.curriculum_version,
        checked=[*refs["central_content_keys"], *refs["knowledge_requirement_keys"]],
        query=query,
    )


def plan_names(plan: PedagogicalPlan) -> dict[str, str]:
    """What the plan is for and its subject's name, for the page heading."""
    owner = plan.group or plan.activity
    return {
        "for_name": owner.display_name if owner is not None else "",
        "subject_name": subject_names([plan.subject_code]).get(plan.subject_code, ""),
    }


def editor_context(
    plan: PedagogicalPlan,
    form: PlanForm,
    picker: Picker,
    findings: list[Finding],
    status: str = "",
) -> dict[str, Any]:
    published = plan.published_at is not None
    return {
        "plan": plan,
        "form": form,
        "picker": picker,
        "findings": findings_by_field(findings),
        "has_findings": bool(findings),
        "status": status,
        "autosave_url": reverse("portal:plan-autosave", args=[plan.pk]),
        "picker_url": reverse("portal:plan-curriculum", args=[plan.pk]),
        "published": published,
        **plan_names(plan),
    }
