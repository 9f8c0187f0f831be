"""Fixtures shaped like Skolverket's Syllabus API answers, and an in-memory source."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from curriculum.services import CurriculumImportResult, curriculum_import
from curriculum.sources.parsing import subject_from_json
from curriculum.sources.records import SubjectRecord

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@cache
def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of fixtures/<name> (tests may change it)."""
    data: dict[str, Any] = json.loads(_read(name))
    return data


def grgrmat01() -> dict[str, Any]:
    return fixture("subject_GRGRMAT01.json")


def mat() -> dict[str, Any]:
    return fixture("subject_MAT.json")


def new_version(payload: dict[str, Any], version: int, **fields: Any) -> dict[str, Any]:
    """``payload`` as a later version: a new number and the given subject fields changed."""
    out = copy.deepcopy(payload)
    out["subject"].update(version=version, **fields)
    return out


class PayloadSource:
    """The curriculum source protocol over JSON payloads held in memory."""

    def __init__(self, *payloads: dict[str, Any]) -> None:
        self.payloads = payloads
        self.issues: list[str] = []

    def read(self) -> Iterator[SubjectRecord]:
        for index, payload in enumerate(self.payloads):
            record, issues = subject_from_json(payload, origin=f"payload {index}")
            self.issues.extend(issues)
            if record is not None:
                yield record


def import_payloads(*payloads: dict[str, Any]) -> CurriculumImportResult:
    return curriculum_import(source=PayloadSource(*payloads))
