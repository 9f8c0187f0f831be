"""One pupil's assessments on one matrix (platform/portal/pupil_assessment.py): a level and a
comment per row, through the grid's service: versions and conflicts, the text guard, the read
log; reached from the pupil page; 404 for everyone who does not document the pupil, in any
municipality, with nothing changed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from access.policy import actor_for
from access.readlog.models import AccessLogEntry
from documentation.assessments.models import (
    AssessmentMatrix,
    MatrixLevel,
    MatrixRow,
    SummativeAssessment,
)
from documentation.assessments.services.grid import CellInput, grid_save
from documentation.textguard.models import Acknowledgement
from tests.access.http import signed_in_client
from tests.access.world import World, build_world
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.assessments.factories import matrix_make

FLAGGED = "Eleven är lat men räknar rätt."


@pytest.fixture
def world(tenant_a: object) -> World:
    with schema_context(TENANT_A.slug):
        return build_world()


@pytest.fixture
def matrix(world: World) -> AssessmentMatrix:
    with schema_context(TENANT_A.slug):
        return matrix_make(world.users["teacher_5a"], title="Taluppfattning åk 5")


def client_for(world: World, who: str) -> Client:
    return signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users[who])


def path(world: World, matrix: AssessmentMatrix, pupil: str = "p5a_1") -> str:
    return f"/pupils/{world.people[pupil].pk}/assessments/{matrix.pk}/"


def shape(matrix: AssessmentMatrix) -> tuple[list[int], dict[str, int]]:
    with schema_context(TENANT_A.slug):
        rows = list(
            MatrixRow.objects.filter(matrix=matrix)
            .order_by("position")
            .values_list("pk", flat=True)
        )
        levels = dict(MatrixLevel.objects.filter(matrix=matrix).values_list("label", "pk"))
    return rows, levels


def stored(schema: str = TENANT_A.slug) -> list[tuple[int, int, str | None, str, int]]:
    with schema_context(schema):
        return list(
            SummativeAssessment.objects.order_by("pupil_id", "row__position").values_list(
                "pupil_id", "row__position", "level__label", "comment", "version"
            )
        )


def form(rows: list[int], **cells: tuple[int | str, str, int]) -> dict[str, Any]:
    """The page's form: ``cells`` as row index -> (level id or "", comment, version shown)."""
    data: dict[str, Any] = {}
    for index, row in enumerate(rows):
        level, comment, version = cells.get(f"r{index}", ("", "", 0))
        data.update({f"level_{row}": level, f"comment_{row}": comment, f"v_{row}": version})
    return data


def test_the_teacher_sets_levels_and_comments_and_the_family_reads_them(
    world: World, matrix: AssessmentMatrix
) -> None:
    rows, levels = shape(matrix)
    teacher = client_for(world, "teacher_5a")
    pupil = world.people["p5a_1"].pk
    # Given the pupil page offers the matrix to assess on
    pupil_page = teacher.get(f"/pupils/{pupil}/").content.decode()
    assert f'href="{path(world, matrix)}"' in pupil_page
    # When the teacher opens it: one select and one comment per row, logged
    page = teacher.get(path(world, matrix)).content.decode()
    assert len(re.findall(r'<select id="level_\d+"', page)) == len(rows)
    with schema_context(TENANT_A.slug):
        logged = list(
            AccessLogEntry.objects.filter(resource="portal.assessments.pupil").values_list(
                "pupil_ids", "object_ref"
            )
        )
    assert logged == [([pupil], f"matrix:{matrix.pk},pupil:{pupil}")]
    # And saves two rows with comments
    sent = form(
        rows, r0=(levels["E"], "Räknar säkert med tal upp till 1000.", 0), r2=(levels["C"], "", 0)
    )
    response = teacher.post(path(world, matrix), sent)
    # Then both are stored (version 1), the untouched row is not, and the page says so
    assert response.status_code == 302
    assert stored() == [
        (pupil, 0, "E", "Räknar säkert med tal upp till 1000.", 1),
        (pupil, 2, "C", "", 1),
    ]
    assert "Saved." in teacher.get(response["Location"]).content.decode()
    # And the guardian reads the level and the comment on the child's page
    mother = client_for(world, "mother_p5a_1").get(f"/pupils/{pupil}/").content.decode()
    assert "Räknar säkert med tal upp till 1000." in mother
    # When the teacher changes only the comment of the first row: version 2, level kept
    teacher.post(
        path(world, matrix),
        form(rows, r0=(levels["E"], "Räknar säkert.", 1), r2=(levels["C"], "", 1)),
    )
    assert stored()[0] == (pupil, 0, "E", "Räknar säkert.", 2)


def test_a_comment_with_findings_needs_the_box_and_is_then_acknowledged(
    world: World, matrix: AssessmentMatrix
) -> None:
    rows, levels = shape(matrix)
    teacher = client_for(world, "teacher_5a")
    # When a comment with a value-laden word is sent without the box
    refused = teacher.post(path(world, matrix), form(rows, r1=(levels["A"], FLAGGED, 0)))
    # Then nothing is saved; the word is marked at that row's comment, the text kept, the box shown
    page = refused.content.decode()
    assert refused.status_code == 200
    assert stored() == []
    assert re.search(rf'id="findings-comment_{rows[1]}"[^>]*>.*?<mark>lat</mark>', page, re.S)
    assert f">{FLAGGED}</textarea>" in page
    assert 'name="acknowledge"' in page
    # When it is sent again with the box ticked: saved, and the acknowledgement recorded
    sent = {**form(rows, r1=(levels["A"], FLAGGED, 0)), "acknowledge": "1"}
    assert teacher.post(path(world, matrix), sent).status_code == 302
    assert stored() == [(world.people["p5a_1"].pk, 1, "A", FLAGGED, 1)]
    with schema_context(TENANT_A.slug):
        assert (
            Acknowledgement.objects.filter(document_ref=f"assessments.grid:{matrix.pk}").count()
            == 1
        )


