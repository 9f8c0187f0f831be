"""Curriculum data is platform-wide (public schema) and tenant tables never point into it:
they store (code, version, key) as text, so a municipality's schema can move on its own."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Model

from curriculum.models import Course, Subject

CURRICULUM = "curriculum"


def labels_of(entries: list[str]) -> set[str]:
    """The app labels of INSTALLED_APPS-style entries (module paths or AppConfig paths)."""
    configs = apps.get_app_configs()
    by_entry = {c.name: c.label for c in configs}
    by_entry |= {f"{type(c).__module__}.{type(c).__qualname__}": c.label for c in configs}
    return {by_entry[entry] for entry in entries}


def tenant_only_app_labels() -> set[str]:
    return labels_of(settings.TENANT_APPS) - labels_of(settings.SHARED_APPS)


def relations_into(models: list[type[Model]], app_label: str) -> list[str]:
    """Every concrete relation (foreign key, one-to-one, many-to-many) of ``models`` that
    points at a model of ``app_label``."""
    return [
        f"{model._meta.label}.{field.name} -> {field.related_model._meta.label}"
        for model in models
        for field in model._meta.get_fields()
        if field.is_relation
        and field.concrete
        and field.related_model is not None
        and field.related_model._meta.app_label == app_label
    ]


def test_no_tenant_table_has_a_foreign_key_into_curriculum() -> None:
    # Given every model of the apps that live in tenant schemas only
    labels = tenant_only_app_labels()
    assert {"register", "access"} <= labels  # the walk really covers tenant apps
    models = [m for label in labels for m in apps.get_app_config(label).get_models()]
    # When their relations are walked
    # Then none points at a curriculum model
    assert relations_into(models, CURRICULUM) == []


def test_the_walk_notices_a_foreign_key_into_curriculum() -> None:
    # Given a model with a foreign key to Subject (Course, inside curriculum itself)
    # When it is walked, then the key is found
    assert relations_into([Course], CURRICULUM) == [
        "curriculum.Course.subject -> curriculum.Subject"
    ]


@pytest.mark.django_db
def test_curriculum_tables_exist_in_the_public_schema_only() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = %s",
            [Subject._meta.db_table],
        )
        schemas = {row[0] for row in cursor.fetchall()}
    assert schemas == {"public"}
