"""Pedagogical plans in the portal: my plans, a group's plans, a new plan (blank or from a
template), the editor with the curriculum picker (autosave, the text guard inline), publishing,
the version history, and the read-only plan pupils and guardians see.

Mirrors documentation/plans/api/plans.py in HTML: reads through the plans selectors, writes
through the plans services only. A plan names no pupil; its reads are still logged (as
``portal.plan.*``, with the plan in ``object_ref``), as the API logs them.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.documents import DocumentAccessDenied, require_staff_group, staff_groups
from access.policy import Actor
from access.readlog.services import access_log_record
from documentation.plans.api.common import user_role
from documentation.plans.guard import GuardFindings
from documentation.plans.models import PedagogicalPlan
from documentation.plans.selectors import plan_get, plan_list, plan_versions, template_list
from documentation.plans.services.plans import (
    plan_create,
    plan_create_from_template,
    plan_publish,
)
from documentation.textguard.services import Finding
from portal.plan_editor import (
    can_write,
    editor_context,
    findings_from,
    findings_of,
    form_refused,
    picker_for,
    plan_form_for,
    plan_form_save,
    plan_names,
    stored_texts,
)
from portal.plan_forms import NewPlanForm, PlanForm
from portal.plan_picker import linked_items
from portal.talk_common import (
    actor_of,
    findings_by_field,
    findings_slots,
    portal_view,
    save_status,
    subject_names,
)
from register.models import Activity, Group, GroupMembership, Person
from register.models.base import current_q

PAGE_SIZE = 50


def log_plan_read(request: HttpRequest, actor: Actor, resource: str, object_ref: str) -> None:
    """One read-log entry per page, naming no pupil (a plan is about a group)."""
    access_log_record(
        actor=actor.user,
        actor_role=user_role(actor.user),
        pupils={},
        resource=resource,
        object_ref=object_ref,
        request=request,
    )


def _ref(plan: PedagogicalPlan) -> str:
    return f"plan:{plan.pk}"


# --- Lists ---------------------------------------------------------------------------------


def _list_page(
    request: HttpRequest, actor: Actor, plans: QuerySet[PedagogicalPlan], group: Group | None
) -> HttpResponse:
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    names = subject_names(p.subject_code for p in page.object_list)
    for plan in page.object_list:
        plan.subject_name = names.get(plan.subject_code, "")  # type: ignore[attr-defined]
    my_groups = (
        []
        if group is not None
        else list(
            Group.objects.filter(pk__in=staff_groups(actor)).order_by("display_name")[:PAGE_SIZE]
        )
    )
    ref = f"group:{group.pk}" if group is not None else ""
    log_plan_read(request, actor, "portal.plan.list", ref)
    context = {"page": page, "group": group, "my_groups": my_groups}
    return render(request, "portal/plans/list.html", context)


@portal_view
def plan_list_page(request: HttpRequest) -> HttpResponse:
    """My plans: those of the groups I teach, mentor or lead, and those I wrote."""
    actor = actor_of(request)
    return _list_page(request, actor, plan_list(actor), None)


@portal_view
def group_plans_page(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    require_staff_group(actor, group_id)
    group = Group.objects.select_related("organisation").get(pk=group_id)
    plans = plan_list(actor).filter(Q(group_id=group_id) | Q(activity__groups=group_id))
    return _list_page(request, actor, plans.distinct(), group)


# --- A new plan ----------------------------------------------------------------------------


def _targets(group: Group) -> list[tuple[str, str]]:
    """The group itself, or one of its current activities (a lesson series with a subject)."""
    activities = Activity.objects.filter(current_q(), groups=group).order_by("display_name")
    return [(f"group:{group.pk}", group.display_name)] + [
        (f"activity:{a.pk}", a.display_name) for a in activities
    ]


def _create(actor: Actor, form: NewPlanForm) -> PedagogicalPlan:
    data = form.cleaned_data
    common = {
        "actor": actor,
        "period_start": data["period_start"],
        "period_end": data["period_end"],
        "acknowledge": bool(data.get("acknowledge")),
        **form.target_ids(),
    }
    if data.get("template"):
        overrides = {k: data[k] for k in ("title", "subject_code") if data.get(k)}
        plan, _left_out = plan_create_from_template(
            template_id=int(data["template"]), overrides=overrides, **common
        )
        return plan
    return plan_create(title=data["title"], subject_code=data["subject_code"], **common)


@portal_view
def plan_new(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    require_staff_group(actor, group_id)
    group = Group.objects.select_related("organisation").get(pk=group_id)
    templates = [(str(t.pk), t.title) for t in template_list(actor)]
    findings: list[Finding] = []
    if request.method == "POST":
        form = NewPlanForm(request.POST, targets=_targets(group), templates=templates)
        if form.is_valid():
            try:
                plan = _create(actor, form)
            except GuardFindings as refused:
                findings = findings_from(refused)
                messages.error(request, _("Not saved: check the wording marked below."))
            except ValidationError as invalid:
                form_refused(form, invalid)
            else:
                messages.success(request, _("The plan is created as a draft."))
                return redirect("portal:plan", plan_id=plan.pk)
    else:
        form = NewPlanForm(
            targets=_targets(group), templates=templates, initial={"target": f"group:{group.pk}"}
        )
    log_plan_read(request, actor, "portal.plan.new", f"group:{group.pk}")
    context = {
        "group": group,
        "form": form,
        "findings": findings_by_field(findings),
        "has_findings": bool(findings),
    }
    return render(request, "portal/plans/new.html", context)


# --- The editor, and the read-only plan ----------------------------------------------------


def _read_only(request: HttpRequest, actor: Actor, plan: PedagogicalPlan) -> HttpResponse:
    log_plan_read(request, actor, "portal.plan.detail", _ref(plan))
    context = {"plan": plan, "linked": linked_items(plan), **plan_names(plan)}
    return render(request, "portal/plans/detail.html", context)


@portal_view
def plan_page(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_of(request)
    plan = plan_get(actor, plan_id)
    if not can_write(actor, plan):
        if request.method == "POST":
            raise DocumentAccessDenied
        return _read_only(request, actor, plan)
    status = ""
    # The curriculum's filter words: posted with the form, or in a link to the editor
    query = str((request.POST if request.method == "POST" else request.GET).get("q", ""))
    if request.method == "POST" and request.POST.get("action") == "filter":
        # The picker's filter without JavaScript: the form comes back as posted, unsaved
        form = PlanForm(request.POST, initial={"subject_code": plan.subject_code})
        picker = picker_for(plan, form, query)
        findings: list[Finding] = []
        status = _("Filtered. Your changes are not saved yet: save with the button.")
    elif request.method == "POST":
        form = PlanForm(request.POST, initial={"subject_code": plan.subject_code})
        outcome = plan_form_save(actor, plan, form)
        if outcome.saved:
            messages.success(request, save_status(outcome))
            if request.POST.get("action") == "publish" and plan.published_at is None:
                return redirect("portal:plan-publish", plan_id=plan.pk)
            return redirect("portal:plan", plan_id=plan.pk)
        findings, status = outcome.findings, save_status(outcome)
        picker = picker_for(plan, form, query)
    else:
        form = plan_form_for(plan)
        findings = findings_of(stored_texts(plan))
        picker = picker_for(plan, None, query)
    log_plan_read(request, actor, "portal.plan.detail", _ref(plan))
    context = editor_context(plan, form, picker, findings, status)
    return render(request, "portal/plans/editor.html", context)


def _writable(actor: Actor, plan_id: int) -> PedagogicalPlan:
    plan = plan_get(actor, plan_id)
    if not can_write(actor, plan):
        raise DocumentAccessDenied
    return plan


@portal_view
@require_POST
def plan_autosave(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Saves a draft as the teacher types; for a published plan only checks the wording (its
    changes are the next official version, saved with the button)."""
    actor = actor_of(request)
    plan = _writable(actor, plan_id)
    form = PlanForm(request.POST, initial={"subject_code": plan.subject_code})
    subject_changed = False
    if plan.published_at is not None:
        form.is_valid()
        findings = findings_of({k: str(form.data.get(k, "")) for k in form.text_fields()})
        status = _("Not saved yet: save your changes with the button.")
    else:
        outcome = plan_form_save(actor, plan, form)
        findings, status = outcome.findings, save_status(outcome)
        subject_changed = outcome.subject_changed
        plan = outcome.plan
    shown = request.POST.get("findings_shown") == "1"
    context = {
        "status": status,
        "slots": findings_slots(form.text_fields(), findings_by_field(findings)),
        "ack_swap": bool(findings) != shown,
        "has_findings": bool(findings),
        "acknowledged": bool(request.POST.get("acknowledge")),
        # another subject: its curriculum replaces the old one in the picker
        "picker": picker_for(plan) if subject_changed else None,
        "plan": plan,
    }
    return render(request, "portal/plans/_autosave.html", context)


