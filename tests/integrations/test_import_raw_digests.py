"""SS 12000 digests are of the raw items: an unchanged item is not mapped again, yet a re-run
reports, counts and checkpoints exactly what mapping every item would have (issue #4)."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from django_tenants.utils import schema_context

from integrations.models import ImportRun, ImportStatus, QuarantinedPerson, RegisterCheckpoint
from integrations.pipeline.hashing import RawItem
from integrations.pipeline.reader import Reader
from integrations.pipeline.staging import Stage
from integrations.records import Entity
from integrations.sources.ids import StableIds
from integrations.sources.ss12000_mapping import raw_item
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from register.models import Person
from tests.conftest import TENANT_A, TENANT_B
from tests.integrations.test_import_bad_input import (
    copy_bundle,
    edit_page,
    issues_of,
    load_page,
    run_import,
)
from tests.integrations.test_missing_security_marking import WARNING, strip_markings
from tests.integrations.test_pipeline import row_writes

DUPLICATE = "civic number already used by another person"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("raw") / "bundle"
    write_file_bundle(generate_municipality(pupils=60, seed=5), folder)
    return folder


def all_unchanged(run: ImportRun) -> bool:
    return all(
        c.get("unchanged", 0) == c["read"] - c.get("errors", 0) - c.get("quarantined", 0)
        for c in run.counts.values()
        if "read" in c
    )


def test_a_rerun_reports_the_warnings_of_unchanged_items_again(
    tenant_a: object, bundle: Path, tmp_path: Path
) -> None:
    # given a bundle where one person has an unknown email type and one no marking (warnings)
    folder = copy_bundle(bundle, tmp_path / "b")
    odd: list[str] = []

    def change(items: list[dict[str, Any]]) -> None:
        items[0]["emails"] = [{"value": "a@example.se", "type": "Brevduva"}]
        odd.append(items[0]["id"])

    edit_page(folder, "persons", change)
    stripped, _kept = strip_markings(folder, keep=3)
    first = run_import(TENANT_A.slug, folder)
    assert first.status == ImportStatus.SUCCEEDED
    before = row_writes(TENANT_A.slug)
    # when the same bundle is read again, twice
    second = run_import(TENANT_A.slug, folder)
    third = run_import(TENANT_A.slug, folder)
    # then both report exactly the first run's issues, with nothing written
    expected = issues_of(TENANT_A.slug, first)
    assert ("warning", "person", odd[0], "unknown enumeration value; kept as sent") in expected
    assert ("warning", "person", "", WARNING.format(count=len(stripped))) in expected
    assert issues_of(TENANT_A.slug, second) == expected
    assert issues_of(TENANT_A.slug, third) == expected
    assert (second.warning_count, third.warning_count) == (first.warning_count,) * 2
    assert row_writes(TENANT_A.slug) == before
    assert all_unchanged(second)
    assert all_unchanged(third)


def test_quarantined_persons_are_read_again_on_every_run(
    tenant_a: object, bundle: Path, tmp_path: Path
) -> None:
    # given a first import that quarantined two protected persons
    folder = copy_bundle(bundle, tmp_path / "q")

    def protect(items: list[dict[str, Any]]) -> None:
        for person in items[:2]:
            person["securityMarking"] = "Sekretessmarkering"

    edit_page(folder, "persons", protect)
    first = run_import(TENANT_A.slug, folder)
    quarantined = first.counts["person"]["quarantined"]
    assert quarantined == 2
    # when the unchanged bundle is read again
    second = run_import(TENANT_A.slug, folder)
    # then they are counted and seen by this run, still outside the register
    assert second.counts["person"]["quarantined"] == quarantined
    with schema_context(TENANT_A.slug):
        seen = QuarantinedPerson.objects.filter(last_seen_run=second)
        assert seen.count() == quarantined
        ids = list(seen.values_list("source_id", flat=True))
        assert not Person.objects.filter(source_id__in=ids, removed_at__isnull=True).exists()


def _with_duplicate(bundle: Path, folder: Path, *, first: bool) -> tuple[str, str]:
    """A new person with the civic number of the register's first unprotected person, before
    or after everyone else; returns (existing id, new id)."""
    copy_bundle(bundle, folder)
    pair: list[str] = []

    def change(items: list[dict[str, Any]]) -> None:
        existing = next(p for p in items if p.get("securityMarking") == "Ingen" and p["civicNo"])
        twin = copy.deepcopy(existing)
        twin["id"] = str(uuid.uuid4())
        twin["givenName"] = "Tvilling"
        items.insert(0 if first else len(items), twin)
        pair.extend([existing["id"], twin["id"]])

    edit_page(folder, "persons", change)
    return pair[0], pair[1]


@pytest.mark.parametrize(("tenant", "first"), [(TENANT_A, True), (TENANT_B, False)])
def test_an_unchanged_persons_civic_number_still_counts_for_duplicates(
    tenant_a: object, tenant_b: object, bundle: Path, tmp_path: Path, tenant: Any, first: bool
) -> None:
    # given a register imported from the bundle
    run_import(tenant.slug, bundle)
    existing, twin = _with_duplicate(bundle, tmp_path / "dup", first=first)
    before = row_writes(tenant.slug)
    # when a new person with an existing person's civic number comes before / after that person
    run = run_import(tenant.slug, tmp_path / "dup")
    # then whichever comes second is the error, as when every item is mapped
    errors = [i for i in issues_of(tenant.slug, run) if i[0] == "error"]
    assert errors == [("error", "person", existing if first else twin, DUPLICATE)]
    assert run.counts["person"]["errors"] == 1
    assert run.counts["person"].get("new", 0) == (1 if first else 0)
    # the twin coming last is skipped and nothing is written; the twin first is new
    assert (row_writes(tenant.slug) == before) is (not first)


def test_the_checkpoint_of_a_rerun_is_the_latest_modified_of_all_items(
    tenant_a: object, bundle: Path, tmp_path: Path
) -> None:
    # given a first import and the checkpoints it wrote
    run_import(TENANT_A.slug, bundle)
    with schema_context(TENANT_A.slug):
        marks = dict(RegisterCheckpoint.objects.values_list("entity", "modified_after"))
    assert set(marks) >= {"organisation", "person", "group", "duty"}
    # when the unchanged bundle is read again (every item skipped)
    run_import(TENANT_A.slug, bundle)
    # then the checkpoints are the same (from the live rows of the skipped items)
    with schema_context(TENANT_A.slug):
        assert dict(RegisterCheckpoint.objects.values_list("entity", "modified_after")) == marks
    # and when one group changes with an older meta.modified, the latest stays the latest
    folder = copy_bundle(bundle, tmp_path / "older")

    def change(items: list[dict[str, Any]]) -> None:
        items[0]["displayName"] = "Omdöpt"
        items[0]["meta"] = {**items[0].get("meta", {}), "modified": "2001-01-01T00:00:00Z"}

    edit_page(folder, "groups", change)
    run = run_import(TENANT_A.slug, folder)
    assert run.counts["group"]["changed"] == 1
    with schema_context(TENANT_A.slug):
        assert dict(RegisterCheckpoint.objects.values_list("entity", "modified_after")) == marks
    # and when all groups but the latest-modified one change (the skipped ones are the few)
    folder = copy_bundle(bundle, tmp_path / "most")
    kept: list[str] = []

    def change_most(items: list[dict[str, Any]]) -> None:
        # not the first group: the run above changed it
        latest = max(items[1:], key=lambda g: g["meta"]["modified"])
        kept.append(latest["meta"]["modified"])
        for group in items:
            if group is not latest:
                group["displayName"] += " (ny)"
                group["meta"] = {**group["meta"], "modified": "2001-01-01T00:00:00Z"}

    edit_page(folder, "groups", change_most)
    run = run_import(TENANT_A.slug, folder)
    assert run.counts["group"]["unchanged"] == 1
    assert run.counts["group"]["changed"] == run.counts["group"]["read"] - 1 > 1
    with schema_context(TENANT_A.slug):
        group_mark = RegisterCheckpoint.objects.get(entity="group").modified_after
    assert group_mark == dt.datetime.fromisoformat(kept[0])


# --- the reader's decision, item by item ------------------------------------------------------


def _raw_items(bundle: Path) -> list[RawItem]:
    _path, items = load_page(bundle, "organisations")
    ids = StableIds(None)
    return [raw_item(Entity.ORGANISATION, item, f"item {i}", ids) for i, item in enumerate(items)]


def _unmappable(raw: RawItem) -> RawItem:
    def refuse() -> list[Any]:
        raise AssertionError("an unchanged item was mapped")

    return RawItem(raw.entity, raw.source_id, raw.digest, raw.item, refuse)


def _reader(stage: Stage, live: dict[uuid.UUID, str], **options: Any) -> Reader:
    return Reader(
        stage=stage,
        live_hashes={e: (live if e is Entity.ORGANISATION else {}) for e in Entity},
        admitted=set(),
        **options,
    )


def test_the_reader_maps_only_changed_or_remapped_items(tenant_a: object, bundle: Path) -> None:
    items = _raw_items(bundle)
    live = {raw.source_id: raw.digest for raw in items if raw.source_id is not None}
    changed = items[1].source_id
    assert changed is not None
    live[changed] = "0" * 32
    with schema_context(TENANT_A.slug):
        stage = Stage()
        stage.create()
        try:
            # given every organisation live, one with another digest, one to be remapped
            remapped = items[2].source_id
            assert remapped is not None
            reader = _reader(
                stage, live, remap={e: set() for e in Entity} | {Entity.ORGANISATION: {remapped}}
            )
            feed = [_unmappable(r) if i not in (1, 2) else r for i, r in enumerate(items)]
            # when read (the unchanged ones would fail if mapped)
            result = reader.consume(feed)
            # then they count as unchanged; the changed and the remapped one were mapped
            counts = result.counts["organisation"]
            assert (counts.read, counts.changed, counts.unchanged) == (
                len(items), 1, len(items) - 1,
            )  # fmt: skip
            assert stage.rows["s_org"] == 1
            # and without a complete issue report (remap None) every item is mapped
            stage.discard(("s_org",))
            with pytest.raises(AssertionError, match="an unchanged item was mapped"):
                _reader(stage, live, remap=None).consume(feed)
            again = _reader(stage, live, remap=None).consume(items)
            assert again.counts["organisation"].unchanged == len(items) - 1
            assert again.issues == []
        finally:
            stage.drop()
