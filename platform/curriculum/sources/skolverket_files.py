"""Skolverket's subject JSON read from a folder of files (no network).

Each ``*.json`` file holds one subject version: a ``SubjectResponse`` as the API answers
``GET /v1/subjects/{code}`` (or ``.../versions/{version}``), or a bare subject object. Files that
are not a subject (a saved subject list, broken JSON) are skipped with an issue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from curriculum.sources.parsing import subject_from_json
from curriculum.sources.records import CurriculumSourceError, SubjectRecord


class SkolverketFileSource:
    """A folder of subject JSON files (one subject version each), read in name order."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.issues: list[str] = []

    def read(self) -> Iterator[SubjectRecord]:
        if not self.folder.is_dir():
            raise CurriculumSourceError(f"{self.folder}: not a folder")
        for path in sorted(self.folder.glob("*.json")):
            try:
                payload = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                self.issues.append(f"{path.name}: not readable JSON ({type(exc).__name__})")
                continue
            if isinstance(payload, Mapping) and "subject" not in payload and "subjects" in payload:
                self.issues.append(f"{path.name}: a subject list, not a subject; skipped")
                continue
            record, issues = subject_from_json(payload, origin=path.name)
            self.issues.extend(issues)
            if record is not None:
                yield record
