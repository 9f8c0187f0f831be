"""The portal's matrix editor: the list, a new matrix built with the editor's buttons (no
JavaScript needed), the text guard inline, publishing, the read-only view of locked matrices,
copy, archive, delete, the knowledge-requirement picker, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from curriculum.models import KnowledgeRequirement, Subject
from documentation.assessments.models import (
    AssessmentMatrix,
    MatrixCellText,
    MatrixKind,
    MatrixLevel,
    MatrixRow,
)
from documentation.textguard.models import Acknowledgement
from tests.access.http import signed_in_client
from tests.access.world import World, build_world
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.assessments.factories import matrix_make
from tests.documentation.plans.support import FLAGGED, KR_E, SUBJECT, VERSION, syllabus_make

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(tenant_a: object) -> World:
    syllabus_make()
    with schema_context(TENANT_A.slug):
        return build_world()


def client_for(world: World, name: str) -> Client:
    return signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users[name])


def form(
    title: str, levels: list[str], rows: list[tuple[str, list[str]]], **extra: Any
) -> dict[str, Any]:
    """The editor's form as the browser posts it."""
    data: dict[str, Any] = {
        "title": title,
        "subject_code": "",
        "level_count": len(levels),
        "row_count": len(rows),
    }
    data |= {f"levels.{i}": label for i, label in enumerate(levels)}
    for i, (aspect, texts) in enumerate(rows):
        data[f"rows.{i}.aspect"] = aspect
        data[f"rows.{i}.key"] = ""
        data |= {f"rows.{i}.descriptions.{j}": text for j, text in enumerate(texts)}
    return data | extra


def stored(schema: str = TENANT_A.slug) -> tuple[Any, ...]:
    """Every matrix row, to show that a refused request changed nothing."""
    with schema_context(schema):
        return (
            list(AssessmentMatrix.objects.order_by("pk").values_list()),
            list(MatrixRow.objects.order_by("pk").values_list()),
            list(MatrixLevel.objects.order_by("pk").values_list()),
            list(MatrixCellText.objects.order_by("pk").values_list()),
            Acknowledgement.objects.count(),
        )


def structure(matrix_id: int) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    """(level labels, [(aspect, key, cell texts by level)]) of a stored matrix."""
    with schema_context(TENANT_A.slug):
        levels = list(MatrixLevel.objects.filter(matrix_id=matrix_id).order_by("position"))
        rows = []
        for row in MatrixRow.objects.filter(matrix_id=matrix_id).order_by("position"):
            texts = dict(row.cell_texts.values_list("level_id", "description"))
            rows.append(
                (row.aspect, row.knowledge_requirement_key, [texts.get(lv.pk, "") for lv in levels])
            )
        return [level.label for level in levels], rows


# --- Building a matrix -----------------------------------------------------------------------


