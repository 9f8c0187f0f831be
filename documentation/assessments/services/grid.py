"""Saving many cells of the class grid in one request: set-based, idempotent, with versions.

Rules (docs/documentation.md, "Assessments"):
- A cell is (pupil, matrix row) -> level (or None to clear) and an optional comment (None keeps
  the current comment, "" clears it).
- Idempotent: a cell equal to what is stored is reported ``unchanged`` and writes nothing,
  whatever version it names, so an autosave that is retried never conflicts with itself.
- Versions: every stored change increments ``version`` (a cell never assessed is version 0).
  A cell that names ``expected_version`` is saved only if that is still the current version;
  otherwise it is reported in ``conflicts`` (with the current level, version and author) and not
  saved. A cell without ``expected_version`` overwrites: last write wins. Conflicts do not stop the
  other cells of the request.
- Access: every pupil must be one the actor writes about as staff (access.documents); if any is
  not, the whole request is refused (DocumentAccessDenied, 404) and nothing is saved.
- Changed, non-empty comments pass the text guard first; with unacknowledged findings nothing is
  saved.
- Saves on one matrix are serialised by a transaction-level advisory lock: versions are computed
  from rows nobody else can change meanwhile, and two first assessments of the same cell cannot
  both insert.

Statements, whatever the number of cells: the matrix's rows and levels (none when the caller
fetched them with the matrix: selectors.matrix_for_grid), the access check (1), the lock (1),
the stored cells (1), then at most two writes: the new cells with their history rows, and the
changed cells with theirs (plus the text guard's, when comments changed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import gettext as _

from access.documents import DocumentAccessDenied, staff_pupil_relations
from access.policy import Actor
from core.db import connection
from core.logging import request_id_var
from documentation.assessments.errors import InvalidInput, MatrixNotOpen
from documentation.assessments.guard import guard_texts
from documentation.assessments.models import (
    AssessmentMatrix,
    MatrixLevel,
    MatrixRow,
    SummativeAssessment,
    SummativeAssessmentHistory,
)
from documentation.assessments.selectors import author_name

MAX_CELLS = 3000
MAX_COMMENT = 4000
_GRID_LOCK = "SELECT pg_advisory_xact_lock(hashtext('larspar.assessments.grid'), %s)"


@dataclass(frozen=True)
class CellInput:
    pupil_id: int
    row_id: int
    level_id: int | None
    comment: str | None = None
    expected_version: int | None = None
    assessed_on: dt.date | None = None


@dataclass(frozen=True)
class CellState:
    pupil_id: int
    row_id: int
    version: int
    level_id: int | None


@dataclass(frozen=True)
class CellConflict:
    pupil_id: int
    row_id: int
    current_version: int
    current_level_id: int | None
    current_author: str
    current_author_id: int | None


@dataclass
class GridSaveResult:
    saved: list[CellState] = field(default_factory=list)
    unchanged: list[CellState] = field(default_factory=list)
    conflicts: list[CellConflict] = field(default_factory=list)
    # The relation that let the actor write about each pupil of the request (for the read log).
    relations: dict[int, str] = field(default_factory=dict)


def _validate_shape(cells: list[CellInput], on: dt.date) -> None:
    errors: dict[str, str] = {}
    if len(cells) > MAX_CELLS:
        raise InvalidInput(_("At most %(count)d cells per request.") % {"count": MAX_CELLS})
    seen: set[tuple[int, int]] = set()
    for index, cell in enumerate(cells):
        key = (cell.pupil_id, cell.row_id)
        if key in seen:
            errors[f"cells.{index}"] = _("The same pupil and row twice in one request.")
        seen.add(key)
        if cell.comment is not None and len(cell.comment) > MAX_COMMENT:
            errors[f"cells.{index}.comment"] = _("At most %(count)d characters.") % {
                "count": MAX_COMMENT
            }
        if cell.expected_version is not None and cell.expected_version < 0:
            errors[f"cells.{index}.expected_version"] = _("Versions start at 0 (never assessed).")
        if cell.assessed_on is not None and cell.assessed_on > on:
            errors[f"cells.{index}.assessed_on"] = _("An assessment cannot be dated in the future.")
    if errors:
        raise InvalidInput(_("Some cells are not valid."), errors=errors)


def _validate_matrix_refs(matrix: AssessmentMatrix, cells: list[CellInput]) -> None:
    """Every cell's row and level belong to the matrix. Uses ``row_ids``/``level_ids`` when the
    caller fetched them with the matrix (selectors.matrix_for_grid), else one query."""
    row_ids = getattr(matrix, "row_ids", None)
    level_ids = getattr(matrix, "level_ids", None)
    if row_ids is None or level_ids is None:
        refs = (
            MatrixRow.objects.filter(matrix=matrix)
            .annotate(kind=Value("row"))
            .values_list("kind", "pk")
            .union(
                MatrixLevel.objects.filter(matrix=matrix)
                .annotate(kind=Value("level"))
                .values_list("kind", "pk"),
                all=True,
            )
        )
        row_ids, level_ids = [], []
        for kind, pk in refs:
            (row_ids if kind == "row" else level_ids).append(pk)
    row_ids, level_ids = set(row_ids), set(level_ids)
    errors: dict[str, str] = {}
    for index, cell in enumerate(cells):
        if cell.row_id not in row_ids:
            errors[f"cells.{index}.row_id"] = _("Not a row of this matrix.")
        if cell.level_id is not None and cell.level_id not in level_ids:
            errors[f"cells.{index}.level_id"] = _("Not a level of this matrix.")
    if errors:
        raise InvalidInput(_("Some cells do not belong to this matrix."), errors=errors)


# The writes, each one statement whatever the number of cells: the cells arrive as arrays and
# are unnest()ed, and the history rows are inserted from the RETURNING of the same statement.
_INSERT_NEW = """
WITH v AS (
    SELECT * FROM unnest(%(pupil)s::bigint[], %(row)s::bigint[], %(level)s::bigint[],
                         %(comment)s::text[], %(on)s::date[])
           AS v(pupil_id, row_id, level_id, comment, assessed_on)
), saved AS (
    INSERT INTO {assessment} (pupil_id, matrix_id, row_id, level_id, assessed_on, author_id,
                              comment, version, created_at, updated_at)
    SELECT v.pupil_id, %(matrix)s, v.row_id, v.level_id, v.assessed_on, %(author)s,
           v.comment, 1, %(now)s, %(now)s
      FROM v
    RETURNING id, pupil_id, row_id, version, level_id, comment, assessed_on
)
INSERT INTO {history} (assessment_id, pupil_id, row_id, version, old_level_id, new_level_id,
                       comment, assessed_on, author_id, at, request_id)
