"""Writing curriculum reference data: the import (an idempotent upsert by natural key).

- A subject version is ``(code, version)``; a new version is new rows, an old version is never
  touched by a newer one ("documents bind to the version valid when they were written").
- Re-importing a version writes only what changed: unchanged rows keep their ``updated_at``.
- Items (and courses) missing from a re-published version are retired, not deleted, so a
  document's reference to them still resolves; an item that comes back is un-retired.

Each subject version is written in its own transaction (``curriculum_subject_upsert``); the
import as a whole is not one transaction, because reading the API takes one request per subject
and must not hold a transaction open. A failed run is completed by running it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone

from curriculum.models import CentralContent, Course, KnowledgeRequirement, Subject
from curriculum.sources.records import (
    ContentItem,
    CourseRecord,
    CurriculumSource,
    RequirementItem,
    SubjectRecord,
)
from curriculum.sources.skolverket_files import SkolverketFileSource

logger = logging.getLogger(__name__)

DEMO_FOLDER = Path(__file__).resolve().parent / "demo"

M = TypeVar("M", bound=models.Model)


@dataclass(slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.retired += other.retired

    @property
    def written(self) -> int:
        return self.created + self.updated + self.retired

    def __str__(self) -> str:
        return (
            f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.retired} retired"
        )


@dataclass(slots=True)
class CurriculumImportResult:
    subjects: Counts = field(default_factory=Counts)
    courses: Counts = field(default_factory=Counts)
    central_content: Counts = field(default_factory=Counts)
    knowledge_requirements: Counts = field(default_factory=Counts)
    issues: list[str] = field(default_factory=list)

    def add(self, other: CurriculumImportResult) -> None:
        self.subjects.add(other.subjects)
        self.courses.add(other.courses)
        self.central_content.add(other.central_content)
        self.knowledge_requirements.add(other.knowledge_requirements)
        self.issues.extend(other.issues)

    @property
    def written(self) -> int:
        """Rows created, updated or retired: 0 when a run changed nothing."""
        return sum(
            c.written
            for c in (
                self.subjects,
                self.courses,
                self.central_content,
                self.knowledge_requirements,
            )
        )

    def summary(self) -> str:
        return (
            f"subjects: {self.subjects}; courses: {self.courses}; "
            f"central content: {self.central_content}; "
            f"knowledge requirements: {self.knowledge_requirements}; "
            f"{len(self.issues)} issue(s)"
        )


def curriculum_import(*, source: CurriculumSource) -> CurriculumImportResult:
    """Upserts every subject version ``source`` yields; returns what was written.

    Safe to run again: a second run over the same data writes nothing.
    """
    result = CurriculumImportResult()
    for record in source.read():
        result.add(curriculum_subject_upsert(record=record))
    result.issues.extend(source.issues)
    logger.info("curriculum import: %s", result.summary())
    return result


def curriculum_load_demo() -> CurriculumImportResult:
    """Loads the bundled, synthetic demo syllabi (curriculum/demo/*.json). Idempotent."""
    return curriculum_import(source=SkolverketFileSource(DEMO_FOLDER))


@transaction.atomic
def curriculum_subject_upsert(*, record: SubjectRecord) -> CurriculumImportResult:
    """Writes one subject version with its courses, central content and knowledge
    requirements; rows whose values are unchanged are not written."""
    now = timezone.now()
    result = CurriculumImportResult()
    subject = (
        Subject.objects.select_for_update().filter(code=record.code, version=record.version).first()
    )
    values = _subject_values(record)
    if subject is None:
        subject = Subject.objects.create(
            code=record.code, version=record.version, created_at=now, updated_at=now, **values
        )
        result.subjects.created += 1
    elif _apply(subject, values, now):
        subject.save()
        result.subjects.updated += 1
    else:
        result.subjects.unchanged += 1

    courses = _upsert_courses(subject, record.courses, now, result.courses)
    owners: list[tuple[Course | None, str, Sequence[ContentItem], Sequence[RequirementItem]]] = [
        (None, subject.code, record.central_content, record.knowledge_requirements)
    ]
    for course_record in record.courses:
        owners.append(
            (
                courses[course_record.code],
                course_record.code,
                course_record.central_content,
                course_record.knowledge_requirements,
            )
        )
    for course, code, content, requirements in owners:
        course_id = course.pk if course else None
        _upsert_items(
            CentralContent,
            subject=subject,
            code=code,
            wanted={
                item.key: {
                    "course_id": course_id,
                    "position": item.position,
                    "year_span": item.year_span,
                    "section": item.section,
                    "content_type": item.content_type,
                    "text": item.text,
                }
                for item in content
            },
            now=now,
            counts=result.central_content,
        )
        _upsert_items(
            KnowledgeRequirement,
            subject=subject,
            code=code,
            wanted={
                item.key: {
                    "course_id": course_id,
                    "position": item.position,
                    "year": item.year,
                    "grade_step": item.grade_step,
                    "heading": item.heading,
                    "requirement_type": item.requirement_type,
                    "text": item.text,
                }
                for item in requirements
            },
            now=now,
            counts=result.knowledge_requirements,
        )
    # Items of courses the version no longer has are retired with their course.
    retired_courses = [c.code for c in courses.values() if c.retired_at is not None]
    for model, counts in (
        (CentralContent, result.central_content),
        (KnowledgeRequirement, result.knowledge_requirements),
    ):
        counts.retired += model.objects.filter(
            subject=subject, code__in=retired_courses, retired_at__isnull=True
        ).update(retired_at=now, updated_at=now)
    return result


def _subject_values(record: SubjectRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "english_name": record.english_name,
        "school_types": list(record.school_types),
        "type_of_syllabus": record.type_of_syllabus,
        "curriculum": record.curriculum,
        "valid_from": record.valid_from,
        "valid_to": record.valid_to,
        "modified_on": record.modified_on,
        "description": record.description,
        "purpose": record.purpose,
    }


def _apply(obj: models.Model, values: Mapping[str, Any], now: Any) -> bool:
    """Sets the differing ``values`` on ``obj`` (and ``updated_at`` if any differed)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    if changed:
        obj.updated_at = now  # type: ignore[attr-defined]
    return changed


def _upsert_courses(
    subject: Subject, records: Iterable[CourseRecord], now: Any, counts: Counts
) -> dict[str, Course]:
    """The subject version's courses by code, written as needed; missing ones retired."""
    existing = {c.code: c for c in Course.objects.filter(subject=subject)}
    for record in records:
        values = {
            "name": record.name,
            "english_name": record.english_name,
            "points": record.points,
            "sort_order": record.sort_order,
            "description": record.description,
            "retired_at": None,
        }
        course = existing.get(record.code)
        if course is None:
            existing[record.code] = Course.objects.create(
                subject=subject,
                code=record.code,
                version=subject.version,
                created_at=now,
                updated_at=now,
                **values,
            )
            counts.created += 1
        elif _apply(course, values, now):
            course.save()
            counts.updated += 1
        else:
            counts.unchanged += 1
    wanted = {r.code for r in records}
    for code, course in existing.items():
        if code not in wanted and course.retired_at is None:
            course.retired_at = now
            course.updated_at = now
            course.save(update_fields=["retired_at", "updated_at"])
            counts.retired += 1
    return existing


def _upsert_items(
    model: type[M],
    *,
    subject: Subject,
    code: str,
    wanted: Mapping[str, Mapping[str, Any]],
    now: Any,
    counts: Counts,
) -> None:
    """Central content or knowledge requirements of one owner (``code``), by key."""
    manager: Any = model._default_manager
    existing = {row.key: row for row in manager.filter(subject=subject, code=code)}
    fields = sorted({name for values in wanted.values() for name in values} | {"retired_at"})
    new: list[M] = []
    changed: list[M] = []
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            new.append(
                model(
                    subject=subject,
                    code=code,
                    version=subject.version,
                    key=key,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
        elif _apply(row, {**values, "retired_at": None}, now):
            changed.append(row)
            counts.updated += 1
        else:
            counts.unchanged += 1
    for key, row in existing.items():
        if key not in wanted and row.retired_at is None:
            row.retired_at = now
            row.updated_at = now
            changed.append(row)
            counts.retired += 1
    if new:
        manager.bulk_create(new)
        counts.created += len(new)
    if changed:
        manager.bulk_update(changed, [*fields, "updated_at"])
