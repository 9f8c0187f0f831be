"""The class grid (read and bulk save) and one pupil's assessments. Every response carries
pupil documentation and writes exactly one read-log entry naming the pupils in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from documentation.assessments.api.common import (
    AssessmentApi,
    actor_of,
    log_read,
    refuse_out_of_scope_deep,
)
from documentation.assessments.selectors import (
    author_name,
    grid_group_get,
    grid_read,
    matrix_for_grid,
    matrix_get,
    pupil_assessments,
)
from documentation.assessments.services.grid import MAX_CELLS, CellInput, grid_save

# --- The grid ------------------------------------------------------------------------------------


class GridQuery(serializers.Serializer):
    matrix = serializers.IntegerField(min_value=1)
    group = serializers.IntegerField(min_value=1)


class GridPupilOutput(serializers.Serializer):
    id = serializers.IntegerField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    relation = serializers.CharField()


class GridRowOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    aspect = serializers.CharField()
    knowledge_requirement_key = serializers.CharField()


class GridLevelOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # (Field.label)


class GridCellOutput(serializers.Serializer):
    pupil_id = serializers.IntegerField()
    row_id = serializers.IntegerField()
    level_id = serializers.IntegerField(allow_null=True)
    assessed_on = serializers.DateField()
    comment = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    author_id = serializers.IntegerField()
    author = serializers.CharField()


class GridOutput(serializers.Serializer):
    matrix = serializers.DictField()
    group = serializers.DictField()
    pupils = GridPupilOutput(many=True)
    rows = GridRowOutput(many=True)
    levels = GridLevelOutput(many=True)
    cells = GridCellOutput(many=True, help_text="Assessed cells only (the rest are empty).")


class GridCellInput(serializers.Serializer):
    pupil_id = serializers.IntegerField(min_value=1)
    row_id = serializers.IntegerField(min_value=1)
    level_id = serializers.IntegerField(
        min_value=1, allow_null=True, help_text="null clears the cell's level."
    )
    comment = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False,
        help_text='Omitted or null keeps the current comment; "" clears it.',
    )  # fmt: skip
    expected_version = serializers.IntegerField(
        required=False, allow_null=True, min_value=0,
        help_text="The version you saw (0: never assessed). Omitted: last write wins.",
    )  # fmt: skip
    assessed_on = serializers.DateField(required=False, allow_null=True)


class GridSaveInput(serializers.Serializer):
    matrix = serializers.IntegerField(min_value=1)
    acknowledge = serializers.BooleanField(default=False)
    cells = serializers.ListField(child=GridCellInput(), max_length=MAX_CELLS)


class CellStateOutput(serializers.Serializer):
    pupil_id = serializers.IntegerField()
    row_id = serializers.IntegerField()
    version = serializers.IntegerField()
    level_id = serializers.IntegerField(allow_null=True)


class CellConflictOutput(serializers.Serializer):
    pupil_id = serializers.IntegerField()
    row_id = serializers.IntegerField()
    current_version = serializers.IntegerField()
    current_level_id = serializers.IntegerField(allow_null=True)
    current_author = serializers.CharField()
    current_author_id = serializers.IntegerField(allow_null=True)


class GridSaveOutput(serializers.Serializer):
    saved = CellStateOutput(many=True)
    unchanged = CellStateOutput(many=True)
    conflicts = CellConflictOutput(many=True)


class GridApi(AssessmentApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("matrix", int, required=True),
            OpenApiParameter("group", int, required=True),
        ],
        responses=GridOutput,
    )
    def get(self, request: Request) -> Response:
        """The group's pupils x the matrix's rows with the current assessments."""
        query = GridQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        actor = actor_of(request)
        matrix = matrix_get(actor, query.validated_data["matrix"])
        group = grid_group_get(actor, query.validated_data["group"])
        grid = grid_read(actor=actor, matrix=matrix, group=group)
        body = {
            "matrix": {
                "id": matrix.pk,
                "title": matrix.title,
                "kind": matrix.kind,
                "subject_code": matrix.subject_code,
                "curriculum_version": matrix.curriculum_version,
                "published_at": matrix.published_at,
                "archived_at": matrix.archived_at,
            },
            "group": {"id": group.pk, "name": group.display_name},
            "pupils": GridPupilOutput(grid.pupils, many=True).data,
            "rows": GridRowOutput(grid.rows, many=True).data,
            "levels": GridLevelOutput(grid.levels, many=True).data,
            "cells": [_cell(cell) for cell in grid.cells],
        }
        log_read(
            request,
            {p.pk: p.relation for p in grid.pupils},  # type: ignore[attr-defined]
            resource="assessments.grid.read",
            object_ref=f"matrix:{matrix.pk},group:{group.pk}",
        )
        return Response(body)

    @extend_schema(request=GridSaveInput, responses=GridSaveOutput)
    def put(self, request: Request) -> Response:
        """Saves many cells at once; see docs/documentation.md for versions and conflicts."""
        refuse_out_of_scope_deep(request.data)
        matrix_id, acknowledge, cells = parse_grid_save(request.data)
        actor = actor_of(request)
        matrix = matrix_for_grid(actor, matrix_id)
        # The answer names pupils and, for conflicts, their current assessment: a read, logged
        # as the last statement of the save's transaction (one COMMIT for both).
        result = grid_save(
            actor=actor,
            matrix=matrix,
            cells=cells,
            acknowledged_text_guard=acknowledge,
            before_commit=lambda saved: log_read(
                request,
                saved.relations,
                resource="assessments.grid.save",
                object_ref=f"matrix:{matrix.pk}",
            ),
        )
        return Response(
            {
                "saved": [vars(state) for state in result.saved],
                "unchanged": [vars(state) for state in result.unchanged],
                "conflicts": [vars(conflict) for conflict in result.conflicts],
            }
        )


def _id(value: Any) -> int | None:
    """A positive integer id, or None when ``value`` is not one (booleans are not ids)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def parse_grid_save(data: Any) -> tuple[int, bool, list[CellInput]]:
    """(matrix id, acknowledge, cells) from the PUT body, as GridSaveInput describes it.

    Parsed by hand rather than by GridSaveInput (which documents it): DRF's field machinery
    costs about a tenth of a millisecond per cell, a third of a 300-cell save."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"detail": _("A JSON object is expected.")})
    errors: dict[str, str] = {}
    matrix_id = _id(data.get("matrix"))
    if matrix_id is None:
        errors["matrix"] = _("A matrix id is required.")
    acknowledge = data.get("acknowledge", False)
    if not isinstance(acknowledge, bool):
        errors["acknowledge"] = "true or false."
    raw = data.get("cells")
    if not isinstance(raw, list) or len(raw) > MAX_CELLS:
        errors["cells"] = _("A list of at most %(count)d cells.") % {"count": MAX_CELLS}
        raw = []
    cells = []
    for index, item in enumerate(raw):
        where = f"cells.{index}"
        if not isinstance(item, dict):
            errors[where] = _("A cell is an object.")
            continue
        pupil_id, row_id = _id(item.get("pupil_id")), _id(item.get("row_id"))
        level = item.get("level_id", ...)
        level_id = None if level is None else _id(level)
        comment = item.get("comment")
        expected = item.get("expected_version")
        on = item.get("assessed_on")
        if pupil_id is None or row_id is None:
            errors[where] = "pupil_id and row_id are required ids."
        elif level is ... or (level is not None and level_id is None):
            errors[f"{where}.level_id"] = _("A level id, or null to clear the level.")
        elif comment is not None and not isinstance(comment, str):
            errors[f"{where}.comment"] = _("A text, or null to keep the comment.")
        elif expected is not None and (
            isinstance(expected, bool) or not isinstance(expected, int) or expected < 0
        ):
            errors[f"{where}.expected_version"] = _("A version (0: never assessed), or null.")
        else:
            try:
                assessed_on = None if on is None else dt.date.fromisoformat(str(on))
            except ValueError:
                errors[f"{where}.assessed_on"] = _("A date (YYYY-MM-DD), or null.")
                continue
            cells.append(CellInput(pupil_id, row_id, level_id, comment, expected, assessed_on))
    if errors:
        raise serializers.ValidationError(errors)
    assert matrix_id is not None
    return matrix_id, acknowledge, cells


def _cell(cell: dict[str, Any]) -> dict[str, Any]:
    return {
        "pupil_id": cell["pupil_id"],
        "row_id": cell["row_id"],
        "level_id": cell["level_id"],
        "assessed_on": cell["assessed_on"],
        "comment": cell["comment"],
        "version": cell["version"],
        "updated_at": cell["updated_at"],
        "author_id": cell["author_id"],
        "author": author_name(
            cell["author__first_name"], cell["author__last_name"], cell["author__username"]
        ),
    }


# --- One pupil -----------------------------------------------------------------------------------


class HistoryOutput(serializers.Serializer):
    version = serializers.IntegerField()
    old_level = serializers.CharField(source="old_level.label", allow_null=True, default=None)
    new_level = serializers.CharField(source="new_level.label", allow_null=True, default=None)
    comment = serializers.CharField()
    assessed_on = serializers.DateField()
    author = serializers.SerializerMethodField()
    at = serializers.DateTimeField()

    def get_author(self, change: Any) -> str:
        return author_name(
            change.author.first_name, change.author.last_name, change.author.username
        )


class PupilAssessmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    matrix = serializers.SerializerMethodField()
    row = GridRowOutput()
    level = GridLevelOutput(allow_null=True)
    assessed_on = serializers.DateField()
    comment = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    author = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    def get_matrix(self, assessment: Any) -> dict[str, Any]:
        matrix = assessment.matrix
        return {
            "id": matrix.pk,
            "title": matrix.title,
            "kind": matrix.kind,
            "subject_code": matrix.subject_code,
            "curriculum_version": matrix.curriculum_version,
        }

    def get_author(self, assessment: Any) -> str:
        author = assessment.author
        return author_name(author.first_name, author.last_name, author.username)

    def get_history(self, assessment: Any) -> list[dict[str, Any]] | None:
        history = self.context.get("history")
        if history is None:
            return None
        return HistoryOutput(history.get(assessment.pk, []), many=True).data  # type: ignore[return-value]


class PupilAssessmentsApi(AssessmentApi):
    """A pupil's summative assessments: staff with a direct relation and the author read all of
    them; the pupil and their guardians those on published matrices shared with them."""

    @extend_schema(
        parameters=[OpenApiParameter("history", bool, description="Staff: every change too")],
        responses=PupilAssessmentOutput(many=True),
    )
    def get(self, request: Request, pupil_id: int) -> Response:
        with_history = request.query_params.get("history") in {"1", "true"}
        found = pupil_assessments(actor_of(request), pupil_id, with_history=with_history)
        body = {
            "pupil": {
                "id": found.pupil.pk,
                "given_name": found.pupil.given_name,
                "family_name": found.pupil.family_name,
            },
            "relation": found.relation,
            "assessments": PupilAssessmentOutput(
                found.assessments, many=True, context={"history": found.history}
            ).data,
        }
        log_read(
            request,
            {found.pupil.pk: found.relation},
            resource="assessments.pupil.detail",
            object_ref=f"pupil:{found.pupil.pk}",
        )
        return Response(body)
