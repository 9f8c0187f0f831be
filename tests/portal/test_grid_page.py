"""The whole-class assessment grid page (portal/grid.py): the plain form and the script's
autosave both save through grid_save with versions (conflicts never overwrite), the group page
and the assessment page link to it, need-to-know and other municipalities answer 404 with
nothing changed, every answer naming pupils is logged, and the page's queries do not grow with
the class."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from access.policy import actor_for
from access.readlog.models import AccessLogEntry
from documentation.assessments.models import (
    AssessmentMatrix,
    MatrixLevel,
    SummativeAssessment,
    SummativeAssessmentHistory,
)
from documentation.assessments.services.grid import CellInput, grid_save
from tests.access.http import signed_in_client
from tests.access.world import World, build_world
from tests.conftest import TENANT_A, TENANT_B, QueryCounter
from tests.documentation.assessments.factories import matrix_make, pupils_add

HOST = TENANT_A.domain


@pytest.fixture
def world(tenant_a: object) -> World:
    with schema_context(TENANT_A.slug):
        return build_world()


@pytest.fixture
def matrix(world: World) -> AssessmentMatrix:
    """A published matrix (3 rows x E/C/A, mathematics, 5A is taught it) by teacher_5a."""
    with schema_context(TENANT_A.slug):
        return matrix_make(world.users["teacher_5a"])


def client_for(world: World, name: str) -> Client:
    return signed_in_client(HOST, TENANT_A.slug, world.users[name])


def grid_path(world: World, matrix: AssessmentMatrix, group: str = "5A") -> str:
    return f"/groups/{world.groups[group].pk}/grid/{matrix.pk}/"


def shape(matrix: AssessmentMatrix) -> tuple[list[int], dict[str, int]]:
    with schema_context(TENANT_A.slug):
        rows = list(matrix.rows.order_by("position").values_list("pk", flat=True))
        levels = {lv.label: lv.pk for lv in MatrixLevel.objects.filter(matrix=matrix)}
    return rows, levels


def stored(schema: str = TENANT_A.slug) -> dict[tuple[int, int], tuple[int | None, int, int]]:
    """(pupil, row) -> (level, version, author) of every assessment."""
    with schema_context(schema):
        return {
            (a.pupil_id, a.row_id): (a.level_id, a.version, a.author_id)
            for a in SummativeAssessment.objects.all()
        }


def history_count(schema: str = TENANT_A.slug) -> int:
    with schema_context(schema):
        return SummativeAssessmentHistory.objects.count()


def log(resource: str | None = None) -> list[AccessLogEntry]:
    with schema_context(TENANT_A.slug):
        entries = AccessLogEntry.objects.order_by("id")
        if resource:
            entries = entries.filter(resource=resource)
        return list(entries)


def assess(world: World, matrix: AssessmentMatrix, who: str, cells: list[CellInput]) -> None:
    """A save behind the page's back (another teacher, another tab)."""
    with schema_context(TENANT_A.slug):
        fresh = AssessmentMatrix.objects.get(pk=matrix.pk)
        grid_save(actor=actor_for(world.users[who]), matrix=fresh, cells=cells)


def form_of(page: str) -> dict[str, str]:
    """The grid form's fields as the browser would send them untouched."""
    data = dict(re.findall(r'name="(v\d+_\d+)" value="([^"]*)"', page))
    for name, value in re.findall(r'name="(c\d+_\d+)" value="(\d*)"[^>]*? checked', page):
        data[name] = value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    data["csrfmiddlewaretoken"] = token.group(1)
    return data


def autosave(client: Client, world: World, matrix: AssessmentMatrix, cells: list[dict]) -> Any:
    path = grid_path(world, matrix) + "save/"
    return client.post(path, data=json.dumps({"cells": cells}), content_type="application/json")


# --- Reading ----------------------------------------------------------------------------------


