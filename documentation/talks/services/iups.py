"""IUPs: written assessments per subject and a forward-looking plan, versioned once published."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from access.documents import require_staff_pupil
from access.policy import Actor
from documentation.common.guard import guard_texts
from documentation.talks.models import IUP, IUPSubjectAssessment
from documentation.talks.services.versions import version_snapshot
from register.models import Person


@dataclass(frozen=True)
class SubjectInput:
    subject_code: str
    level: str = ""
    text: str = ""
    curriculum_version: str = ""


@dataclass(frozen=True)
class IUPInput:
    term: str
    school_year: int | None = None
    goals: str = ""
    measures: str = ""
    subjects: tuple[SubjectInput, ...] = field(default_factory=tuple)


def _guard(actor: Actor, iup_ref: str, data: IUPInput, acknowledged: bool) -> None:
    texts = {"goals": data.goals, "measures": data.measures}
    texts.update({f"subjects.{s.subject_code}": s.text for s in data.subjects})
    guard_texts(texts=texts, acknowledged=acknowledged, user=actor.user, document_ref=iup_ref)


def _replace_subjects(iup: IUP, subjects: tuple[SubjectInput, ...]) -> None:
    codes = [s.subject_code for s in subjects]
    if len(set(codes)) != len(codes):
        raise ValueError("Each subject can be assessed once per IUP.")
    valid_levels = {choice.value for choice in IUPSubjectAssessment.Level} | {""}
    if any(s.level not in valid_levels for s in subjects):
        raise ValueError("Unknown level.")
    iup.subjects.exclude(subject_code__in=codes).delete()
    existing = {a.subject_code: a for a in iup.subjects.all()}
    for subject in subjects:
        row = existing.get(subject.subject_code) or IUPSubjectAssessment(
            iup=iup, subject_code=subject.subject_code
        )
        row.level, row.text = subject.level, subject.text
        row.curriculum_version = subject.curriculum_version
        row.save()


@transaction.atomic
def iup_create(*, actor: Actor, pupil_id: int, data: IUPInput, acknowledged: bool = False) -> IUP:
    require_staff_pupil(actor, pupil_id)
    iup = IUP.objects.create(
        pupil=Person.objects.get(pk=pupil_id),
        term=data.term,
        school_year=data.school_year,
        goals=data.goals,
        measures=data.measures,
        author=actor.user,
    )
    _guard(actor, f"talks.iup:{iup.pk}", data, acknowledged)
    _replace_subjects(iup, data.subjects)
    return iup


@transaction.atomic
def iup_update(*, actor: Actor, iup: IUP, data: IUPInput, acknowledged: bool = False) -> IUP:
    require_staff_pupil(actor, iup.pupil_id)
    _guard(actor, f"talks.iup:{iup.pk}", data, acknowledged)
    iup.school_year, iup.goals, iup.measures = data.school_year, data.goals, data.measures
    iup.save()
    _replace_subjects(iup, data.subjects)
    if iup.published_at:  # published IUPs are public records: an edit is a new version
        version_snapshot(kind="iup", document=iup, snapshot=iup_snapshot(iup), author=actor.user)
    return iup


@transaction.atomic
def iup_publish(*, actor: Actor, iup: IUP) -> IUP:
    require_staff_pupil(actor, iup.pupil_id)
    if iup.published_at is None:
        iup.published_at = timezone.now()
        iup.save(update_fields=["published_at"])
        version_snapshot(kind="iup", document=iup, snapshot=iup_snapshot(iup), author=actor.user)
    return iup


def iup_snapshot(iup: IUP) -> dict[str, Any]:
    return {
        "pupil_id": iup.pupil_id,
        "term": iup.term,
        "school_year": iup.school_year,
        "goals": iup.goals,
        "measures": iup.measures,
        "subjects": [
            {"subject_code": s.subject_code, "level": s.level, "text": s.text}
            for s in iup.subjects.all()
        ],
    }
