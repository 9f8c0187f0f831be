from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from documentation.assessments.models import AssessmentMatrix
from tests.access.world import World, build_world
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.assessments.factories import matrix_make


@pytest.fixture
def world(tenant_a: object) -> World:
    with schema_context(TENANT_A.slug):
        return build_world()


@pytest.fixture
def world_b(tenant_b: object) -> World:
    with schema_context(TENANT_B.slug):
        return build_world(prefix="b-")


@pytest.fixture
def matrix(world: World) -> AssessmentMatrix:
    """A published teacher-made matrix (3 rows x E/C/A) by teacher_5a."""
    with schema_context(TENANT_A.slug):
        return matrix_make(world.users["teacher_5a"])
