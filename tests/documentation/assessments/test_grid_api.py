"""The grid and pupil endpoints over HTTP: need-to-know, read log, second factor, out-of-scope
refusals, conflicts, idempotency, cross-tenant refusals and constant queries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from access.readlog.models import AccessLogEntry
from documentation.assessments.models import (
    AssessmentMatrix,
    AssessmentSettings,
    MatrixKind,
    MatrixLevel,
    SummativeAssessment,
    SummativeAssessmentHistory,
    Visibility,
)
from register.models import Person
from tests.access.http import signed_in_client
from tests.access.world import World
from tests.conftest import TENANT_A, TENANT_B, QueryCounter
from tests.documentation.assessments.factories import matrix_make, pupils_add
from tests.factories import MembershipFactory, PersonFactory

GRID = "/api/v1/assessments/grid"


def client_for(world: World, name: str) -> Client:
    return signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users[name])


def put(client: Client, body: dict[str, Any]) -> Any:
    return client.put(GRID, data=json.dumps(body), content_type="application/json")


def shape(
    matrix: AssessmentMatrix, schema: str = TENANT_A.slug
) -> tuple[list[int], dict[str, int]]:
    with schema_context(schema):
        rows = list(matrix.rows.order_by("position").values_list("pk", flat=True))
        levels = {lv.label: lv.pk for lv in MatrixLevel.objects.filter(matrix=matrix)}
    return rows, levels


def log(schema: str = TENANT_A.slug) -> list[AccessLogEntry]:
    with schema_context(schema):
        return list(AccessLogEntry.objects.order_by("id"))


def written(schema: str = TENANT_A.slug) -> tuple[int, int]:
    with schema_context(schema):
        return SummativeAssessment.objects.count(), SummativeAssessmentHistory.objects.count()


def class_cells(world: World, matrix: AssessmentMatrix, label: str, **extra: Any) -> list[dict]:
    rows, levels = shape(matrix)
    return [
        {"pupil_id": world.people[name].pk, "row_id": rows[0], "level_id": levels[label], **extra}
        for name in ("p5a_1", "p5a_2")
    ]


# --- The grid ------------------------------------------------------------------------------------


def test_a_teacher_reads_and_saves_the_grid_and_each_response_is_logged_once(
    world: World, matrix: AssessmentMatrix
) -> None:
    client = client_for(world, "teacher_5a")
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    group = world.groups["5A"].pk
    # When the class is assessed on one row with one cell per pupil
    saved = put(client, {"matrix": matrix.pk, "cells": class_cells(world, matrix, "C")})
    assert saved.status_code == 200, saved.content
    assert sorted((c["pupil_id"], c["version"]) for c in saved.json()["saved"]) == [
        (p1, 1),
        (p2, 1),
    ]
    # Then the grid shows them
    grid = client.get(GRID, {"matrix": matrix.pk, "group": group})
    assert grid.status_code == 200
    body = grid.json()
    assert [p["given_name"] for p in body["pupils"]] == sorted(
        ["p5a_1", "p5a_2"], key=lambda n: (world.people[n].family_name, n)
    )
    assert {(c["pupil_id"], c["version"]) for c in body["cells"]} == {(p1, 1), (p2, 1)}
    assert [lv["label"] for lv in body["levels"]] == ["E", "C", "A"]
    # And each response wrote one entry naming its pupils
    entries = log()
    assert [(e.resource, sorted(e.pupil_ids), e.relations) for e in entries] == [
        ("assessments.grid.save", sorted([p1, p2]), {str(p1): "teacher", str(p2): "teacher"}),
        ("assessments.grid.read", sorted([p1, p2]), {str(p1): "teacher", str(p2): "teacher"}),
    ]
    assert entries[1].object_ref == f"matrix:{matrix.pk},group:{group}"


def test_a_teacher_who_does_not_teach_the_group_gets_404_and_nothing_changes(
    world: World, matrix: AssessmentMatrix
) -> None:
    for name in ("teacher_idle", "teacher_ma8b", "teacher_ended", "school_admin_norra"):
        client = client_for(world, name)
        response = put(client, {"matrix": matrix.pk, "cells": class_cells(world, matrix, "A")})
        assert (name, response.status_code) == (name, 404)
        grid = client.get(GRID, {"matrix": matrix.pk, "group": world.groups["5A"].pk})
        assert (name, grid.status_code) in {(name, 404), ("school_admin_norra", 200)}
        if grid.status_code == 200:  # a school administrator opens the group, sees no pupil
            assert grid.json()["pupils"] == []
    assert written() == (0, 0)
    assert all(entry.pupil_ids == [] for entry in log())


def test_pupils_and_guardians_neither_read_nor_write_the_grid(
    world: World, matrix: AssessmentMatrix
) -> None:
    for name in ("pupil_p5a_1", "mother_p5a_1"):
        client = client_for(world, name)
        cells = class_cells(world, matrix, "A")[:1]
        assert put(client, {"matrix": matrix.pk, "cells": cells}).status_code == 404
        grid = client.get(GRID, {"matrix": matrix.pk, "group": world.groups["5A"].pk})
        assert grid.status_code == 404
    assert written() == (0, 0)
    assert log() == []


def test_staff_without_a_second_factor_get_403(world: World, matrix: AssessmentMatrix) -> None:
    from tests.accounts.support import sign_in

    client = Client(HTTP_HOST=TENANT_A.domain)
    assert sign_in(client, world.users["teacher_5a"].username).status_code == 302
    response = put(client, {"matrix": matrix.pk, "cells": class_cells(world, matrix, "A")})
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    assert client.get(GRID, {"matrix": matrix.pk, "group": 1}).status_code == 403
    assert written() == (0, 0)


@pytest.mark.parametrize(
    "payload_change",
    [
        {"grade": "B"},
        {"betyg": "C"},
        {"cell_grade": "A"},
        {"attendance": 0.9},
        {"franvaro_procent": 10},
    ],
)
def test_grades_and_attendance_are_refused(
    world: World, matrix: AssessmentMatrix, payload_change: dict[str, Any]
) -> None:
    client = client_for(world, "teacher_5a")
    cells = class_cells(world, matrix, "A")
    for body in (
        {"matrix": matrix.pk, "cells": cells, **payload_change},
        {"matrix": matrix.pk, "cells": [{**cells[0], **payload_change}]},
    ):
        response = put(client, body)
        assert response.status_code == 400
        assert response.json()["code"] == "out_of_scope"
    assert written() == (0, 0)


def test_a_comment_with_findings_needs_an_acknowledgement(
    world: World, matrix: AssessmentMatrix
) -> None:
    client = client_for(world, "teacher_5a")
    cells = class_cells(world, matrix, "E", comment="Har en diagnos, behöver extra tid")
    refused = put(client, {"matrix": matrix.pk, "cells": cells})
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "text_guard"
    assert {f["field"] for f in body["findings"]} == {"cells.0.comment", "cells.1.comment"}
    assert set(body["findings"][0]) == {"field", "start", "end", "text", "category", "suggestion"}
    assert written() == (0, 0)
    accepted = put(client, {"matrix": matrix.pk, "cells": cells, "acknowledge": True})
    assert accepted.status_code == 200
    assert written() == (2, 2)


def test_conflicts_over_http_and_idempotent_resends(world: World, matrix: AssessmentMatrix) -> None:
    teacher, specped = client_for(world, "teacher_5a"), client_for(world, "specped_5a")
    cells = class_cells(world, matrix, "E", expected_version=0)
    first = put(teacher, {"matrix": matrix.pk, "cells": cells})
    assert len(first.json()["saved"]) == 2
    # The same request again: unchanged, nothing written
    again = put(teacher, {"matrix": matrix.pk, "cells": cells})
    assert (len(again.json()["saved"]), len(again.json()["unchanged"])) == (0, 2)
    assert written() == (2, 2)
    # A colleague who saw version 0 and picks another level gets the conflicts
    _rows, levels = shape(matrix)
    stale = [{**cell, "level_id": levels["A"]} for cell in cells]
    conflict = put(specped, {"matrix": matrix.pk, "cells": stale}).json()
    assert conflict["saved"] == []
    teacher_user = world.users["teacher_5a"]
    assert {
        (c["current_version"], c["current_level_id"], c["current_author_id"])
        for c in conflict["conflicts"]
    } == {(1, levels["E"], teacher_user.pk)}
    assert written() == (2, 2)


def test_unknown_rows_or_a_draft_matrix_are_refused(world: World, matrix: AssessmentMatrix) -> None:
    client = client_for(world, "teacher_5a")
    with schema_context(TENANT_A.slug):
        draft = matrix_make(world.users["teacher_5a"], published=False)
    cells = class_cells(world, matrix, "A")
    bad_row = [{**cells[0], "row_id": 999999}]
    response = put(client, {"matrix": matrix.pk, "cells": bad_row})
    assert response.status_code == 400
    assert response.json()["errors"] == {"cells.0.row_id": "Not a row of this matrix."}
    assert put(client, {"matrix": draft.pk, "cells": cells}).status_code == 409
    assert put(client, {"matrix": 999999, "cells": cells}).status_code == 404
    assert written() == (0, 0)


def test_reading_the_grid_takes_the_same_queries_for_5_and_30_pupils(
    world: World, count_queries: type[QueryCounter]
) -> None:
    teacher = world.users["teacher_5a"]
    client = client_for(world, "teacher_5a")
    group = world.groups["5A"]
    with schema_context(TENANT_A.slug):
        matrix = matrix_make(teacher, rows=10)
        unit = world.people["p5a_1"].enrolments.get().school_unit_id
    rows, levels = shape(matrix)
    counts = {}
    for size, more in ((5, 3), (30, 25)):
        with schema_context(TENANT_A.slug):
            pupils_add(group, unit, more, prefix=f"c{size}_")
        pupil_ids = [
            p["id"]
            for p in client.get(GRID, {"matrix": matrix.pk, "group": group.pk}).json()["pupils"]
        ]
        cells = [
            {"pupil_id": p, "row_id": r, "level_id": levels["C"]} for p in pupil_ids for r in rows
        ]
        assert put(client, {"matrix": matrix.pk, "cells": cells}).status_code == 200
        with count_queries() as reading:
            response = client.get(GRID, {"matrix": matrix.pk, "group": group.pk})
        assert len(response.json()["cells"]) == size * 10
        counts[size] = reading.count
    assert counts[5] == counts[30]


# --- One pupil's assessments ---------------------------------------------------------------------


@pytest.fixture
def assessed(world: World, matrix: AssessmentMatrix) -> dict[str, AssessmentMatrix]:
    """p5a_1 and p5a_2 assessed on a teacher-made matrix, a Skolverket-based one, and p5a_1 on a
    second teacher-made one that is archived afterwards."""
    client = client_for(world, "teacher_5a")
    with schema_context(TENANT_A.slug):
        skolverket = matrix_make(
            world.users["municipality_admin"], kind=MatrixKind.SKOLVERKET, title="Kunskapskrav"
        )
        second = matrix_make(world.users["teacher_5a"], title="Problemlösning")
    for m in (matrix, skolverket):
        assert (
            put(
                client, {"matrix": m.pk, "cells": class_cells(world, m, "C", comment="Ok")}
            ).status_code
            == 200
        )
    assert (
        put(client, {"matrix": second.pk, "cells": class_cells(world, second, "E")[:1]}).status_code
        == 200
    )
    with schema_context(TENANT_A.slug):
        AssessmentMatrix.objects.filter(pk=second.pk).update(archived_at=second.published_at)
    return {"teacher": matrix, "skolverket": skolverket, "archived": second}


def titles(response: Any) -> list[str]:
    return sorted(a["matrix"]["title"] for a in response.json()["assessments"])


def test_staff_read_all_of_a_pupils_assessments_with_history(
    world: World, assessed: dict[str, AssessmentMatrix]
) -> None:
    pupil = world.people["p5a_1"].pk
    response = client_for(world, "teacher_5a").get(f"/api/v1/pupils/{pupil}/assessments?history=1")
    assert response.status_code == 200
    assert titles(response) == [
        "Kunskapskrav",
        "Problemlösning",
        "Taluppfattning och tals användning",
    ]
    assert all(len(a["history"]) == 1 for a in response.json()["assessments"])
    entry = log()[-1]
    assert (entry.resource, entry.pupil_ids, entry.relations) == (
        "assessments.pupil.detail", [pupil], {str(pupil): "teacher"},
    )  # fmt: skip


def test_the_pupil_and_guardians_see_only_shared_published_assessments_of_the_child(
    world: World, assessed: dict[str, AssessmentMatrix]
) -> None:
    p1, p2 = world.people["p5a_1"].pk, world.people["p5a_2"].pk
    for name, relation in (
        ("pupil_p5a_1", "self"),
        ("mother_p5a_1", "guardian"),
        ("father_p5a_1", "guardian"),
    ):
        client = client_for(world, name)
        before = len(log())
        own = client.get(f"/api/v1/pupils/{p1}/assessments?history=1")
        assert own.status_code == 200
        # Teacher-made matrices only (Skolverket-based ones are staff-only by default), no history
        assert titles(own) == ["Problemlösning", "Taluppfattning och tals användning"]
        assert all(a["history"] is None for a in own.json()["assessments"])
        assert [(e.pupil_ids, e.relations) for e in log()[before:]] == [([p1], {str(p1): relation})]
        # Never another pupil's
        assert client.get(f"/api/v1/pupils/{p2}/assessments").status_code == 404
    # When the municipality shares Skolverket-based matrices too
    with schema_context(TENANT_A.slug):
        AssessmentSettings.objects.update_or_create(
            id=1, defaults={"skolverket_visibility": Visibility.PUPIL_GUARDIANS}
        )
    shared = client_for(world, "pupil_p5a_1").get(f"/api/v1/pupils/{p1}/assessments")
    assert "Kunskapskrav" in titles(shared)


def test_others_get_404_for_a_pupils_assessments(
    world: World, assessed: dict[str, AssessmentMatrix]
) -> None:
    pupil = world.people["p5a_1"].pk
    before = len(log())
    for name in ("teacher_idle", "teacher_ma8b", "school_admin_norra", "municipality_admin",
                 "foster_p8b_2", "pupil_p8b_protected"):  # fmt: skip
        response = client_for(world, name).get(f"/api/v1/pupils/{pupil}/assessments")
        assert (name, response.status_code) == (name, 404)
    assert len(log()) == before


def test_a_former_teacher_still_reads_what_they_wrote(
    world: World, assessed: dict[str, AssessmentMatrix]
) -> None:
    with schema_context(TENANT_A.slug):
        teacher = world.users["teacher_5a"]
        written_by_teacher = SummativeAssessment.objects.filter(pupil=world.people["p5a_1"])
        # teacher_ended authored one of them (as if before their assignment ended)
        written_by_teacher.filter(matrix=assessed["teacher"]).update(
            author=world.users["teacher_ended"]
        )
        assert teacher.pk != world.users["teacher_ended"].pk
    pupil = world.people["p5a_1"].pk
    response = client_for(world, "teacher_ended").get(f"/api/v1/pupils/{pupil}/assessments")
    assert response.status_code == 200
    assert titles(response) == ["Taluppfattning och tals användning"]
    assert log()[-1].relations == {str(pupil): "author"}


# --- Cross-tenant --------------------------------------------------------------------------------


def test_a_session_of_a_is_nobody_on_bs_host(
    world: World, world_b: World, matrix: AssessmentMatrix
) -> None:
    with schema_context(TENANT_B.slug):
        matrix_b = matrix_make(world_b.users["teacher_5a"])
    client = client_for(world, "teacher_5a")
    client.defaults["HTTP_HOST"] = TENANT_B.domain
    cells = [
        {
            "pupil_id": world_b.people["p5a_1"].pk,
            "row_id": shape(matrix_b, TENANT_B.slug)[0][0],
            "level_id": None,
            "comment": "x",
        }
    ]
    assert put(client, {"matrix": matrix_b.pk, "cells": cells}).status_code == 403
    assert (
        client.get(GRID, {"matrix": matrix_b.pk, "group": world_b.groups["5A"].pk}).status_code
        == 403
    )
    assert client.get(f"/api/v1/pupils/{world_b.people['p5a_1'].pk}/assessments").status_code == 403
    assert written(TENANT_B.slug) == (0, 0)
    assert log(TENANT_B.slug) == []


def test_as_ids_mean_nothing_on_b(world: World, world_b: World) -> None:
    # Given a matrix and a pupil of A whose ids B has never used (ids are per schema)
    with schema_context(TENANT_B.slug):
        matrix_b = matrix_make(world_b.users["teacher_5a"])
        b_max = (Person.objects.order_by("-pk").first().pk, matrix_b.pk)  # type: ignore[union-attr]
    with schema_context(TENANT_A.slug):
        matrix_a = matrix_make(world.users["teacher_5a"])
        while matrix_a.pk <= b_max[1]:
            matrix_a = matrix_make(world.users["teacher_5a"])
        pupil_a = pupils_add(
            world.groups["5A"], world.people["p5a_1"].enrolments.get().school_unit_id, 1
        )[0]
        while pupil_a.pk <= b_max[0]:
            pupil_a = PersonFactory()
            MembershipFactory(person=pupil_a, group=world.groups["5A"])
    rows_a, levels_a = shape(matrix_a)
    rows_b, levels_b = shape(matrix_b, TENANT_B.slug)
    # When B's teacher of 5A sends them
    client = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["teacher_5a"])
    b_pupil = world_b.people["p5a_1"].pk
    a_cells = [{"pupil_id": b_pupil, "row_id": rows_a[0], "level_id": levels_a["E"]}]
    # Then A's matrix is not found, A's rows are not rows of B's matrix, A's pupil is not found
    assert put(client, {"matrix": matrix_a.pk, "cells": a_cells}).status_code == 404
    if not set(rows_a) & set(rows_b):
        assert put(client, {"matrix": matrix_b.pk, "cells": a_cells}).status_code == 400
    foreign = [{"pupil_id": pupil_a.pk, "row_id": rows_b[0], "level_id": levels_b["E"]}]
    assert put(client, {"matrix": matrix_b.pk, "cells": foreign}).status_code == 404
    assert client.get(f"/api/v1/pupils/{pupil_a.pk}/assessments").status_code == 404
    assert (
        client.get(GRID, {"matrix": matrix_a.pk, "group": world_b.groups["5A"].pk}).status_code
        == 404
    )
    assert written(TENANT_B.slug) == (0, 0)
    assert written(TENANT_A.slug) == (0, 0)
