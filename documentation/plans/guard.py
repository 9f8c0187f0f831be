"""The text guard, as plans call it: every free text is checked before it is saved.

The guard itself lives in ``documentation.textguard``; this adapter imports it lazily and raises
ImportError at call time when it is not there, so nothing is ever saved unchecked. Its
``TextGuardFindings`` is turned into ``GuardFindings`` (findings as plain dicts) so the API can
answer 422 without importing the guard.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from accounts.models import User

TEXTGUARD_MODULE = "documentation.textguard.services"
FINDING_FIELDS = ("field", "start", "end", "text", "category", "suggestion")


class GuardFindings(Exception):
    """The texts have findings and the author did not acknowledge them (HTTP 422)."""

    def __init__(self, findings: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(findings)} text guard finding(s)")
        self.findings = findings


def _services() -> ModuleType:
    try:
        return importlib.import_module(TEXTGUARD_MODULE)
    except ImportError as error:
        raise ImportError(
            f"{TEXTGUARD_MODULE} is not available: plans cannot save free text unchecked."
        ) from error


def finding_as_dict(finding: Any) -> dict[str, Any]:
    if isinstance(finding, Mapping):
        return {name: finding.get(name) for name in FINDING_FIELDS}
    return {name: getattr(finding, name, None) for name in FINDING_FIELDS}


def texts_guard(
    *,
    texts: Mapping[str, str],
    acknowledged: bool,
    user: User,
    document_ref: str,
    organisation_id: int | None = None,
) -> None:
    """Checks ``texts`` (field name -> text); with findings, records the acknowledgement if the
    author gave it, else raises GuardFindings. Call it inside the saving transaction, after the
    write: a refusal rolls the write back."""
    services = _services()
    findings = list(services.text_check(texts={k: v for k, v in texts.items() if v}))
    if not findings:
        return
    try:
        services.findings_require_acknowledgement(
            findings=findings,
            acknowledged=acknowledged,
            user=user,
            document_ref=document_ref,
            organisation_id=organisation_id,
        )
    except services.TextGuardFindings as error:
        raised = getattr(error, "findings", None) or findings
        raise GuardFindings([finding_as_dict(f) for f in raised]) from error
