"""One pupil's assessments on one matrix: a level and a comment per row.

The class grid sets levels for a whole group; this page is where a teacher writes the comments
(the grid keeps them as they are) and assesses a pupil the grid does not list (pupils with
protected identity, see ``selectors.grid_read``). It is a plain form: one submit saves every
changed row.

Access: the matrix must be one the actor reads (``matrix_for_grid``) and the pupil one the actor
documents as staff (``staff_pupil_relations``); anything else is 404. Writes go through
``grid_save`` with the versions the page showed, so a colleague's change meanwhile is a conflict
and is kept; comments pass the text guard (its findings next to the row, a box to keep the
wording). The page is logged as portal.assessments.pupil, a save as
portal.assessments.grid.save (as the grid's).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access.documents import DocumentAccessDenied, staff_pupil_relations
from access.policy import Actor
from documentation.assessments.errors import InvalidInput, MatrixNotOpen
from documentation.assessments.guard import TextGuardRefused
from documentation.assessments.models import (
    AssessmentMatrix,
    MatrixLevel,
    MatrixRow,
    SummativeAssessment,
)
from documentation.assessments.selectors import matrix_for_grid
from documentation.assessments.services.grid import MAX_COMMENT, CellInput
from portal.grid import logged_grid_save
from portal.grid_support import conflicts_in_words
from portal.talk_common import actor_of, findings_by_field, log_read, portal_view
from register.models import Person


def _pupil_for_staff(actor: Actor, pupil_id: int) -> tuple[Person, dict[int, str]]:
    relations = staff_pupil_relations(actor, {pupil_id})
    if not relations:
        raise DocumentAccessDenied
    pupil = Person.objects.only("pk", "given_name", "family_name").get(pk=pupil_id)
    return pupil, relations


def _cells_from_form(
    data: Any, pupil: Person, rows: list[MatrixRow], levels: list[MatrixLevel]
) -> list[CellInput]:
    """One cell per row as the form sent it: the level (or none), the comment and the version
    the page showed. Anything malformed refuses the whole form (InvalidInput)."""
    level_ids = {level.pk for level in levels}
    cells = []
    for row in rows:
        raw_level = data.get(f"level_{row.pk}", "")
        raw_version = data.get(f"v_{row.pk}", "")
        try:
            level_id = int(raw_level) if raw_level else None
            version = int(raw_version)
        except ValueError:
            raise InvalidInput(_("The form was not sent as the page made it.")) from None
        if (level_id is not None and level_id not in level_ids) or version < 0:
            raise InvalidInput(_("The form was not sent as the page made it."))
        comment = str(data.get(f"comment_{row.pk}", ""))
        cells.append(CellInput(pupil.pk, row.pk, level_id, comment, version))
    return cells


@portal_view
@require_http_methods(["GET", "POST"])
def pupil_assessment_page(request: HttpRequest, pupil_id: int, matrix_id: int) -> HttpResponse:
    actor = actor_of(request)
    matrix = matrix_for_grid(actor, matrix_id)
    pupil, relations = _pupil_for_staff(actor, pupil_id)
    here = reverse("portal:pupil-assessment", args=[pupil.pk, matrix.pk])
    rows = list(MatrixRow.objects.filter(matrix=matrix).order_by("position"))
    levels = list(MatrixLevel.objects.filter(matrix=matrix).order_by("position"))
    editable = matrix.published_at is not None and matrix.archived_at is None
    posted: list[CellInput] = []
    findings: dict[str, list[dict[str, str]]] = {}
    conflicts: dict[tuple[int, int], str] = {}
    error, status, code = "", "", 200
    if request.method == "POST":
        acknowledged = request.POST.get("acknowledge") == "1"
        try:
            posted = _cells_from_form(request.POST, pupil, rows, levels)
            result = logged_grid_save(request, actor, matrix, posted, acknowledged=acknowledged)
        except TextGuardRefused as refused:
            # grid_save names a comment by its cell's place in the request: one cell per row
            names = {f"cells.{i}.comment": f"comment_{row.pk}" for i, row in enumerate(rows)}
            findings = findings_by_field(refused.findings, names)
            status = _("Not saved: check the wording marked below, or tick the box to save anyway.")
        except (InvalidInput, MatrixNotOpen) as refused:
            error, code = refused.detail, 400 if isinstance(refused, InvalidInput) else 409
            posted = []
        else:
            if not result.conflicts:
                messages.success(request, _("Saved."))
                return redirect(here)
            attempted = {(c.pupil_id, c.row_id): c.level_id for c in posted}
            conflicts = conflicts_in_words([pupil], rows, levels, result.conflicts, attempted)
            # The other rows were saved (or unchanged): every row shows what is stored now
            posted = []
            status = _("Conflict: see the notice above the form.")
    log_read(
        request,
        actor,
        {pupil.pk},
        "portal.assessments.pupil",
        f"matrix:{matrix.pk},pupil:{pupil.pk}",
        known=relations,
    )
    lines = _lines(matrix, pupil, rows, posted, conflicts)
    for line in lines:
        line["findings"] = findings.get(f"comment_{line['row'].pk}", [])
    context = {
        "pupil": pupil,
        "matrix": matrix,
        "editable": editable,
        "levels": levels,
        "lines": lines,
        "has_findings": bool(findings),
        "conflicts": list(conflicts.values()),
        "error": error,
        "status": status,
        "max_comment": MAX_COMMENT,
    }
    return render(request, "portal/pupil_assessment.html", context, status=code)


def _lines(
    matrix: AssessmentMatrix,
    pupil: Person,
    rows: list[MatrixRow],
    posted: list[CellInput],
    conflicts: dict[tuple[int, int], str],
) -> list[dict[str, Any]]:
    """Per row: what is stored (level, comment, version, who and when), or, when nothing was
    saved (findings to look at), what the teacher sent with the versions their page showed. After
    a conflict ``posted`` is empty: the colleague's value shows, with the version to overwrite it
    knowingly."""
    stored = {
        a.row_id: a
        for a in SummativeAssessment.objects.filter(matrix=matrix, pupil=pupil).select_related(
            "level", "author"
        )
    }
    sent = {c.row_id: c for c in posted}
    lines = []
    for row in rows:
        assessment = stored.get(row.pk)
        cell = sent.get(row.pk)
        stored_level = assessment.level_id if assessment else None
        lines.append(
            {
                "row": row,
                "assessment": assessment,
                # The version the teacher's page showed, unless a colleague's value is shown now
                "version": (
                    cell.expected_version
                    if cell and cell.expected_version is not None
                    else (assessment.version if assessment else 0)
                ),
                "level_id": cell.level_id if cell else stored_level,
                "comment": cell.comment if cell else (assessment.comment if assessment else ""),
                "conflict": conflicts.get((pupil.pk, row.pk), ""),
            }
        )
    return lines