def test_the_teacher_reaches_the_grid_from_the_group_page_and_sees_the_class(
    world: World, matrix: AssessmentMatrix
) -> None:
    # Given p5a_1 assessed C on the first row
    rows, levels = shape(matrix)
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    assess(world, matrix, "teacher_5a", [CellInput(p1, rows[0], levels["C"])])
    with schema_context(TENANT_A.slug):  # and matrices that do not suit 5A
        other = matrix_make(world.users["teacher_ma8b"], title="Fysik")
        AssessmentMatrix.objects.filter(pk=other.pk).update(subject_code="GRGRFYS01")
        archived = matrix_make(world.users["teacher_5a"], title="Gammal matris")
        AssessmentMatrix.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
        draft = matrix_make(world.users["teacher_5a"], title="Utkast", published=False)
    client = client_for(world, "teacher_5a")
    # When the teacher opens the group page
    group_page = client.get(f"/groups/{world.groups['5A'].pk}/").content.decode()
    # Then it links to the grid of the suitable matrix only
    links = re.findall(r'href="(/groups/\d+/grid/\d+/)"', group_page)
    assert links == [grid_path(world, matrix)]
    for unsuitable in (other, archived, draft):
        assert f"/grid/{unsuitable.pk}/" not in group_page
    # When they open the grid
    before = len(log())
    page = client.get(grid_path(world, matrix))
    assert page.status_code == 200
    html = page.content.decode()
    # Then every pupil has one radio group per row: E, C, A and "no level", the stored level
    # checked, the version it shows carried along
    assert html.count('role="radiogroup"') == 2 * 3
    assert html.count('type="radio"') == 2 * 3 * 4
    assert f'name="c{p1}_{rows[0]}" value="{levels["C"]}" data-key="2" checked' in html
    assert f'name="v{p1}_{rows[0]}" value="1.{levels["C"]}"' in html
    assert f'name="c{p2}_{rows[0]}" value="" checked' in html
    assert f'name="v{p2}_{rows[0]}" value="0."' in html
    assert 'role="status"' in html
    # And the read is logged once, naming both pupils as the teacher's
    entries = log()[before:]
    assert [(e.resource, sorted(e.pupil_ids), e.relations) for e in entries] == [
        (
            "portal.assessments.grid",
            sorted([p1, p2]),
            {str(p1): "teacher", str(p2): "teacher"},
        )
    ]
    assert entries[0].object_ref == f"matrix:{matrix.pk},group:{world.groups['5A'].pk}"


def test_the_assessment_page_lists_the_groups_i_assess_with_their_matrices(
    world: World, matrix: AssessmentMatrix
) -> None:
    # When the teacher of 5A and a school administrator open the assessment page
    teacher = client_for(world, "teacher_5a").get("/grids/").content.decode()
    admin = client_for(world, "school_admin_norra").get("/grids/").content.decode()
    # Then the teacher sees 5A with the grid's link; the administrator assesses no group
    assert re.findall(r'href="(/groups/\d+/grid/\d+/)"', teacher) == [grid_path(world, matrix)]
    assert "/grid/" not in admin
    assert "You assess no group." in admin
    # And the administrator's group page (they see the members) offers no grid either
    group = client_for(world, "school_admin_norra").get(f"/groups/{world.groups['5A'].pk}/")
    assert group.status_code == 200
    assert "/grid/" not in group.content.decode()
    # And no pupil was named by the assessment pages
    assert [e.resource for e in log()] == ["portal.group.members"]


def test_reading_the_grid_takes_the_same_queries_for_5_and_30_pupils(
    world: World, count_queries: type[QueryCounter]
) -> None:
    # Given a 10-row matrix, assessed for everyone
    teacher = world.users["teacher_5a"]
    group = world.groups["5A"]
    with schema_context(TENANT_A.slug):
        matrix = matrix_make(teacher, rows=10)
        unit = world.people["p5a_1"].enrolments.get().school_unit_id
    rows, levels = shape(matrix)
    client = client_for(world, "teacher_5a")
    counts = {}
    for size, more in ((5, 3), (30, 25)):
        with schema_context(TENANT_A.slug):
            pupils_add(group, unit, more, prefix=f"c{size}_")
            pupil_ids = list(group.memberships.current().values_list("person_id", flat=True))
        assess(
            world,
            matrix,
            "teacher_5a",
            [CellInput(p, r, levels["A"]) for p in pupil_ids for r in rows],
        )
        # When the grid page is read
        with count_queries() as reading:
            response = client.get(grid_path(world, matrix))
        # Then every cell is there, and the statements do not depend on the class's size
        assert response.content.decode().count('role="radiogroup"') == size * 10
        assert response.content.decode().count(" checked") == size * 10
        counts[size] = reading.count
    assert counts[5] == counts[30]


# --- Saving with the plain form -----------------------------------------------------------------


