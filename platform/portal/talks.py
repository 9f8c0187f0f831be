"""Development talks in the portal: my talks, the editor (new and existing, with autosave and
the text guard inline) and publishing. Agreed actions: portal/talk_agreements.py.

Mirrors documentation/talks/api.py in HTML: reads through the talks selectors (one read-log
entry per page), writes through the talks services only.
"""

from __future__ import annotations

from functools import partial
from itertools import chain

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.documents import DocumentAccessDenied, require_staff_pupil
from documentation.talks.models import DevelopmentTalk
from documentation.talks.selectors import talk_get, talk_list
from documentation.talks.services.talks import talk_publish
from documentation.textguard.services import Finding, text_check
from portal.talk_common import (
    actor_of,
    autosave_fragment,
    draft_token_new,
    guardians_listed,
    log_read,
    portal_view,
    save_status,
    text_guard_texts,
)
from portal.talk_editor import (
    autosave_response,
    can_write,
    editor_context,
    talk_form_for,
    talk_form_save,
    talk_qa,
    template_chosen,
    templates_for,
)
from portal.talk_forms import TalkForm, template_sections
from portal.talk_publish import Publishing, publish_confirmation
from register.models import Person

PAGE_SIZE = 50


# --- My talks ------------------------------------------------------------------------------


@portal_view
def talk_list_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    mine = (
        talk_list(actor)
        .filter(Q(author=actor.user) | Q(staff_participants=actor.user))
        .select_related("pupil")
        .distinct()
    )
    upcoming_q = Q(scheduled_at__gte=timezone.now(), held_on__isnull=True)
    upcoming = list(mine.filter(upcoming_q).order_by("scheduled_at", "pk")[:PAGE_SIZE])
    others = Paginator(mine.exclude(upcoming_q).order_by("-updated_at", "-pk"), PAGE_SIZE)
    page = others.get_page(request.GET.get("page"))
    shown = {t.pupil_id for t in chain(upcoming, page.object_list)}
    log_read(request, actor, shown, "portal.talks.list")
    return render(
        request,
        "portal/talks/list.html",
        {"upcoming": upcoming, "page": page, "today": timezone.localdate()},
    )


# --- A new talk ----------------------------------------------------------------------------


@portal_view
def talk_new(request: HttpRequest, pupil_id: int) -> HttpResponse:
    actor = actor_of(request)
    relation = require_staff_pupil(actor, pupil_id)
    pupil = Person.objects.get(pk=pupil_id)
    chosen, template = template_chosen(request, pupil)
    if not chosen:
        log_read(request, actor, {pupil.pk}, "portal.talk.new", known={pupil.pk: relation})
        return render(
            request,
            "portal/talks/choose_template.html",
            {"pupil": pupil, "templates": templates_for(pupil)},
        )
    guardians = guardians_listed(pupil)
    sections = template_sections(template)
    if request.method == "POST":
        form = TalkForm(request.POST, sections=sections, guardians=guardians)
        outcome = talk_form_save(request, actor, pupil, None, form, template)
        if outcome.saved and outcome.talk is not None:
            messages.success(request, save_status(outcome))
            if request.POST.get("action") == "publish":
                return redirect("portal:talk-publish", talk_id=outcome.talk.pk)
            return redirect("portal:talk", talk_id=outcome.talk.pk)
        talk, findings, status = outcome.talk, outcome.findings, save_status(outcome)
        token = str(request.POST.get("draft_token", "")) or draft_token_new()
    else:
        form = TalkForm(
            initial={"pupil_participated": True, "held_on": timezone.localdate()},
            sections=sections,
            guardians=guardians,
        )
        talk, findings, status, token = None, [], "", draft_token_new()
    log_read(request, actor, {pupil.pk}, "portal.talk.new", known={pupil.pk: relation})
    context = editor_context(
        actor,
        pupil,
        talk,
        form,
        template,
        findings,
        draft_token=token,
        status=status,
        template_count=len(templates_for(pupil)),
    )
    return render(request, "portal/talks/editor.html", context)


