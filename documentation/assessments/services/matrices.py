"""Creating, changing, publishing, archiving and copying assessment matrices.

Decisions (docs/documentation.md, "Assessments"):
- Who edits: a teacher-made matrix only by its owner (school staff); a Skolverket-based matrix
  only by a municipality administrator. Teachers never edit a Skolverket-based matrix: they copy
  it into a teacher-made matrix of their own (``matrix_copy``).
- Published matrices are frozen, not versioned in place: assessments point at their rows and
  levels, so changing a published row's text would rewrite what pupils were assessed against. A
  changed matrix is a new draft copied from the published one (``derived_from``); the old one is
  archived when it should no longer be used. Drafts are edited freely (their structure is
  replaced as a whole) and may be deleted; published matrices are archived, never deleted.
- Every text (title, level labels, aspects, cell texts) passes the text guard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.policy import Actor
from documentation.assessments.errors import InvalidInput, MatrixFrozen, MatrixLocked, NotAllowed
from documentation.assessments.guard import guard_texts
from documentation.assessments.models import (
    AssessmentMatrix,
    MatrixCellText,
    MatrixKind,
    MatrixLevel,
    MatrixRow,
)
from register.models import Organisation

MAX_LEVELS = 10
MAX_ROWS = 100


@dataclass(frozen=True)
class RowInput:
    aspect: str
    knowledge_requirement_key: str = ""
    # The cell texts of this row, one per level in level order ("" = no text for that level).
    descriptions: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class MatrixInput:
    title: str
    levels: Sequence[str]
    rows: Sequence[RowInput]
    subject_code: str = ""
    curriculum_version: str = ""
    organisation_id: int | None = None


def _require_author(actor: Actor, kind: str) -> None:
    user = actor.user
    if kind == MatrixKind.SKOLVERKET and not user.is_municipality_admin:
        raise MatrixLocked(
            _("Skolverket-based matrices are managed by the municipality; copy one to adapt it.")
        )
    if kind == MatrixKind.TEACHER and not user.is_school_staff:
        raise NotAllowed(_("Only school staff create teacher-made matrices."))


def _require_editable(actor: Actor, matrix: AssessmentMatrix) -> None:
    """The actor may change this matrix (its kind and owner allow it); frozen is checked apart."""
    _require_author(actor, matrix.kind)
    if matrix.kind == MatrixKind.TEACHER and matrix.owner_id != actor.user.pk:
        raise MatrixLocked(
            _("Only the teacher who made this matrix edits it; copy it to adapt it.")
        )


def _require_draft(matrix: AssessmentMatrix) -> None:
    if matrix.archived_at is not None:
        raise MatrixFrozen(_("The matrix is archived."))
    if matrix.published_at is not None:
        raise MatrixFrozen(_("A published matrix is frozen; copy it to make a new version."))


def _validated(data: MatrixInput, kind: str) -> MatrixInput:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = _("A title is required.")
    if not 1 <= len(data.levels) <= MAX_LEVELS:
        errors["levels"] = _("Between 1 and %(count)d levels.") % {"count": MAX_LEVELS}
    elif any(not label.strip() for label in data.levels):
        errors["levels"] = _("Every level needs a label.")
    elif len({label.strip() for label in data.levels}) != len(data.levels):
        errors["levels"] = _("Level labels must differ.")
    if len(data.rows) > MAX_ROWS:
        errors["rows"] = _("At most %(count)d rows.") % {"count": MAX_ROWS}
    for index, row in enumerate(data.rows):
        if not row.aspect.strip():
            errors[f"rows.{index}.aspect"] = _("Every row needs an aspect.")
        if len(row.descriptions) > len(data.levels):
            errors[f"rows.{index}.descriptions"] = _("At most one text per level.")
        key = row.knowledge_requirement_key
        if key and (key.count(":") != 2 or not all(key.split(":"))):
            errors[f"rows.{index}.knowledge_requirement_key"] = (
                'A knowledge requirement is referenced as "<subject code>:<version>:<key>".'
            )
    if kind == MatrixKind.SKOLVERKET and not (data.subject_code and data.curriculum_version):
        errors["subject_code"] = _("A Skolverket-based matrix names its subject code and version.")
    if data.organisation_id is not None and not (
        Organisation.objects.filter(pk=data.organisation_id).exists()
    ):
        errors["organisation"] = _("Unknown organisation.")
    if errors:
        raise InvalidInput(_("The matrix is not valid."), errors=errors)
    return data


def _texts(data: MatrixInput) -> dict[str, str]:
    texts = {"title": data.title}
    texts.update({f"levels.{i}": label for i, label in enumerate(data.levels)})
    for i, row in enumerate(data.rows):
        texts[f"rows.{i}.aspect"] = row.aspect
        texts.update({f"rows.{i}.descriptions.{j}": d for j, d in enumerate(row.descriptions)})
    return texts


def _structure_create(matrix: AssessmentMatrix, data: MatrixInput) -> None:
    """Levels, rows and cell texts in three INSERTs."""
    levels = MatrixLevel.objects.bulk_create(
        MatrixLevel(matrix=matrix, position=i, label=label.strip())
        for i, label in enumerate(data.levels)
    )
    rows = MatrixRow.objects.bulk_create(
        MatrixRow(
            matrix=matrix,
            position=i,
            aspect=row.aspect.strip(),
            knowledge_requirement_key=row.knowledge_requirement_key.strip(),
        )
        for i, row in enumerate(data.rows)
    )
    MatrixCellText.objects.bulk_create(
        MatrixCellText(row=row, level=level, description=text)
        for row, row_input in zip(rows, data.rows, strict=True)
        for level, text in zip(levels, row_input.descriptions, strict=False)
        if text.strip()
    )


@transaction.atomic
def matrix_create(
    *,
    actor: Actor,
    kind: str = MatrixKind.TEACHER,
    data: MatrixInput,
    acknowledged_text_guard: bool = False,
) -> AssessmentMatrix:
    """A new draft matrix owned by the actor."""
    if kind not in MatrixKind.values:
        raise InvalidInput(_("Unknown kind."), errors={"kind": "teacher or skolverket"})
    _require_author(actor, kind)
    _validated(data, kind)
    guard_texts(
        texts=_texts(data),
        acknowledged=acknowledged_text_guard,
        user=actor.user,
        document_ref="assessments.matrix:new",
        organisation_id=data.organisation_id,
    )
    matrix = AssessmentMatrix.objects.create(
        title=data.title.strip(),
        kind=kind,
        subject_code=data.subject_code.strip(),
        curriculum_version=data.curriculum_version.strip(),
        owner=actor.user,
        organisation_id=data.organisation_id,
    )
    _structure_create(matrix, data)
    return matrix


def _locked(matrix: AssessmentMatrix) -> AssessmentMatrix:
    """The matrix row locked for this transaction (a publish and an edit never interleave)."""
    return AssessmentMatrix.objects.select_for_update().get(pk=matrix.pk)


@transaction.atomic
def matrix_update(
    *,
    actor: Actor,
    matrix: AssessmentMatrix,
    data: MatrixInput,
    acknowledged_text_guard: bool = False,
) -> AssessmentMatrix:
    """Replaces a draft's title, references and structure (levels, rows, cell texts)."""
    _require_editable(actor, matrix)
    matrix = _locked(matrix)
    _require_draft(matrix)
    _validated(data, matrix.kind)
    guard_texts(
        texts=_texts(data),
        acknowledged=acknowledged_text_guard,
        user=actor.user,
        document_ref=f"assessments.matrix:{matrix.pk}",
        organisation_id=data.organisation_id,
    )
    # A draft has no assessments (they need a published matrix), so replacing is safe.
    MatrixRow.objects.filter(matrix=matrix).delete()
    MatrixLevel.objects.filter(matrix=matrix).delete()
    matrix.title = data.title.strip()
    matrix.subject_code = data.subject_code.strip()
    matrix.curriculum_version = data.curriculum_version.strip()
    matrix.organisation_id = data.organisation_id
    matrix.save()
    _structure_create(matrix, data)
    return matrix


