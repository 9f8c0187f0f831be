"""The import: an idempotent upsert by natural key, versions kept side by side."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from curriculum.models import CentralContent, Course, KnowledgeRequirement, Subject
from curriculum.selectors import reference_resolve
from curriculum.services import curriculum_import
from curriculum.sources.skolverket_files import SkolverketFileSource
from tests.curriculum.support import grgrmat01, import_payloads, mat, new_version

pytestmark = pytest.mark.django_db

MODELS = (Subject, Course, CentralContent, KnowledgeRequirement)


def snapshot() -> dict[tuple[str, Any], Any]:
    """Every curriculum row by model and id, with its last write time."""
    return {
        (model.__name__, pk): updated
        for model in MODELS
        for pk, updated in model.objects.values_list("pk", "updated_at")  # type: ignore[attr-defined]
    }


def test_a_first_import_creates_subjects_courses_content_and_criteria() -> None:
    # Given a GR and a GY subject
    # When they are imported
    result = import_payloads(grgrmat01(), mat())
    # Then every row is new
    assert (result.subjects.created, result.courses.created) == (2, 2)
    assert result.central_content.created == 5 + 3
    assert result.knowledge_requirements.created == 4 + 3
    assert result.issues == []
    course = Course.objects.get(code="MATMAT01c")
    assert (course.version, course.points, course.subject.code) == (11, 100, "MAT")
    e = KnowledgeRequirement.objects.get(code="MATMAT01c", key="kr.E")
    assert (e.version, e.course, e.subject) == (11, course, course.subject)


def test_a_second_run_over_the_same_data_writes_nothing(tmp_path: Path) -> None:
    # Given a folder of subject files, imported once
    for name, payload in (("GRGRMAT01.json", grgrmat01()), ("MAT.json", mat())):
        (tmp_path / name).write_text(json.dumps(payload), encoding="utf-8")
    curriculum_import(source=SkolverketFileSource(tmp_path))
    before = snapshot()
    # When it is imported again
    result = curriculum_import(source=SkolverketFileSource(tmp_path))
    # Then no row was created, updated or retired: the same rows, with the same write times
    assert result.written == 0
    assert result.subjects.unchanged == 2
    assert result.central_content.unchanged == 8
    assert snapshot() == before


def test_a_new_version_is_added_alongside_the_old_one() -> None:
    # Given version 14, imported
    import_payloads(grgrmat01())
    v14_rows = snapshot()
    # When version 15 arrives, with one item reworded and new dates
    v15 = new_version(grgrmat01(), 15, startDate="2025-07-01", modifiedDate="2025-05-01")
    first = v15["subject"]["centralContents"][0]
    first["text"] = first["text"].replace("Likhetstecknets betydelse.", "Likhetstecknet.")
    result = import_payloads(grgrmat01(), v15)
    # Then version 15 is new rows, and version 14 was not touched
    assert result.subjects.created == 1
    assert result.subjects.unchanged == 1
    assert {k: v for k, v in snapshot().items() if k in v14_rows} == v14_rows
    assert list(Subject.objects.filter(code="GRGRMAT01").values_list("version", flat=True)) == [
        14,
        15,
    ]
    # And unchanged wording carries its key into the new version, reworded wording gets a new one
    keys14 = set(CentralContent.objects.filter(version=14).values_list("key", flat=True))
    keys15 = set(CentralContent.objects.filter(version=15).values_list("key", flat=True))
    assert len(keys14 & keys15) == 4
    assert len(keys15 - keys14) == 1


def test_a_changed_text_in_a_version_updates_only_that_row() -> None:
    # Given version 14, imported
    import_payloads(grgrmat01())
    before = snapshot()
    # When Skolverket corrects the E criteria for year 6 in the same version
    fixed = grgrmat01()
    fixed["subject"]["knowledgeRequirements"][1]["text"] = (
        "<h4>Betygskriterier för betyget E i slutet av årskurs 6</h4><p>Rättad text.</p>"
    )
    result = import_payloads(fixed)
    # Then exactly that row was rewritten, under the same key
    assert result.written == 1
    assert result.knowledge_requirements.updated == 1
    changed = {k for k, v in snapshot().items() if before.get(k) != v}
    e6 = KnowledgeRequirement.objects.get(code="GRGRMAT01", version=14, key="kr.6.E")
    assert changed == {("KnowledgeRequirement", e6.pk)}
    assert e6.text == "Rättad text."


def test_items_dropped_from_a_version_are_retired_but_still_resolve() -> None:
    # Given version 14 with its 7-9 content, and a document's reference to one of its items
    import_payloads(grgrmat01())
    item = CentralContent.objects.filter(year_span="7-9").order_by("position").first()
    assert item is not None
    code, version, key = item.reference
    # When the version is re-published without the 7-9 content
    trimmed = grgrmat01()
    trimmed["subject"]["centralContents"] = trimmed["subject"]["centralContents"][:1]
    result = import_payloads(trimmed)
    # Then the 7-9 items are retired, not deleted, and the reference still resolves
    assert result.central_content.retired == 2
    assert CentralContent.objects.filter(retired_at__isnull=False).count() == 2
    resolved = reference_resolve(code=code, version=version, key=key)
    assert resolved is not None
    assert resolved.retired_at is not None
    # And an item that comes back is current again
    result = import_payloads(grgrmat01())
    assert result.central_content.updated == 2
    assert not CentralContent.objects.filter(retired_at__isnull=False).exists()


def test_a_course_dropped_from_a_version_is_retired_with_its_items() -> None:
    import_payloads(mat())
    without = mat()
    without["subject"]["courses"] = without["subject"]["courses"][1:]
    result = import_payloads(without)
    assert result.courses.retired == 1
    assert result.central_content.retired == 3
    assert result.knowledge_requirements.retired == 3
    assert Course.objects.get(code="MATMAT01c").retired_at is not None


def test_subject_fields_are_updated_in_place_for_the_same_version() -> None:
    import_payloads(grgrmat01())
    later = grgrmat01()
    later["subject"]["endDate"] = "2025-06-30"
    result = import_payloads(later)
    assert (result.subjects.updated, result.written) == (1, 1)
    assert Subject.objects.get(code="GRGRMAT01").valid_to == dt.date(2025, 6, 30)


def test_skipped_payloads_are_reported_as_issues() -> None:
    result = import_payloads({"subject": {"code": "X"}}, grgrmat01())
    assert result.subjects.created == 1
    assert result.issues == ["payload 0: the subject has no code or no version; skipped"]