def test_a_colleagues_change_meanwhile_is_a_conflict_and_is_kept(
    world: World, matrix: AssessmentMatrix
) -> None:
    rows, levels = shape(matrix)
    pupil = world.people["p5a_1"].pk
    # Given the page shown (version 0), then a colleague's save of the first row
    with schema_context(TENANT_A.slug):
        fresh = AssessmentMatrix.objects.get(pk=matrix.pk)
        grid_save(
            actor=actor_for(world.users["specped_5a"]), matrix=fresh,
            cells=[CellInput(pupil, rows[0], levels["A"], "Specialpedagogens bedömning.")],
        )  # fmt: skip
    # When the teacher saves the page as it was shown, with a second row changed as well
    sent = form(rows, r0=(levels["E"], "Min bedömning.", 0), r1=(levels["C"], "Andra raden.", 0))
    answer = client_for(world, "teacher_5a").post(path(world, matrix), sent)
    # Then the colleague's value stays and the other row is saved
    page = answer.content.decode()
    assert answer.status_code == 200
    assert stored() == [
        (pupil, 0, "A", "Specialpedagogens bedömning.", 1),
        (pupil, 1, "C", "Andra raden.", 1),
    ]
    # And the page names the conflict, showing the colleague's value, and both rows with the
    # versions now stored (a new submit overwrites neither by mistake)
    assert "Conflict: changed by someone else" in page
    assert ">Specialpedagogens bedömning.</textarea>" in page
    assert f'name="v_{rows[0]}" value="1"' in page
    assert f'name="v_{rows[1]}" value="1"' in page


def test_a_protected_pupil_the_grid_does_not_list_is_assessed_here(world: World) -> None:
    with schema_context(TENANT_A.slug):
        matrix = matrix_make(world.users["teacher_ma8b"], title="Algebra åk 8")
    rows, levels = shape(matrix)
    teacher = client_for(world, "teacher_ma8b")
    protected = world.people["p8b_protected"].pk
    response = teacher.post(
        path(world, matrix, "p8b_protected"), form(rows, r0=(levels["C"], "", 0))
    )
    assert response.status_code == 302
    assert stored() == [(protected, 0, "C", "", 1)]


@pytest.mark.parametrize("who", ["teacher_idle", "mother_p5a_1", "pupil_p5a_1", "teacher_ma8b"])
def test_whoever_does_not_document_the_pupil_gets_404_and_nothing_changes(
    world: World, matrix: AssessmentMatrix, who: str
) -> None:
    rows, levels = shape(matrix)
    client = client_for(world, who)
    with schema_context(TENANT_A.slug):
        before = AccessLogEntry.objects.filter(resource__startswith="portal.assessments").count()
    assert client.get(path(world, matrix)).status_code == 404
    assert client.post(path(world, matrix), form(rows, r0=(levels["E"], "x", 0))).status_code == 404
    assert stored() == []
    with schema_context(TENANT_A.slug):
        after = AccessLogEntry.objects.filter(resource__startswith="portal.assessments").count()
    assert after == before


def test_another_municipalitys_teacher_reaches_nothing_with_these_ids(
    world: World, matrix: AssessmentMatrix, tenant_b: object
) -> None:
    rows, levels = shape(matrix)
    with schema_context(TENANT_B.slug):
        other = build_world(prefix="b_")
    client = signed_in_client(TENANT_B.domain, TENANT_B.slug, other.users["teacher_5a"])
    assert client.get(path(world, matrix)).status_code == 404
    sent = form(rows, r0=(levels["E"], "x", 0))
    assert client.post(path(world, matrix), sent).status_code == 404
    assert (stored(), stored(TENANT_B.slug)) == ([], [])


def test_an_archived_matrix_is_read_only_and_a_malformed_form_saves_nothing(
    world: World, matrix: AssessmentMatrix
) -> None:
    rows, levels = shape(matrix)
    teacher = client_for(world, "teacher_5a")
    # A level of another matrix, or a version that is not a number: refused, nothing saved
    with schema_context(TENANT_A.slug):
        foreign = matrix_make(world.users["teacher_5a"], title="Annan")
        foreign_level = MatrixLevel.objects.filter(matrix=foreign).first().pk
    for sent in (
        form(rows, r0=(foreign_level, "", 0)),
        {**form(rows), f"v_{rows[0]}": "x"},
    ):
        refused = teacher.post(path(world, matrix), sent)
        assert refused.status_code == 400
        assert "The form was not sent as the page made it." in refused.content.decode()
    assert stored() == []
    # An archived matrix: shown without a form, and a post is refused
    with schema_context(TENANT_A.slug):
        AssessmentMatrix.objects.filter(pk=matrix.pk).update(archived_at=matrix.published_at)
    page = teacher.get(path(world, matrix)).content.decode()
    assert '<form method="post" action="/pupils/' not in page
    assert teacher.post(path(world, matrix), form(rows, r0=(levels["E"], "", 0))).status_code == 409
    assert stored() == []
