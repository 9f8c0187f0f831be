"""grid_save and grid_read: set-based, idempotent, versioned, need-to-know, constant queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django_tenants.utils import schema_context

from access.documents import DocumentAccessDenied, staff_pupil_relations, staff_pupils
from access.policy import actor_for
from documentation.assessments.errors import InvalidInput, MatrixNotOpen
from documentation.assessments.guard import TextGuardRefused
from documentation.assessments.models import (
    AssessmentMatrix,
    MatrixLevel,
    MatrixRow,
    SummativeAssessment,
    SummativeAssessmentHistory,
)
from documentation.assessments.selectors import grid_read
from documentation.assessments.services.grid import CellInput, grid_save
from documentation.textguard.models import Acknowledgement
from register.models import GroupMembership
from tests.access.world import World
from tests.conftest import TENANT_A, QueryCounter
from tests.documentation.assessments.factories import matrix_make, pupils_add


@pytest.fixture(autouse=True)
def _in_tenant_a(world: World) -> object:
    with schema_context(TENANT_A.slug):
        yield


def levels(matrix: AssessmentMatrix) -> dict[str, int]:
    return {lv.label: lv.pk for lv in MatrixLevel.objects.filter(matrix=matrix)}


def rows(matrix: AssessmentMatrix) -> list[int]:
    return list(
        MatrixRow.objects.filter(matrix=matrix).order_by("position").values_list("pk", flat=True)
    )


def stored(matrix: AssessmentMatrix) -> dict[tuple[int, int], tuple[int | None, str, int]]:
    return {
        (a.pupil_id, a.row_id): (a.level_id, a.comment, a.version)
        for a in SummativeAssessment.objects.filter(matrix=matrix)
    }


def test_a_class_is_assessed_on_one_row_with_one_cell_per_pupil(
    world: World, matrix: AssessmentMatrix
) -> None:
    # Given teacher_5a and the two pupils of 5A
    teacher = world.users["teacher_5a"]
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    row = rows(matrix)[0]
    level = levels(matrix)
    # When one cell per pupil is saved in one call
    result = grid_save(
        actor=actor_for(teacher),
        matrix=matrix,
        cells=[CellInput(p1, row, level["E"]), CellInput(p2, row, level["C"])],
    )
    # Then both are stored as version 1, dated today, by the teacher, with history
    assert sorted((s.pupil_id, s.version) for s in result.saved) == [(p1, 1), (p2, 1)]
    assert result.unchanged == result.conflicts == []
    assert result.relations == {p1: "teacher", p2: "teacher"}
    assert stored(matrix) == {(p1, row): (level["E"], "", 1), (p2, row): (level["C"], "", 1)}
    assert set(SummativeAssessment.objects.values_list("author_id", "assessed_on")) == {
        (teacher.pk, dt.date.today())
    }
    history = list(SummativeAssessmentHistory.objects.order_by("pupil_id"))
    assert [(h.old_level_id, h.new_level_id, h.version, h.author_id) for h in history] == [
        (None, level["E"], 1, teacher.pk),
        (None, level["C"], 1, teacher.pk),
    ]


def test_resending_the_same_cells_writes_nothing_and_reports_unchanged(
    world: World, matrix: AssessmentMatrix
) -> None:
    actor = actor_for(world.users["teacher_5a"])
    p1 = world.people["p5a_1"].pk
    level = levels(matrix)
    cells = [
        CellInput(p1, r, level["A"], comment="Resonerar väl", expected_version=0)
        for r in rows(matrix)
    ]
    grid_save(actor=actor, matrix=matrix, cells=cells)
    before = (SummativeAssessmentHistory.objects.count(), stored(matrix))
    # When the autosave retries the very same request (same, now stale, expected versions)
    result = grid_save(actor=actor, matrix=matrix, cells=cells)
    # Then nothing is written and every cell is reported unchanged at its current version
    assert result.saved == result.conflicts == []
    assert [(s.version, s.level_id) for s in result.unchanged] == [(1, level["A"])] * 3
    assert (SummativeAssessmentHistory.objects.count(), stored(matrix)) == before == (3, before[1])


def test_two_teachers_a_stale_version_is_a_conflict_and_no_version_means_last_write_wins(
    world: World, matrix: AssessmentMatrix
) -> None:
    # Given two staff members of 5A who both opened the grid at version 0
    teacher, specped = world.users["teacher_5a"], world.users["specped_5a"]
    pupil, row, level = world.people["p5a_1"].pk, rows(matrix)[0], levels(matrix)
    first = grid_save(
        actor=actor_for(teacher), matrix=matrix,
        cells=[CellInput(pupil, row, level["E"], expected_version=0)],
    )  # fmt: skip
    assert [s.version for s in first.saved] == [1]
    # When the second saves another level against version 0
    second = grid_save(
        actor=actor_for(specped), matrix=matrix,
        cells=[CellInput(pupil, row, level["A"], expected_version=0)],
    )  # fmt: skip
    # Then it is a conflict naming the current state, and nothing changed
    assert second.saved == []
    (conflict,) = second.conflicts
    assert (conflict.current_version, conflict.current_level_id, conflict.current_author_id) == (
        1, level["E"], teacher.pk,
    )  # fmt: skip
    assert conflict.current_author == f"{teacher.first_name} {teacher.last_name}"
    assert stored(matrix) == {(pupil, row): (level["E"], "", 1)}
    # When they retry with the version they were shown, or without a version: saved
    retried = grid_save(
        actor=actor_for(specped), matrix=matrix,
        cells=[CellInput(pupil, row, level["A"], expected_version=1)],
    )  # fmt: skip
    assert [s.version for s in retried.saved] == [2]
    overwritten = grid_save(
        actor=actor_for(teacher), matrix=matrix, cells=[CellInput(pupil, row, level["C"])]
    )
    assert [s.version for s in overwritten.saved] == [3]
    history = SummativeAssessmentHistory.objects.order_by("version")
    assert [(h.old_level_id, h.new_level_id, h.author_id) for h in history] == [
        (None, level["E"], teacher.pk),
        (level["E"], level["A"], specped.pk),
        (level["A"], level["C"], teacher.pk),
    ]


def test_conflicting_cells_do_not_stop_the_others(world: World, matrix: AssessmentMatrix) -> None:
    actor = actor_for(world.users["teacher_5a"])
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    row, level = rows(matrix)[0], levels(matrix)
    grid_save(actor=actor, matrix=matrix, cells=[CellInput(p1, row, level["E"])])
    result = grid_save(
        actor=actor, matrix=matrix,
        cells=[CellInput(p1, row, level["C"], expected_version=0), CellInput(p2, row, level["C"])],
    )  # fmt: skip
    assert [(c.pupil_id, c.current_version) for c in result.conflicts] == [(p1, 1)]
    assert [(s.pupil_id, s.version) for s in result.saved] == [(p2, 1)]


def test_clearing_and_comments(world: World, matrix: AssessmentMatrix) -> None:
    actor = actor_for(world.users["teacher_5a"])
    pupil, row, level = world.people["p5a_1"].pk, rows(matrix)[0], levels(matrix)
    grid_save(actor=actor, matrix=matrix, cells=[CellInput(pupil, row, level["E"], "Bra början")])
    # A level click without a comment keeps the comment
    grid_save(actor=actor, matrix=matrix, cells=[CellInput(pupil, row, level["C"])])
    assert stored(matrix)[(pupil, row)] == (level["C"], "Bra början", 2)
    # None clears the level, "" clears the comment; both are changes with history
    grid_save(actor=actor, matrix=matrix, cells=[CellInput(pupil, row, None, "")])
    assert stored(matrix)[(pupil, row)] == (None, "", 3)
    last = SummativeAssessmentHistory.objects.order_by("-version").first()
    assert last is not None
    assert (last.old_level_id, last.new_level_id, last.comment) == (level["C"], None, "")
    # Clearing a cell that was never assessed stores nothing
    other = world.people["p5a_2"].pk
    result = grid_save(actor=actor, matrix=matrix, cells=[CellInput(other, row, None)])
    assert [s.version for s in result.unchanged] == [0]
    assert (other, row) not in stored(matrix)


def test_a_pupil_the_teacher_does_not_teach_refuses_the_whole_request(
    world: World, matrix: AssessmentMatrix
) -> None:
    actor = actor_for(world.users["teacher_5a"])
    row, level = rows(matrix)[0], levels(matrix)
    cells = [
        CellInput(world.people["p5a_1"].pk, row, level["E"]),
        CellInput(world.people["p8b_1"].pk, row, level["E"]),  # not taught by teacher_5a
    ]
    with pytest.raises(DocumentAccessDenied):
        grid_save(actor=actor, matrix=matrix, cells=cells)
    assert SummativeAssessment.objects.count() == SummativeAssessmentHistory.objects.count() == 0
    # Nor does a teacher without any group, a pupil who left, or administrators
    for name, pupil in [
        ("teacher_idle", "p5a_1"),
        ("teacher_5a", "p_left"),
        ("school_admin_norra", "p8b_1"),
        ("municipality_admin", "p5a_1"),
        ("pupil_p5a_1", "p5a_1"),
        ("mother_p5a_1", "p5a_1"),
    ]:
        with pytest.raises(DocumentAccessDenied):
            grid_save(
                actor=actor_for(world.users[name]), matrix=matrix,
                cells=[CellInput(world.people[pupil].pk, row, level["E"])],
            )  # fmt: skip
    assert SummativeAssessment.objects.count() == 0


def test_cells_must_belong_to_the_matrix_and_be_unique(
    world: World, matrix: AssessmentMatrix
) -> None:
    actor = actor_for(world.users["teacher_5a"])
    other = matrix_make(world.users["teacher_5a"])
    pupil, row = world.people["p5a_1"].pk, rows(matrix)[0]
    for cells in (
        [CellInput(pupil, rows(other)[0], levels(matrix)["E"])],
        [CellInput(pupil, row, levels(other)["E"])],
        [CellInput(pupil, row, None), CellInput(pupil, row, levels(matrix)["E"])],
        [CellInput(pupil, row, None, assessed_on=dt.date.today() + dt.timedelta(days=1))],
    ):
        with pytest.raises(InvalidInput):
            grid_save(actor=actor, matrix=matrix, cells=cells)
    assert SummativeAssessment.objects.count() == 0


def test_drafts_and_archived_matrices_take_no_assessments(world: World) -> None:
    teacher = world.users["teacher_5a"]
    draft = matrix_make(teacher, published=False)
    archived = matrix_make(teacher)
    archived.archived_at = archived.published_at
    archived.save()
    for matrix in (draft, archived):
        with pytest.raises(MatrixNotOpen):
            grid_save(
                actor=actor_for(teacher), matrix=matrix,
                cells=[CellInput(world.people["p5a_1"].pk, rows(matrix)[0], None, "x")],
            )  # fmt: skip


def test_comments_pass_the_text_guard(world: World, matrix: AssessmentMatrix) -> None:
    actor = actor_for(world.users["teacher_5a"])
    pupil, row, level = world.people["p5a_1"].pk, rows(matrix)[0], levels(matrix)
    cells = [CellInput(pupil, row, level["E"], "Eleven har ADHD och behöver stöd")]
    with pytest.raises(TextGuardRefused) as refused:
        grid_save(actor=actor, matrix=matrix, cells=cells)
    assert [f.field for f in refused.value.findings] == ["cells.0.comment"]
    assert SummativeAssessment.objects.count() == 0
    # Acknowledged: saved, and the acknowledgement is recorded
    grid_save(actor=actor, matrix=matrix, cells=cells, acknowledged_text_guard=True)
    assert SummativeAssessment.objects.count() == 1
    assert Acknowledgement.objects.filter(document_ref=f"assessments.grid:{matrix.pk}").count() == 1


def test_the_same_words_about_another_pupil_are_a_new_acknowledgement(
    world: World, matrix: AssessmentMatrix
) -> None:
    actor = actor_for(world.users["teacher_5a"])
    row, level = rows(matrix)[0], levels(matrix)
    words = "Eleven har ADHD och behöver stöd"
    ref = f"assessments.grid:{matrix.pk}"
    # When the teacher saves one pupil's comment, then (as the first cell of the next save)
    # another pupil's with the same words, each acknowledged
    for pupil in ("p5a_1", "p5a_2"):
        cell = CellInput(world.people[pupil].pk, row, level["E"], words)
        grid_save(actor=actor, matrix=matrix, cells=[cell], acknowledged_text_guard=True)
    # And saves the first pupil's comment again with a word more (an autosave)
    cell = CellInput(world.people["p5a_1"].pk, row, level["E"], words + ".")
    grid_save(actor=actor, matrix=matrix, cells=[cell], acknowledged_text_guard=True)
    # Then there are two acknowledgements: one per pupil's comment
    assert Acknowledgement.objects.filter(document_ref=ref).count() == 2


def test_the_history_is_append_only(world: World, matrix: AssessmentMatrix) -> None:
    actor = actor_for(world.users["teacher_5a"])
    grid_save(
        actor=actor, matrix=matrix,
        cells=[CellInput(world.people["p5a_1"].pk, rows(matrix)[0], levels(matrix)["E"])],
    )  # fmt: skip
    for attempt in (
        lambda: SummativeAssessmentHistory.objects.update(comment="rewritten"),
        lambda: SummativeAssessmentHistory.objects.all().delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert SummativeAssessmentHistory.objects.filter(comment="").count() == 1


# --- Constant queries ----------------------------------------------------------------------------


def test_saving_and_reading_the_grid_take_the_same_queries_for_5_and_30_pupils(
    world: World, count_queries: type[QueryCounter]
) -> None:
    teacher, group = world.users["teacher_5a"], world.groups["5A"]
    unit = world.people["p5a_1"].enrolments.get().school_unit_id
    counts = {}
    for size, more in ((5, 3), (30, 25)):  # 5A has two pupils
        pupils_add(group, unit, more, prefix=f"c{size}_")
        pupil_ids = list(
            GroupMembership.objects.current()
            .filter(group=group)
            .values_list("person_id", flat=True)
        )
        assert len(pupil_ids) == size
        matrix = matrix_make(teacher, rows=10)
        level = levels(matrix)
        cells = [CellInput(p, r, level["C"], "Resonerar") for p in pupil_ids for r in rows(matrix)]
        actor = actor_for(teacher)
        with count_queries() as saving:
            result = grid_save(actor=actor, matrix=matrix, cells=cells)
        assert len(result.saved) == size * 10
        with count_queries() as reading:
            grid = grid_read(actor=actor, matrix=matrix, group=group)
        assert (len(grid.pupils), len(grid.cells)) == (size, size * 10)
        counts[size] = (saving.count, reading.count)
    assert counts[5] == counts[30]
    assert counts[30][1] <= 10


def test_the_grid_lists_no_protected_pupil_but_takes_their_cells(
    world: World, matrix: AssessmentMatrix
) -> None:
    mentor = actor_for(world.users["mentor_8b"])
    grid = grid_read(actor=mentor, matrix=matrix, group=world.groups["8B"])
    assert {p.given_name for p in grid.pupils} == {"p8b_1", "p8b_2"}
    assert {p.relation for p in grid.pupils} == {"mentor"}  # type: ignore[attr-defined]
    protected = world.people["p8b_protected"].pk
    result = grid_save(
        actor=mentor, matrix=matrix, cells=[CellInput(protected, rows(matrix)[0], None, "Ok")]
    )
    assert result.relations == {protected: "mentor"}


def test_the_grid_reaches_exactly_the_staff_pupils_of_access_documents(world: World) -> None:
    everyone = {person.pk for person in world.people.values()}
    for name, user in world.users.items():
        actor = actor_for(user)
        expected = set(staff_pupils(actor).filter(pk__in=everyone).values_list("pk", flat=True))
        assert (name, set(staff_pupil_relations(actor, everyone))) == (name, expected)
    user = world.users["teacher_5a"]
    user.is_active = False
    assert staff_pupil_relations(actor_for(user), everyone) == {}


def test_the_compiled_relations_follow_the_municipalitys_settings(world: World) -> None:
    from municipal.models import MunicipalSettings

    specped = world.users["specped_5a"]
    p1 = world.people["p5a_1"].pk
    assert staff_pupil_relations(actor_for(specped), {p1}) == {p1: "assignment"}
    # When the municipality stops counting special needs educators' assignments
    settings = MunicipalSettings.objects.get(id=1)
    settings.assignment_roles_with_access = ["Mentor"]
    settings.save()
    # Then the next request's actor reaches nobody in 5A (a new compiled CASE, not the cached one)
    assert staff_pupil_relations(actor_for(specped), {p1}) == {}
