"""What the pupil page shows besides the pupil's name: per subject the written assessments of
the IUPs, the summative assessments against the knowledge requirements (per matrix), the talks
with their answers and agreed actions, and the child switcher.

The talks and IUPs come from the talks selectors, already narrowed by access.documents: staff
with a relation see drafts (marked "staff only" in the template), the pupil and their guardians
see published items only. The summative assessments come from the assessments app's selector,
which applies the same policy and the municipality's choice whether families see assessments
against Skolverket's own matrices. This module only arranges them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from access.documents import staff_groups
from access.policy import Actor, family_children
from documentation.assessments.models import AssessmentMatrix, SummativeAssessment
from documentation.assessments.selectors import pupil_assessments
from documentation.talks.models import IUP, DevelopmentTalk
from portal.grid_support import matrices_by_group
from portal.talk_common import pupil_subject_codes, subject_names
from portal.talk_editor import talk_qa
from register.models import Group, GroupMembership, Person


def subject_sections(
    pupil: Person, iups: Sequence[IUP], *, is_staff: bool
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One section per subject: staff get every current subject of the pupil (the place where
    plans and assessments will be shown too), the family only subjects with something to read.
    Also returns the syllabus names by code."""
    assessed: dict[str, list[dict[str, Any]]] = {}
    for iup in iups:  # newest term first (the model's ordering)
        for subject in iup.subjects.all():
            assessed.setdefault(subject.subject_code, []).append({"iup": iup, "a": subject})
    codes = set(assessed)
    if is_staff:
        codes |= set(pupil_subject_codes(pupil.pk))
    names = subject_names(codes)
    rows: list[dict[str, Any]] = [
        {"code": code, "name": names.get(code, ""), "assessments": assessed.get(code, [])}
        for code in codes
    ]
    return sorted(rows, key=lambda row: str(row["name"] or row["code"]).casefold()), names


def pupil_page_sections(
    actor: Actor,
    pupil: Person,
    *,
    is_staff: bool,
    talks: Sequence[DevelopmentTalk],
    iups: Sequence[IUP],
) -> dict[str, Any]:
    for talk in talks:
        talk.qa = talk_qa(talk)  # type: ignore[attr-defined]
    children = list(family_children(actor)) if getattr(pupil, "relation", "") == "guardian" else []
    subjects, names = subject_sections(pupil, iups, is_staff=is_staff)
    return {
        "subjects": subjects,
        "subject_names": names,
        "matrix_assessments": matrix_sections(actor, pupil),
        "assessable_matrices": assessable_matrices(actor, pupil) if is_staff else [],
        "children": children if len(children) > 1 else [],
    }


def matrix_sections(actor: Actor, pupil: Person) -> list[dict[str, Any]]:
    """The pupil's summative assessments the actor may read, one section per matrix (by title),
    its rows in the matrix's order. A cell cleared to no level still shows its comment."""
    try:
        found = pupil_assessments(actor, pupil.pk)
    except Person.DoesNotExist:  # the page's own lookup allowed the pupil; nothing to show
        return []
    sections: dict[int, tuple[AssessmentMatrix, list[SummativeAssessment]]] = {}
    for assessment in found.assessments:
        sections.setdefault(assessment.matrix_id, (assessment.matrix, []))[1].append(assessment)
    return [{"matrix": matrix, "assessments": rows} for matrix, rows in sections.values()]


def assessable_matrices(actor: Actor, pupil: Person) -> list[AssessmentMatrix]:
    """The open matrices a member of staff assesses the pupil on: those of the pupil's current
    groups the actor documents, as the class grid offers them (``matrices_by_group``)."""
    groups = Group.objects.filter(
        pk__in=staff_groups(actor),
        id__in=GroupMembership.objects.current(actor.on).filter(person=pupil).values("group_id"),
    )
    found: dict[int, AssessmentMatrix] = {}
    for matrices in matrices_by_group(actor, groups).values():
        for matrix in matrices:
            found.setdefault(matrix.pk, matrix)
    return sorted(found.values(), key=lambda m: (m.title.casefold(), m.pk))
