"""A register that leaves securityMarking out (IST lets municipalities strip it): by default such
persons are read as "Ingen" and the run says so once; a municipality that turns on
``missing_security_marking_protected`` holds each of them in the quarantine instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django_tenants.utils import schema_context

from integrations.models import ImportStatus, QuarantinedPerson
from integrations.synthetic.csv_writer import write_csv_export
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from municipal.models import MunicipalSettings
from register.models import GroupMembership, Person
from tests.conftest import TENANT_A, TENANT_B
from tests.integrations.test_import_bad_input import (
    copy_bundle,
    edit_page,
    issues_of,
    run_import,
)

WARNING = (
    "{count} persons came without a security marking and were read as 'Ingen'. If the register "
    "leaves markings out, turn on 'treat persons without a security marking as protected' in "
    "the settings."
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("marking") / "bundle"
    write_file_bundle(generate_municipality(pupils=60, seed=11), folder)
    return folder


def strip_markings(folder: Path, keep: int) -> tuple[set[str], set[str]]:
    """Removes securityMarking from every unprotected person but the first ``keep``; returns
    (ids stripped, ids kept with an explicit "Ingen")."""
    stripped: set[str] = set()
    kept: set[str] = set()

    def change(items: list[dict[str, Any]]) -> None:
        for person in items:
            if person.get("securityMarking", "Ingen") != "Ingen":
                continue
            if len(kept) < keep:
                kept.add(person["id"])
            else:
                person.pop("securityMarking", None)
                stripped.add(person["id"])

    edit_page(folder, "persons", change)
    return stripped, kept


def protect_missing(schema: str) -> None:
    with schema_context(schema):
        MunicipalSettings.objects.update_or_create(
            id=1, defaults={"missing_security_marking_protected": True}
        )


def person_ids(schema: str) -> set[str]:
    with schema_context(schema):
        return {str(i) for i in Person.objects.values_list("source_id", flat=True)}


def test_by_default_a_missing_marking_reads_as_ingen_with_one_warning(
    tenant_a: object, bundle: Path, tmp_path: Path
) -> None:
    # Given a bundle whose register stripped the marking of most persons
    folder = copy_bundle(bundle, tmp_path / "stripped")
    stripped, kept = strip_markings(folder, keep=5)
    # When it is imported with the default settings
    run = run_import(TENANT_A.slug, folder)
    # Then everyone is imported as "Ingen", and the run warns once, with the count
    assert run.status == ImportStatus.SUCCEEDED
    assert stripped | kept <= person_ids(TENANT_A.slug)
    with schema_context(TENANT_A.slug):
        assert set(Person.objects.values_list("security_marking", flat=True)) == {"Ingen"}
    warnings = [i for i in issues_of(TENANT_A.slug, run) if "security marking" in i[3]]
    assert warnings == [("warning", "person", "", WARNING.format(count=len(stripped)))]


def test_a_municipality_that_treats_missing_as_protected_quarantines_them(
    tenant_a: object, tenant_b: object, bundle: Path, tmp_path: Path
) -> None:
    # Given A treats a missing marking as protected, B keeps the default
    protect_missing(TENANT_A.slug)
    folder = copy_bundle(bundle, tmp_path / "stripped")
    stripped, kept = strip_markings(folder, keep=5)
    # When both import the same stripped bundle
    run_a = run_import(TENANT_A.slug, folder)
    run_b = run_import(TENANT_B.slug, folder)
    # Then in A only the persons with an explicit "Ingen" are in the register; the others wait
    # in the quarantine marked "Saknas", with their group memberships held back; no warning
    assert run_a.failure == ""
    assert (run_a.status, run_b.status) == ("succeeded", "succeeded")
    in_a = person_ids(TENANT_A.slug)
    assert kept <= in_a
    assert not in_a & stripped
    with schema_context(TENANT_A.slug):
        held = dict(QuarantinedPerson.objects.values_list("source_id", "security_marking"))
        assert not GroupMembership.objects.filter(person__source_id__in=stripped).exists()
    assert {str(i) for i in held} >= stripped
    assert {held[i] for i in held if str(i) in stripped} == {"Saknas"}
    assert run_a.counts["person"]["quarantined"] >= len(stripped)
    # (nor any error: what the held-back staff teach is held back too, not an "unknown duty")
    assert [i for i in issues_of(TENANT_A.slug, run_a) if i[0] == "error"] == []
    assert not [i for i in issues_of(TENANT_A.slug, run_a) if "security marking" in i[3]]
    # And B, with the default, imported them
    assert stripped <= person_ids(TENANT_B.slug)


def test_turning_the_setting_on_later_takes_them_out_at_the_next_sync(
    tenant_a: object, bundle: Path, tmp_path: Path
) -> None:
    # Given a stripped bundle imported with the default (everyone in)
    folder = copy_bundle(bundle, tmp_path / "stripped")
    stripped, _kept = strip_markings(folder, keep=5)
    run_import(TENANT_A.slug, folder)
    assert stripped <= person_ids(TENANT_A.slug)
    # When the municipality turns the setting on and the same bundle is synced again
    protect_missing(TENANT_A.slug)
    run = run_import(TENANT_A.slug, folder)
    # Then they have left the register (ended, like anyone gone) and wait in the quarantine
    assert run.status == ImportStatus.SUCCEEDED
    with schema_context(TENANT_A.slug):
        live = {
            str(i)
            for i in Person.objects.filter(removed_at__isnull=True).values_list(
                "source_id", flat=True
            )
        }
        held = {str(i) for i in QuarantinedPerson.objects.values_list("source_id", flat=True)}
    assert not live & stripped
    assert stripped <= held


def test_a_csv_export_without_the_column_is_missing_but_an_empty_cell_is_ingen(
    tenant_a: object, tenant_b: object, tmp_path: Path
) -> None:
    # Given the same export twice: once without the marking column, once with it left empty
    municipality = generate_municipality(pupils=30, seed=12)
    without = tmp_path / "without"
    write_csv_export(municipality, without)
    for path in without.glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(";")
        if "Sekretessmarkering" not in header:
            continue
        column = header.index("Sekretessmarkering")
        rows = [";".join(c for i, c in enumerate(line.split(";")) if i != column) for line in lines]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    # When both municipalities treat a missing marking as protected and import their export
    protect_missing(TENANT_A.slug)
    run = run_import(TENANT_A.slug, without, source="csv")
    # Then with no column at all, nobody is imported: everyone waits in the quarantine
    assert run.status == ImportStatus.SUCCEEDED
    assert person_ids(TENANT_A.slug) == set()
    with schema_context(TENANT_A.slug):
        assert QuarantinedPerson.objects.count() == run.counts["person"]["read"]
