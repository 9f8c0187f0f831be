"""Matrices and class-size groups for the assessment tests (and the grid benchmark).

Matrices are written straight to the tables here (test set-up, not a write path under test);
the services are tested with their own calls."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from accounts.models import User
from documentation.assessments.models import (
    AssessmentMatrix,
    MatrixCellText,
    MatrixKind,
    MatrixLevel,
    MatrixRow,
)
from register.models import Group, Person
from tests.factories import EnrolmentFactory, MembershipFactory, PersonFactory

LEVELS = ("E", "C", "A")


def matrix_make(
    owner: User,
    *,
    rows: int = 3,
    levels: Sequence[str] = LEVELS,
    kind: str = MatrixKind.TEACHER,
    published: bool = True,
    title: str = "Taluppfattning och tals användning",
) -> AssessmentMatrix:
    """A matrix in the current schema: ``rows`` aspects x ``levels``, with cell texts."""
    matrix = AssessmentMatrix.objects.create(
        title=title,
        kind=kind,
        subject_code="GRGRMAT01",
        curriculum_version="2022",
        owner=owner,
        published_at=timezone.now() if published else None,
    )
    level_rows = MatrixLevel.objects.bulk_create(
        MatrixLevel(matrix=matrix, position=i, label=label) for i, label in enumerate(levels)
    )
    matrix_rows = MatrixRow.objects.bulk_create(
        MatrixRow(
            matrix=matrix,
            position=i,
            aspect=f"Aspekt {i + 1}",
            knowledge_requirement_key=f"GRGRMAT01:2022:kk-{i + 1}",
        )
        for i in range(rows)
    )
    MatrixCellText.objects.bulk_create(
        MatrixCellText(row=row, level=level, description=f"{row.aspect} på nivå {level.label}")
        for row in matrix_rows
        for level in level_rows
    )
    return matrix


def pupils_add(
    group: Group, school_unit_id: int, count: int, prefix: str = "extra"
) -> list[Person]:
    """``count`` more current pupils enrolled at the unit and members of ``group``."""
    added = []
    for n in range(count):
        person = PersonFactory(given_name=f"{prefix}{n:03d}")
        EnrolmentFactory(person=person, school_unit_id=school_unit_id)
        MembershipFactory(person=person, group=group)
        added.append(person)
    return added
