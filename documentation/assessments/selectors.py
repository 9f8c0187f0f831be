"""Reading matrices, the class grid and a pupil's assessments, each in a fixed number of queries.

Who reads what (docs/documentation.md, "Assessments"):
- matrices are teaching material, not pupil data: staff read every published matrix and their own
  drafts (municipality administrators also the Skolverket-based drafts they manage); pupils and
  guardians read published teacher-made matrices, and published Skolverket-based ones when the
  municipality's AssessmentSettings say so;
- assessments are pupil documentation and go through ``access.documents``: staff with a direct
  relation (and the author) read all of a pupil's assessments; the pupil and their guardians read
  those on published matrices they may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Value, When

from access.documents import (
    FAMILY_RELATIONS,
    SHARED_VISIBILITY,
    STAFF_RELATION_ORDER,
    pupil_documents,
    staff_groups,
)
from access.policy import Actor, pupils, relation_annotation
from accounts.models import User
from core import request_cache
from core.db import connection
from documentation.assessments.models import (
    AssessmentMatrix,
    AssessmentSettings,
    MatrixKind,
    MatrixLevel,
    MatrixRow,
    SummativeAssessment,
    SummativeAssessmentHistory,
    Visibility,
)
from register.models import Group, GroupMembership, Person
from register.models.choices import SecurityMarking

FAMILY_RELATION_ORDER = ("self", "guardian")
AUTHOR_RELATION = "author"


def assessment_settings_get() -> AssessmentSettings:
    """The municipality's assessment settings (defaults until changed); once per request."""
    return request_cache.memoised(
        f"assessment_settings:{connection.schema_name}",
        lambda: AssessmentSettings.objects.get_or_create(id=1)[0],
    )


def is_staff(user: User) -> bool:
    return bool(user.is_school_staff or user.is_municipality_admin)


# --- Matrices ------------------------------------------------------------------------------------


def family_visible_q(settings: AssessmentSettings, prefix: str = "") -> Q:
    """Published matrices pupils and guardians may see (``prefix`` for related lookups)."""
    kinds = [MatrixKind.TEACHER]
    if settings.skolverket_visibility == Visibility.PUPIL_GUARDIANS:
        kinds.append(MatrixKind.SKOLVERKET)
    return Q(**{f"{prefix}published_at__isnull": False, f"{prefix}kind__in": kinds})


def matrix_list(actor: Actor) -> QuerySet[AssessmentMatrix]:
    user = actor.user
    matrices = AssessmentMatrix.objects.all()
    if not user.is_active:
        return matrices.none()
    if is_staff(user):
        readable = Q(published_at__isnull=False) | Q(owner_id=user.pk)
        if user.is_municipality_admin:
            readable |= Q(kind=MatrixKind.SKOLVERKET)
        return matrices.filter(readable)
    return matrices.filter(family_visible_q(assessment_settings_get()))


def matrix_get(actor: Actor, matrix_id: int) -> AssessmentMatrix:
    """The matrix if the actor may read it; AssessmentMatrix.DoesNotExist (404) otherwise."""
    return matrix_list(actor).get(pk=matrix_id)


def matrix_for_grid(actor: Actor, matrix_id: int) -> AssessmentMatrix:
    """matrix_get with the ids of its rows and levels (``row_ids``, ``level_ids``) in the same
    statement: what a grid save checks its cells against."""
    rows = MatrixRow.objects.filter(matrix=OuterRef("pk")).values("pk")
    levels = MatrixLevel.objects.filter(matrix=OuterRef("pk")).values("pk")
    return (
        matrix_list(actor)
        .annotate(row_ids=ArraySubquery(rows), level_ids=ArraySubquery(levels))
        .get(pk=matrix_id)
    )


def matrix_detail(actor: Actor, matrix_id: int) -> AssessmentMatrix:
    """The matrix with its levels, rows and cell texts (four queries)."""
    return (
        matrix_list(actor)
        .prefetch_related("levels", "rows__cell_texts")
        .select_related("owner")
        .get(pk=matrix_id)
    )


# --- The class grid ------------------------------------------------------------------------------


@dataclass
class GridView:
    matrix: AssessmentMatrix
    group: Group
    pupils: list[Person]  # each with ``relation``
    rows: list[MatrixRow]
    levels: list[MatrixLevel]
    cells: list[dict[str, Any]] = field(default_factory=list)


def grid_group_get(actor: Actor, group_id: int) -> Group:
    """A group whose documentation the actor reads as staff; Group.DoesNotExist otherwise."""
    return Group.objects.filter(pk__in=staff_groups(actor)).get(pk=group_id)


