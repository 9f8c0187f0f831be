"""The one call every documentation service makes before saving free text."""

from __future__ import annotations

from accounts.models import User


def guard_texts(
    *,
    texts: dict[str, str],
    acknowledged: bool,
    user: User,
    document_ref: str,
    organisation_id: int | None = None,
) -> None:
    """Checks ``texts`` with the text guard; raises TextGuardFindings unless the author
    acknowledged the findings, in which case the acknowledgement is recorded (without the text)."""
    from documentation.textguard.services import findings_require_acknowledgement, text_check

    findings = text_check(texts={k: v for k, v in texts.items() if v})
    findings_require_acknowledgement(
        findings=findings,
        acknowledged=acknowledged,
        user=user,
        document_ref=document_ref,
        organisation_id=organisation_id,
    )
