"""Development talks: from the school's template, with agreed actions and their follow-up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from access.documents import DocumentAccessDenied, require_staff_pupil
from access.policy import Actor
from documentation.common.guard import guard_texts
from documentation.talks.models import DevelopmentTalk, TalkAgreement, TalkTemplate
from documentation.talks.services.versions import version_snapshot
from register.models import Duty, Person, Responsible
from register.models.base import current_q
from register.models.choices import DutyRole


@dataclass(frozen=True)
class TalkInput:
    template_id: int | None = None
    scheduled_at: dt.datetime | None = None
    held_on: dt.date | None = None
    answers: dict[str, str] = field(default_factory=dict)
    notes: str = ""
    staff_participant_ids: tuple[int, ...] = ()
    guardian_participant_ids: tuple[int, ...] = ()
    pupil_participated: bool = True


def _guard(actor: Actor, talk_ref: str, data: TalkInput, acknowledged: bool) -> None:
    texts = {f"answers.{key}": text for key, text in data.answers.items()}
    texts["notes"] = data.notes
    guard_texts(texts=texts, acknowledged=acknowledged, user=actor.user, document_ref=talk_ref)


def _check_participants(pupil: Person, data: TalkInput) -> None:
    allowed = set(Responsible.objects.filter(pupil=pupil).values_list("guardian_id", flat=True))
    if not set(data.guardian_participant_ids) <= allowed:
        raise ValueError("Only the pupil's own responsible adults can take part.")


@transaction.atomic
def talk_create(
    *, actor: Actor, pupil_id: int, data: TalkInput, acknowledged: bool = False
) -> DevelopmentTalk:
    require_staff_pupil(actor, pupil_id)
    pupil = Person.objects.get(pk=pupil_id)
    _check_participants(pupil, data)
    template = (
        TalkTemplate.objects.get(pk=data.template_id, archived_at__isnull=True)
        if data.template_id
        else None
    )
    talk = DevelopmentTalk.objects.create(
        pupil=pupil,
        template=template,
        scheduled_at=data.scheduled_at,
        held_on=data.held_on,
        answers=data.answers,
        notes=data.notes,
        pupil_participated=data.pupil_participated,
        author=actor.user,
    )
    _guard(actor, f"talks.talk:{talk.pk}", data, acknowledged)
    talk.staff_participants.set(data.staff_participant_ids or [actor.user.pk])
    talk.guardian_participants.set(data.guardian_participant_ids)
    return talk


@transaction.atomic
def talk_update(
    *, actor: Actor, talk: DevelopmentTalk, data: TalkInput, acknowledged: bool = False
) -> DevelopmentTalk:
    require_staff_pupil(actor, talk.pupil_id)
    _check_participants(talk.pupil, data)
    _guard(actor, f"talks.talk:{talk.pk}", data, acknowledged)
    talk.scheduled_at = data.scheduled_at
    talk.held_on = data.held_on
    talk.answers = data.answers
    talk.notes = data.notes
    talk.pupil_participated = data.pupil_participated
    talk.save()
    talk.guardian_participants.set(data.guardian_participant_ids)
    if data.staff_participant_ids:
        talk.staff_participants.set(data.staff_participant_ids)
    if talk.published_at:  # an edit of a published talk is a new version
        version_snapshot(
            kind="talk", document=talk, snapshot=talk_snapshot(talk), author=actor.user
        )
    return talk


@transaction.atomic
def talk_publish(*, actor: Actor, talk: DevelopmentTalk) -> DevelopmentTalk:
    """Makes the talk's notes and agreements visible to the pupil and their guardians."""
    require_staff_pupil(actor, talk.pupil_id)
    if talk.published_at is None:
        talk.published_at = timezone.now()
        talk.save(update_fields=["published_at"])
        version_snapshot(
            kind="talk", document=talk, snapshot=talk_snapshot(talk), author=actor.user
        )
    return talk


@transaction.atomic
def agreement_add(
    *,
    actor: Actor,
    talk: DevelopmentTalk,
    text: str,
    responsible: str,
    follow_up_on: dt.date | None,
    acknowledged: bool = False,
) -> TalkAgreement:
    require_staff_pupil(actor, talk.pupil_id)
    agreement = TalkAgreement.objects.create(
        talk=talk,
        text=text,
        responsible=responsible,
        follow_up_on=follow_up_on,
        created_by=actor.user,
    )
    # Guarded as a document of its own (after the insert, which a refusal rolls back): the
    # same words in the talk's next agreement are a new acknowledgement.
    guard_texts(
        texts={"text": text},
        acknowledged=acknowledged,
        user=actor.user,
        document_ref=f"talks.agreement:{agreement.pk}",
    )
    return agreement


@transaction.atomic
def agreement_follow_up(
    *, actor: Actor, agreement: TalkAgreement, note: str, acknowledged: bool = False
) -> TalkAgreement:
    require_staff_pupil(actor, agreement.talk.pupil_id)
    guard_texts(
        texts={"follow_up_note": note},
        acknowledged=acknowledged,
        user=actor.user,
        document_ref=f"talks.agreement:{agreement.pk}",
    )
    agreement.follow_up_note = note
    agreement.followed_up_at = timezone.now()
    agreement.save(update_fields=["follow_up_note", "followed_up_at"])
    return agreement


@transaction.atomic
def talk_template_create(
    *, actor: Actor, organisation_id: int | None, title: str, sections: list[dict[str, Any]]
) -> TalkTemplate:
    """Templates are the principal's decision: a current Rektor duty at the school (or, for a
    municipality-wide template, a municipality administrator)."""
    if organisation_id is None:
        allowed = actor.user.is_municipality_admin
    else:
        allowed = Duty.objects.filter(
            current_q(actor.on),
            person__user=actor.user,
            duty_role=DutyRole.PRINCIPAL,
            duty_at_id=organisation_id,
        ).exists()
    if not allowed:
        raise DocumentAccessDenied
    _validate_sections(sections)
    return TalkTemplate.objects.create(
        organisation_id=organisation_id, title=title, sections=sections, decided_by=actor.user
    )


def _validate_sections(sections: list[dict[str, Any]]) -> None:
    if not sections:
        raise ValueError("A template needs at least one section.")
    for section in sections:
        if not isinstance(section.get("title"), str) or not section["title"].strip():
            raise ValueError("Every section needs a title.")
        questions = section.get("questions")
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            raise ValueError("Every section needs a list of questions.")


def talk_snapshot(talk: DevelopmentTalk) -> dict[str, Any]:
    return {
        "pupil_id": talk.pupil_id,
        "template_id": talk.template_id,
        "held_on": talk.held_on.isoformat() if talk.held_on else None,
        "answers": talk.answers,
        "notes": talk.notes,
        "agreements": [
            {"text": a.text, "responsible": a.responsible, "follow_up_on": str(a.follow_up_on)}
            for a in talk.agreements.all()
        ],
    }
