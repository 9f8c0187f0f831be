"""Matrices: drafts, publishing (frozen), archiving, copying, the locked Skolverket kind, who sees
what, the text guard, out-of-scope refusals, settings and cross-tenant refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from access.policy import actor_for
from access.readlog.models import AccessLogEntry
from documentation.assessments.errors import MatrixFrozen, MatrixLocked, NotAllowed
from documentation.assessments.models import (
    AssessmentMatrix,
    AssessmentSettings,
    MatrixCellText,
    MatrixKind,
    MatrixRow,
    Visibility,
)
from documentation.assessments.services.matrices import (
    MatrixInput,
    RowInput,
    matrix_copy,
    matrix_create,
    matrix_publish,
    matrix_update,
)
from tests.access.http import signed_in_client
from tests.access.world import World
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.assessments.factories import matrix_make

MATRICES = "/api/v1/assessments/matrices"


def client_for(world: World, name: str) -> Client:
    return signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users[name])


def send(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    call = getattr(client, method)
    return call(path, data=json.dumps(body or {}), content_type="application/json")


def payload(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Geometri åk 5",
        "subject_code": "GRGRMAT01",
        "curriculum_version": "2022",
        "levels": ["E", "C", "A"],
        "rows": [
            {
                "aspect": "Beskriver geometriska objekt",
                "knowledge_requirement_key": "GRGRMAT01:2022:geometri-1",
                "descriptions": ["i huvudsak fungerande", "relativt väl fungerande", "väl"],
            },
            {"aspect": "Använder begrepp", "descriptions": ["enkla", "", "välutvecklade"]},
        ],
        **changes,
    }


def sample() -> MatrixInput:
    return MatrixInput(
        title="Läsförståelse",
        subject_code="GRGRSVE01",
        curriculum_version="2022",
        levels=["E", "C", "A"],
        rows=[
            RowInput(
                aspect="Läser flytande", descriptions=("med flyt", "gott flyt", "mycket gott flyt")
            )
        ],
    )


# --- Over HTTP -----------------------------------------------------------------------------------


def test_a_teacher_creates_a_draft_publishes_it_and_then_it_is_frozen(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    created = send(teacher, "post", MATRICES, payload())
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["published_at"], body["owner_id"]) == (
        "teacher", None, world.users["teacher_5a"].pk,
    )  # fmt: skip
    assert [lv["label"] for lv in body["levels"]] == ["E", "C", "A"]
    assert [len(row["cells"]) for row in body["rows"]] == [3, 2]
    matrix_id = body["id"]
    # A draft is replaced as a whole
    changed = send(
        teacher,
        "put",
        f"{MATRICES}/{matrix_id}",
        payload(title="Geometri", levels=["F", "E"], rows=[{"aspect": "Mäter"}]),
    )
    assert changed.status_code == 200, changed.content
    assert [lv["label"] for lv in changed.json()["levels"]] == ["F", "E"]
    # Published: frozen for everyone, deleting refused, publishing again changes nothing
    published = send(teacher, "post", f"{MATRICES}/{matrix_id}/publish")
    assert published.status_code == 200
    assert published.json()["published_at"] is not None
    assert (
        send(teacher, "post", f"{MATRICES}/{matrix_id}/publish").json()["published_at"]
        == (published.json()["published_at"])
    )
    refused = send(teacher, "put", f"{MATRICES}/{matrix_id}", payload())
    assert (refused.status_code, refused.json()["code"]) == (409, "matrix_frozen")
    assert teacher.delete(f"{MATRICES}/{matrix_id}").status_code == 409
    # Archived: still readable, out of the default list
    assert send(teacher, "post", f"{MATRICES}/{matrix_id}/archive").status_code == 200
    assert teacher.get(f"{MATRICES}/{matrix_id}").status_code == 200
    assert matrix_id not in {m["id"] for m in teacher.get(MATRICES).json()["results"]}
    assert matrix_id in {m["id"] for m in teacher.get(MATRICES, {"archived": 1}).json()["results"]}
    # No pupil data anywhere here: nothing in the read log
    with schema_context(TENANT_A.slug):
        assert not AccessLogEntry.objects.exists()


def test_a_new_version_of_a_published_matrix_is_a_copy(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    with schema_context(TENANT_A.slug):
        original = matrix_make(world.users["teacher_5a"])
    copy = send(teacher, "post", f"{MATRICES}/{original.pk}/copy")
    assert copy.status_code == 201
    body = copy.json()
    assert (body["derived_from_id"], body["published_at"], body["kind"]) == (
        original.pk,
        None,
        "teacher",
    )
    assert [r["aspect"] for r in body["rows"]] == ["Aspekt 1", "Aspekt 2", "Aspekt 3"]
    assert [len(r["cells"]) for r in body["rows"]] == [3, 3, 3]
    assert send(teacher, "put", f"{MATRICES}/{body['id']}", payload()).status_code == 200


def test_teachers_cannot_edit_a_skolverket_based_matrix_but_can_copy_it(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    admin = client_for(world, "municipality_admin")
    # Teachers cannot create one
    refused = send(teacher, "post", MATRICES, payload(kind="skolverket"))
    assert (refused.status_code, refused.json()["code"]) == (403, "matrix_locked")
    # The municipality's administrator creates and publishes one
    created = send(admin, "post", MATRICES, payload(kind="skolverket"))
    assert created.status_code == 201, created.content
    matrix_id = created.json()["id"]
    # A draft Skolverket matrix is not visible to teachers yet
    assert teacher.get(f"{MATRICES}/{matrix_id}").status_code == 404
    assert send(admin, "post", f"{MATRICES}/{matrix_id}/publish").status_code == 200
    # Teachers read it but every edit is refused, and nothing changed
    assert teacher.get(f"{MATRICES}/{matrix_id}").status_code == 200
    for method, suffix in (("put", ""), ("post", "/publish"), ("post", "/archive"), ("delete", "")):
        response = send(teacher, method, f"{MATRICES}/{matrix_id}{suffix}", payload())
        assert (suffix, response.status_code) == (suffix, 403)
    with schema_context(TENANT_A.slug):
        matrix = AssessmentMatrix.objects.get(pk=matrix_id)
        assert (matrix.title, matrix.archived_at) == ("Geometri åk 5", None)
    # A copy is the teacher's own, editable matrix
    copy = send(teacher, "post", f"{MATRICES}/{matrix_id}/copy")
    assert (copy.status_code, copy.json()["kind"]) == (201, "teacher")
    assert send(teacher, "put", f"{MATRICES}/{copy.json()['id']}", payload()).status_code == 200


def test_only_the_owner_edits_a_teacher_made_matrix(world: World) -> None:
    owner, colleague = client_for(world, "teacher_5a"), client_for(world, "teacher_ma8b")
    matrix_id = send(owner, "post", MATRICES, payload()).json()["id"]
    # A colleague does not see someone else's draft at all
    assert colleague.get(f"{MATRICES}/{matrix_id}").status_code == 404
    assert send(colleague, "put", f"{MATRICES}/{matrix_id}", payload()).status_code == 404
    send(owner, "post", f"{MATRICES}/{matrix_id}/publish")
    assert send(colleague, "put", f"{MATRICES}/{matrix_id}", payload()).status_code == 403
    assert send(colleague, "post", f"{MATRICES}/{matrix_id}/archive").status_code == 403


def test_pupils_and_guardians_see_published_matrices_only_and_write_none(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    draft_id = send(teacher, "post", MATRICES, payload(title="Utkast")).json()["id"]
    published_id = send(teacher, "post", MATRICES, payload(title="Publicerad")).json()["id"]
    send(teacher, "post", f"{MATRICES}/{published_id}/publish")
    with schema_context(TENANT_A.slug):
        skolverket = matrix_make(world.users["municipality_admin"], kind=MatrixKind.SKOLVERKET)
    for name in ("pupil_p5a_1", "mother_p5a_1"):
        client = client_for(world, name)
        listed = {m["id"] for m in client.get(MATRICES).json()["results"]}
        assert listed == {published_id}
        assert client.get(f"{MATRICES}/{draft_id}").status_code == 404
        assert client.get(f"{MATRICES}/{skolverket.pk}").status_code == 404
        assert client.get(f"{MATRICES}/{published_id}").status_code == 200
        assert send(client, "post", MATRICES, payload()).status_code == 403
        assert send(client, "post", f"{MATRICES}/{published_id}/copy").status_code == 403
    # The municipality decides that Skolverket-based matrices are shared too
    admin = client_for(world, "municipality_admin")
    assert (
        send(
            teacher,
            "put",
            "/api/v1/assessments/settings",
            {"skolverket_visibility": "pupil_guardians"},
        ).status_code
        == 403
    )
    changed = send(
        admin, "put", "/api/v1/assessments/settings", {"skolverket_visibility": "pupil_guardians"}
    )
    assert changed.json() == {"skolverket_visibility": "pupil_guardians"}
    assert client_for(world, "pupil_p5a_1").get(f"{MATRICES}/{skolverket.pk}").status_code == 200


def test_matrix_texts_pass_the_text_guard(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    flagged = payload(rows=[{"aspect": "Eleven med ADHD löser uppgifter", "descriptions": []}])
    refused = send(teacher, "post", MATRICES, flagged)
    assert refused.status_code == 422
    assert [f["field"] for f in refused.json()["findings"]] == ["rows.0.aspect"]
    with schema_context(TENANT_A.slug):
        assert not AssessmentMatrix.objects.exists()
    assert send(teacher, "post", MATRICES, {**flagged, "acknowledge": True}).status_code == 201


@pytest.mark.parametrize("extra", [{"grade": "A"}, {"betyg": 3}, {"attendance": 1}])
def test_grades_and_attendance_are_refused(world: World, extra: dict[str, Any]) -> None:
    teacher = client_for(world, "teacher_5a")
    for body in (payload(**extra), payload(rows=[{"aspect": "x", **extra}])):
        response = send(teacher, "post", MATRICES, body)
        assert (response.status_code, response.json()["code"]) == (400, "out_of_scope")
    with schema_context(TENANT_A.slug):
        assert not AssessmentMatrix.objects.exists()


def test_invalid_matrices_are_refused(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    for body in (
        payload(levels=[]),
        payload(levels=["E", "E"]),
        payload(rows=[{"aspect": "x", "knowledge_requirement_key": "not-a-key"}]),
        payload(rows=[{"aspect": "x", "descriptions": ["1", "2", "3", "4"]}]),
        payload(organisation=999999999),
    ):
        assert send(teacher, "post", MATRICES, body).status_code == 400
    with schema_context(TENANT_A.slug):
        assert not AssessmentMatrix.objects.exists()


def test_a_session_of_a_and_ids_of_a_mean_nothing_on_b(world: World, world_b: World) -> None:
    with schema_context(TENANT_A.slug):
        matrix_a = matrix_make(world.users["teacher_5a"], published=False)
    client = client_for(world, "teacher_5a")
    client.defaults["HTTP_HOST"] = TENANT_B.domain
    assert client.get(MATRICES).status_code == 403
    assert send(client, "post", MATRICES, payload()).status_code == 403
    # B's own teacher asking for A's draft by id: not found (or a different matrix of B)
    b_teacher = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["teacher_5a"])
    with schema_context(TENANT_B.slug):
        exists_in_b = AssessmentMatrix.objects.filter(pk=matrix_a.pk).exists()
        assert not AssessmentMatrix.objects.exists()
    assert not exists_in_b
    assert b_teacher.get(f"{MATRICES}/{matrix_a.pk}").status_code == 404
    assert send(b_teacher, "put", f"{MATRICES}/{matrix_a.pk}", payload()).status_code == 404
    with schema_context(TENANT_A.slug):
        assert AssessmentMatrix.objects.get(pk=matrix_a.pk).title == matrix_a.title


# --- Services directly ---------------------------------------------------------------------------


def test_services_refuse_locked_and_frozen_edits(world: World) -> None:
    with schema_context(TENANT_A.slug):
        teacher, admin = (
            actor_for(world.users["teacher_5a"]),
            actor_for(world.users["municipality_admin"]),
        )
        with pytest.raises(MatrixLocked):
            matrix_create(actor=teacher, kind=MatrixKind.SKOLVERKET, data=sample())
        with pytest.raises(NotAllowed):
            matrix_create(actor=admin, kind=MatrixKind.TEACHER, data=sample())
        with pytest.raises(NotAllowed):
            matrix_create(actor=actor_for(world.users["pupil_p5a_1"]), data=sample())
        locked = matrix_create(actor=admin, kind=MatrixKind.SKOLVERKET, data=sample())
        with pytest.raises(MatrixLocked):
            matrix_update(actor=teacher, matrix=locked, data=sample())
        with pytest.raises(MatrixLocked):
            matrix_publish(actor=teacher, matrix=locked)
        matrix_publish(actor=admin, matrix=locked)
        with pytest.raises(MatrixFrozen):
            matrix_update(actor=admin, matrix=locked, data=sample())
        own = matrix_copy(actor=teacher, matrix=locked)
        assert (own.kind, own.derived_from_id, own.owner_id) == (
            "teacher",
            locked.pk,
            teacher.user.pk,
        )
        assert MatrixRow.objects.filter(matrix=own).count() == 1
        assert MatrixCellText.objects.filter(row__matrix=own).count() == 3


def test_settings_default_to_staff_only(world: World) -> None:
    client = client_for(world, "teacher_5a")
    assert client.get("/api/v1/assessments/settings").json() == {"skolverket_visibility": "staff"}
    with schema_context(TENANT_A.slug):
        assert AssessmentSettings.objects.get().skolverket_visibility == Visibility.STAFF