@portal_view
@require_POST
def plan_curriculum(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The picker's lists filtered by the words typed (htmx), the ticks kept as posted."""
    actor = actor_of(request)
    plan = _writable(actor, plan_id)
    form = PlanForm(request.POST, initial={"subject_code": plan.subject_code})
    picker = picker_for(plan, form, str(request.POST.get("q", "")))
    return render(request, "portal/plans/_picker_filtered.html", {"picker": picker})


# --- Publishing and the versions -----------------------------------------------------------


@portal_view
def plan_publish_page(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Publishing asks first: the group's pupils and their guardians will see the plan. The
    stored text is checked again and needs its own acknowledgement."""
    actor = actor_of(request)
    plan = _writable(actor, plan_id)
    if plan.published_at is not None:
        return redirect("portal:plan", plan_id=plan.pk)
    findings = findings_of(stored_texts(plan))
    if request.method == "POST":
        try:
            with transaction.atomic():
                plan_publish(
                    actor=actor, plan_id=plan.pk, acknowledge=bool(request.POST.get("acknowledge"))
                )
        except GuardFindings:
            messages.error(request, _("Not published: confirm that you have checked the wording."))
        except ValidationError as invalid:
            messages.error(request, " ".join(invalid.messages))
        else:
            messages.success(
                request, _("Published. The group's pupils and their guardians can now see it.")
            )
            return redirect("portal:plan", plan_id=plan.pk)
    log_plan_read(request, actor, "portal.plan.publish", _ref(plan))
    context = {
        "plan": plan,
        "linked": linked_items(plan),
        "findings": findings_by_field(findings),
        "has_findings": bool(findings),
        **plan_names(plan),
    }
    return render(request, "portal/plans/publish.html", context)


@portal_view
def plan_versions_page(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_of(request)
    plan, versions = plan_versions(actor, plan_id)
    log_plan_read(request, actor, "portal.plan.versions", _ref(plan))
    context = {
        "plan": plan,
        "versions": list(versions),
        "can_edit": can_write(actor, plan),
        **plan_names(plan),
    }
    return render(request, "portal/plans/versions.html", context)


# --- On the pupil page ---------------------------------------------------------------------


def pupil_plans(actor: Actor, pupil: Person) -> list[PedagogicalPlan]:
    """The plans of the pupil's current groups (and their activities) that ``actor`` reads:
    staff see drafts too (marked), the pupil and their guardians published plans only."""
    groups = GroupMembership.objects.filter(current_q(actor.on), person=pupil).values("group_id")
    plans = plan_list(actor).filter(Q(group__in=groups) | Q(activity__groups__in=groups))
    found = list(plans.distinct()[:PAGE_SIZE])
    names = subject_names(p.subject_code for p in found)
    for plan in found:
        plan.subject_name = names.get(plan.subject_code, "")  # type: ignore[attr-defined]
    return found