def test_a_teacher_builds_a_matrix_with_the_editors_buttons_and_publishes_it(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    # Given the new-matrix editor: E, C, A and one empty row to start from
    page = teacher.get("/matrices/new/").content.decode()
    assert '<input type="text" id="levels-2" name="levels.2" value="A"' in page
    assert 'name="rows.0.aspect"' in page
    assert 'name="rows.1.aspect"' not in page
    # When the teacher adds a row (one button: the form is posted, nothing is saved)
    rows = [("Resonemang", ["Enkla", "Utvecklade", "Välutvecklade"])]
    added = teacher.post(
        "/matrices/new/", form("Taluppfattning", ["E", "C", "A"], rows, op="add-row")
    )
    # Then the editor comes back with a second, empty row focused and the texts kept
    html = added.content.decode()
    assert added.status_code == 200
    assert 'id="rows-1-aspect" name="rows.1.aspect" rows="2" maxlength="1000" ' in html
    assert 'aria-describedby="findings-rows-1-aspect" autofocus' in html
    assert ">Välutvecklade</textarea>" in html
    assert "Row 2 added." in html
    assert stored()[0] == []
    # When the teacher fills in three rows and saves the draft
    rows = [
        ("Resonemang", ["Enkla", "Utvecklade", "Välutvecklade"]),
        ("Begrepp", ["Några", "Flera", "Alla"]),
        ("Metoder", ["", "Lämpliga", "Effektiva"]),
    ]
    saved = teacher.post("/matrices/new/", form("Taluppfattning", ["E", "C", "A"], rows, op="save"))
    # Then the draft is stored through the service, owned by the teacher
    with schema_context(TENANT_A.slug):
        matrix = AssessmentMatrix.objects.get()
    assert saved.status_code == 302
    assert saved["Location"] == f"/matrices/{matrix.pk}/"
    assert (matrix.title, matrix.kind, matrix.owner_id, matrix.published_at) == (
        "Taluppfattning",
        MatrixKind.TEACHER,
        world.users["teacher_5a"].pk,
        None,
    )
    assert structure(matrix.pk) == (
        ["E", "C", "A"],
        [
            ("Resonemang", "", ["Enkla", "Utvecklade", "Välutvecklade"]),
            ("Begrepp", "", ["Några", "Flera", "Alla"]),
            ("Metoder", "", ["", "Lämpliga", "Effektiva"]),
        ],
    )
    # When the teacher publishes it (from the editor, as htmx posts it)
    published = teacher.post(
        f"/matrices/{matrix.pk}/",
        form("Taluppfattning", ["E", "C", "A"], rows, op="publish"),
        **HTMX,
    )
    # Then it is frozen: the browser is sent to the read-only page, which says why
    assert (published.status_code, published["HX-Redirect"]) == (204, f"/matrices/{matrix.pk}/")
    with schema_context(TENANT_A.slug):
        matrix.refresh_from_db()
    assert matrix.published_at is not None
    detail = teacher.get(f"/matrices/{matrix.pk}/").content.decode()
    assert "A published matrix is frozen; copy it to make a new version." in detail
    assert '<th scope="row">Begrepp</th><td>Några</td><td>Flera</td><td>Alla</td>' in detail


def test_rows_and_levels_move_and_go_with_their_texts(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    rows = [("Ett", ["e1", "c1"]), ("Två", ["e2", "c2"]), ("Tre", ["e3", "c3"])]
    # When the third row moves up, then the second level moves up, then the first row goes
    moved = teacher.post("/matrices/new/", form("M", ["E", "C"], rows, op="row-up:2"))
    html = moved.content.decode()
    # Then the row keeps its texts at its new place and its button keeps the focus
    moved_row = 'maxlength="1000" aria-describedby="findings-rows-1-aspect">Tre</textarea>'
    assert f'name="rows.1.aspect" rows="2" {moved_row}' in html
    assert 'value="row-up:1" id="row-up-1" autofocus' in html
    assert "Row moved to place 2." in html
    swapped = [("Ett", ["c1", "e1"]), ("Tre", ["c3", "e3"]), ("Två", ["c2", "e2"])]
    levels_moved = teacher.post("/matrices/new/", form("M", ["E", "C"], rows, op="level-up:1"))
    html = levels_moved.content.decode()
    assert 'id="levels-0" name="levels.0" value="C"' in html
    first_cell = html.split('name="rows.0.descriptions.0"', 1)[1].split("</textarea>")[0]
    assert first_cell.endswith(">c1")
    removed = teacher.post("/matrices/new/", form("M", ["C", "E"], swapped, op="remove-row:0"))
    html = removed.content.decode()
    assert 'name="row_count" value="2"' in html
    assert ">Tre</textarea>" in html
    assert ">Ett</textarea>" not in html
    # And nothing was stored by any of them
    assert stored()[0] == []


def test_the_editor_moves_the_focus_to_what_the_button_changed(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    rows = [("Ett", ["e1"]), ("Två", ["e2"])]
    # When the second row moves up
    html = teacher.post("/matrices/new/", form("M", ["E"], rows, op="row-up:1")).content.decode()
    # Then its "move up" button, now on the first row, has the focus (press it again: no-op)
    assert 'value="row-up:0" id="row-up-0" aria-disabled="true"' in html
    # When a level is added, its input is focused
    html = teacher.post("/matrices/new/", form("M", ["E"], rows, op="add-level")).content.decode()
    new_level = 'value="" maxlength="100" aria-describedby="findings-levels-1" autofocus'
    assert f'id="levels-1" name="levels.1" {new_level}' in html


def test_the_services_refusals_show_at_their_fields_and_nothing_is_saved(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    before = stored()
    # When a row has no aspect and two levels share a label
    response = teacher.post("/matrices/new/", form("M", ["E", "E"], [("", ["a", "b"])], op="save"))
    # Then the editor says so at the fields, and nothing is stored
    html = response.content.decode()
    assert response.status_code == 200
    assert '<p id="levels-error" class="errorlist">Level labels must differ.</p>' in html
    assert '<p id="rows-0-aspect-error" class="errorlist">Every row needs an aspect.</p>' in html
    assert (
        'aria-describedby="rows-0-aspect-error findings-rows-0-aspect" aria-invalid="true"' in html
    )
    assert stored() == before


def test_the_text_guard_shows_findings_inline_and_saves_once_acknowledged(world: World) -> None:
    teacher = client_for(world, "teacher_5a")
    rows = [("Arbetsinsats", [FLAGGED])]
    before = stored()
    # When a cell text has a value judgement
    refused = teacher.post("/matrices/new/", form("M", ["E"], rows, op="save"))
    # Then it is not saved; the finding is shown at that cell and the box to keep it appears
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "Not saved: check the wording marked below" in html
    slot = html.split('id="findings-rows-0-descriptions-0" class="findings">', 1)[1].split(
        "</div>"
    )[0]
    assert "<mark>lat</mark>" in slot
    assert 'name="acknowledge" id="acknowledge" value="1"' in html
    assert stored() == before
    # When the teacher ticks the box and saves again
    saved = teacher.post("/matrices/new/", form("M", ["E"], rows, op="save", acknowledge="1"))
    # Then the draft is saved and the acknowledgement recorded once
    assert saved.status_code == 302
    with schema_context(TENANT_A.slug):
        assert AssessmentMatrix.objects.count() == 1
        assert Acknowledgement.objects.count() == 1


# --- The knowledge-requirement picker ---------------------------------------------------------


def test_the_picker_offers_the_subjects_requirements_and_adds_ticked_ones_as_rows(
    world: World,
) -> None:
    # Given mathematics with two knowledge requirements (E and C for year 6)
    with schema_context("public"):
        subject = Subject.objects.get(code=SUBJECT, version=VERSION)
        KnowledgeRequirement.objects.create(
            subject=subject, code=SUBJECT, version=VERSION, key="kr.6.C", position=2,
            text="Eleven kan lösa olika problem på ett relativt väl fungerande sätt.",
            year="6", grade_step="C",
        )  # fmt: skip
    teacher = client_for(world, "teacher_5a")
    data = form("Problemlösning", ["E", "C", "A"], [("", ["", "", ""])], subject_code=SUBJECT)
    # When the teacher chooses the subject
    html = teacher.post("/matrices/new/", data | {"op": "filter"}).content.decode()
    # Then both requirements are offered; a filter narrows them
    assert f'value="{KR_E}" id="pick-1"' in html
    assert "2 of 2 shown." in html
    filtered = teacher.post("/matrices/new/", data | {"op": "filter", "kr_filter": "relativt"})
    assert "1 of 2 shown." in filtered.content.decode()
    assert f'value="{KR_E}"' not in filtered.content.decode()
    # When the teacher ticks E and adds it
    added = teacher.post(
        "/matrices/new/", data | {"op": "add-picked", "pick": [KR_E]}
    ).content.decode()
    # Then the empty first row becomes that requirement, linked by its reference
    assert ">Eleven kan lösa enkla problem.</textarea>" in added
    assert f'<input type="hidden" name="rows.0.key" value="{KR_E}">' in added
    assert 'name="row_count" value="1"' in added
    # And saving keeps the link
    saved = teacher.post(
        "/matrices/new/",
        data
        | {
            "op": "save",
            "rows.0.aspect": "Eleven kan lösa enkla problem.",
            "rows.0.key": KR_E,
        },
    )
    assert saved.status_code == 302
    with schema_context(TENANT_A.slug):
        matrix = AssessmentMatrix.objects.get()
    assert (matrix.subject_code, matrix.curriculum_version) == (SUBJECT, str(VERSION))
    assert structure(matrix.pk)[1] == [("Eleven kan lösa enkla problem.", KR_E, ["", "", ""])]


# --- Locked matrices, copy, archive, delete ---------------------------------------------------


def test_an_administrator_makes_a_skolverket_based_matrix_teachers_read_only(world: World) -> None:
    admin = client_for(world, "municipality_admin")
    # Given the editor as an administrator: the kind can be chosen (Skolverket-based first)
    page = admin.get("/matrices/new/").content.decode()
    assert '<option value="skolverket" selected>' in page
    data = form("Matematik åk 6", ["E", "C", "A"], [("Problemlösning", ["", "", ""])])
    data["kind"] = "skolverket"
    # When it is saved without a subject, the service's rule is shown at the subject
    refused = admin.post("/matrices/new/", data | {"op": "save"}).content.decode()
    assert (
        '<p id="subject_code-error" class="errorlist">'
        "A Skolverket-based matrix names its subject code and version.</p>"
    ) in refused
    assert stored()[0] == []
    # When the subject is chosen and the matrix published
    published = admin.post("/matrices/new/", data | {"op": "publish", "subject_code": SUBJECT})
    # Then it is a published Skolverket-based matrix bound to today's syllabus version
    with schema_context(TENANT_A.slug):
        matrix = AssessmentMatrix.objects.get()
    assert published["Location"] == f"/matrices/{matrix.pk}/"
    assert (matrix.kind, matrix.subject_code, matrix.curriculum_version) == (
        MatrixKind.SKOLVERKET,
        SUBJECT,
        str(VERSION),
    )
    assert matrix.published_at is not None
    # And a teacher sees it read-only, with why
    teacher_view = client_for(world, "teacher_5a").get(f"/matrices/{matrix.pk}/").content.decode()
    assert "managed by the municipality; copy one to adapt it." in teacher_view


def test_a_skolverket_matrix_is_read_only_for_teachers_who_copy_it_to_adapt_it(
    world: World,
) -> None:
    # Given a published Skolverket-based matrix managed by the municipality
    with schema_context(TENANT_A.slug):
        locked = matrix_make(world.users["municipality_admin"], kind=MatrixKind.SKOLVERKET)
    teacher = client_for(world, "teacher_5a")
    before = stored()
    # When a teacher opens it, the page says why it cannot be edited and offers a copy
    html = teacher.get(f"/matrices/{locked.pk}/").content.decode()
    assert (
        "Skolverket-based matrices are managed by the municipality; copy one to adapt it." in html
    )
    assert 'name="rows.0.aspect"' not in html
    assert f'action="/matrices/{locked.pk}/copy/"' in html
    assert f'action="/matrices/{locked.pk}/archive/"' not in html
    # When the teacher posts an edit anyway, nothing changes
    edit = teacher.post(f"/matrices/{locked.pk}/", form("Ändrad", ["E"], [("X", [""])], op="save"))
    assert edit.status_code == 302
    assert stored() == before
    # When the teacher copies it
    copied = teacher.post(f"/matrices/{locked.pk}/copy/")
    # Then the copy is the teacher's own draft, with the same structure, opened in the editor
    with schema_context(TENANT_A.slug):
        copy = AssessmentMatrix.objects.exclude(pk=locked.pk).get()
    assert copied["Location"] == f"/matrices/{copy.pk}/"
    assert (copy.kind, copy.owner_id, copy.derived_from_id, copy.published_at) == (
        MatrixKind.TEACHER,
        world.users["teacher_5a"].pk,
        locked.pk,
        None,
    )
    assert structure(copy.pk) == structure(locked.pk)
    assert 'name="rows.2.aspect"' in teacher.get(f"/matrices/{copy.pk}/").content.decode()


def test_archiving_a_published_matrix_and_deleting_a_draft(world: World) -> None:
    with schema_context(TENANT_A.slug):
        published = matrix_make(world.users["teacher_5a"], title="Publicerad")
        draft = matrix_make(world.users["teacher_5a"], title="Utkast", published=False)
    teacher = client_for(world, "teacher_5a")
    confirmed = {"confirm": "on"}
    # When the teacher deletes the published one, it is refused (archived instead)
    refused = teacher.post(f"/matrices/{published.pk}/delete/", confirmed, follow=True)
    assert "A published matrix is frozen" in refused.content.decode()
    # When the teacher deletes the draft without ticking the confirmation, nothing is deleted
    unconfirmed = teacher.post(f"/matrices/{draft.pk}/delete/", follow=True)
    assert "Tick the box to confirm that the draft is deleted." in unconfirmed.content.decode()
    with schema_context(TENANT_A.slug):
        assert AssessmentMatrix.objects.filter(pk=draft.pk).exists()
    # When the teacher archives the published one and deletes the draft, confirmed
    assert teacher.post(f"/matrices/{published.pk}/archive/").status_code == 302
    assert teacher.post(f"/matrices/{draft.pk}/delete/", confirmed)["Location"] == "/matrices/"
    # Then the draft is gone and the archived matrix is listed under archived only
    with schema_context(TENANT_A.slug):
        assert list(AssessmentMatrix.objects.values_list("title", flat=True)) == ["Publicerad"]
        published.refresh_from_db()
    assert published.archived_at is not None
    assert "Publicerad" not in teacher.get("/matrices/").content.decode()
    assert "Publicerad" in teacher.get("/matrices/?show=archived").content.decode()


# --- Who may do what --------------------------------------------------------------------------


def test_someone_elses_draft_is_not_found_and_nothing_changes(world: World) -> None:
    with schema_context(TENANT_A.slug):
        draft = matrix_make(world.users["teacher_5a"], title="Mitt utkast", published=False)
        published = matrix_make(world.users["teacher_5a"], title="Delad")
    colleague = client_for(world, "teacher_ma8b")
    before = stored()
    # When a colleague opens, edits, publishes or deletes the draft: 404
    assert colleague.get(f"/matrices/{draft.pk}/").status_code == 404
    data = form("Kapad", ["E"], [("X", [""])], op="publish")
    assert colleague.post(f"/matrices/{draft.pk}/", data).status_code == 404
    assert colleague.post(f"/matrices/{draft.pk}/delete/", {"confirm": "on"}).status_code == 404
    # And archiving a colleague's published matrix is refused
    colleague.post(f"/matrices/{published.pk}/archive/")
    # Then nothing changed; the list shows the published matrix, not the draft
    assert stored() == before
    listing = colleague.get("/matrices/").content.decode()
    assert "Delad" in listing
    assert "Mitt utkast" not in listing


def test_pupils_guardians_and_other_municipalities_get_404(world: World, tenant_b: object) -> None:
    with schema_context(TENANT_A.slug):
        draft = matrix_make(world.users["teacher_5a"], published=False)
    with schema_context(TENANT_B.slug):
        world_b = build_world(prefix="b-")
    before = stored()
    # Pupils and guardians have no matrix pages
    for name in ("pupil_p5a_1", "mother_p5a_1"):
        client = client_for(world, name)
        assert client.get("/matrices/").status_code == 404
        assert (
            client.post("/matrices/new/", form("M", ["E"], [("X", [""])], op="save")).status_code
            == 404
        )
    # A teacher of another municipality does not find A's matrix
    other = signed_in_client(TENANT_B.domain, TENANT_B.slug, world_b.users["teacher_5a"])
    assert other.get(f"/matrices/{draft.pk}/").status_code == 404
    assert other.post(f"/matrices/{draft.pk}/delete/", {"confirm": "on"}).status_code == 404
    assert stored() == before


def test_the_list_reads_a_fixed_number_of_queries(world: World, count_queries: Any) -> None:
    teacher = client_for(world, "teacher_5a")

    def counted() -> int:
        with count_queries() as counter:
            assert teacher.get("/matrices/").status_code == 200
        return counter.count

    with schema_context(TENANT_A.slug):
        matrix_make(world.users["teacher_5a"], title="En")
    few = counted()
    with schema_context(TENANT_A.slug):
        for n in range(8):
            matrix_make(world.users["teacher_ma8b"], title=f"Fler {n}")
    assert counted() == few