@portal_view
@require_POST
def talk_new_autosave(request: HttpRequest, pupil_id: int) -> HttpResponse:
    actor = actor_of(request)
    require_staff_pupil(actor, pupil_id)
    pupil = Person.objects.get(pk=pupil_id)
    _chosen, template = template_chosen(request, pupil)
    form = TalkForm(
        request.POST, sections=template_sections(template), guardians=guardians_listed(pupil)
    )
    outcome = talk_form_save(request, actor, pupil, None, form, template, autosave=True)
    response = autosave_response(request, form, outcome)
    if outcome.created and outcome.talk is not None:
        response["HX-Replace-Url"] = reverse("portal:talk", args=[outcome.talk.pk])
    return response


# --- An existing talk ----------------------------------------------------------------------


@portal_view
def talk_page(request: HttpRequest, talk_id: int) -> HttpResponse:
    actor = actor_of(request)
    talk = talk_get(actor, talk_id)
    pupil = Person.objects.get(pk=talk.pupil_id)
    if not can_write(actor, talk.pupil_id):
        if request.method == "POST":
            raise DocumentAccessDenied
        log_read(request, actor, {pupil.pk}, "portal.talk.detail", f"talk:{talk.pk}")
        talk.qa = talk_qa(talk)  # type: ignore[attr-defined]
        context = {"pupil": pupil, "talk": talk, "can_edit": False}
        return render(request, "portal/talks/detail.html", context)
    findings: list[Finding] = []
    status = ""
    if request.method == "POST":
        form = TalkForm(
            request.POST,
            sections=template_sections(talk.template),
            guardians=guardians_listed(pupil),
        )
        outcome = talk_form_save(request, actor, pupil, talk, form, talk.template)
        if outcome.saved:
            messages.success(request, save_status(outcome))
            if request.POST.get("action") == "publish" and not talk.published_at:
                return redirect("portal:talk-publish", talk_id=talk.pk)
            return redirect("portal:talk", talk_id=talk.pk)
        findings, status = outcome.findings, save_status(outcome)
    else:
        form = talk_form_for(talk, pupil)
        texts = {f: str(form.initial.get(f, "")) for f in form.text_fields()}
        findings = text_check(texts=texts)
    log_read(request, actor, {pupil.pk}, "portal.talk.detail", f"talk:{talk.pk}")
    context = editor_context(
        actor, pupil, talk, form, talk.template, findings, draft_token="", status=status
    )
    return render(request, "portal/talks/editor.html", context)


@portal_view
@require_POST
def talk_autosave(request: HttpRequest, talk_id: int) -> HttpResponse:
    actor = actor_of(request)
    talk = talk_get(actor, talk_id)
    require_staff_pupil(actor, talk.pupil_id)
    pupil = Person.objects.get(pk=talk.pupil_id)
    form = TalkForm(
        request.POST, sections=template_sections(talk.template), guardians=guardians_listed(pupil)
    )
    outcome = talk_form_save(request, actor, pupil, talk, form, talk.template, autosave=True)
    return autosave_response(request, form, outcome)


# --- Publishing ----------------------------------------------------------------------------


def _stored_texts(talk: DevelopmentTalk) -> dict[str, str]:
    texts = {f"answers.{key}": text for key, text in talk.answers.items()}
    texts["notes"] = talk.notes
    return texts


@portal_view
def talk_publish_page(request: HttpRequest, talk_id: int) -> HttpResponse:
    """Publishing asks first: the pupil and their guardians will see the talk."""
    actor = actor_of(request)
    talk = talk_get(actor, talk_id)
    relation = require_staff_pupil(actor, talk.pupil_id)
    if talk.published_at:
        return redirect("portal:talk", talk_id=talk.pk)
    talk.qa = talk_qa(talk)  # type: ignore[attr-defined]
    publish = partial(talk_publish, actor=actor, talk=talk)
    publishing = Publishing("talk", talk, relation, _stored_texts(talk), publish)
    return publish_confirmation(request, actor, publishing)


# --- The text guard while typing where nothing is saved automatically ----------------------


@portal_view
@require_POST
def text_guard_findings(request: HttpRequest) -> HttpResponse:
    """Findings for the free text of a posted editor form, next to each field (a published
    talk or IUP is saved on purpose only, so its editor checks without saving). Stores and
    logs nothing: it answers about the text the caller sent."""
    if not (request.user.is_school_staff or request.user.is_municipality_admin):  # type: ignore[union-attr]
        raise DocumentAccessDenied
    texts = text_guard_texts(request.POST)
    return autosave_fragment(
        request,
        status=_("Not saved yet: save your changes with the button."),
        fields=list(texts),
        findings=text_check(texts=texts),
    )
