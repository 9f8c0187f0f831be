"""Agreed actions (överenskommelser) of a development talk, added and followed up inline with
htmx without leaving the talk's page; and the start page's list of actions due for follow-up.

The fragments echo only what the teacher just sent (the new action, the follow-up note), so
they carry no documentation the page had not already shown (no read-log entry of their own).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.documents import require_staff_pupil
from access.policy import Actor
from documentation.talks.models import DevelopmentTalk, TalkAgreement
from documentation.talks.selectors import talk_get, talk_list
from documentation.talks.services.talks import agreement_add, agreement_follow_up
from documentation.textguard.services import Finding, TextGuardFindings
from portal.talk_common import actor_of, findings_by_field, is_htmx, portal_view
from portal.talk_forms import AgreementForm, FollowUpForm

# --- Agreed actions, inline ----------------------------------------------------------------


def _writable_talk(request: HttpRequest, talk_id: int) -> tuple[Actor, DevelopmentTalk]:
    actor = actor_of(request)
    talk = talk_get(actor, talk_id)
    require_staff_pupil(actor, talk.pupil_id)
    return actor, talk


@portal_view
@require_POST
def agreement_add_view(request: HttpRequest, talk_id: int) -> HttpResponse:
    actor, talk = _writable_talk(request, talk_id)
    form = AgreementForm(request.POST)
    added = None
    findings: list[Finding] = []
    if form.is_valid():
        try:
            added = agreement_add(
                actor=actor,
                talk=talk,
                text=form.cleaned_data["text"],
                responsible=form.cleaned_data["responsible"],
                follow_up_on=form.cleaned_data.get("follow_up_on"),
                acknowledged=bool(form.cleaned_data.get("acknowledge")),
            )
        except TextGuardFindings as refused:
            findings = refused.findings
    if not is_htmx(request):
        if added is not None:
            messages.success(request, _("The agreed action was added."))
        else:
            messages.error(request, _("The agreed action was not added: check the form."))
        return redirect(reverse("portal:talk", args=[talk.pk]) + "#agreements")
    if added is not None:
        status = _("The agreed action was added.")
        form = AgreementForm()
    elif findings:
        status = _("Not added: check the wording, or tick the box to add it anyway.")
    else:
        status = _("Not added: correct the marked fields.")
    context = {
        "talk": talk,
        "agreement_form": form,
        "agreement_findings": findings_by_field(findings).get("text", []),
        "added": added,
        "agreement_status": status,
        "can_edit": True,
    }
    return render(request, "portal/talks/_agreement_added.html", context)


@portal_view
@require_POST
def agreement_follow_up_view(request: HttpRequest, talk_id: int, agreement_id: int) -> HttpResponse:
    actor, talk = _writable_talk(request, talk_id)
    agreement = talk.agreements.get(pk=agreement_id)
    form = FollowUpForm(request.POST)
    findings: list[Finding] = []
    done = False
    if form.is_valid():
        try:
            agreement = agreement_follow_up(
                actor=actor,
                agreement=agreement,
                note=form.cleaned_data["note"],
                acknowledged=bool(form.cleaned_data.get("acknowledge")),
            )
            done = True
        except TextGuardFindings as refused:
            findings = refused.findings
    if not is_htmx(request):
        if done:
            messages.success(request, _("The follow-up was saved."))
        else:
            messages.error(request, _("The follow-up was not saved: check the form."))
        return redirect(reverse("portal:talk", args=[talk.pk]) + f"#agreement-{agreement.pk}")
    if done:
        status = _("The follow-up was saved.")
    elif findings:
        status = _("Not saved: check the wording, or tick the box to save anyway.")
    else:
        status = _("Not saved: write what came of the agreed action.")
    context = {
        "talk": talk,
        "a": agreement,
        "follow_up_form": form,
        "follow_up_findings": findings_by_field(findings).get("follow_up_note", []),
        "done": done,
        "agreement_status": status,
        "can_edit": True,
    }
    return render(request, "portal/talks/_follow_up_done.html", context)


def agreements_due(actor: Actor, *, within_days: int = 14) -> QuerySet[Any]:
    """Agreed actions of my talks not yet followed up, due within ``within_days`` or overdue."""
    mine = talk_list(actor).filter(Q(author=actor.user) | Q(staff_participants=actor.user))
    until = timezone.localdate() + dt.timedelta(days=within_days)
    return (
        TalkAgreement.objects.filter(
            talk__in=mine.values("pk"), followed_up_at__isnull=True, follow_up_on__lte=until
        )
        .select_related("talk__pupil")
        .order_by("follow_up_on", "pk")
    )
