"""The text guard adapter: texts are never saved unchecked, and empty texts need no check."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django_tenants.utils import schema_context

from access.policy import actor_for
from documentation.assessments import guard
from documentation.assessments.models import (
    AssessmentMatrix,
    MatrixLevel,
    MatrixRow,
    SummativeAssessment,
)
from documentation.assessments.services.grid import CellInput, grid_save
from tests.access.world import World
from tests.conftest import TENANT_A


def cells_of(world: World, matrix: AssessmentMatrix, **extra: str) -> list[CellInput]:
    row = MatrixRow.objects.filter(matrix=matrix).first()
    level = MatrixLevel.objects.filter(matrix=matrix).first()
    assert row is not None
    assert level is not None
    return [CellInput(world.people["p5a_1"].pk, row.pk, level.pk, **extra)]


def test_without_the_text_guard_a_comment_is_refused_with_import_error(
    world: World, matrix: AssessmentMatrix, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployment where the text guard's services cannot be imported
    monkeypatch.setattr(guard, "TEXTGUARD_SERVICES", "documentation.textguard.not_installed")
    with schema_context(TENANT_A.slug):
        actor = actor_for(world.users["teacher_5a"])
        # When a comment is saved: ImportError, nothing stored
        with pytest.raises(ImportError):
            grid_save(actor=actor, matrix=matrix, cells=cells_of(world, matrix, comment="Bra"))
        assert not SummativeAssessment.objects.exists()
        # A level without text needs no check and is saved
        grid_save(actor=actor, matrix=matrix, cells=cells_of(world, matrix))
        assert SummativeAssessment.objects.count() == 1


def test_findings_are_shown_with_the_contracts_fields() -> None:
    @dataclass
    class Finding:
        field: str
        start: int
        end: int
        text: str
        category: str
        suggestion: str

    expected = {
        "field": "cells.0.comment", "start": 10, "end": 14, "text": "ADHD",
        "category": "health", "suggestion": "…",
    }  # fmt: skip
    assert guard.finding_as_dict(Finding(**expected)) == expected  # type: ignore[arg-type]
    assert guard.finding_as_dict(expected) == expected
