"""What a curriculum source yields: one parsed subject version at a time, as plain text.

Sources (the Skolverket API, a folder of JSON files) turn Skolverket's JSON into these records;
the import service writes them. Keys are computed here, once, so every source agrees on them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class CurriculumSourceError(Exception):
    """The source cannot be read (an answer that retrying will not fix, or no answer at all)."""


@dataclass(frozen=True, slots=True)
class ContentItem:
    key: str  # cc.1-3.<digest>; unique within the owner's (code, version)
    year_span: str
    section: str
    position: int
    text: str
    content_type: str = ""


@dataclass(frozen=True, slots=True)
class RequirementItem:
    key: str  # kr.6.E
    year: str
    grade_step: str
    heading: str
    position: int
    text: str
    requirement_type: str = ""


@dataclass(frozen=True, slots=True)
class CourseRecord:
    code: str
    name: str
    english_name: str = ""
    points: int | None = None
    sort_order: int = 0
    description: str = ""
    central_content: tuple[ContentItem, ...] = ()
    knowledge_requirements: tuple[RequirementItem, ...] = ()


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    code: str
    version: int
    name: str
    english_name: str = ""
    school_types: tuple[str, ...] = ()
    type_of_syllabus: str = ""
    curriculum: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    modified_on: dt.date | None = None
    description: str = ""
    purpose: str = ""
    central_content: tuple[ContentItem, ...] = ()
    knowledge_requirements: tuple[RequirementItem, ...] = ()
    courses: tuple[CourseRecord, ...] = ()


class CurriculumSource(Protocol):
    """Anything the import reads: subject versions, and what it had to skip (``issues``,
    complete once ``read()`` is exhausted)."""

    issues: list[str]

    def read(self) -> Iterator[SubjectRecord]: ...
