"""The whole-class assessment grid: a group's pupils x a matrix's rows, one level per cell.

Keyboard first (static/portal/grid.js): a key per level sets the focused cell, saves it and
moves down to the next pupil, so assessing a class on one row takes one key press per pupil.
Each change is saved at once through ``grid_save`` with the version the page showed: a cell a
colleague changed meanwhile is reported as a conflict, with their value, and never overwritten.
Without the script the page is a plain form: one submit saves every changed cell the same way.

Access is the selectors': ``matrix_for_grid`` (matrices the actor reads) and ``grid_group_get``
(groups the actor documents as staff); anything else is 404. Every answer naming pupils is
logged: the page as portal.assessments.grid, each save as portal.assessments.grid.save.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import ValidationError

from access.documents import DocumentAccessDenied, staff_groups
from access.policy import Actor
from accounts.policy import second_factor_satisfied
from documentation.assessments.api.grid import parse_grid_save
from documentation.assessments.errors import InvalidInput, MatrixNotOpen
from documentation.assessments.models import AssessmentMatrix
from documentation.assessments.selectors import grid_group_get, grid_read, matrix_for_grid
from documentation.assessments.services.grid import CellInput, GridSaveResult, grid_save
from portal.grid_support import (
    CONFLICT_TEXT,
    cell_renderer,
    cells_from_form,
    conflict_sentences,
    grid_lines,
    level_choices,
    matrices_by_group,
    row_label,
)
from portal.talk_common import actor_of, log_read, portal_view
from register.models import Group


@portal_view
def grids_page(request: HttpRequest) -> HttpResponse:
    """The groups the actor assesses, each with the matrices it is assessed on (no pupils)."""
    actor = actor_of(request)
    groups = list(
        Group.objects.filter(pk__in=staff_groups(actor))
        .select_related("organisation")
        .order_by("display_name", "pk")
    )
    by_group = matrices_by_group(actor, groups)
    rows = [{"group": group, "matrices": by_group.get(group.pk, [])} for group in groups]
    return render(request, "portal/grids.html", {"rows": rows})


def _is_open(matrix: AssessmentMatrix) -> bool:
    return matrix.published_at is not None and matrix.archived_at is None


def logged_grid_save(
    request: HttpRequest,
    actor: Actor,
    matrix: AssessmentMatrix,
    cells: list[CellInput],
    *,
    acknowledged: bool = False,
) -> GridSaveResult:
    """grid_save, with the read-log entry for its answer (pupils, colleagues' values) written
    last inside the save's transaction, as the API does. Also the pupil assessment page's."""
    return grid_save(
        actor=actor,
        matrix=matrix,
        cells=cells,
        acknowledged_text_guard=acknowledged,
        before_commit=lambda saved: log_read(
            request,
            actor,
            saved.relations,
            "portal.assessments.grid.save",
            f"matrix:{matrix.pk}",
            known=saved.relations,
        ),
    )


def _saved_at() -> str:
    return _("Saved %(time)s") % {"time": time_format(timezone.localtime(), "H:i")}


@portal_view
@require_http_methods(["GET", "POST"])
def grid_page(request: HttpRequest, group_id: int, matrix_id: int) -> HttpResponse:
    actor = actor_of(request)
    matrix = matrix_for_grid(actor, matrix_id)
    group = grid_group_get(actor, group_id)
    here = reverse("portal:grid", args=[group.pk, matrix.pk])
    error = ""
    status = 200
    result: GridSaveResult | None = None
    attempted: dict[tuple[int, int], int | None] = {}
    if request.method == "POST":  # the plain form: every changed cell in one save
        try:
            cells = cells_from_form(request.POST)
            attempted = {(c.pupil_id, c.row_id): c.level_id for c in cells}
            if not cells:
                messages.info(request, _("There were no changes to save."))
                return redirect(here)
            result = logged_grid_save(request, actor, matrix, cells)
        except (InvalidInput, MatrixNotOpen) as refused:
            error, status = refused.detail, 400 if isinstance(refused, InvalidInput) else 409
        if result is not None and not result.conflicts:
            messages.success(request, _saved_at())
            return redirect(here)
    grid = grid_read(actor=actor, matrix=matrix, group=group)
    log_read(
        request,
        actor,
        [p.pk for p in grid.pupils],
        "portal.assessments.grid",
        f"matrix:{matrix.pk},group:{group.pk}",
        known={p.pk: p.relation for p in grid.pupils},  # type: ignore[attr-defined]
    )
    sentences = conflict_sentences(grid, result.conflicts, attempted) if result else {}
    levels = level_choices(grid.levels)
    editable = _is_open(matrix)
    render_cell = cell_renderer(levels, _("No level"), editable=editable)
    context: dict[str, Any] = {
        "group": group,
        "matrix": matrix,
        "editable": editable,
        "rows": [{"row": row, "label": row_label(row.aspect)} for row in grid.rows],
        "levels": levels,
        "lines": grid_lines(grid, sentences, render_cell),
        "conflicts": [(key, text) for key, text in sentences.items()],
        "error": error,
        "status": _("Conflict") if sentences else "",
        "conflict_text": _(CONFLICT_TEXT),
        "save_url": reverse("portal:grid-save", args=[group.pk, matrix.pk]),
    }
    return render(request, "portal/grid.html", context, status=status)


def _answer(status: str, code: int = 200, **body: Any) -> JsonResponse:
    return JsonResponse({"status": status, **body}, status=code)


@require_POST
def grid_autosave(request: HttpRequest, group_id: int, matrix_id: int) -> JsonResponse:
    """The script's save of the cells just changed (JSON in, JSON out); the body is the API's
    grid save body without the matrix: {"cells": [{pupil_id, row_id, level_id,
    expected_version}]}. Answers with the status line and what happened to each cell."""
    if not second_factor_satisfied(request):
        return _answer(
            _(
                "Not saved: you have been signed out. "
                "Sign in again in a new tab, then choose again."
            ),
            401,
        )
    actor = actor_of(request)
    try:
        matrix = matrix_for_grid(actor, matrix_id)
        grid_group_get(actor, group_id)
        body = json.loads(request.body or b"{}")
        _matrix_id, _ack, cells = parse_grid_save(
            {"matrix": matrix.pk, "cells": body.get("cells") if isinstance(body, dict) else None}
        )
        result = logged_grid_save(request, actor, matrix, cells)
    except (ObjectDoesNotExist, DocumentAccessDenied):
        return _answer(_("Not saved: the page is no longer available to you."), 404)
    except (ValueError, ValidationError, InvalidInput):  # json's errors are ValueErrors
        return _answer(_("Not saved: the server did not accept the change."), 400)
    except MatrixNotOpen as refused:
        return _answer(refused.detail, 409)
    if result.conflicts:
        count = len(result.conflicts)
        status = ngettext(
            "Conflict: %(count)d change was not saved; see the notice above the grid.",
            "Conflict: %(count)d changes were not saved; see the notice above the grid.",
            count,
        ) % {"count": count}
    else:
        status = _saved_at()
    return _answer(
        status,
        saved=[vars(state) for state in result.saved],
        unchanged=[vars(state) for state in result.unchanged],
        conflicts=[vars(conflict) for conflict in result.conflicts],
    )
