"""The talk editor's machinery: which templates apply, how a form becomes a save (a draft
created once per editor page, then updated; an unchanged form writes nothing) and what the
editor and its autosave fragment render."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from access.documents import DocumentAccessDenied, require_staff_pupil
from access.policy import Actor
from documentation.talks.models import DevelopmentTalk, TalkTemplate
from documentation.talks.selectors import talk_get, talk_template_list
from documentation.talks.services.talks import TalkInput, talk_create, talk_update
from documentation.textguard.services import Finding, TextGuardFindings, text_check
from portal.talk_common import (
    autosave_fragment,
    draft_for_token,
    draft_remember,
    editor_urls,
    findings_by_field,
    form_errors_text,
    guardians_listed,
    guardians_protected_ids,
    save_status,
)
from portal.talk_forms import AgreementForm, TalkForm, template_sections
from register.models import Enrolment, Person
from register.models.base import current_q

NO_TEMPLATE = "none"
CHOOSE_TEMPLATE = "choose"


def can_write(actor: Actor, pupil_id: int) -> bool:
    try:
        require_staff_pupil(actor, pupil_id)
    except DocumentAccessDenied:
        return False
    return True


def templates_for(pupil: Person) -> list[TalkTemplate]:
    """The municipality's templates and those decided for the pupil's school (or above it)."""
    lineages = Enrolment.objects.filter(current_q(), person=pupil, cancelled=False).values_list(
        "school_unit__lineage", flat=True
    )
    units = set(chain.from_iterable(lineage or [] for lineage in lineages))
    return list(
        talk_template_list().filter(Q(organisation__isnull=True) | Q(organisation_id__in=units))
    )


def talk_qa(talk: DevelopmentTalk) -> list[dict[str, Any]]:
    """The talk's answers under its template's sections and questions (answers the template
    does not know, e.g. written over the API without a template, come last)."""
    sections = template_sections(talk.template)
    shown: set[str] = set()
    rows = []
    for section in sections:
        answers = []
        for question in section.questions:
            key = question.name.removeprefix("answers.")
            shown.add(key)
            answers.append({"question": question.text, "answer": talk.answers.get(key, "")})
        rows.append({"title": section.title, "answers": answers})
    extra = [
        {"question": "", "answer": text}
        for key, text in sorted(talk.answers.items())
        if key not in shown and text
    ]
    if extra:
        rows.append({"title": _("Other answers"), "answers": extra})
    return rows


# --- Saving (new and existing talks share it) ----------------------------------------------


@dataclass
class SaveOutcome:
    talk: DevelopmentTalk | None
    saved: bool = False
    created: bool = False
    findings: list[Finding] = field(default_factory=list)
    error: str = ""


def talk_unchanged(talk: DevelopmentTalk, data: TalkInput) -> bool:
    guardians = {g.pk for g in talk.guardian_participants.all()}
    return (
        talk.scheduled_at == data.scheduled_at
        and talk.held_on == data.held_on
        and talk.answers == data.answers
        and talk.notes == data.notes
        and talk.pupil_participated == data.pupil_participated
        and guardians == set(data.guardian_participant_ids)
    )


def talk_form_save(
    request: HttpRequest,
    actor: Actor,
    pupil: Person,
    talk: DevelopmentTalk | None,
    form: TalkForm,
    template: TalkTemplate | None,
    *,
    autosave: bool = False,
) -> SaveOutcome:
    """Creates the draft once per editor page (its token), updates it afterwards; saving the
    same content again writes nothing. An autosave never edits a published talk (an edit of
    a published talk is a new version, made on purpose with the button)."""
    if not form.is_valid():
        return SaveOutcome(talk, error=form_errors_text(form))
    token = str(request.POST.get("draft_token", ""))
    if talk is None:
        existing = draft_for_token(request, "talk", pupil.pk, token)
        talk = talk_get(actor, existing) if existing else None
    if autosave and talk is not None and talk.published_at:
        return SaveOutcome(talk, error=_("Published talk: save your changes with the button."))
    findings = text_check(texts={f: str(form.cleaned_data.get(f, "")) for f in form.text_fields()})
    kept_answers: dict[str, str] = {}
    kept_guardians: set[int] = set()
    if talk is not None:
        in_form = {name.removeprefix("answers.") for name in form.fields}
        kept_answers = {k: v for k, v in talk.answers.items() if k not in in_form}
        participating = {g.pk for g in talk.guardian_participants.all()}
        kept_guardians = participating & guardians_protected_ids(pupil)
    data = form.talk_input(
        template_id=template.pk if template else None,
        kept_answers=kept_answers,
        kept_guardian_ids=sorted(kept_guardians),
    )
    acknowledged = bool(form.cleaned_data.get("acknowledge"))
    try:
        if talk is None:
            talk = talk_create(actor=actor, pupil_id=pupil.pk, data=data, acknowledged=acknowledged)
            draft_remember(request, "talk", pupil.pk, token, talk.pk)
            return SaveOutcome(talk, saved=True, created=True, findings=findings)
        if talk_unchanged(talk, data):
            return SaveOutcome(talk, saved=True, findings=findings)
        talk = talk_update(actor=actor, talk=talk, data=data, acknowledged=acknowledged)
    except TextGuardFindings as refused:
        return SaveOutcome(talk, findings=refused.findings)
    except ValueError:
        return SaveOutcome(talk, error=_("Not saved: a participant is not the pupil's guardian."))
    return SaveOutcome(talk, saved=True, findings=findings)


def template_chosen(request: HttpRequest, pupil: Person) -> tuple[bool, TalkTemplate | None]:
    """(chosen?, template) for a new talk: ?template=<id> or "none"; a single template is
    chosen without asking."""
    templates = templates_for(pupil)
    choice = str(request.POST.get("template") or request.GET.get("template") or "")
    if choice == CHOOSE_TEMPLATE:
        return False, None
    if choice == NO_TEMPLATE or (not choice and not templates):
        return True, None
    if choice.isdigit():
        chosen = next((t for t in templates if t.pk == int(choice)), None)
        if chosen is None:
            raise TalkTemplate.DoesNotExist
        return True, chosen
    if len(templates) == 1:
        return True, templates[0]
    return False, None


def editor_context(
    actor: Actor,
    pupil: Person,
    talk: DevelopmentTalk | None,
    form: TalkForm,
    template: TalkTemplate | None,
    findings: list[Finding],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "pupil": pupil,
        "talk": talk,
        "form": form,
        "template": template,
        "findings": findings_by_field(findings),
        "has_findings": bool(findings),
        **editor_urls("talk", pupil.pk, talk),
        "can_edit": True,
        "agreements": list(talk.agreements.all()) if talk else [],
        "agreement_form": AgreementForm(),
        **extra,
    }


def guardian_initial(talk: DevelopmentTalk) -> list[int]:
    return [g.pk for g in talk.guardian_participants.all()]


def talk_form_for(talk: DevelopmentTalk, pupil: Person) -> TalkForm:
    initial: dict[str, Any] = {
        "scheduled_at": timezone.localtime(talk.scheduled_at) if talk.scheduled_at else None,
        "held_on": talk.held_on,
        "pupil_participated": talk.pupil_participated,
        "guardians": guardian_initial(talk),
        "notes": talk.notes,
    }
    initial.update({f"answers.{k}": v for k, v in talk.answers.items()})
    return TalkForm(
        initial=initial,
        sections=template_sections(talk.template),
        guardians=guardians_listed(pupil),
    )


def autosave_response(request: HttpRequest, form: TalkForm, outcome: SaveOutcome) -> HttpResponse:
    return autosave_fragment(
        request,
        status=save_status(outcome),
        fields=[f for f in form.text_fields() if f in request.POST],
        findings=outcome.findings,
        talk=outcome.talk,
        created=outcome.created,
        agreements=[],
        agreement_form=AgreementForm(),
        can_edit=True,
    )