def test_the_plain_form_saves_every_changed_cell_with_one_submit(
    world: World, matrix: AssessmentMatrix
) -> None:
    # Given the grid as the page shows it
    rows, levels = shape(matrix)
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    client = client_for(world, "teacher_5a")
    path = grid_path(world, matrix)
    data = form_of(client.get(path).content.decode())
    # When the teacher chooses levels on the first row and submits without a script
    data[f"c{p1}_{rows[0]}"] = str(levels["E"])
    data[f"c{p2}_{rows[0]}"] = str(levels["A"])
    response = client.post(path, data)
    # Then both cells are saved once (version 1), the others untouched, and the page says so
    assert response.status_code == 302
    assert response["Location"] == path
    teacher = world.users["teacher_5a"].pk
    assert stored() == {
        (p1, rows[0]): (levels["E"], 1, teacher),
        (p2, rows[0]): (levels["A"], 1, teacher),
    }
    assert history_count() == 2
    assert "Saved " in client.get(path).content.decode()
    # And the save's answer was logged as naming both pupils
    saves = log("portal.assessments.grid.save")
    assert [(sorted(e.pupil_ids), e.relations) for e in saves] == [
        (sorted([p1, p2]), {str(p1): "teacher", str(p2): "teacher"})
    ]
    # When the same page is submitted again unchanged
    data = form_of(client.get(path).content.decode())
    again = client.post(path, data)
    # Then nothing is written
    assert again.status_code == 302
    assert history_count() == 2


def test_a_colleagues_change_is_a_conflict_in_the_plain_form_and_is_kept(
    world: World, matrix: AssessmentMatrix
) -> None:
    # Given the page open before the principal assessed p5a_1 as A
    rows, levels = shape(matrix)
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    client = client_for(world, "teacher_5a")
    path = grid_path(world, matrix)
    data = form_of(client.get(path).content.decode())
    assess(world, matrix, "principal_norra", [CellInput(p1, rows[0], levels["A"])])
    principal = world.users["principal_norra"]
    # When the teacher submits E for p5a_1 and C for p5a_2
    data[f"c{p1}_{rows[0]}"] = str(levels["E"])
    data[f"c{p2}_{rows[0]}"] = str(levels["C"])
    response = client.post(path, data)
    # Then p5a_2 is saved, the principal's A is kept, and the page names the conflict
    assert response.status_code == 200
    assert stored() == {
        (p1, rows[0]): (levels["A"], 1, principal.pk),
        (p2, rows[0]): (levels["C"], 1, world.users["teacher_5a"].pk),
    }
    html = response.content.decode()
    who = f"{principal.first_name} {principal.last_name}".strip() or principal.username
    pupil = world.people["p5a_1"]
    assert (
        f"{pupil.given_name} {pupil.family_name}, Aspekt 1: {who} changed the assessment to A "
        "while you were working. Your choice (E) was not saved; choose again to replace theirs."
    ) in html
    assert f'aria-describedby="conflict-{p1}_{rows[0]}"' in html
    # And the cell now shows the principal's A with its version, so choosing again is deliberate
    assert f'name="v{p1}_{rows[0]}" value="1.{levels["A"]}"' in html


# --- Saving with the script (autosave) ----------------------------------------------------------


