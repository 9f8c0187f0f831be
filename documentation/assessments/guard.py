"""The seam to the text guard (``documentation.textguard``), imported when a text is checked.

Every free text of this app (matrix titles, aspects, level labels, cell texts, assessment
comments) passes ``guard_texts`` before it is saved. When the text guard is not installed the
call raises ImportError: a text is never saved unchecked. Texts that are empty need no check, so
saving levels only (the common grid click) never calls the guard.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from types import ModuleType
from typing import Any

from accounts.models import User

TEXTGUARD_SERVICES = "documentation.textguard.services"
FINDING_FIELDS = ("field", "start", "end", "text", "category", "suggestion")


class TextGuardRefused(Exception):
    """The texts have findings the author did not acknowledge (the API answers 422)."""

    def __init__(self, findings: list[Any]) -> None:
        super().__init__(f"{len(findings)} text guard finding(s)")
        self.findings = findings


def _services() -> ModuleType:
    """The text guard's services module; ImportError (not a silent skip) when it is missing."""
    return importlib.import_module(TEXTGUARD_SERVICES)


def guard_texts(
    *,
    texts: Mapping[str, str],
    acknowledged: bool,
    user: User,
    document_ref: str,
    organisation_id: int | None = None,
    field_identities: Mapping[str, str] | None = None,
) -> None:
    """Checks ``texts`` (field name -> text); raises TextGuardRefused unless the findings were
    acknowledged, in which case the text guard records the acknowledgement (``field_identities``:
    see ``findings_require_acknowledgement``)."""
    to_check = {field: text for field, text in texts.items() if text and text.strip()}
    if not to_check:
        return
    services = _services()
    findings = services.text_check(texts=to_check)
    try:
        services.findings_require_acknowledgement(
            findings=findings,
            acknowledged=acknowledged,
            user=user,
            document_ref=document_ref,
            organisation_id=organisation_id,
            field_identities=field_identities,
        )
    except services.TextGuardFindings as refused:
        raise TextGuardRefused(list(getattr(refused, "findings", None) or findings)) from refused


def finding_as_dict(finding: Any) -> dict[str, Any]:
    """A finding as the API shows it: field, start, end, text, category, suggestion."""
    if is_dataclass(finding) and not isinstance(finding, type):
        data = asdict(finding)
    elif isinstance(finding, Mapping):
        data = dict(finding)
    else:
        data = {name: getattr(finding, name, None) for name in FINDING_FIELDS}
    return {name: data.get(name) for name in FINDING_FIELDS}
