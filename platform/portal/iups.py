"""The IUP editor in the portal: per subject a level and a written assessment, goals and
measures; autosave of drafts, the text guard inline, publishing with a confirmation.

Mirrors the IUP part of documentation/talks/api.py: reads through the talks selectors (one
read-log entry per page), writes through documentation.talks.services.iups only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.documents import DocumentAccessDenied, require_staff_pupil
from access.policy import Actor
from documentation.talks.models import IUP
from documentation.talks.selectors import iup_get, iup_list
from documentation.talks.services.iups import IUPInput, iup_create, iup_publish, iup_update
from documentation.textguard.services import Finding, TextGuardFindings, text_check
from portal.talk_common import (
    actor_of,
    autosave_fragment,
    current_term,
    draft_for_token,
    draft_remember,
    draft_token_new,
    editor_urls,
    findings_by_field,
    form_errors_text,
    log_read,
    portal_view,
    pupil_school_year,
    pupil_subject_codes,
    save_status,
    subject_names,
    subject_versions_today,
)
from portal.talk_editor import can_write
from portal.talk_forms import NEW_SUBJECT, IUPForm, SubjectRow
from portal.talk_publish import Publishing, publish_confirmation
from register.models import Person


def subject_rows(pupil_id: int, iup: IUP | None) -> list[SubjectRow]:
    """The pupil's current subjects (their groups' activities) and those already assessed."""
    existing = {s.subject_code: s for s in iup.subjects.all()} if iup else {}
    codes = sorted(set(pupil_subject_codes(pupil_id)) | set(existing))
    names = subject_names(codes)
    return [
        SubjectRow(
            code=code,
            name=names.get(code, ""),
            curriculum_version=existing[code].curriculum_version if code in existing else "",
        )
        for code in codes
    ]


def _form_for(iup: IUP, rows: list[SubjectRow]) -> IUPForm:
    initial: dict[str, Any] = {
        "term": iup.term,
        "school_year": iup.school_year,
        "goals": iup.goals,
        "measures": iup.measures,
    }
    for subject in iup.subjects.all():
        initial[f"level.{subject.subject_code}"] = subject.level
        initial[f"subjects.{subject.subject_code}"] = subject.text
    return IUPForm(initial=initial, subjects=rows, term_fixed=True)


@dataclass
class IUPSaveOutcome:
    iup: IUP | None
    saved: bool = False
    created: bool = False
    findings: list[Finding] = field(default_factory=list)
    rename: dict[str, str] = field(default_factory=dict)
    error: str = ""


def _unchanged(iup: IUP, data: IUPInput) -> bool:
    stored = {(s.subject_code, s.level, s.text) for s in iup.subjects.all()}
    wanted = {(s.subject_code, s.level, s.text) for s in data.subjects}
    return (iup.school_year, iup.goals, iup.measures, stored) == (
        data.school_year,
        data.goals,
        data.measures,
        wanted,
    )


def iup_form_save(
    request: HttpRequest,
    actor: Actor,
    pupil: Person,
    iup: IUP | None,
    form: IUPForm,
    *,
    autosave: bool = False,
) -> IUPSaveOutcome:
    """Creates the IUP once per editor page (its token), updates it afterwards; saving the same
    content again writes nothing. An autosave never edits a published IUP (an edit of a
    published IUP is a new version, made on purpose with the button)."""
    if not form.is_valid():
        return IUPSaveOutcome(iup, error=form_errors_text(form))
    token = str(request.POST.get("draft_token", ""))
    if iup is None:
        existing = draft_for_token(request, "iup", pupil.pk, token)
        iup = iup_get(actor, existing) if existing else None
    if autosave and iup is not None and iup.published_at:
        return IUPSaveOutcome(iup, error=_("Published IUP: save your changes with the button."))
    term = iup.term if iup else str(form.cleaned_data["term"])
    if iup is None and IUP.objects.filter(pupil_id=pupil.pk, term=term).exists():
        return IUPSaveOutcome(
            None, error=_("Not saved: the pupil already has an IUP for %(term)s.") % {"term": term}
        )
    codes = [s.code for s in form.subjects] + [form.new_subject_code()]
    data = form.iup_input(term=term, versions=subject_versions_today(c for c in codes if c))
    new_code = form.new_subject_code()
    rename = {}
    row_posted = request.POST.get(f"subjects.{new_code}") or request.POST.get(f"level.{new_code}")
    if new_code and not row_posted:
        rename = {f"subjects.{new_code}": f"{NEW_SUBJECT}.text"}
    texts = {"goals": data.goals, "measures": data.measures}
    texts.update({f"subjects.{s.subject_code}": s.text for s in data.subjects})
    findings = text_check(texts=texts)
    acknowledged = bool(form.cleaned_data.get("acknowledge"))
    try:
        if iup is None:
            iup = iup_create(actor=actor, pupil_id=pupil.pk, data=data, acknowledged=acknowledged)
            draft_remember(request, "iup", pupil.pk, token, iup.pk)
            return IUPSaveOutcome(iup, saved=True, created=True, findings=findings, rename=rename)
        if _unchanged(iup, data):
            return IUPSaveOutcome(iup, saved=True, findings=findings, rename=rename)
        iup = iup_update(actor=actor, iup=iup, data=data, acknowledged=acknowledged)
    except TextGuardFindings as refused:
        return IUPSaveOutcome(iup, findings=refused.findings, rename=rename)
    except ValueError:
        return IUPSaveOutcome(iup, error=_("Not saved: check the levels and subject codes."))
    return IUPSaveOutcome(iup, saved=True, findings=findings, rename=rename)


def _editor(
    request: HttpRequest,
    pupil: Person,
    iup: IUP | None,
    form: IUPForm,
    outcome: IUPSaveOutcome | None,
    token: str,
) -> HttpResponse:
    """The editor page; ``outcome`` is the save this page answers (None when just opened)."""
    if outcome is not None:
        findings, rename, status = outcome.findings, outcome.rename, save_status(outcome)
    else:
        findings = text_check(texts=_stored_texts(iup)) if iup else []
        rename, status = {}, ""
    others = iup_list(actor_of(request), pupil_id=pupil.pk)
    if iup is not None:
        others = others.exclude(pk=iup.pk)
    context = {
        "pupil": pupil,
        "iup": iup,
        "form": form,
        "findings": findings_by_field(findings, rename),
        "has_findings": bool(findings),
        "status": status,
        **editor_urls("iup", pupil.pk, iup),
        "draft_token": token,
        "other_iups": list(others),
    }
    return render(request, "portal/talks/iup_editor.html", context)


@portal_view
def iup_new(request: HttpRequest, pupil_id: int) -> HttpResponse:
    actor = actor_of(request)
    relation = require_staff_pupil(actor, pupil_id)
    pupil = Person.objects.get(pk=pupil_id)
    rows = subject_rows(pupil.pk, None)
    outcome = None
    if request.method == "POST":
        form = IUPForm(request.POST, subjects=rows)
        outcome = iup_form_save(request, actor, pupil, None, form)
        if outcome.saved and outcome.iup is not None:
            messages.success(request, save_status(outcome))
            if request.POST.get("action") == "publish":
                return redirect("portal:iup-publish", iup_id=outcome.iup.pk)
            return redirect("portal:iup", iup_id=outcome.iup.pk)
        token = str(request.POST.get("draft_token", "")) or draft_token_new()
    else:
        initial = {"term": current_term(), "school_year": pupil_school_year(pupil.pk)}
        form = IUPForm(initial=initial, subjects=rows)
        token = draft_token_new()
    log_read(request, actor, {pupil.pk}, "portal.iup.new", known={pupil.pk: relation})
    return _editor(request, pupil, outcome.iup if outcome else None, form, outcome, token)


def _autosave_response(
    request: HttpRequest, form: IUPForm, outcome: IUPSaveOutcome
) -> HttpResponse:
    return autosave_fragment(
        request,
        status=save_status(outcome),
        fields=[f for f in form.text_fields() if f in request.POST],
        findings=outcome.findings,
        rename=outcome.rename,
    )


@portal_view
@require_POST
def iup_new_autosave(request: HttpRequest, pupil_id: int) -> HttpResponse:
    actor = actor_of(request)
    require_staff_pupil(actor, pupil_id)
    pupil = Person.objects.get(pk=pupil_id)
    form = IUPForm(request.POST, subjects=subject_rows(pupil.pk, None))
    outcome = iup_form_save(request, actor, pupil, None, form, autosave=True)
    response = _autosave_response(request, form, outcome)
    if outcome.created and outcome.iup is not None:
        response["HX-Replace-Url"] = reverse("portal:iup", args=[outcome.iup.pk])
    return response


@portal_view
def iup_page(request: HttpRequest, iup_id: int) -> HttpResponse:
    actor = actor_of(request)
    iup = iup_get(actor, iup_id)
    pupil = Person.objects.get(pk=iup.pupil_id)
    if not can_write(actor, iup.pupil_id):
        if request.method == "POST":
            raise DocumentAccessDenied
        log_read(request, actor, {pupil.pk}, "portal.iup.detail", f"iup:{iup.pk}")
        names = subject_names(s.subject_code for s in iup.subjects.all())
        context = {"pupil": pupil, "iup": iup, "subject_names": names}
        return render(request, "portal/talks/iup_detail.html", context)
    rows = subject_rows(pupil.pk, iup)
    outcome = None
    if request.method == "POST":
        form = IUPForm(request.POST, subjects=rows, term_fixed=True, initial={"term": iup.term})
        outcome = iup_form_save(request, actor, pupil, iup, form)
        if outcome.saved:
            messages.success(request, save_status(outcome))
            if request.POST.get("action") == "publish" and not iup.published_at:
                return redirect("portal:iup-publish", iup_id=iup.pk)
            return redirect("portal:iup", iup_id=iup.pk)
    else:
        form = _form_for(iup, rows)
    log_read(request, actor, {pupil.pk}, "portal.iup.detail", f"iup:{iup.pk}")
    return _editor(request, pupil, iup, form, outcome, "")


@portal_view
@require_POST
def iup_autosave(request: HttpRequest, iup_id: int) -> HttpResponse:
    actor = actor_of(request)
    iup = iup_get(actor, iup_id)
    require_staff_pupil(actor, iup.pupil_id)
    pupil = Person.objects.get(pk=iup.pupil_id)
    rows = subject_rows(pupil.pk, iup)
    form = IUPForm(request.POST, subjects=rows, term_fixed=True, initial={"term": iup.term})
    outcome = iup_form_save(request, actor, pupil, iup, form, autosave=True)
    return _autosave_response(request, form, outcome)


def _stored_texts(iup: IUP) -> dict[str, str]:
    texts = {"goals": iup.goals, "measures": iup.measures}
    texts.update({f"subjects.{s.subject_code}": s.text for s in iup.subjects.all()})
    return {k: v for k, v in texts.items() if v}


@portal_view
def iup_publish_page(request: HttpRequest, iup_id: int) -> HttpResponse:
    """Publishing asks first: the IUP becomes a public record the pupil and their guardians
    see."""
    actor = actor_of(request)
    iup = iup_get(actor, iup_id)
    relation = require_staff_pupil(actor, iup.pupil_id)
    if iup.published_at:
        return redirect("portal:iup", iup_id=iup.pk)
    names = subject_names(s.subject_code for s in iup.subjects.all())
    publish = partial(iup_publish, actor=actor, iup=iup)
    publishing = Publishing(
        "iup", iup, relation, _stored_texts(iup), publish, {"subject_names": names}
    )
    return publish_confirmation(request, actor, publishing)