SELECT id, pupil_id, row_id, version, NULL, level_id, comment, assessed_on, %(author)s,
       %(now)s, %(request_id)s
  FROM saved
"""
_UPDATE_CHANGED = """
WITH v AS (
    SELECT * FROM unnest(%(id)s::bigint[], %(level)s::bigint[], %(comment)s::text[],
                         %(on)s::date[], %(version)s::integer[], %(old_level)s::bigint[])
           AS v(id, level_id, comment, assessed_on, version, old_level_id)
), saved AS (
    UPDATE {assessment} AS a
       SET level_id = v.level_id, comment = v.comment, assessed_on = v.assessed_on,
           version = v.version, author_id = %(author)s, updated_at = %(now)s
      FROM v
     WHERE a.id = v.id AND a.version = v.version - 1
    RETURNING a.id, a.pupil_id, a.row_id, a.version, v.old_level_id, a.level_id, a.comment,
              a.assessed_on
)
INSERT INTO {history} (assessment_id, pupil_id, row_id, version, old_level_id, new_level_id,
                       comment, assessed_on, author_id, at, request_id)
SELECT id, pupil_id, row_id, version, old_level_id, level_id, comment, assessed_on, %(author)s,
       %(now)s, %(request_id)s
  FROM saved
"""


@dataclass
class _Stored:
    id: int
    level_id: int | None
    comment: str
    assessed_on: dt.date
    version: int
    author_id: int
    author_names: tuple[str, str, str]  # first, last, username (named only in conflicts)


@dataclass
class _Change:
    pupil_id: int
    row_id: int
    level_id: int | None
    comment: str
    assessed_on: dt.date
    version: int
    stored: _Stored | None


@transaction.atomic
def grid_save(
    *,
    actor: Actor,
    matrix: AssessmentMatrix,
    cells: list[CellInput],
    acknowledged_text_guard: bool = False,
    before_commit: Callable[[GridSaveResult], None] | None = None,
) -> GridSaveResult:
    """Saves the cells that changed (see the module's rules); returns what happened to each.

    ``before_commit`` runs last inside the save's transaction: the API writes its read-log
    entry there, so a save and its entry commit together, with one COMMIT."""
    if matrix.published_at is None or matrix.archived_at is not None:
        raise MatrixNotOpen(_("Assessments are saved on published matrices that are not archived."))
    result = GridSaveResult()
    if not cells:
        if before_commit is not None:
            before_commit(result)
        return result
    on = actor.on
    _validate_shape(cells, on)
    _validate_matrix_refs(matrix, cells)
    pupil_ids = {cell.pupil_id for cell in cells}
    result.relations = staff_pupil_relations(actor, pupil_ids)
    if len(result.relations) != len(pupil_ids):
        raise DocumentAccessDenied

    with connection.cursor() as cursor:
        cursor.execute(_GRID_LOCK, [matrix.pk])
    current = _current(matrix, pupil_ids, {cell.row_id for cell in cells})

    changes: list[_Change] = []
    texts: dict[str, str] = {}
    identities: dict[str, str] = {}  # the request's field name -> the comment it is
    for index, cell in enumerate(cells):
        stored = current.get((cell.pupil_id, cell.row_id))
        stored_level = stored.level_id if stored else None
        stored_comment = stored.comment if stored else ""
        stored_version = stored.version if stored else 0
        comment = stored_comment if cell.comment is None else cell.comment
        same = (
            cell.level_id == stored_level
            and comment == stored_comment
            and (stored is None or cell.assessed_on in (None, stored.assessed_on))
        )
        if same:
            result.unchanged.append(
                CellState(cell.pupil_id, cell.row_id, stored_version, stored_level)
            )
            continue
        if cell.expected_version is not None and cell.expected_version != stored_version:
            result.conflicts.append(_conflict(cell, stored))
            continue
        if comment != stored_comment:
            texts[f"cells.{index}.comment"] = comment
            identities[f"cells.{index}.comment"] = f"comment.{cell.pupil_id}.{cell.row_id}"
        if cell.assessed_on is not None:
            assessed_on = cell.assessed_on
        elif stored is not None and cell.level_id == stored_level:
            assessed_on = stored.assessed_on  # a changed comment keeps the assessment's date
        else:
            assessed_on = on  # a new level is dated today
        changes.append(
            _Change(
                pupil_id=cell.pupil_id, row_id=cell.row_id, level_id=cell.level_id,
                comment=comment, assessed_on=assessed_on, version=stored_version + 1,
                stored=stored,
            )
        )  # fmt: skip

    guard_texts(
        texts=texts,
        acknowledged=acknowledged_text_guard,
        user=actor.user,
        document_ref=f"assessments.grid:{matrix.pk}",
        organisation_id=matrix.organisation_id,
        field_identities=identities,
    )
    _write(matrix, changes, author_id=actor.user.pk)
    result.saved = [CellState(c.pupil_id, c.row_id, c.version, c.level_id) for c in changes]
    if before_commit is not None:
        before_commit(result)
    return result


_STORED_FIELDS = (
    "pk", "pupil_id", "row_id", "level_id", "comment", "assessed_on", "version", "author_id",
    "author__first_name", "author__last_name", "author__username",
)  # fmt: skip


def _current(
    matrix: AssessmentMatrix, pupil_ids: set[int], row_ids: set[int]
) -> dict[tuple[int, int], _Stored]:
    """The stored cells among the request's, as plain values (one query, no model instances)."""
    stored = SummativeAssessment.objects.filter(
        matrix=matrix, pupil_id__in=pupil_ids, row_id__in=row_ids
    ).values_list(*_STORED_FIELDS)
    current = {}
    for row in stored:
        pk, pupil_id, row_id, level_id, comment, assessed_on, version, author_id = row[:8]
        current[(pupil_id, row_id)] = _Stored(
            id=pk,
            level_id=level_id,
            comment=comment,
            assessed_on=assessed_on,
            version=version,
            author_id=author_id,
            author_names=row[8:],
        )
    return current


def _write(matrix: AssessmentMatrix, changes: list[_Change], *, author_id: int) -> None:
    """At most two statements: the new cells with their history, the changed cells with theirs."""
    tables = {
        "assessment": connection.ops.quote_name(SummativeAssessment._meta.db_table),
        "history": connection.ops.quote_name(SummativeAssessmentHistory._meta.db_table),
    }
    request_id = request_id_var.get()
    common = {
        "author": author_id,
        "now": timezone.now(),
        "request_id": "" if request_id == "-" else request_id[:64],
        "matrix": matrix.pk,
    }
    new = [c for c in changes if c.stored is None]
    changed = [c for c in changes if c.stored is not None]
    with connection.cursor() as cursor:
        if new:
            cursor.execute(
                _INSERT_NEW.format(**tables),
                {
                    **common,
                    "pupil": [c.pupil_id for c in new],
                    "row": [c.row_id for c in new],
                    "level": [c.level_id for c in new],
                    "comment": [c.comment for c in new],
                    "on": [c.assessed_on for c in new],
                },
            )
            if cursor.rowcount != len(new):
                raise RuntimeError("not every new assessment was stored")
        if changed:
            cursor.execute(
                _UPDATE_CHANGED.format(**tables),
                {
                    **common,
                    "id": [c.stored.id for c in changed if c.stored],
                    "level": [c.level_id for c in changed],
                    "comment": [c.comment for c in changed],
                    "on": [c.assessed_on for c in changed],
                    "version": [c.version for c in changed],
                    "old_level": [c.stored.level_id for c in changed if c.stored],
                },
            )
            # The lock makes a lost update impossible; if one ever happened, write nothing.
            if cursor.rowcount != len(changed):
                raise RuntimeError("assessments changed under the grid lock")


def _conflict(cell: CellInput, stored: _Stored | None) -> CellConflict:
    return CellConflict(
        pupil_id=cell.pupil_id,
        row_id=cell.row_id,
        current_version=stored.version if stored else 0,
        current_level_id=stored.level_id if stored else None,
        current_author=author_name(*stored.author_names) if stored else "",
        current_author_id=stored.author_id if stored else None,
    )
