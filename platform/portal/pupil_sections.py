"""What the pupil page shows besides the pupil's name: per subject the written assessments of
the IUPs, the talks with their answers and agreed actions, and the child switcher.

The talks and IUPs come from the talks selectors, already narrowed by access.documents: staff
with a relation see drafts (marked "staff only" in the template), the pupil and their guardians
see published items only. This module only arranges them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from access.policy import Actor, family_children
from documentation.talks.models import IUP, DevelopmentTalk
from portal.talk_common import pupil_subject_codes, subject_names
from portal.talk_editor import talk_qa
from register.models import Person


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
        "children": children if len(children) > 1 else [],
    }
