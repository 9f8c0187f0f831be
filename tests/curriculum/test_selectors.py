"""Resolving what documents store as text, (code, version, key), and the version valid on a
date."""

from __future__ import annotations

import datetime as dt

import pytest

from curriculum.models import CentralContent, Course, KnowledgeRequirement, Subject
from curriculum.selectors import (
    reference_resolve,
    subject_detail,
    subject_list,
    subject_version_on,
    syllabus_resolve,
)
from tests.curriculum.support import grgrmat01, import_payloads, mat, new_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions() -> None:
    """GRGRMAT01 v14 (2022-07-01 to 2025-06-30), v15 (from 2025-07-01); MAT v11."""
    v14 = grgrmat01()
    v14["subject"]["endDate"] = "2025-06-30"
    v15 = new_version(grgrmat01(), 15, startDate="2025-07-01")
    import_payloads(v14, v15, mat())


@pytest.mark.usefixtures("two_versions")
def test_the_version_valid_on_a_date_is_the_one_a_document_binds_to() -> None:
    def version_on(code: str, on: dt.date) -> int | None:
        subject = subject_version_on(code=code, on=on)
        return subject.version if subject else None

    assert version_on("GRGRMAT01", dt.date(2022, 6, 30)) is None  # before the first start
    assert version_on("GRGRMAT01", dt.date(2022, 7, 1)) == 14
    assert version_on("GRGRMAT01", dt.date(2025, 6, 30)) == 14  # valid_to is the last day
    assert version_on("GRGRMAT01", dt.date(2025, 7, 1)) == 15
    assert version_on("MATMAT01c", dt.date(2024, 1, 1)) == 11  # a course: its subject's version
    assert version_on("NOPE", dt.date(2024, 1, 1)) is None


def test_of_versions_starting_the_same_day_the_highest_number_wins() -> None:
    import_payloads(grgrmat01(), new_version(grgrmat01(), 13))
    subject = subject_version_on(code="GRGRMAT01", on=dt.date(2024, 1, 1))
    assert subject is not None
    assert subject.version == 14


@pytest.mark.usefixtures("two_versions")
def test_a_stored_reference_resolves_to_its_item() -> None:
    # Given the references a document stored as text
    item = CentralContent.objects.get(code="GRGRMAT01", version=14, position=1)
    code, version, key = item.reference
    assert (code, version) == ("GRGRMAT01", "14")
    # When they are resolved
    # Then they give back exactly the item and criteria of that version
    assert reference_resolve(code=code, version=version, key=key) == item
    e6 = reference_resolve(code="GRGRMAT01", version="15", key="kr.6.E")
    assert isinstance(e6, KnowledgeRequirement)
    assert (e6.version, e6.grade_step, e6.year) == (15, "E", "6")
    course_item = reference_resolve(code="MATMAT01c", version="11", key="kr.C")
    assert isinstance(course_item, KnowledgeRequirement)
    assert course_item.course is not None
    assert course_item.course.code == "MATMAT01c"


@pytest.mark.usefixtures("two_versions")
@pytest.mark.parametrize(
    ("code", "version", "key"),
    [
        ("GRGRMAT01", "99", "kr.6.E"),  # no such version
        ("GRGRMAT01", "v14", "kr.6.E"),  # not a number
        ("GRGRMAT01", "14", "kr.6.A"),  # no such key
        ("GRGRMAT01", "14", "x.6.E"),  # neither cc. nor kr.
        ("GRGRMAT01", "14", ""),
        ("MAT", "14", "kr.6.E"),  # another subject's key
    ],
)
def test_an_unknown_reference_resolves_to_none(code: str, version: str, key: str) -> None:
    assert reference_resolve(code=code, version=version, key=key) is None


@pytest.mark.usefixtures("two_versions")
def test_a_stored_subject_or_course_reference_resolves() -> None:
    subject = syllabus_resolve(code="GRGRMAT01", version="15")
    assert isinstance(subject, Subject)
    assert subject.version == 15
    course = syllabus_resolve(code="MATMAT01c", version=11)
    assert isinstance(course, Course)
    assert syllabus_resolve(code="MATMAT01c", version="12") is None


@pytest.mark.usefixtures("two_versions")
def test_the_list_gives_one_current_version_per_code() -> None:
    on_2024 = subject_list(on=dt.date(2024, 1, 1))
    assert [(s.code, s.version) for s in on_2024] == [("GRGRMAT01", 14), ("MAT", 11)]
    everything = subject_list(version="all")
    assert [(s.code, s.version) for s in everything] == [
        ("GRGRMAT01", 14),
        ("GRGRMAT01", 15),
        ("MAT", 11),
    ]


@pytest.mark.usefixtures("two_versions")
def test_the_detail_reads_in_a_fixed_number_of_statements(count_queries: type) -> None:
    with count_queries() as counter:
        subject = subject_detail(code="MAT", on=dt.date(2024, 1, 1))
        items = [i.text for c in subject.current_courses for i in c.content_items]  # type: ignore[attr-defined]
    assert len(items) == 3
    # the subject, its items (2), its courses and their items (2), whatever their number
    assert counter.count == 6