def test_the_autosave_saves_reports_conflicts_and_is_idempotent(
    world: World, matrix: AssessmentMatrix
) -> None:
    rows, levels = shape(matrix)
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    client = client_for(world, "teacher_5a")
    cells = [
        {"pupil_id": p1, "row_id": rows[1], "level_id": levels["C"], "expected_version": 0},
        {"pupil_id": p2, "row_id": rows[1], "level_id": levels["E"], "expected_version": 0},
    ]
    # When the script saves two cells
    first = autosave(client, world, matrix, cells)
    # Then both are saved as version 1 and the status line says so
    assert first.status_code == 200
    body = first.json()
    assert sorted((c["pupil_id"], c["version"], c["level_id"]) for c in body["saved"]) == sorted(
        [(p1, 1, levels["C"]), (p2, 1, levels["E"])]
    )
    assert body["conflicts"] == []
    assert body["status"].startswith("Saved ")
    # When the same save is retried (a lost answer): nothing is written, nothing conflicts
    retried = autosave(client, world, matrix, cells).json()
    assert (len(retried["saved"]), len(retried["unchanged"]), retried["conflicts"]) == (0, 2, [])
    assert history_count() == 2
    # When a colleague changes p5a_1 and the page, still on version 1, clears it
    assess(world, matrix, "principal_norra", [CellInput(p1, rows[1], levels["A"])])
    stale = [{"pupil_id": p1, "row_id": rows[1], "level_id": None, "expected_version": 1}]
    conflict = autosave(client, world, matrix, stale)
    # Then the answer names the colleague's value and version, and it is kept
    assert conflict.status_code == 200
    principal = world.users["principal_norra"]
    assert conflict.json()["conflicts"] == [
        {
            "pupil_id": p1,
            "row_id": rows[1],
            "current_version": 2,
            "current_level_id": levels["A"],
            "current_author": f"{principal.first_name} {principal.last_name}".strip()
            or principal.username,
            "current_author_id": principal.pk,
        }
    ]
    assert conflict.json()["status"] == (
        "Conflict: 1 change was not saved; see the notice above the grid."
    )
    assert stored()[(p1, rows[1])] == (levels["A"], 2, principal.pk)
    # And every answer was logged as naming its pupils
    saves = log("portal.assessments.grid.save")
    assert [sorted(e.pupil_ids) for e in saves] == [sorted([p1, p2]), sorted([p1, p2]), [p1]]


def test_the_autosave_refuses_malformed_bodies_and_signed_out_pages(
    world: World, matrix: AssessmentMatrix
) -> None:
    rows, levels = shape(matrix)
    p1 = world.people["p5a_1"].pk
    client = client_for(world, "teacher_5a")
    path = grid_path(world, matrix) + "save/"
    # Malformed: not JSON, a cell without a level, a level of another matrix
    with schema_context(TENANT_A.slug):
        foreign_level = MatrixLevel.objects.filter(
            matrix=matrix_make(world.users["teacher_5a"], title="Annan")
        ).values_list("pk", flat=True)[0]
    bodies = [
        "not json",
        json.dumps({"cells": [{"pupil_id": p1, "row_id": rows[0]}]}),
        json.dumps({"cells": [{"pupil_id": p1, "row_id": rows[0], "level_id": foreign_level}]}),
    ]
    for body in bodies:
        answer = client.post(path, data=body, content_type="application/json")
        assert (body, answer.status_code) == (body, 400)
        assert answer.json()["status"] == "Not saved: the server did not accept the change."
    # Signed out: no save, a status the page can show
    anonymous = Client(HTTP_HOST=HOST, HTTP_ACCEPT_LANGUAGE="en")
    cell = {"pupil_id": p1, "row_id": rows[0], "level_id": levels["A"]}
    answer = anonymous.post(
        path, data=json.dumps({"cells": [cell]}), content_type="application/json"
    )
    assert answer.status_code == 401
    assert answer.json()["status"].startswith("Not saved: you have been signed out.")
    # GET is not a save
    assert client.get(path).status_code == 405
    assert stored() == {}
    assert log("portal.assessments.grid.save") == []


def test_a_malformed_plain_form_is_refused_with_a_message_and_saves_nothing(
    world: World, matrix: AssessmentMatrix
) -> None:
    rows, levels = shape(matrix)
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    client = client_for(world, "teacher_5a")
    # A valid change next to a cell whose level is not a number, or whose state is missing
    for bad in (
        {f"c{p2}_{rows[0]}": "E", f"v{p2}_{rows[0]}": "0."},
        {f"c{p2}_{rows[0]}": str(levels["A"])},
    ):
        form = {f"c{p1}_{rows[0]}": str(levels["A"]), f"v{p1}_{rows[0]}": "0.", **bad}
        response = client.post(grid_path(world, matrix), form)
        assert response.status_code == 400
        assert "Some cells are not valid." in response.content.decode()
    assert stored() == {}
    assert log("portal.assessments.grid.save") == []


