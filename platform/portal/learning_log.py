"""The lärlogg (formative log) in the portal: one page per pupil with the entries (newest first)
and, for staff who write about the pupil, a quick form (one text, who sees it, an optional plan);
an author edits their own entries on a page of their own. The pupil page shows the newest entries
to everyone who reads them (staff, the pupil, their guardians).

Mirrors documentation/plans/api/formative.py in HTML: reads through ``entry_list``/``entry_get``
(access.documents decides what each role reads), writes through ``formative_entry_create`` and
``formative_entry_update`` only; the text guard's findings show inline while typing (the talk
editor's ``text-guard/findings/`` check) and the services refuse unacknowledged ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.documents import DocumentAccessDenied, family_pupils, require_staff_pupil
from access.policy import Actor, access_pupil_by_id
from documentation.plans.guard import GuardFindings
from documentation.plans.models import FormativeEntry, PedagogicalPlan, Visibility
from documentation.plans.models.formative import ENTRY_TEXT_MAX
from documentation.plans.selectors import entry_get, entry_list, plan_list
from documentation.plans.services.formative import (
    formative_entry_create,
    formative_entry_update,
)
from documentation.textguard.services import Finding, text_check
from portal.talk_common import (
    actor_of,
    findings_by_field,
    form_errors_text,
    log_read,
    portal_view,
)
from portal.talk_editor import can_write
from portal.talk_forms import DateInput, describe_text_fields, text_area
from register.models import GroupMembership, Person
from register.models.base import current_q

PAGE_SIZE = 50
RECENT = 5
PLANS_OFFERED = 100
VISIBILITY_CHOICES = [
    (Visibility.STAFF, gettext_lazy("Only staff")),
    (Visibility.PUPIL_GUARDIANS, gettext_lazy("Staff, the pupil and their guardians")),
]
# The service's field names -> this form's
SERVICE_FIELDS = {"text": "text", "visibility": "visibility", "plan_id": "plan", "date": "date"}


class EntryForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Note"), max_length=ENTRY_TEXT_MAX, widget=text_area(4)
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Who sees it"), choices=VISIBILITY_CHOICES, widget=forms.RadioSelect
    )
    plan = forms.TypedChoiceField(
        label=gettext_lazy("Plan (optional)"), coerce=int, empty_value=None, required=False
    )
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=DateInput(), input_formats=["%Y-%m-%d"]
    )
    acknowledge = forms.BooleanField(required=False)

    def __init__(self, *args: Any, plans: list[PedagogicalPlan] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        plan_field = self.fields["plan"]
        assert isinstance(plan_field, forms.TypedChoiceField)
        plan_field.choices = [("", _("No plan"))] + [
            (plan.pk, f"{plan.title} ({plan.subject_code})" if plan.subject_code else plan.title)
            for plan in plans
        ]
        describe_text_fields(self, self.text_fields())
        # The text guard's findings appear next to the text while it is written (nothing saved)
        self.fields["text"].widget.attrs.update(
            {
                "hx-post": reverse("portal:text-guard-findings"),
                "hx-trigger": "keyup changed delay:1s",
                "hx-target": "#page-status",
                "hx-swap": "innerHTML",
            }
        )

    def text_fields(self) -> list[str]:
        return ["text"]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "text": data["text"],
            "visibility": data["visibility"],
            "plan_id": data.get("plan"),
            "date": data["date"],
        }

    def add_service_errors(self, invalid: ValidationError) -> None:
        if not hasattr(invalid, "error_dict"):
            self.add_error(None, invalid)
            return
        for name, errors in invalid.message_dict.items():
            self.add_error(SERVICE_FIELDS.get(name), errors)


def plans_for(
    actor: Actor, pupil_id: int, keep: PedagogicalPlan | None = None
) -> list[PedagogicalPlan]:
    """Plans of the pupil's current groups (or their activities) the actor reads; ``keep``
    (an entry's plan) stays offered even if it is no longer among them."""
    groups = GroupMembership.objects.filter(current_q(), person_id=pupil_id).values("group_id")
    plans = list(
        plan_list(actor)
        .filter(Q(group_id__in=groups) | Q(activity__groups__in=groups))
        .distinct()[:PLANS_OFFERED]
    )
    if keep is not None and keep.pk not in {plan.pk for plan in plans}:
        plans.append(keep)
    return plans


def recent_entries(actor: Actor, pupil_id: int) -> list[FormativeEntry]:
    """The newest entries about the pupil the actor reads, for the pupil page."""
    return list(entry_list(actor, pupil_id=pupil_id).select_related("plan")[:RECENT])


def _reader(actor: Actor, pupil_id: int) -> tuple[Person, bool]:
    """The pupil and whether the actor writes about them; 404 unless the actor reads their
    documentation (as staff, or as the pupil or a guardian)."""
    pupil = access_pupil_by_id(actor, pupil_id)
    writer = can_write(actor, pupil.pk)
    if not writer and not family_pupils(actor).filter(pk=pupil.pk).exists():
        raise DocumentAccessDenied
    return pupil, writer


@dataclass
class Written:
    saved: bool
    findings: list[Finding] = field(default_factory=list)
    status: str = ""  # why not, for the status region


def form_write(form: EntryForm, write: Callable[[dict[str, Any], bool], object]) -> Written:
    """Hands the valid form's changes (and the acknowledgement) to ``write`` (a service call);
    the service's refusals become the text guard's findings or messages at the fields."""
    if not form.is_valid():
        return Written(False, status=form_errors_text(form))
    changes = form.changes()
    try:
        write(changes, bool(form.cleaned_data.get("acknowledge")))
    except GuardFindings:
        findings = text_check(texts={"text": changes["text"]})
        status = _("Not saved: check the wording marked below, or tick the box to save anyway.")
        return Written(False, findings, status)
    except ValidationError as invalid:
        form.add_service_errors(invalid)
        return Written(False, status=_("Not saved: see the messages at the fields."))
    return Written(True)


@portal_view
def log_page(request: HttpRequest, pupil_id: int) -> HttpResponse:
    actor = actor_of(request)
    pupil, writer = _reader(actor, pupil_id)
    form: EntryForm | None = None
    findings: list[Finding] = []
    status = ""
    if request.method == "POST":
        if not writer:
            raise DocumentAccessDenied
        form = EntryForm(request.POST, plans=plans_for(actor, pupil.pk))
        written = form_write(
            form,
            lambda changes, ack: formative_entry_create(
                actor=actor, pupil_ids=[pupil.pk], acknowledge=ack, **changes
            ),
        )
        if written.saved:
            messages.success(request, _("Saved in the learning log."))
            return redirect("portal:learning-log", pupil_id=pupil.pk)
        findings, status = written.findings, written.status
    elif writer:
        initial = {"visibility": Visibility.STAFF, "date": timezone.localdate()}
        form = EntryForm(initial=initial, plans=plans_for(actor, pupil.pk))
    entries = entry_list(actor, pupil_id=pupil.pk).select_related("plan")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    log_read(
        request,
        actor,
        {pupil.pk},
        "portal.learning_log",
        f"pupil:{pupil.pk}",
        known={pupil.pk: pupil.relation},  # type: ignore[attr-defined]
    )
    context = {
        "pupil": pupil,
        "form": form,
        "findings": findings_by_field(findings),
        "has_findings": bool(findings),
        "status": status,
        "page": page,
        "can_edit": writer,
    }
    return render(request, "portal/learning_log/page.html", context)


@portal_view
def entry_page(request: HttpRequest, entry_id: int) -> HttpResponse:
    """An author edits their own entry about a pupil they still write about; 404 otherwise."""
    actor = actor_of(request)
    entry = entry_get(actor, entry_id)
    if entry.author_id != actor.user.pk or entry.pupil_id is None:
        raise DocumentAccessDenied
    relation = require_staff_pupil(actor, entry.pupil_id)
    plans = plans_for(actor, entry.pupil_id, keep=entry.plan)
    findings: list[Finding] = []
    status = ""
    if request.method == "POST":
        form = EntryForm(request.POST, plans=plans)
        written = form_write(
            form,
            lambda changes, ack: formative_entry_update(
                actor=actor, entry_id=entry.pk, changes=changes, acknowledge=ack
            ),
        )
        if written.saved:
            messages.success(request, _("Saved in the learning log."))
            return redirect("portal:learning-log", pupil_id=entry.pupil_id)
        findings, status = written.findings, written.status
    else:
        initial: dict[str, dt.date | str | int | None] = {
            "text": entry.text,
            "visibility": entry.visibility,
            "plan": entry.plan_id,
            "date": entry.date,
        }
        form = EntryForm(initial=initial, plans=plans)
        findings = text_check(texts={"text": entry.text})
    log_read(
        request,
        actor,
        {entry.pupil_id},
        "portal.learning_log.entry",
        f"entry:{entry.pk}",
        known={entry.pupil_id: relation},
    )
    context = {
        "pupil": entry.pupil,
        "entry": entry,
        "form": form,
        "findings": findings_by_field(findings),
        "has_findings": bool(findings),
        "status": status,
    }
    return render(request, "portal/learning_log/entry.html", context)
