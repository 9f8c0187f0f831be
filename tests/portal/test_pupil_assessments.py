"""The pupil page's assessments against the knowledge requirements (summative, per matrix).

Staff who document the pupil see every assessment with its author; the pupil and both guardians
see those on published teacher matrices (assessments on Skolverket's own matrices only where the
municipality shows them to families, not by default); another family, a teacher without a
relation and another municipality see nothing of them."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from access.policy import actor_for
from documentation.assessments.models import AssessmentMatrix, MatrixKind, MatrixLevel, MatrixRow
from documentation.assessments.selectors import assessment_settings_get
from documentation.assessments.services.grid import CellInput, grid_save
from tests.access.http import signed_in_client
from tests.access.world import World, build_world
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.assessments.factories import matrix_make

COMMENT = "Resonerar väl om tal i vardagen."
SKOLVERKET_TITLE = "Skolverkets matris i matematik"


@pytest.fixture
def world(tenant_a: object) -> World:
    with schema_context(TENANT_A.slug):
        return build_world()


@pytest.fixture
def assessed(world: World) -> dict[str, AssessmentMatrix]:
    """p5a_1 assessed by teacher_5a on a teacher matrix (with a comment) and a Skolverket one."""
    with schema_context(TENANT_A.slug):
        teacher = world.users["teacher_5a"]
        own = matrix_make(teacher, title="Taluppfattning åk 5")
        skolverket = matrix_make(teacher, kind=MatrixKind.SKOLVERKET, title=SKOLVERKET_TITLE)
        pupil = world.people["p5a_1"].pk
        for matrix, comment in ((own, COMMENT), (skolverket, "")):
            row = MatrixRow.objects.filter(matrix=matrix).order_by("position").first()
            level = MatrixLevel.objects.get(matrix=matrix, label="C")
            grid_save(
                actor=actor_for(teacher), matrix=matrix,
                cells=[CellInput(pupil, row.pk, level.pk, comment)],
            )  # fmt: skip
    return {"own": own, "skolverket": skolverket}


def page(world: World, who: str, pupil: str = "p5a_1", host: str = TENANT_A.domain) -> str:
    client: Client = signed_in_client(host, TENANT_A.slug, world.users[who])
    response = client.get(f"/pupils/{world.people[pupil].pk}/")
    return response.content.decode() if response.status_code == 200 else str(response.status_code)


def test_staff_see_every_assessment_with_its_author(
    world: World, assessed: dict[str, AssessmentMatrix]
) -> None:
    html = page(world, "teacher_5a")
    assert 'id="assessments-heading"' in html
    assert "Taluppfattning åk 5" in html
    assert COMMENT in html
    assert SKOLVERKET_TITLE in html
    assert html.count(world.users["teacher_5a"].get_full_name()) >= 2  # "Assessed by", twice


@pytest.mark.parametrize("who", ["pupil_p5a_1", "mother_p5a_1", "father_p5a_1"])
def test_the_family_sees_assessments_on_teacher_matrices(
    world: World, assessed: dict[str, AssessmentMatrix], who: str
) -> None:
    html = page(world, who)
    assert "Taluppfattning åk 5" in html
    assert COMMENT in html
    # Not Skolverket's matrix (the municipality's default), and not who assessed
    assert SKOLVERKET_TITLE not in html
    assert world.users["teacher_5a"].get_full_name() not in html


def test_the_municipality_may_show_skolverket_matrices_to_families(
    world: World, assessed: dict[str, AssessmentMatrix]
) -> None:
    # Given the education board's choice to show assessments on Skolverket's matrices
    with schema_context(TENANT_A.slug):
        settings = assessment_settings_get()
        settings.skolverket_visibility = "pupil_guardians"
        settings.save()
    # Then the guardian sees both matrices
    html = page(world, "mother_p5a_1")
    assert SKOLVERKET_TITLE in html
    assert "Taluppfattning åk 5" in html


def test_nobody_else_sees_the_pupils_assessments(
    world: World, assessed: dict[str, AssessmentMatrix], tenant_b: object
) -> None:
    # Another family, a teacher of another school: the page is not found
    assert page(world, "foster_p8b_2") == "404"
    assert page(world, "teacher_idle") == "404"
    # A classmate's page does not show this pupil's assessments
    assert COMMENT not in page(world, "teacher_5a", pupil="p5a_2")
    # Another municipality's teacher, with this pupil's id on their own host: none of it
    with schema_context(TENANT_B.slug):
        other = build_world(prefix="b_")
    client = signed_in_client(TENANT_B.domain, TENANT_B.slug, other.users["teacher_5a"])
    body = client.get(f"/pupils/{world.people['p5a_1'].pk}/").content.decode()
    assert COMMENT not in body
    assert "Taluppfattning åk 5" not in body