def test_an_archived_matrix_is_shown_read_only_and_takes_no_save(
    world: World, matrix: AssessmentMatrix
) -> None:
    rows, levels = shape(matrix)
    p1 = world.people["p5a_1"].pk
    assess(world, matrix, "teacher_5a", [CellInput(p1, rows[0], levels["C"])])
    with schema_context(TENANT_A.slug):
        AssessmentMatrix.objects.filter(pk=matrix.pk).update(archived_at=timezone.now())
    client = client_for(world, "teacher_5a")
    page = client.get(grid_path(world, matrix)).content.decode()
    assert "The matrix is archived" in page
    assert 'type="radio"' not in page
    before = stored()
    cell = {"pupil_id": p1, "row_id": rows[0], "level_id": levels["A"], "expected_version": 1}
    assert autosave(client, world, matrix, [cell]).status_code == 409
    form = {f"c{p1}_{rows[0]}": str(levels["A"]), f"v{p1}_{rows[0]}": f"1.{levels['C']}"}
    assert client.post(grid_path(world, matrix), form).status_code == 409
    assert stored() == before


# --- Need-to-know and other municipalities -----------------------------------------------------


@pytest.mark.parametrize(
    "name", ["teacher_idle", "teacher_ma8b", "teacher_ended", "mother_p5a_1", "pupil_p5a_1"]
)
def test_whoever_does_not_assess_the_group_gets_404_and_nothing_changes(
    world: World, matrix: AssessmentMatrix, name: str
) -> None:
    # Given p5a_1 assessed C by the class's teacher
    rows, levels = shape(matrix)
    p1 = world.people["p5a_1"].pk
    assess(world, matrix, "teacher_5a", [CellInput(p1, rows[0], levels["C"])])
    before, history, entries = stored(), history_count(), len(log())
    client = client_for(world, name)
    path = grid_path(world, matrix)
    # When someone without a documentation relation to 5A reads, submits or autosaves
    form = {f"c{p1}_{rows[0]}": str(levels["A"]), f"v{p1}_{rows[0]}": f"1.{levels['C']}"}
    cell = {"pupil_id": p1, "row_id": rows[0], "level_id": levels["A"], "expected_version": 1}
    answers = (
        client.get(path).status_code,
        client.post(path, form).status_code,
        autosave(client, world, matrix, [cell]).status_code,
    )
    # Then every answer is 404, and nothing was written or logged
    assert answers == (404, 404, 404)
    assert (stored(), history_count(), len(log())) == (before, history, entries)


def test_a_cell_of_a_pupil_the_teacher_does_not_document_refuses_the_whole_save(
    world: World, matrix: AssessmentMatrix
) -> None:
    rows, levels = shape(matrix)
    mine, theirs = world.people["p5a_1"].pk, world.people["p8b_1"].pk
    client = client_for(world, "teacher_5a")
    cells = [
        {"pupil_id": mine, "row_id": rows[0], "level_id": levels["A"], "expected_version": 0},
        {"pupil_id": theirs, "row_id": rows[0], "level_id": levels["A"], "expected_version": 0},
    ]
    assert autosave(client, world, matrix, cells).status_code == 404
    form = {
        f"c{mine}_{rows[0]}": str(levels["A"]),
        f"v{mine}_{rows[0]}": "0.",
        f"c{theirs}_{rows[0]}": str(levels["A"]),
        f"v{theirs}_{rows[0]}": "0.",
    }
    assert client.post(grid_path(world, matrix), form).status_code == 404
    assert stored() == {}
    assert log("portal.assessments.grid.save") == []


def test_another_municipalitys_teacher_reaches_nothing_with_these_ids(
    world: World, matrix: AssessmentMatrix, tenant_b: object
) -> None:
    # Given the same register in Borås (so the group and pupil ids exist there too)
    with schema_context(TENANT_B.slug):
        world_b = build_world(prefix="b-")
    rows, levels = shape(matrix)
    p1 = world.people["p5a_1"].pk
    client_b = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["teacher_5a"])
    path = f"/groups/{world.groups['5A'].pk}/grid/{matrix.pk}/"
    cell = {"pupil_id": p1, "row_id": rows[0], "level_id": levels["A"], "expected_version": 0}
    # When Borås's teacher of 5A uses Ale's matrix on their own host
    answers = (
        client_b.get(path).status_code,
        client_b.post(
            path + "save/", json.dumps({"cells": [cell]}), "application/json"
        ).status_code,
    )
    # Then the matrix does not exist there: 404, and neither municipality changed
    assert answers == (404, 404)
    assert stored() == {}
    assert stored(TENANT_B.slug) == {}
    # And Ale's session means nothing on Borås's host
    ale = client_for(world, "teacher_5a")
    ale.defaults["HTTP_HOST"] = TENANT_B.domain
    assert ale.get(path).status_code == 302