@transaction.atomic
def matrix_publish(*, actor: Actor, matrix: AssessmentMatrix) -> AssessmentMatrix:
    """Freezes the matrix and opens it for assessments (publishing twice changes nothing)."""
    _require_editable(actor, matrix)
    matrix = _locked(matrix)
    if matrix.published_at is not None:
        return matrix
    _require_draft(matrix)
    if not (matrix.rows.exists() and matrix.levels.exists()):
        raise InvalidInput(
            _("A matrix needs at least one row and one level to be published."),
            errors={"rows": "required"},
        )
    matrix.published_at = timezone.now()
    matrix.save(update_fields=["published_at", "updated_at"])
    return matrix


@transaction.atomic
def matrix_archive(*, actor: Actor, matrix: AssessmentMatrix) -> AssessmentMatrix:
    """Takes the matrix out of use: it stays readable with its assessments, none are added."""
    _require_editable(actor, matrix)
    matrix = _locked(matrix)
    if matrix.archived_at is None:
        matrix.archived_at = timezone.now()
        matrix.save(update_fields=["archived_at", "updated_at"])
    return matrix


@transaction.atomic
def matrix_delete(*, actor: Actor, matrix: AssessmentMatrix) -> None:
    """Removes a draft (published matrices are archived instead)."""
    _require_editable(actor, matrix)
    matrix = _locked(matrix)
    _require_draft(matrix)
    matrix.delete()


@transaction.atomic
def matrix_copy(
    *, actor: Actor, matrix: AssessmentMatrix, kind: str = MatrixKind.TEACHER
) -> AssessmentMatrix:
    """A new draft owned by the actor with the matrix's texts and structure: how a teacher adapts
    a Skolverket-based matrix, and how a published matrix gets a new version."""
    _require_author(actor, kind)
    levels = list(matrix.levels.order_by("position"))
    rows = list(matrix.rows.order_by("position").prefetch_related("cell_texts"))
    level_index = {level.pk: i for i, level in enumerate(levels)}
    row_inputs = []
    for row in rows:
        descriptions = [""] * len(levels)
        for text in row.cell_texts.all():
            descriptions[level_index[text.level_id]] = text.description
        row_inputs.append(
            RowInput(
                aspect=row.aspect,
                knowledge_requirement_key=row.knowledge_requirement_key,
                descriptions=tuple(descriptions),
            )
        )
    copy = AssessmentMatrix.objects.create(
        title=matrix.title,
        kind=kind,
        subject_code=matrix.subject_code,
        curriculum_version=matrix.curriculum_version,
        owner=actor.user,
        organisation_id=matrix.organisation_id,
        derived_from=matrix,
    )
    # The texts were checked when the original was saved.
    _structure_create(
        copy,
        MatrixInput(title=matrix.title, levels=[lv.label for lv in levels], rows=row_inputs),
    )
    return copy