def grid_read(*, actor: Actor, matrix: AssessmentMatrix, group: Group) -> GridView:
    """The group's current members the actor writes about x the matrix's rows, with the current
    assessments. Four queries whatever the size (pupils, rows, levels, cells).

    Pupils with protected identity are never listed (``access.policy.group_members``' rule for
    lists); teachers assess them from the pupil's own page, and the grid save accepts their cells.
    """
    members = GroupMembership.objects.current(actor.on).filter(group=group).values("person_id")
    grid_pupils: list[Person] = [
        pupil
        for pupil in pupils()
        .filter(pk__in=members, security_marking=SecurityMarking.NONE)
        .annotate(relation=relation_annotation(actor, STAFF_RELATION_ORDER))
        .order_by("family_name", "given_name", "pk")
        .only("pk", "given_name", "family_name")
        if pupil.relation  # staff_pupils(actor): see staff_pupil_relations
    ]
    rows = list(MatrixRow.objects.filter(matrix=matrix).order_by("position"))
    levels = list(MatrixLevel.objects.filter(matrix=matrix).order_by("position"))
    cells: list[dict[str, Any]] = []
    if grid_pupils:
        cells = [
            dict(cell)
            for cell in SummativeAssessment.objects.filter(
                matrix=matrix, pupil_id__in=[p.pk for p in grid_pupils]
            )
            .order_by("pupil_id", "row_id")
            .values(
                "pupil_id", "row_id", "level_id", "assessed_on", "comment", "version",
                "updated_at", "author_id", "author__first_name", "author__last_name",
                "author__username",
            )
        ]  # fmt: skip
    return GridView(
        matrix=matrix, group=group, pupils=grid_pupils, rows=rows, levels=levels, cells=cells
    )


def author_name(first: str, last: str, username: str) -> str:
    return " ".join(part for part in (first, last) if part) or username


# --- One pupil's assessments ---------------------------------------------------------------------


@dataclass
class PupilAssessments:
    pupil: Person
    relation: str  # the relation that allowed the read (or "author")
    assessments: list[SummativeAssessment]
    history: dict[int, list[SummativeAssessmentHistory]] | None  # staff only, when asked for


def _documentation_relation(actor: Actor, pupil_id: int) -> Person | None:
    """The pupil annotated with the relation that lets the actor read their documentation:
    staff relations first (a teacher who is also a parent reads as a teacher), then self and
    guardian; None when there is none."""
    if not actor.user.is_active:
        return None
    order = (*STAFF_RELATION_ORDER, *FAMILY_RELATION_ORDER)
    pupil = (
        pupils()
        .filter(pk=pupil_id)
        .annotate(relation=relation_annotation(actor, order))
        .only("pk", "given_name", "family_name")
        .first()
    )
    if pupil is None or not pupil.relation:
        return None
    return pupil


def pupil_assessments(
    actor: Actor, pupil_id: int, *, with_history: bool = False
) -> PupilAssessments:
    """Everything about ``pupil_id`` the actor may read; Person.DoesNotExist (404) when the
    actor has no relation to the pupil and authored none of their assessments."""
    pupil = _documentation_relation(actor, pupil_id)
    settings = assessment_settings_get()
    visibility = Case(
        When(matrix__kind=MatrixKind.TEACHER, then=Value(SHARED_VISIBILITY)),
        default=Value(settings.skolverket_visibility),
        output_field=CharField(),
    )
    readable = pupil_documents(
        actor,
        SummativeAssessment.objects.filter(pupil_id=pupil_id).annotate(visibility=visibility),
        published_field="matrix__published_at",
        visibility_field="visibility",
    )
    assessments = list(
        readable.select_related("matrix", "row", "level", "author").order_by(
            "matrix__title", "matrix_id", "row__position"
        )
    )
    if pupil is None:
        if not assessments:
            raise Person.DoesNotExist
        pupil = Person.objects.only("pk", "given_name", "family_name").get(pk=pupil_id)
        pupil.relation = AUTHOR_RELATION  # type: ignore[attr-defined]
    relation: str = pupil.relation  # type: ignore[attr-defined]
    history: dict[int, list[SummativeAssessmentHistory]] | None = None
    if with_history and relation not in FAMILY_RELATIONS and assessments:
        changes: dict[int, list[SummativeAssessmentHistory]] = {}
        for change in (
            SummativeAssessmentHistory.objects.filter(assessment__in=[a.pk for a in assessments])
            .select_related("old_level", "new_level", "author")
            .order_by("assessment_id", "version")
        ):
            changes.setdefault(change.assessment_id, []).append(change)
        history = changes
    return PupilAssessments(
        pupil=pupil, relation=relation, assessments=assessments, history=history
    )
