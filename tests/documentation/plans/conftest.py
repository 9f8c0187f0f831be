"""The generated school of tests/access/world.py in both municipalities, a syllabus in the
public schema, and signed-in clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from access.policy import Actor, actor_for
from tests.access.http import signed_in_client
from tests.access.world import World, build_world
from tests.conftest import TENANT_A, TENANT_B
from tests.documentation.plans.support import syllabus_make


@pytest.fixture
def world(tenant_a: object) -> World:
    syllabus_make()
    with schema_context(TENANT_A.slug):
        return build_world()


@pytest.fixture
def world_b(tenant_b: object, world: World) -> World:
    with schema_context(TENANT_B.slug):
        return build_world(prefix="b-")


@pytest.fixture
def actor(world: World) -> Callable[[str], Actor]:
    """``actor("teacher_5a")``: the actor of that world user (call inside the schema)."""
    return lambda name: actor_for(world.users[name])


@pytest.fixture
def client_for(world: World) -> Callable[[str], Client]:
    """``client_for("mother_p5a_1")``: signed in on municipality A (staff with TOTP)."""
    return lambda name: signed_in_client(TENANT_A.domain, TENANT_A.slug, world.users[name])
