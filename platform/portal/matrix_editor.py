"""The matrix editor's state: what the posted form holds, the structural edits (add, remove and
move rows and levels, add picked knowledge requirements) and the service input it becomes.

The editor is one plain form: every button posts the whole matrix, so it works without
JavaScript (htmx only swaps the editor instead of the page). Structural edits change the posted
state and save nothing; "Save" and "Save and publish" hand the state to the matrix services,
which validate it and run the text guard. Inputs are named after the services' field names
(``title``, ``levels.0``, ``rows.0.aspect``, ``rows.0.descriptions.1``) so an error or a text
guard finding lands next to its input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from core import request_cache
from curriculum.models import Subject
from curriculum.selectors import subject_detail, subject_list, subject_version_on
from documentation.assessments.models import AssessmentMatrix, MatrixKind
from documentation.assessments.services.matrices import (
    MAX_LEVELS,
    MAX_ROWS,
    MatrixInput,
    RowInput,
)

DEFAULT_LEVELS = ("E", "C", "A")
ASPECT_MAX = 1000


@dataclass
class RowState:
    aspect: str = ""
    key: str = ""  # "<code>:<version>:<key>" of a knowledge requirement, or ""
    descriptions: list[str] = field(default_factory=list)


@dataclass
class MatrixState:
    title: str = ""
    kind: str = MatrixKind.TEACHER
    subject_code: str = ""
    curriculum_version: str = ""
    levels: list[str] = field(default_factory=lambda: list(DEFAULT_LEVELS))
    rows: list[RowState] = field(default_factory=lambda: [RowState()])
    acknowledged: bool = False

    def padded(self) -> MatrixState:
        """Every row with one (possibly empty) text per level."""
        for row in self.rows:
            row.descriptions = (row.descriptions + [""] * len(self.levels))[: len(self.levels)]
        return self

    def to_input(self) -> MatrixInput:
        return MatrixInput(
            title=self.title,
            subject_code=self.subject_code,
            curriculum_version=self.curriculum_version,
            levels=list(self.levels),
            rows=[
                RowInput(
                    aspect=r.aspect,
                    knowledge_requirement_key=r.key,
                    descriptions=tuple(r.descriptions),
                )
                for r in self.rows
            ],
        )


def state_of(matrix: AssessmentMatrix) -> MatrixState:
    """The state of a stored matrix (from ``matrix_detail``: levels and rows prefetched)."""
    levels = sorted(matrix.levels.all(), key=lambda level: level.position)
    column = {level.pk: i for i, level in enumerate(levels)}
    rows = []
    for row in sorted(matrix.rows.all(), key=lambda r: r.position):
        texts = [""] * len(levels)
        for cell in row.cell_texts.all():
            texts[column[cell.level_id]] = cell.description
        rows.append(RowState(row.aspect, row.knowledge_requirement_key, texts))
    return MatrixState(
        title=matrix.title,
        kind=matrix.kind,
        subject_code=matrix.subject_code,
        curriculum_version=matrix.curriculum_version,
        levels=[level.label for level in levels],
        rows=rows,
    )


def _count(data: QueryDict, name: str, maximum: int) -> int:
    value = str(data.get(name, "0"))
    return min(int(value), maximum) if value.isdigit() else 0


def state_from_post(data: QueryDict, *, kind: str = MatrixKind.TEACHER) -> MatrixState:
    """The matrix as the posted form holds it (counts are capped one above the services'
    limits, so an over-long matrix is still refused by them with their message)."""
    levels = [
        str(data.get(f"levels.{i}", "")) for i in range(_count(data, "level_count", MAX_LEVELS + 1))
    ]
    rows = [
        RowState(
            aspect=str(data.get(f"rows.{i}.aspect", ""))[:ASPECT_MAX],
            key=str(data.get(f"rows.{i}.key", "")),
            descriptions=[
                str(data.get(f"rows.{i}.descriptions.{j}", "")) for j in range(len(levels))
            ],
        )
        for i in range(_count(data, "row_count", MAX_ROWS + 1))
    ]
    subject_code = str(data.get("subject_code", "")).strip()
    return MatrixState(
        title=str(data.get("title", "")),
        kind=kind,
        subject_code=subject_code,
        curriculum_version=subject_version_today(subject_code),
        levels=levels,
        rows=rows,
        acknowledged=bool(data.get("acknowledge")),
    )


def subject_version_today(code: str, on: dt.date | None = None) -> str:
    """The syllabus version a matrix written today binds to ("" without a subject)."""
    if not code:
        return ""
    subject = subject_version_on(code=code, on=on or timezone.localdate())
    return str(subject.version) if subject is not None else ""


# --- Structural edits -------------------------------------------------------------------------


@dataclass(frozen=True)
class EditResult:
    message: str  # for the status region
    focus: str  # the id of the element to focus after the page (or the editor) is redrawn


MOVES = {"row-up", "row-down", "level-up", "level-down"}


def _move(state: MatrixState, name: str, index: int) -> EditResult:
    """Swaps a row (or a level, with the cell texts of that column) with its neighbour; the
    focus stays on the pressed button, now at the new place, so pressing again moves on."""
    kind, _sep, direction = name.partition("-")
    size = len(state.rows) if kind == "row" else len(state.levels)
    target = index - 1 if direction == "up" else index + 1
    if not (0 <= index < size and 0 <= target < size):
        return EditResult("", "")
    swapped: list[list[Any]] = [state.rows] if kind == "row" else [state.levels]
    if kind == "level":
        swapped += [row.descriptions for row in state.rows]
    for items in swapped:
        items[index], items[target] = items[target], items[index]
    if kind == "row":
        return EditResult(_("Row moved to place %(n)d.") % {"n": target + 1}, f"{name}-{target}")
    return EditResult(_("Level moved to place %(n)d.") % {"n": target + 1}, f"{name}-{target}")


def edit_apply(
    state: MatrixState, op: str, picked: list[str], requirements: dict[str, str]
) -> EditResult:
    """Applies one structural edit (``op`` is e.g. "add-row", "remove-row:2", "row-up:1")."""
    name, _sep, arg = op.partition(":")
    index = int(arg) if arg.isdigit() else -1
    rows, levels = state.rows, state.levels
    if name == "add-row" and len(rows) < MAX_ROWS:
        rows.append(RowState(descriptions=[""] * len(levels)))
        return EditResult(_("Row %(n)d added.") % {"n": len(rows)}, f"rows-{len(rows) - 1}-aspect")
    if name == "remove-row" and 0 <= index < len(rows):
        rows.pop(index)
        focus = f"rows-{min(index, len(rows) - 1)}-aspect" if rows else "add-row"
        return EditResult(_("Row %(n)d removed.") % {"n": index + 1}, focus)
    if name in MOVES:
        return _move(state, name, index)
    if name == "add-level" and len(levels) < MAX_LEVELS:
        levels.append("")
        for row in rows:
            row.descriptions.append("")
        return EditResult(_("Level %(n)d added.") % {"n": len(levels)}, f"levels-{len(levels) - 1}")
    if name == "remove-level" and 0 <= index < len(levels):
        levels.pop(index)
        for row in rows:
            row.descriptions.pop(index)
        focus = f"levels-{min(index, len(levels) - 1)}" if levels else "add-level"
        return EditResult(_("Level %(n)d removed.") % {"n": index + 1}, focus)
    if name == "add-picked":
        return _add_picked(state, picked, requirements)
    if name == "unlink" and 0 <= index < len(rows):
        rows[index].key = ""
        return EditResult(
            _("Row %(n)d is no longer linked to a knowledge requirement.") % {"n": index + 1},
            f"rows-{index}-aspect",
        )
    return EditResult("", "")


def _add_picked(state: MatrixState, picked: list[str], requirements: dict[str, str]) -> EditResult:
    """One row per picked knowledge requirement (not yet in the matrix), its text as aspect."""
    present = {row.key for row in state.rows}
    empty_rows = [
        i
        for i, row in enumerate(state.rows)
        if not (row.aspect.strip() or row.key or any(row.descriptions))
    ]
    added = 0
    for key in picked:
        if (
            key in present
            or key not in requirements
            or len(state.rows) >= MAX_ROWS + len(empty_rows)
        ):
            continue
        row = RowState(requirements[key][:ASPECT_MAX], key, [""] * len(state.levels))
        if empty_rows:  # the blank row a new matrix starts with is used first
            state.rows[empty_rows.pop(0)] = row
        else:
            state.rows.append(row)
        present.add(key)
        added += 1
    if not added:
        return EditResult(_("Tick the knowledge requirements to add first."), "kr-filter")
    return EditResult(
        _("%(n)d row(s) added from the knowledge requirements.") % {"n": added},
        f"rows-{len(state.rows) - 1}-aspect",
    )


# --- The curriculum picker --------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    reference: str  # "<code>:<version>:<key>"
    label: str  # "Year 6, E" or the course's name
    text: str


def subjects_offered() -> list[Subject]:
    return list(subject_list())


def requirements_of(code: str, version: str) -> list[Requirement]:
    """The subject's knowledge requirements (its own, then its courses'), retired ones left out;
    read once per request (an edit and the page it redraws both need them)."""
    if not code or not version.isdigit():
        return []
    return request_cache.memoised(
        f"portal.matrix_requirements:{code}:{version}", lambda: _requirements_read(code, version)
    )


def _requirements_read(code: str, version: str) -> list[Requirement]:
    try:
        subject = subject_detail(code=code, version=int(version))
    except Subject.DoesNotExist:
        return []
    found = []
    owners: list[tuple[str, Any]] = [("", subject)]
    owners += [(course.name, course) for course in subject.current_courses]  # type: ignore[attr-defined]
    for owner_name, owner in owners:
        for item in owner.requirement_items:
            parts = [owner_name] if owner_name else []
            if item.year:
                parts.append(_("Year %(year)s") % {"year": item.year})
            if item.grade_step:
                parts.append(item.grade_step)
            found.append(
                Requirement(f"{item.code}:{item.version}:{item.key}", ", ".join(parts), item.text)
            )
    return found


def requirements_filtered(requirements: list[Requirement], words: str) -> list[Requirement]:
    """Those whose label or text holds every word of ``words`` (case-insensitive)."""
    wanted = words.casefold().split()
    return [r for r in requirements if all(w in f"{r.label} {r.text}".casefold() for w in wanted)]
